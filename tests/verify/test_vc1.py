"""VC Data Model 1.1 credentials: verified as any VC, validity read from issuanceDate and
expirationDate, the OB 3.0 model checked on the credential's 2.0 view."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.crypto import proofs
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.samples import sample_credential
from microcred.verify import Status, Verifier
from microcred.verify import messages as m
from microcred.verify.vc1 import VC_V1_CONTEXT, as_vc2, is_vc1

KEY = KeyFile.for_did_key(SigningKey.generate())
NOW = datetime(2026, 6, 1, tzinfo=UTC)
OB_300 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v2"  # VC 1.1 does not define the proof


def vc1_credential(ob_context: str = OB_300, **changes: Any) -> dict[str, Any]:
    document = sample_credential(issuer_id=KEY.controller)
    document["@context"] = [VC_V1_CONTEXT, ob_context, DATA_INTEGRITY]
    document["issuanceDate"] = document.pop("validFrom")
    if not ob_context.endswith("3.0.3.json"):  # a term the older contexts do not define
        document["credentialSubject"]["achievement"].pop("inLanguage", None)
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def verify(document: dict[str, Any], now: datetime = NOW) -> Any:
    signed = proofs.sign(document, KEY.key, verification_method=KEY.verification_method)
    return Verifier(clock=lambda: now).verify(signed)


@pytest.mark.parametrize(
    "ob_context",
    [
        OB_300,
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
)
def test_a_vc1_open_badge_verifies_with_every_ob3_context(ob_context: str) -> None:
    result = verify(vc1_credential(ob_context))
    assert result.verified, result.to_json()
    parse = result.check("parse")
    assert parse is not None
    assert parse.message == m.OB3_OK_VC1
    assert result.summary["validFrom"] == "2026-01-15T09:00:00Z"


def test_validity_uses_issuance_and_expiration_dates() -> None:
    document = vc1_credential(expirationDate="2026-03-01T00:00:00Z")
    result = verify(document)
    validity = result.check("validity")
    assert validity is not None
    assert validity.status == Status.FAILED
    assert validity.message == "expired on 2026-03-01T00:00:00Z"
    assert not result.verified
    assert result.summary["validUntil"] == "2026-03-01T00:00:00Z"
    early = verify(vc1_credential(), now=datetime(2025, 1, 1, tzinfo=UTC))
    assert early.check("validity").status == Status.FAILED  # type: ignore[union-attr]


def test_a_vc1_credential_without_issuance_date_breaks_the_model() -> None:
    document = vc1_credential()
    del document["issuanceDate"]
    result = verify(document)
    parse = result.check("parse")
    assert parse is not None
    assert parse.status == Status.FAILED
    assert "issuanceDate" in parse.message
    assert not result.verified


def test_an_altered_vc1_credential_fails_its_proof() -> None:
    signed = proofs.sign(vc1_credential(), KEY.key, verification_method=KEY.verification_method)
    signed["issuanceDate"] = "2020-01-01T00:00:00Z"
    result = Verifier(clock=lambda: NOW).verify(signed)
    assert result.check("proof").status == Status.FAILED  # type: ignore[union-attr]


def test_the_model_view_renames_dates_and_keeps_the_credential_untouched() -> None:
    document = vc1_credential(expirationDate="2027-01-01T00:00:00Z")
    view = as_vc2(document)
    assert is_vc1(document)
    assert not is_vc1(view)
    assert view["validFrom"] == document["issuanceDate"]
    assert view["validUntil"] == "2027-01-01T00:00:00Z"
    assert "issuanceDate" not in view
    assert "issuanceDate" in document
    assert view["@context"][1:] == document["@context"][1:]


def test_a_vc1_badge_signed_by_the_reference_with_ed25519_signature_2020_verifies() -> None:
    signed = (
        Path(__file__).parents[1] / "fixtures" / "legacy" / "ed25519-2020-vc1.json"
    ).read_text()
    result = Verifier(clock=lambda: NOW).verify(signed)
    assert result.verified, result.to_json()
    proof = result.check("proof")
    assert proof is not None
    assert "Ed25519Signature2020" in proof.message
