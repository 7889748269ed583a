"""The older Ed25519 suites: Ed25519Signature2020 and the draft cryptosuite name eddsa-2022,
verified with the RDFC steps; the fixtures were signed by the reference JS stack."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from microcred.crypto import proofs
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.errors import ProofError

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
KEY = KeyFile.for_did_key(SigningKey.generate())


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((LEGACY / name).read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize(
    ("name", "suite"),
    [("ed25519-2020-vc1.json", "Ed25519Signature2020"), ("eddsa-2022.json", "eddsa-2022")],
)
def test_credentials_signed_by_the_reference_verify(name: str, suite: str) -> None:
    verified = proofs.verify(fixture(name), DidResolver())
    assert verified.cryptosuite == suite
    assert verified.method.controller == fixture("reference-key.json")["did"]
    assert verified.created == "2026-01-15T09:00:00Z"


@pytest.mark.parametrize("name", ["ed25519-2020-vc1.json", "eddsa-2022.json"])
def test_an_altered_reference_credential_fails(name: str) -> None:
    document = fixture(name)
    document["credentialSubject"]["name"] = "Someone Else"
    with pytest.raises(ProofError, match="signature does not match"):
        proofs.verify(document, DidResolver())


def test_renaming_the_suite_breaks_the_signature() -> None:
    # eddsa-2022 and eddsa-rdfc-2022 take the same steps, but the name is signed.
    document = fixture("eddsa-2022.json")
    document["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    with pytest.raises(ProofError, match="signature does not match"):
        proofs.verify(document, DidResolver())


def test_we_sign_ed25519_signature_2020_and_verify_it() -> None:
    unsigned = fixture("unsigned-vc1.json")
    unsigned["issuer"]["id"] = KEY.controller
    signed = proofs.sign(
        unsigned,
        KEY.key,
        verification_method=KEY.verification_method,
        cryptosuite="Ed25519Signature2020",
    )
    assert signed["proof"]["type"] == "Ed25519Signature2020"
    assert "cryptosuite" not in signed["proof"]
    assert proofs.verify(signed, DidResolver()).cryptosuite == "Ed25519Signature2020"
    tampered = copy.deepcopy(signed)
    tampered["issuanceDate"] = "2020-01-01T00:00:00Z"
    with pytest.raises(ProofError):
        proofs.verify(tampered, DidResolver())


def test_unknown_suites_are_refused_with_the_supported_names() -> None:
    document = fixture("eddsa-2022.json")
    document["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    with pytest.raises(ProofError, match="unsupported cryptosuite") as raised:
        proofs.verify(document, DidResolver())
    assert raised.value.expected is not None
    assert "eddsa-2022" in raised.value.expected
    document["proof"]["type"] = "RsaSignature2018"
    with pytest.raises(ProofError, match="unsupported proof type"):
        proofs.verify(document, DidResolver())
