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


# ---- our export, read by the reference stack ---------------------------------------------------


def _node(script: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NODE, JS_DIR / script, path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def _sealed_export(algorithm: str) -> dict[str, object]:
    from tests.europass.test_edc_export import sealed

    return sealed(algorithm)


def test_our_exported_edc_canonicalizes_alike_in_both_stacks(tmp_path: Path) -> None:
    # The graph pyshacl checked is the graph jsonld.js reads from the same JSON.
    from tests.europass.test_edc_export import export

    credential = export()
    path = tmp_path / "edc.json"
    path.write_text(json.dumps(credential), encoding="utf-8")
    proc = _node("canon.mjs", path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert canonicalize(credential) == proc.stdout


@pytest.mark.parametrize("algorithm", ["Ed25519", "P-256"])
def test_our_seal_verifies_with_nodes_crypto(tmp_path: Path, algorithm: str) -> None:
    path = tmp_path / "sealed.json"
    document = _sealed_export(algorithm)
    path.write_text(json.dumps(document), encoding="utf-8")
    proc = _node("edc_seal.mjs", path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    answer = json.loads(proc.stdout)
    assert answer["ok"] is True
    assert "O=University of Zed" in answer["subject"]
    # and a changed payload does not
    payload = str(document["payload"]).replace("IE1234567T", "IE0000000T")
    path.write_text(json.dumps({**document, "payload": payload}), encoding="utf-8")
    assert json.loads(_node("edc_seal.mjs", path).stdout)["ok"] is False


def test_the_commissions_sample_seal_verifies_with_nodes_crypto() -> None:
    proc = _node("edc_seal.mjs", SAMPLE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["ok"] is True
