"""The older Ed25519 suites against the reference JS stack, both ways: credentials signed by
``@digitalbazaar/ed25519-signature-2020`` (VC 1.1 and 2.0) and by the reference's RDFC suite under
its draft name ``eddsa-2022`` verify in microcred, altered copies do not; microcred's
Ed25519Signature2020 proofs verify in the reference."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.crypto import proofs
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.verify import Verifier
from tests.interop.reference_stack import JS_DIR, ROOT, node_or_skip

NODE = node_or_skip()
LEGACY = ROOT / "tests" / "fixtures" / "legacy"
pytestmark = pytest.mark.interop


def legacy(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NODE, str(JS_DIR / "legacy.mjs"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def reference_key(tmp_path: Path) -> tuple[Path, KeyFile]:
    key = KeyFile.for_did_key(SigningKey.generate())
    path = tmp_path / "key.json"
    path.write_text(
        json.dumps(
            {
                "did": key.controller,
                "publicKeyMultibase": key.key.public.multibase,
                "secretKeyMultibase": key.key.secret_multibase,
            }
        )
    )
    return path, key


def unsigned(name: str, issuer: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((LEGACY / name).read_text(encoding="utf-8"))
    document["issuer"]["id"] = issuer
    return document


@pytest.mark.parametrize(
    ("suite", "name", "label"),
    [
        ("ed25519-2020", "unsigned-vc1.json", "Ed25519Signature2020"),
        ("ed25519-2020", "unsigned-vc2.json", "Ed25519Signature2020"),
        ("eddsa-2022", "unsigned-vc2.json", "eddsa-2022"),
    ],
)
def test_the_reference_signs_and_microcred_verifies(
    tmp_path: Path, suite: str, name: str, label: str
) -> None:
    key_path, key = reference_key(tmp_path)
    document = unsigned(name, key.controller)
    if suite == "ed25519-2020" and proofs.ED25519_2020_CONTEXT not in document["@context"]:
        document["@context"].append(proofs.ED25519_2020_CONTEXT)
    source = tmp_path / "in.json"
    source.write_text(json.dumps(document))
    signed = legacy("sign", "--suite", suite, "--key", key_path, source)
    assert signed.returncode == 0, signed.stderr
    result = Verifier().verify(signed.stdout)
    assert result.verified, result.to_json()
    proof = result.check("proof")
    assert proof is not None
    assert label in proof.message
    altered = json.loads(signed.stdout)
    altered["credentialSubject"]["name"] = "Mallory"
    assert not Verifier().verify(altered).verified


def test_microcred_signs_ed25519_signature_2020_and_the_reference_verifies(
    tmp_path: Path,
) -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    signed = proofs.sign(
        unsigned("unsigned-vc1.json", key.controller),
        key.key,
        verification_method=key.verification_method,
        cryptosuite="Ed25519Signature2020",
    )
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(signed))
    verified = legacy("verify", "--suite", "ed25519-2020", path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["verified"] is True
    signed["name"] = "Altered"
    path.write_text(json.dumps(signed))
    refused = legacy("verify", "--suite", "ed25519-2020", path)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["proofVerified"] is False


def test_the_committed_fixtures_verify_in_the_reference() -> None:
    for name, suite in (
        ("ed25519-2020-vc1.json", "ed25519-2020"),
        ("eddsa-2022.json", "eddsa-2022"),
    ):
        verified = legacy("verify", "--suite", suite, LEGACY / name)
        assert verified.returncode == 0, verified.stdout + verified.stderr


def test_microcred_signs_eddsa_2022_through_the_cli_and_the_reference_verifies(
    tmp_path: Path,
) -> None:
    """``sign --suite eddsa-2022``: the draft name of eddsa-rdfc-2022, for verifiers that know
    only that one; the reference's RDFC suite under that name verifies it, and refuses a change."""
    _key_path, key = reference_key(tmp_path)
    mine = tmp_path / "key.microcred.json"
    key.save(mine)
    source = tmp_path / "in.json"
    source.write_text(json.dumps(unsigned("unsigned-vc2.json", key.controller)))
    done = CliRunner().invoke(
        app, ["sign", "--key", str(mine), "--suite", "eddsa-2022", str(source)]
    )
    assert done.exit_code == 0, done.stderr
    signed = json.loads(done.stdout)
    assert signed["proof"]["type"] == "DataIntegrityProof"
    assert signed["proof"]["cryptosuite"] == "eddsa-2022"
    result = Verifier().verify(signed)
    assert result.verified, result.to_json()
    assert "eddsa-2022" in result.check("proof").message  # type: ignore[union-attr]
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(signed))
    verified = legacy("verify", "--suite", "eddsa-2022", path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["verified"] is True
    signed["credentialSubject"]["name"] = "Mallory"
    path.write_text(json.dumps(signed))
    refused = legacy("verify", "--suite", "eddsa-2022", path)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["proofVerified"] is False
