"""The EDC application profile context, as bundled, reads the Commission's sealed sample the way
jsonld.js does: both stacks give the same canonical N-Quads for its payload, offline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from microcred.crypto.canon import canonicalize
from tests.interop.reference_stack import JS_DIR, ROOT, node_or_skip

NODE = node_or_skip()
SAMPLE = ROOT / "tests" / "fixtures" / "edc" / "Sample-MC-Annex1-signed.jsonld"

pytestmark = pytest.mark.interop


def test_the_sealed_samples_payload_canonicalizes_alike_in_both_stacks(tmp_path: Path) -> None:
    payload = json.loads(SAMPLE.read_text(encoding="utf-8"))["payload"]
    credential = json.loads(payload)
    assert "http://data.europa.eu/snb/model/context/edc-ap" in credential["@context"]
    path = tmp_path / "edc.json"
    path.write_text(payload, encoding="utf-8")
    proc = subprocess.run(
        [NODE, JS_DIR / "canon.mjs", path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = canonicalize(credential)
    assert '<http://www.w3.org/ns/regorg#legalName> "ORGANIZACION TEST"@en' in ours
    assert ours == proc.stdout
