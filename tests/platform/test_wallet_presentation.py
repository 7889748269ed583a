"""A learner's Verifiable Presentation: built, signed with their key, and checked step by step.

Each refusal names its check (challenge, domain, holder, proof, credentials) and says what was
expected and found. The last tests post our presentations to the VC-API route
``/presentations/verify`` (SQLite and PostgreSQL), the server's other presentation verifier.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from microcred.crypto.keys import KeyFile, SigningKey
from microcred.errors import InputError, ProofError
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.types import JsonObject
from microcred.verify import Status, Verifier
from microcred.wallet.presentation import (
    CHECK_NAMES,
    PresentationResult,
    build_presentation,
    present,
    sign_presentation,
    verify_presentation,
)

CHALLENGE = "d1c0b7a2-0f5e-4a8e-8d37-2b9f6c1e7a40"
DOMAIN = "careers.example"
CREATED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ISSUER = KeyFile.for_did_key(SigningKey.generate())
LEARNER = KeyFile.for_did_key(SigningKey.generate())
STRANGER = KeyFile.for_did_key(SigningKey.generate())


def _credential(**changes: Any) -> JsonObject:
    unsigned = sample_credential(issuer_id=ISSUER.controller)
    unsigned.update(changes)
    signed = sign_credential(unsigned, ISSUER)
    assert isinstance(signed, dict)
    return signed


def _jwt() -> str:
    token = sign_credential(sample_credential(issuer_id=ISSUER.controller), ISSUER, suite="vc-jwt")
    assert isinstance(token, str)
    return token


def _vp(*credentials: JsonObject | str, **options: Any) -> JsonObject:
    options.setdefault("challenge", CHALLENGE)
    options.setdefault("domain", DOMAIN)
    return present(list(credentials) or [_credential()], LEARNER, created=CREATED, **options)


def _verify(vp: Any, **options: Any) -> PresentationResult:
    options.setdefault("challenge", CHALLENGE)
    options.setdefault("domain", DOMAIN)
    return verify_presentation(vp, verifier=Verifier(), **options)


def _failed(result: PresentationResult) -> list[str]:
    return [c.name for c in result.checks if c.status == Status.FAILED]


# ---- the happy path ------------------------------------------------------------------------


def test_a_presentation_of_embedded_and_enveloped_credentials_verifies() -> None:
    credential, token = _credential(), _jwt()
    vp = _vp(credential, token)
    assert vp["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert vp["type"] == ["VerifiablePresentation"]
    assert vp["holder"] == LEARNER.controller
    assert vp["verifiableCredential"][0] == credential  # exactly as issued
    assert vp["verifiableCredential"][1] == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "data:application/vc+jwt," + token,
        "type": "EnvelopedVerifiableCredential",
    }
    proof = vp["proof"]
    assert proof["proofPurpose"] == "authentication"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == LEARNER.verification_method
    assert (proof["challenge"], proof["domain"]) == (CHALLENGE, DOMAIN)
    assert proof["created"] == "2026-06-01T12:00:00Z"

    result = _verify(vp)
    assert result.verified, result.failures
    assert [c.name for c in result.checks] == list(CHECK_NAMES)
    assert {c.status for c in result.checks} == {Status.PASSED}
    assert [r.verified for r in result.credentials] == [True, True]
    assert result.holder == LEARNER.controller
    result.raise_for_failure()  # does not raise
    assert result.to_json()["verified"] is True


def test_without_an_expected_challenge_or_domain_those_checks_are_skipped() -> None:
    vp = _vp(challenge=None, domain=None)
    assert "challenge" not in vp["proof"]
    assert "domain" not in vp["proof"]
    result = _verify(vp, challenge=None, domain=None)
    assert result.verified, result.failures
    assert result.check("challenge").status == Status.SKIPPED  # type: ignore[union-attr]
    assert result.check("domain").status == Status.SKIPPED  # type: ignore[union-attr]


# ---- each refusal, named -------------------------------------------------------------------


def test_a_wrong_challenge_fails_the_challenge_check() -> None:
    result = _verify(_vp(), challenge="another-challenge")
    assert not result.verified
    assert _failed(result) == ["challenge"]
    message = result.check("challenge").message  # type: ignore[union-attr]
    assert CHALLENGE in message
    assert "another-challenge" in message
    with pytest.raises(ProofError, match="challenge: "):
        result.raise_for_failure()


def test_a_missing_challenge_fails_when_the_verifier_expects_one() -> None:
    result = _verify(_vp(challenge=None))
    assert _failed(result) == ["challenge"]
    assert "carries no challenge" in result.check("challenge").message  # type: ignore[union-attr]


def test_a_wrong_or_missing_domain_fails_the_domain_check() -> None:
    wrong = _verify(_vp(), domain="elsewhere.example")
    assert _failed(wrong) == ["domain"]
    assert "elsewhere.example" in wrong.check("domain").message  # type: ignore[union-attr]
    missing = _verify(_vp(domain=None))
    assert _failed(missing) == ["domain"]
    assert "carries no domain" in missing.check("domain").message  # type: ignore[union-attr]


def test_a_challenge_edited_after_signing_breaks_the_proof() -> None:
    vp = _vp()
    vp["proof"]["challenge"] = "the-verifiers-new-challenge"
    result = _verify(vp, challenge="the-verifiers-new-challenge")
    assert _failed(result) == ["proof"]
    assert result.check("holder").status == Status.SKIPPED  # type: ignore[union-attr]


def test_a_credential_tampered_before_the_holder_signed_fails_the_credentials_check() -> None:
    tampered = _credential()
    tampered["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    result = _verify(_vp(_credential(), tampered))
    # The holder's signature is fine: it is the issuer's that no longer matches.
    assert result.check("proof").status == Status.PASSED  # type: ignore[union-attr]
    assert _failed(result) == ["credentials"]
    message = result.check("credentials").message  # type: ignore[union-attr]
    assert message.startswith("verifiableCredential[1]: proof: ")
    assert [r.verified for r in result.credentials] == [True, False]


def test_a_credential_tampered_after_signing_fails_both_proofs() -> None:
    vp = _vp()
    vp["verifiableCredential"][0]["validFrom"] = "2020-01-01T00:00:00Z"
    result = _verify(vp)
    assert _failed(result) == ["proof", "credentials"]


def test_a_tampered_enveloped_jwt_fails_the_credentials_check() -> None:
    token = _jwt()
    header, payload, signature = token.split(".")
    flipped = "AAAA" if signature[-4:] != "AAAA" else "BBBB"
    forged = ".".join([header, payload, signature[:-4] + flipped])
    result = _verify(_vp(forged))
    assert _failed(result) == ["credentials"]
    assert result.credentials[0].check("proof").status == Status.FAILED  # type: ignore[union-attr]


def test_a_proof_by_another_key_than_the_holders_fails_the_holder_check() -> None:
    # A stranger's key claims the learner's DID as its controller; the proof itself verifies
    # (the stranger's did:key resolves), but the key is not one of the holder's.
    impostor = KeyFile(STRANGER.key, LEARNER.controller, STRANGER.verification_method)
    vp = present([_credential()], impostor, challenge=CHALLENGE, domain=DOMAIN)
    assert vp["holder"] == LEARNER.controller
    result = _verify(vp)
    assert result.check("proof").status == Status.PASSED  # type: ignore[union-attr]
    assert _failed(result) == ["holder"]
    message = result.check("holder").message  # type: ignore[union-attr]
    assert STRANGER.controller in message
    assert LEARNER.controller in message


def test_a_holder_swapped_after_signing_breaks_the_proof() -> None:
    vp = _vp()
    vp["holder"] = STRANGER.controller
    assert _failed(_verify(vp)) == ["proof"]


def test_a_credential_whose_status_cannot_be_checked_is_not_verified() -> None:
    status = {
        "id": "https://issuer.example/status/1#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": "https://issuer.example/status/1",
    }
    result = _verify(_vp(_credential(credentialStatus=status)))
    assert _failed(result) == ["credentials"]
    assert "status: " in result.check("credentials").message  # type: ignore[union-attr]


# ---- hostile or wrong input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [None, "a string", ["a", "list"], 42],
)
def test_what_is_not_an_object_fails_the_presentation_check_and_never_raises(
    document: Any,
) -> None:
    result = _verify(document)
    assert not result.verified
    assert _failed(result) == ["presentation"]


def test_an_unsigned_or_malformed_presentation_fails_named_checks() -> None:
    unsigned = build_presentation([_credential()], holder=LEARNER.controller)
    result = _verify(unsigned)
    assert "proof" in _failed(result)
    assert "carries no proof" in result.check("proof").message  # type: ignore[union-attr]

    bad = copy.deepcopy(_vp())
    bad["type"] = ["VerifiableCredential"]
    bad["verifiableCredential"] = [{"type": "EnvelopedVerifiableCredential", "id": "data:,x"}]
    result = _verify(bad)
    assert {"presentation", "proof", "credentials"} <= set(_failed(result))
    assert "envelope" in result.check("credentials").message  # type: ignore[union-attr]


def test_building_refuses_what_cannot_be_presented() -> None:
    with pytest.raises(InputError, match="at least one"):
        build_presentation([], holder=LEARNER.controller)
    with pytest.raises(InputError, match="not a DID"):
        build_presentation([_credential()], holder="https://learner.example")
    with pytest.raises(InputError, match="not secured"):
        build_presentation([sample_credential(issuer_id=ISSUER.controller)], holder="did:key:z")
    with pytest.raises(InputError, match="not a VC-JWT"):
        build_presentation(["not.a jwt"], holder=LEARNER.controller)
    with pytest.raises(InputError, match="not a Verifiable Credential"):
        build_presentation([{"type": "Thing", "proof": {}}], holder=LEARNER.controller)
    with pytest.raises(InputError, match="must be a list"):
        build_presentation(_credential(), holder=LEARNER.controller)  # type: ignore[arg-type]


def test_signing_refuses_a_key_that_is_not_the_holders() -> None:
    unsigned = build_presentation([_credential()], holder=LEARNER.controller)
    with pytest.raises(ProofError, match="not the holder's"):
        sign_presentation(unsigned, STRANGER, challenge=CHALLENGE, domain=DOMAIN)
    signed = sign_presentation(unsigned, LEARNER, challenge=CHALLENGE, domain=DOMAIN)
    with pytest.raises(ProofError, match="already has a proof"):
        sign_presentation(signed, LEARNER, challenge=CHALLENGE, domain=DOMAIN)
    assert "proof" not in unsigned  # the input is not modified


# ---- the VC-API route verifies what we build -------------------------------------------------


def _post(client: TestClient, vp: JsonObject, **options: Any) -> Any:
    return client.post(
        "/presentations/verify", json={"verifiablePresentation": vp, "options": options}
    )


def test_the_vcapi_route_verifies_our_presentation_with_its_challenge_and_domain(
    client: TestClient,
) -> None:
    vp = _vp(_credential(), _jwt())
    response = _post(client, vp, challenge=CHALLENGE, domain=DOMAIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert {"proof", "challenge", "domain", "holder"} <= set(body["checks"])
    assert [r["verified"] for r in body["credentialResults"]] == [True, True]


def test_the_vcapi_route_refuses_our_presentation_for_another_challenge_or_domain(
    client: TestClient,
) -> None:
    vp = _vp()
    for options, name in (({"challenge": "other"}, "challenge"), ({"domain": "other"}, "domain")):
        response = _post(client, vp, **options)
        assert response.status_code == 400, options
        assert any(f"presentation proof: {name}" in e for e in response.json()["errors"])
