"""Credentials inside credentials: 1EdTech's signed CLR 2.0 sample, our own CLRs with a good or a
bad credential inside, endorsements (objects and VC-JWTs), and the nesting limit."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from microcred.crypto import jose, proofs
from microcred.crypto.did import DidResolver, VerificationMethod
from microcred.crypto.keys import KeyFile, PublicKey, SigningKey
from microcred.samples import sample_credential
from microcred.types import Did
from microcred.verify import Status, Verifier
from microcred.verify.embedded import MAX_DEPTH
from microcred.verify.result import Outcome
from tests.conftest import VECTORS, load_json

CLR_SAMPLE = VECTORS / "clr-1edtech" / "simple.json"
SCHOOL = KeyFile.for_did_key(SigningKey.generate())
COMPANY = KeyFile.for_did_key(SigningKey.generate())
ENDORSER = KeyFile.for_did_key(SigningKey.generate())


class FragmentKeys(DidResolver):
    """Resolves ``https://issuer#z6Mk...`` to the Multikey in the fragment, as the sample's
    README says the JS reference was run (whose key it is, is the issuer check's business)."""

    def verification_method(
        self, url: str, *, purpose: str = "assertionMethod"
    ) -> VerificationMethod:
        if url.startswith("https://") and "#z" in url:
            controller, fragment = url.split("#", 1)
            return VerificationMethod(url, Did(controller), PublicKey.from_multibase(fragment))
        return super().verification_method(url, purpose=purpose)


def sign(document: dict[str, Any], key: KeyFile) -> dict[str, Any]:
    return proofs.sign(document, key.key, verification_method=key.verification_method)


def statuses(result: Any) -> dict[str, Status]:
    return {c.name: c.status for c in result.checks}


def test_both_proofs_of_1edtechs_clr_sample_verify_each_with_its_own_result() -> None:
    result = Verifier(resolver=FragmentKeys()).verify(load_json(CLR_SAMPLE))
    assert statuses(result)["proof"] == Status.PASSED
    assert statuses(result)["parse"] == Status.PASSED
    assert "CLR 2.0" in result.check("parse").message  # type: ignore[union-attr]
    assert statuses(result)["credentials"] == Status.PASSED
    assert result.verified
    [part] = result.parts
    assert part.role == "credential"
    assert part.path == "credentialSubject.verifiableCredential[0]"
    assert part.result.verified
    assert part.result.summary["name"] == "Teamwork Badge"
    assert part.result.check("proof").status == Status.PASSED  # type: ignore[union-attr]
    assert "did:key" not in part.result.check("proof").message  # type: ignore[union-attr]
    assert result.summary["associations"] == [
        {
            "type": "isParentOf",
            "source": "urn:uuid:a7467ef6-56cb-11ec-bf63-0242ac130002",
            "target": "urn:uuid:dd887f0a-56cb-11ec-bf63-0242ac130002",
            "sourceName": "Achievement 1",
            "targetName": "Achievement 2",
        }
    ]
    body = result.to_json()
    assert body["parts"][0]["role"] == "credential"
    assert body["parts"][0]["verified"] is True
    assert any(c["name"] == "proof" for c in body["parts"][0]["checks"])


def test_a_changed_credential_inside_the_sample_breaks_both_proofs() -> None:
    clr = load_json(CLR_SAMPLE)
    clr["credentialSubject"]["verifiableCredential"][0]["name"] = "Leadership Badge"
    result = Verifier(resolver=FragmentKeys()).verify(clr)
    assert statuses(result)["proof"] == Status.FAILED  # the CLR signed the inner credential too
    assert not result.parts[0].result.verified
    assert statuses(result)["credentials"] == Status.FAILED


def our_clr(*held: dict[str, Any] | str) -> dict[str, Any]:
    clr = load_json(CLR_SAMPLE)
    del clr["proof"]
    clr["issuer"]["id"] = SCHOOL.controller
    for achievement in clr["credentialSubject"]["achievement"]:
        achievement["creator"]["id"] = SCHOOL.controller
    clr["credentialSubject"]["verifiableCredential"] = list(held)
    return sign(clr, SCHOOL)


def test_a_clr_signed_over_a_forged_credential_is_not_verified() -> None:
    good = sign(sample_credential(issuer_id=COMPANY.controller), COMPANY)
    forged = copy.deepcopy(good)
    forged["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    result = Verifier().verify(our_clr(good, forged))
    assert statuses(result)["proof"] == Status.PASSED  # the CLR's own proof is fine
    assert [p.result.verified for p in result.parts] == [True, False]
    assert statuses(result)["credentials"] == Status.FAILED
    message = result.check("credentials").message  # type: ignore[union-attr]
    assert "1 of the 2" in message
    assert "verifiableCredential[1]" in message
    assert result.parts[1].result.check("proof").status == Status.FAILED  # type: ignore[union-attr]
    assert not result.verified


def test_a_clr_may_hold_a_vc_jwt() -> None:
    token = jose.sign_jwt(
        sample_credential(issuer_id=COMPANY.controller),
        COMPANY.key,
        kid=COMPANY.verification_method,
    )
    result = Verifier().verify(our_clr(token))
    assert result.verified, result.to_json()
    assert result.parts[0].result.format == "VC-JWT"


def test_a_clr_without_credentials_is_refused_by_name() -> None:
    clr = our_clr(sign(sample_credential(issuer_id=COMPANY.controller), COMPANY))
    clr["credentialSubject"]["verifiableCredential"] = []
    result = Verifier().verify(clr)
    assert statuses(result)["parse"] == Status.FAILED
    assert "holds no credentials" in result.check("parse").message  # type: ignore[union-attr]


def endorsement(key: KeyFile, subject_id: str, comment: str = "Well run.") -> dict[str, Any]:
    document = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:7e1b0c2a-1d3e-4b5f-8a9b-0c1d2e3f4a5b",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "An endorsement",
        "issuer": {"id": key.controller, "type": ["Profile"], "name": "Chamber"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": subject_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
    }
    return sign(document, key)


def endorsed(*endorsements: dict[str, Any], jwt: str | None = None) -> dict[str, Any]:
    document = sample_credential(issuer_id=COMPANY.controller)
    achievement = document["credentialSubject"]["achievement"]
    achievement["endorsement"] = list(endorsements)
    if jwt is None:
        return sign(document, COMPANY)
    # The OB 3.0 contexts do not define endorsementJwt, so RDFC would refuse it: JCS signs JSON.
    document["issuer"]["endorsementJwt"] = [jwt]
    return proofs.sign(
        document,
        COMPANY.key,
        verification_method=COMPANY.verification_method,
        cryptosuite="eddsa-jcs-2022",
    )


def test_embedded_endorsements_are_verified_each_on_its_own() -> None:
    achievement_id = "https://example.edu/achievements/data-analysis-python"
    inner = endorsement(ENDORSER, achievement_id)
    token = jose.sign_jwt(
        endorsement(ENDORSER, COMPANY.controller), ENDORSER.key, kid=ENDORSER.verification_method
    )
    result = Verifier().verify(endorsed(inner, jwt=token))
    assert result.verified, result.to_json()
    assert statuses(result)["endorsements"] == Status.PASSED
    assert [(p.role, p.path) for p in result.parts] == [
        ("endorsement", "issuer.endorsementJwt[0]"),
        ("endorsement", "credentialSubject.achievement.endorsement[0]"),
    ]
    assert all(p.result.verified for p in result.parts)
    assert result.parts[0].result.format == "VC-JWT"


def test_a_forged_endorsement_is_a_warning_not_a_failure_of_the_credential() -> None:
    forged = endorsement(ENDORSER, "https://example.edu/achievements/data-analysis-python")
    forged["credentialSubject"]["endorsementComment"] = "The best programme in the world."
    result = Verifier().verify(endorsed(forged))
    assert statuses(result)["proof"] == Status.PASSED
    assert statuses(result)["endorsements"] == Status.WARNING
    assert "1 of the 1 endorsements" in result.check("endorsements").message  # type: ignore[union-attr]
    assert not result.parts[0].result.verified
    assert result.verified  # an endorsement is a third party's word, not the credential


def test_nesting_stops_at_the_limit_and_says_so() -> None:
    document: dict[str, Any] = endorsement(ENDORSER, "https://example.org/thing")
    for _ in range(MAX_DEPTH + 1):
        wrapper = endorsement(ENDORSER, "https://example.org/thing")
        del wrapper["proof"]
        wrapper["endorsement"] = [document]
        document = sign(wrapper, ENDORSER)
    result = Verifier().verify(document)
    depth = 0
    node = result
    while node.parts:
        node = node.parts[0].result
        depth += 1
    assert depth == MAX_DEPTH
    assert node.check("endorsements").status == Status.WARNING  # type: ignore[union-attr]
    assert "were not verified" in node.check("endorsements").message  # type: ignore[union-attr]


@pytest.mark.parametrize("role", ["credential", "endorsement"])
def test_results_with_parts_keep_them_in_the_stored_record(role: str) -> None:
    good = sign(sample_credential(issuer_id=COMPANY.controller), COMPANY)
    document = (
        our_clr(good)
        if role == "credential"
        else endorsed(
            endorsement(ENDORSER, "https://example.edu/achievements/data-analysis-python")
        )
    )
    record = Verifier().verify(document).to_record()
    assert record["parts"][0]["role"] == role
    assert "template" in record["parts"][0]["checks"][0]


def unconfirmed_endorsement() -> dict[str, Any]:
    """An endorsement signed by a key it carries (https://...#z6Mk...): offline, the endorser
    cannot be confirmed."""
    key = SigningKey.generate()
    endorser = "https://chamber.example/profile"
    document = endorsement(ENDORSER, "https://example.edu/achievements/data-analysis-python")
    del document["proof"]
    document["issuer"]["id"] = endorser
    return proofs.sign(document, key, verification_method=f"{endorser}#{key.public.multibase}")


def test_an_endorsement_by_an_unconfirmed_endorser_is_a_warning_that_says_so() -> None:
    """Its key comes with it (an https#multibase method, offline): valid signature, endorser
    not confirmed. That is said as such, not as "not verified"."""
    carried = unconfirmed_endorsement()
    result = Verifier().verify(endorsed(carried))
    check = result.check("endorsements")
    assert check is not None
    assert check.status == Status.WARNING
    assert "1 of the 1 endorsements have a valid signature" in check.message
    assert "endorser could not be confirmed" in check.message
    assert "not verified" not in check.message
    assert result.verified  # the credential's own verdict stands
    [part] = result.parts
    assert part.result.outcome == Outcome.ISSUER_NOT_CONFIRMED
    assert part.result.check("proof").status == Status.PASSED  # type: ignore[union-attr]
    # A forged one beside it is "not verified"; the unconfirmed one is not counted as such.
    forged = endorsement(ENDORSER, "https://example.edu/achievements/data-analysis-python")
    forged["credentialSubject"]["endorsementComment"] = "Changed after signing."
    mixed = Verifier().verify(endorsed(carried, forged)).check("endorsements")
    assert mixed is not None
    assert "1 of the 2 endorsements are not verified" in mixed.message
    assert "endorsement[1]" in mixed.message
