"""Sealed European Digital Credentials: the Commission's own sample verifies (its JAdES e-seal,
RS256 with an unencoded payload), says honestly that the seal's certificate is not checked
against the EU trusted lists, and any change to the payload, the certificate's thumbprint or
the critical header parameters is refused."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from microcred.crypto.canon import to_nquads
from microcred.verify import Status, Verifier
from microcred.verify import messages as m
from microcred.verify.result import Outcome

SAMPLE = Path(__file__).parents[1] / "fixtures" / "edc" / "Sample-MC-Annex1-signed.jsonld"


def sample() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return document


def statuses(data: Any) -> dict[str, Status]:
    result = Verifier().verify(json.dumps(data).encode() if isinstance(data, dict) else data)
    return {check.name: check.status for check in result.checks}


def with_header(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    signature = document["signatures"][0]
    protected = signature["protected"]
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    header.update(changes)
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    signature["protected"] = encoded
    return document


def test_the_commissions_sample_seal_verifies_and_the_issuer_is_not_claimed_confirmed() -> None:
    result = Verifier().verify(SAMPLE.read_bytes())
    checks = {check.name: check for check in result.checks}
    assert result.format == m.FORMAT_EDC
    assert checks["proof"].status == Status.PASSED
    assert checks["proof"].template == m.EDC_SEAL_OK
    assert "ORGANIZACION TEST" in checks["proof"].message
    assert checks["issuer"].status == Status.WARNING
    assert "EU trusted lists" in checks["issuer"].message
    assert result.outcome == Outcome.ISSUER_NOT_CONFIRMED
    assert not result.verified  # never a bare "verified" without the trust list
    assert result.summary["issuer"] == "ORGANIZACION TEST"
    assert result.summary["name"] == "Digital micro-credential creation"
    assert result.credential is not None
    assert "EuropeanDigitalCredential" in result.credential["type"]


def test_the_same_document_given_as_an_object_reads_the_same() -> None:
    assert statuses(sample())["proof"] == Status.PASSED


def test_one_changed_character_of_the_payload_breaks_the_seal() -> None:
    document = sample()
    document["payload"] = document["payload"].replace("ORGANIZACION TEST", "ORGANIZACION TESX", 1)
    assert statuses(document)["proof"] == Status.FAILED


def test_a_thumbprint_of_another_certificate_is_refused() -> None:
    document = with_header(sample(), **{"x5t#S256": "A" * 43})
    assert statuses(document)["proof"] == Status.FAILED


@pytest.mark.parametrize("critical", [["b64", "sigT", "adoTst", "exp"], ["b64", "nonsense"]])
def test_a_critical_parameter_this_verifier_does_not_know_is_refused(critical: list[str]) -> None:
    document = with_header(sample(), crit=critical, exp=1)
    result = Verifier().verify(json.dumps(document).encode())
    proof = result.check("proof")
    assert proof is not None
    assert proof.status == Status.FAILED
    assert "critical" in proof.message


def test_a_seal_over_something_else_is_not_read_as_a_european_credential() -> None:
    document = sample()
    payload = json.loads(document["payload"])
    payload["type"] = ["VerifiableCredential", "SomethingElse"]
    document["payload"] = json.dumps(payload).replace("SomethingElse", "EuropeanDigitalCredentialX")
    parse = Verifier().verify(json.dumps(document).encode()).check("parse")
    assert parse is not None
    assert parse.status == Status.FAILED


def test_the_flattened_serialization_of_the_same_seal_verifies() -> None:
    document = sample()
    flattened = {"payload": document["payload"], **document["signatures"][0]}
    result = Verifier().verify(json.dumps(flattened).encode())
    assert result.format == m.FORMAT_EDC
    assert {c.name: c.status for c in result.checks}["proof"] == Status.PASSED


def test_the_payloads_contexts_are_bundled_so_it_reads_as_rdf_offline() -> None:
    credential = json.loads(sample()["payload"])
    nquads = to_nquads(credential)  # a context that is not bundled raises ContextError
    assert '<http://www.w3.org/ns/regorg#legalName> "ORGANIZACION TEST"@en' in nquads


# ---- seals made here, for the algorithms the sample does not use (RS256 is the sample's) -------


def _certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test University"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test seal"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _seal(alg: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    der = _certificate(key)
    header = {
        "alg": alg,
        "b64": False,
        "crit": ["b64"],
        "x5c": [base64.b64encode(der).decode()],
        "x5t#S256": _b64url(hashlib.sha256(der).digest()),
    }
    protected = _b64url(json.dumps(header).encode())
    payload = sample()["payload"]
    signing_input = protected.encode() + b"." + payload.encode()
    if isinstance(key, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = key.sign(signing_input, pss, hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return {"payload": payload, "protected": protected, "signature": _b64url(signature)}


def test_a_ps256_seal_verifies_and_names_its_sealer() -> None:
    document = _seal("PS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    proof = Verifier().verify(json.dumps(document).encode()).check("proof")
    assert proof is not None
    assert proof.status == Status.PASSED
    assert "Test University, Test seal" in proof.message


def test_an_es256_seal_verifies_and_fails_when_the_payload_changes() -> None:
    document = _seal("ES256", ec.generate_private_key(ec.SECP256R1()))
    assert statuses(document)["proof"] == Status.PASSED
    document["payload"] = document["payload"].replace("Zed", "Zee", 1)
    assert statuses(document)["proof"] == Status.FAILED


def test_an_algorithm_that_does_not_fit_the_certificates_key_is_refused() -> None:
    document = _seal("ES256", ec.generate_private_key(ec.SECP256R1()))
    document = {"signatures": [{k: v for k, v in document.items() if k != "payload"}], **document}
    del document["protected"], document["signature"]
    with_header(document, alg="RS256")
    proof = Verifier().verify(json.dumps(document).encode()).check("proof")
    assert proof is not None
    assert proof.status == Status.FAILED
    assert "does not fit" in proof.message
