"""1EdTech's signed CLR 2.0 sample: the reference verifies both of its proofs, and so do we, and
a credential we sign inside a CLR we sign verifies there too."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from microcred.samples import sample_credential
from microcred.verify import Status, Verifier
from tests.conftest import VECTORS, load_json
from tests.interop.reference_stack import JS_DIR, node_or_skip
from tests.verify.test_verifier_embedded import COMPANY, FragmentKeys, our_clr, sign

NODE = node_or_skip()
pytestmark = pytest.mark.interop

SAMPLE = VECTORS / "clr-1edtech" / "simple.json"


def js_verify(document: dict[str, Any], tmp: Path, *flags: str) -> dict[str, Any]:
    path = tmp / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = subprocess.run(
        [NODE, str(JS_DIR / "verify.mjs"), *flags, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=JS_DIR,
    )
    assert done.returncode in (0, 1), done.stderr
    verdict: dict[str, Any] = json.loads(done.stdout)
    return verdict


def test_both_proofs_of_the_sample_verify_in_the_reference_and_here(tmp_path: Path) -> None:
    clr = load_json(SAMPLE)
    inner = clr["credentialSubject"]["verifiableCredential"][0]
    for document in (clr, inner):
        verdict = js_verify(document, tmp_path, "--unsafe-key-from-fragment")
        assert verdict["proofVerified"] is True, verdict
    ours = Verifier(resolver=FragmentKeys()).verify(clr)
    assert ours.check("proof").status == Status.PASSED  # type: ignore[union-attr]
    assert ours.parts[0].result.check("proof").status == Status.PASSED  # type: ignore[union-attr]


def test_a_clr_we_sign_verifies_in_the_reference(tmp_path: Path) -> None:
    clr = our_clr(sign(sample_credential(issuer_id=COMPANY.controller), COMPANY))
    assert js_verify(clr, tmp_path)["verified"] is True
    inner = clr["credentialSubject"]["verifiableCredential"][0]
    assert js_verify(inner, tmp_path)["verified"] is True
