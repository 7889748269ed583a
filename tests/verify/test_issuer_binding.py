"""Issuer binding as its own check: a key the credential carries (an https#multibase method, a
JWT ``jwk`` header) verifies the signature; that it is the issuer's needs the controller's
document. Offline and unconfirmed, the outcome is "signature valid, issuer not confirmed"."""

from __future__ import annotations

import json
from typing import Any

from microcred.crypto import multibase, proofs
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import SigningKey
from microcred.errors import FetchError
from microcred.samples import sample_credential
from microcred.verify import Status, Verifier
from microcred.verify import messages as m
from microcred.verify.result import Outcome

HTTPS_ISSUER = "https://issuer.example/issuers/1"
DID_ISSUER = "did:web:issuer.example"
KEY = SigningKey.generate()
VM = f"{HTTPS_ISSUER}#{KEY.public.multibase}"


def controller_document(key: SigningKey = KEY, controller: str = HTTPS_ISSUER) -> dict[str, Any]:
    method_id = f"{controller}#{key.public.multibase}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": controller,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": key.public.multibase,
            }
        ],
        "assertionMethod": [method_id],
    }


def signed_https() -> dict[str, Any]:
    return proofs.sign(sample_credential(issuer_id=HTTPS_ISSUER), KEY, verification_method=VM)


def jwt_with_jwk(key: SigningKey, issuer: str = DID_ISSUER) -> str:
    header = {"alg": key.public.jws_algorithm, "typ": "vc+jwt", "jwk": key.public.jwk}
    part = multibase.b64url_encode
    signing_input = (
        part(json.dumps(header).encode())
        + "."
        + part(json.dumps(sample_credential(issuer_id=issuer)).encode())
    )
    return signing_input + "." + part(key.sign(signing_input.encode()))


def test_an_https_multibase_key_offline_is_valid_but_unconfirmed() -> None:
    result = Verifier().verify(signed_https())
    assert result.check("proof").status == Status.PASSED  # type: ignore[union-attr]
    issuer = result.check("issuer")
    assert issuer is not None
    assert issuer.status == Status.WARNING
    assert issuer.template == m.ISSUER_UNCONFIRMED
    assert VM in issuer.message
    assert result.outcome == Outcome.ISSUER_NOT_CONFIRMED
    assert not result.verified
    answer = result.to_json()
    assert answer["verified"] is False
    assert answer["outcome"] == "issuer-not-confirmed"
    assert answer["verdict"] == "signature valid, issuer not confirmed"


def test_the_controller_document_given_offline_confirms_the_issuer() -> None:
    resolver = DidResolver()
    resolver.add_controller_document(controller_document())
    result = Verifier(resolver=resolver).verify(signed_https())
    assert result.verified, result.to_json()
    assert result.outcome == Outcome.VERIFIED
    assert result.to_json()["verdict"] == "verified"


def test_the_controller_document_is_fetched_through_the_fetcher() -> None:
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return json.dumps(controller_document()).encode()

    assert Verifier(fetcher=fetch).verify(signed_https()).verified
    assert asked == [HTTPS_ISSUER]


def test_a_controller_document_that_does_not_list_the_key_fails_the_issuer() -> None:
    resolver = DidResolver()
    resolver.add_controller_document(controller_document(SigningKey.generate()))
    result = Verifier(resolver=resolver).verify(signed_https())
    issuer = result.check("issuer")
    assert issuer is not None
    assert issuer.status == Status.FAILED
    assert issuer.template == m.ISSUER_UNLISTED
    assert result.outcome == Outcome.NOT_VERIFIED


def test_an_unreachable_controller_is_unconfirmed_not_failed() -> None:
    def down(url: str) -> bytes:
        raise FetchError("connection refused", found=url)

    result = Verifier(fetcher=down).verify(signed_https())
    assert result.outcome == Outcome.ISSUER_NOT_CONFIRMED
    assert "connection refused" in result.check("issuer").message  # type: ignore[union-attr]


def test_a_jwt_jwk_header_proves_integrity_only() -> None:
    key = SigningKey.generate("P-256")
    result = Verifier().verify(jwt_with_jwk(key))
    assert result.check("proof").message == m.JWT_OK.format(alg="ES256")  # type: ignore[union-attr]
    assert result.check("issuer").status == Status.WARNING  # type: ignore[union-attr]
    assert result.outcome == Outcome.ISSUER_NOT_CONFIRMED
    # the issuer's DID document lists the key: verified
    did_doc = controller_document(key, DID_ISSUER)
    confirmed = Verifier(resolver=DidResolver(documents={DID_ISSUER: did_doc})).verify(
        jwt_with_jwk(key)
    )
    assert confirmed.verified, confirmed.to_json()


def test_a_failed_check_outranks_an_unconfirmed_issuer() -> None:
    document = signed_https()
    document["name"] = "Altered"
    result = Verifier().verify(document)
    assert result.outcome == Outcome.NOT_VERIFIED
    assert result.check("issuer").status == Status.SKIPPED  # type: ignore[union-attr]


def test_1edtechs_clr_sample_offline_is_unconfirmed_and_confirmed_by_its_documents() -> None:
    from tests.conftest import VECTORS, load_json

    sample = load_json(VECTORS / "clr-1edtech" / "simple.json")
    offline = Verifier().verify(sample)
    assert offline.outcome == Outcome.ISSUER_NOT_CONFIRMED, offline.to_json()
    assert offline.check("credentials").status == Status.WARNING  # type: ignore[union-attr]
    assert offline.check("credentials").template == m.PARTS_UNCONFIRMED  # type: ignore[union-attr]
    assert offline.parts[0].result.outcome == Outcome.ISSUER_NOT_CONFIRMED
    resolver = DidResolver()
    inner = sample["credentialSubject"]["verifiableCredential"][0]
    for secured in (sample, inner):
        method_id = secured["proof"][0]["verificationMethod"]
        controller, multikey = method_id.split("#", 1)
        resolver.add_controller_document(
            {
                "id": controller,
                "verificationMethod": [
                    {
                        "id": method_id,
                        "type": "Multikey",
                        "controller": controller,
                        "publicKeyMultibase": multikey,
                    }
                ],
                "assertionMethod": [method_id],
            }
        )
    confirmed = Verifier(resolver=resolver).verify(sample)
    assert confirmed.verified, confirmed.to_json()
