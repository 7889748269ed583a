"""Open Badges 2.0: signed assertions (JWS, RS256) and hosted ones, through the library
Verifier with an injected fetcher, and offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from microcred.verify import Status, VerificationResult, Verifier
from microcred.verify.ob2 import Ob2Verifier, ob2_input
from tests.verify.ob2_fixtures import (
    ASSERTION,
    BADGE,
    ISSUER,
    KEY,
    ORIGIN,
    REVOCATIONS,
    Web,
    assertion,
    b64,
    baked_png,
    baked_svg,
    issuer_web,
    jws,
    rsa_key,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def statuses(result: VerificationResult) -> dict[str, Status]:
    return {c.name: c.status for c in result.checks}


def message(result: VerificationResult, name: str) -> str:
    check = result.check(name)
    assert check is not None, [c.name for c in result.checks]
    return check.message


def verify(data: Any, web: Web | None) -> VerificationResult:
    if web is None:
        return Verifier(clock=clock).verify(data)
    return Verifier(clock=clock, fetcher=web).verify(data)


@pytest.mark.parametrize("carrier", ["pasted", "png", "svg"])
def test_signed_assertion_verifies_from_text_png_and_svg(carrier: str) -> None:
    token = jws(assertion(), rsa_key())
    data = {"pasted": token, "png": baked_png(token), "svg": baked_svg(token)}[carrier]
    web = issuer_web()
    result = verify(data, web)
    assert result.verified, result.to_json()
    assert statuses(result) == {
        "input": Status.PASSED,
        "parse": Status.PASSED,
        "proof": Status.PASSED,
        "issuer": Status.PASSED,
        "validity": Status.PASSED,
        "status": Status.SKIPPED,  # this issuer publishes no revocation list
    }
    assert result.format is not None
    assert result.format.startswith("Open Badges 2.0 signed assertion")
    assert (carrier != "pasted") == ("baked in" in result.format)
    assert KEY in message(result, "proof")
    assert result.summary["issuer"] == {"id": ISSUER, "name": "Old School"}
    assert result.summary["achievement"] == "Legacy Badge"
    # Everything came from the issuer's own URLs, through the injected fetcher only.
    assert set(web.seen) == {BADGE, ISSUER, KEY}


def test_tampered_payload_fails_the_signature() -> None:
    token = jws(assertion(), rsa_key())
    head, _body, signature = token.split(".")
    forged = b64(json.dumps(assertion(expires="2099-01-01T00:00:00Z")).encode())
    result = verify(f"{head}.{forged}.{signature}", issuer_web())
    assert not result.verified
    assert statuses(result)["proof"] == Status.FAILED
    assert "altered" in message(result, "proof")
    assert statuses(result)["issuer"] == Status.SKIPPED


def test_signed_with_another_key_than_the_one_published() -> None:
    result = verify(jws(assertion(), rsa_key(2)), issuer_web(key_number=1))
    assert not result.verified
    assert statuses(result)["proof"] == Status.FAILED


def test_key_not_listed_by_the_issuer() -> None:
    web = issuer_web()
    web.documents[ISSUER]["publicKey"] = [f"{ORIGIN}/keys/other"]
    result = verify(jws(assertion(), rsa_key()), web)
    assert not result.verified
    assert statuses(result)["proof"] == Status.PASSED  # the signature itself is fine
    assert statuses(result)["issuer"] == Status.FAILED
    assert "does not list the key" in message(result, "issuer")


def test_key_owned_by_someone_else() -> None:
    web = issuer_web()
    web.documents[KEY]["owner"] = "https://impostor.example/issuer"
    result = verify(jws(assertion(), rsa_key()), web)
    assert not result.verified
    assert "impostor.example" in message(result, "issuer")


@pytest.mark.parametrize(
    "entry", [ASSERTION, {"id": ASSERTION, "revocationReason": "issued by mistake"}]
)
def test_revoked_assertion(entry: Any) -> None:
    web = issuer_web(revoked=["urn:uuid:someone-else", entry])
    result = verify(jws(assertion(), rsa_key()), web)
    assert not result.verified
    assert statuses(result)["status"] == Status.FAILED
    assert "revoked this badge" in message(result, "status")
    if isinstance(entry, dict):
        assert "issued by mistake" in message(result, "status")
    assert REVOCATIONS in web.seen


def test_not_revoked_when_the_list_names_others() -> None:
    result = verify(jws(assertion(), rsa_key()), issuer_web(revoked=["urn:uuid:other"]))
    assert result.verified
    assert statuses(result)["status"] == Status.PASSED


def test_expired_assertion() -> None:
    token = jws(assertion(expires="2025-01-01T00:00:00Z"), rsa_key())
    result = verify(token, issuer_web())
    assert not result.verified
    assert statuses(result)["validity"] == Status.FAILED
    assert message(result, "validity") == "expired on 2025-01-01T00:00:00Z"


def test_offline_reports_the_network_checks_and_does_not_verify() -> None:
    result = verify(jws(assertion(), rsa_key()), None)
    assert not result.verified
    assert statuses(result) == {
        "input": Status.PASSED,
        "parse": Status.PASSED,
        "proof": Status.SKIPPED,
        "issuer": Status.SKIPPED,
        "validity": Status.PASSED,
        "status": Status.SKIPPED,
    }
    assert "works offline" in message(result, "proof")
    assert KEY in message(result, "proof")


def test_only_rs256_is_accepted() -> None:
    token = jws(assertion(), rsa_key(), alg="none")
    result = verify(token, issuer_web())
    assert not result.verified
    assert "RS256" in message(result, "proof")


def test_documents_must_be_served_at_their_own_ids() -> None:
    web = issuer_web()
    web.documents[KEY] = {**web.documents[KEY], "id": f"{ORIGIN}/keys/elsewhere"}
    result = verify(jws(assertion(), rsa_key()), web)
    assert not result.verified
    assert "another id" in message(result, "proof")


def test_without_creator_the_issuers_listed_keys_are_tried() -> None:
    token = jws(assertion(verification={"type": "signed"}), rsa_key())
    result = verify(token, issuer_web())
    assert result.verified, result.to_json()


def test_a_signed_assertions_json_without_its_signature_is_not_trusted() -> None:
    result = verify(json.dumps(assertion()), issuer_web())
    assert not result.verified
    assert "only its JSON" in message(result, "proof")


def test_missing_fields_and_broken_tokens_are_explained() -> None:
    result = verify(jws(assertion(recipient=None, issuedOn=None), rsa_key()), issuer_web())
    assert not result.verified
    assert message(result, "parse") == "the assertion lacks recipient, issuedOn"
    broken = Ob2Verifier(fetcher=issuer_web(), clock=clock).verify("abc.def.***")
    assert not broken.verified
    assert statuses(broken)["parse"] == Status.FAILED


def test_hosted_assertion_through_the_library_fetcher() -> None:
    web = issuer_web()
    hosted_id = f"{ORIGIN}/assertions/1"
    hosted = assertion(id=hosted_id, verification={"type": "hosted"})
    web.documents[hosted_id] = hosted
    result = verify(json.dumps(hosted), web)
    assert result.verified, result.to_json()
    assert result.format == "Open Badges 2.0 hosted assertion"
    assert web.seen[0] == hosted_id  # re-read from its id, not trusted as given
    # The baked URL form (pre-2.0 style) reaches the same path.
    assert verify(baked_png(hosted_id), web).verified


def test_ob2_input_is_recognised_and_ob3_is_not() -> None:
    assert ob2_input(jws(assertion(), rsa_key()))
    assert ob2_input(json.dumps(assertion()))
    assert not ob2_input('{"@context": ["https://www.w3.org/ns/credentials/v2"]}')
    assert not ob2_input("eyJhbGciOiJFZERTQSJ9.e30.c2ln")


def test_a_jws_of_a_hosted_assertion_is_checked_as_hosted() -> None:
    web = issuer_web()
    hosted_id = f"{ORIGIN}/assertions/2"
    hosted = assertion(id=hosted_id, verification={"type": "HostedBadge"})
    web.documents[hosted_id] = {**hosted, "revoked": True}
    result = verify(jws(hosted, rsa_key(2)), web)  # any key: the signature is not what counts
    assert result.format == "Open Badges 2.0 hosted assertion"
    assert statuses(result)["proof"] == Status.PASSED
    assert statuses(result)["status"] == Status.FAILED  # the copy at its id says revoked
    assert not result.verified


def test_an_unexpected_failure_is_reported_not_raised() -> None:
    def broken(url: str) -> bytes:
        raise RuntimeError(f"socket trouble at {url}")

    result = Verifier(clock=clock, fetcher=broken).verify(jws(assertion(), rsa_key()))
    assert not result.verified
    assert statuses(result)["internal"] == Status.FAILED
    assert "RuntimeError" in message(result, "internal")
