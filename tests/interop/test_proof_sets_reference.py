"""Proof sets against the reference JS stack: a set the reference signs (it appends a proof to a
signed credential) verifies proof by proof in microcred; each proof of a set microcred signs
verifies in the reference. (The reference has no proof chains: ``previousProof`` is ours alone,
tested in tests/crypto/test_proof_sets.py.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from microcred.crypto import proofs
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.samples import sample_credential
from microcred.verify import Status, Verifier
from tests.interop.reference_stack import JS_DIR, node_or_skip

NODE = node_or_skip()
pytestmark = pytest.mark.interop


def node(script: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NODE, str(JS_DIR / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def key_file(tmp_path: Path, name: str) -> tuple[Path, KeyFile]:
    key = KeyFile.for_did_key(SigningKey.generate())
    path = tmp_path / f"{name}.json"
    public, secret = key.key.public.multibase, key.key.secret_multibase
    path.write_text(
        json.dumps(
            {"did": key.controller, "publicKeyMultibase": public, "secretKeyMultibase": secret}
        )
    )
    return path, key


def write(tmp_path: Path, name: str, document: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_a_set_the_reference_signs_verifies_proof_by_proof(tmp_path: Path) -> None:
    issuer_path, issuer = key_file(tmp_path, "issuer")
    witness_path, _ = key_file(tmp_path, "witness")
    unsigned = write(tmp_path, "in.json", sample_credential(issuer_id=issuer.controller))
    once = node("sign.mjs", "--key", issuer_path, unsigned)
    assert once.returncode == 0, once.stderr
    twice = node(
        "sign.mjs", "--key", witness_path, write(tmp_path, "once.json", json.loads(once.stdout))
    )
    assert twice.returncode == 0, twice.stderr
    secured = json.loads(twice.stdout)
    assert len(secured["proof"]) == 2
    result = Verifier().verify(secured)
    assert result.verified, result.to_json()
    assert {c.name for c in result.checks} >= {"proof", "proof 1", "proof 2"}
    secured["proof"][1]["created"] = "2020-01-01T00:00:00Z"
    altered = Verifier().verify(secured)
    assert not altered.verified
    assert altered.check("proof 1").status == Status.PASSED  # type: ignore[union-attr]
    assert altered.check("proof 2").status == Status.FAILED  # type: ignore[union-attr]


def test_each_proof_of_a_set_microcred_signs_verifies_in_the_reference(tmp_path: Path) -> None:
    issuer = KeyFile.for_did_key(SigningKey.generate())
    witness = KeyFile.for_did_key(SigningKey.generate())
    secured = sample_credential(issuer_id=issuer.controller)
    for key in (issuer, witness):
        secured = proofs.add_proof(secured, key.key, verification_method=key.verification_method)
    for index, proof in enumerate(secured["proof"]):
        alone = {**secured, "proof": proof}
        result = node("verify.mjs", write(tmp_path, f"p{index}.json", alone))
        assert json.loads(result.stdout)["proofVerified"] is True, result.stdout
    both = node("verify.mjs", write(tmp_path, "both.json", secured))
    assert json.loads(both.stdout)["proofVerified"] is True, both.stdout
