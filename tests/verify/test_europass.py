"""Sealed European Digital Credentials: the Commission's own sample verifies (its JAdES e-seal,
RS256 with an unencoded payload), says honestly that the seal's certificate is not checked
against the EU trusted lists, and any change to the payload, the certificate's thumbprint or
the critical header parameters is refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

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
