"""VC-JWT with EdDSA and ES256."""

from __future__ import annotations

import json

import pytest

from microcred.crypto import multibase
from microcred.crypto.did import DidResolver
from microcred.crypto.jose import sign_jwt, verify_jwt
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.errors import InputError, ProofError
from microcred.samples import sample_credential


def encode(part: dict[str, object]) -> str:
    return multibase.b64url_encode(json.dumps(part).encode())


@pytest.mark.parametrize(("algorithm", "alg"), [("Ed25519", "EdDSA"), ("P-256", "ES256")])
def test_round_trip(algorithm: str, alg: str) -> None:
    key = KeyFile.for_did_key(SigningKey.generate(algorithm))  # type: ignore[arg-type]
    credential = sample_credential(issuer_id=key.controller)
    token = sign_jwt(credential, key.key, kid=key.verification_method)
    verified = verify_jwt(token, DidResolver())
    assert verified.credential == credential
    assert verified.header == {
        "alg": alg,
        "typ": "vc+jwt",
        "cty": "vc",
        "kid": key.verification_method,
    }


def test_tampered_payload_fails() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    token = sign_jwt(
        sample_credential(issuer_id=key.controller), key.key, kid=key.verification_method
    )
    header, payload, signature = token.split(".")
    claims = json.loads(multibase.b64url_decode(payload))
    claims["name"] = "Something else"
    with pytest.raises(ProofError, match="signature does not match"):
        verify_jwt(".".join([header, encode(claims), signature]), DidResolver())


def test_alg_none_and_algorithm_confusion_are_refused() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    token = sign_jwt({"a": 1}, key.key, kid=key.verification_method)
    _, payload, signature = token.split(".")
    unsigned = encode({"alg": "none", "kid": key.verification_method}) + "." + payload + "."
    with pytest.raises((ProofError, InputError)):
        verify_jwt(unsigned, DidResolver())
    confused = (
        encode({"alg": "ES256", "kid": key.verification_method}) + "." + payload + "." + signature
    )
    with pytest.raises(ProofError, match="does not fit the key"):
        verify_jwt(confused, DidResolver())


def test_vc_claim_form_is_accepted() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    credential = sample_credential(issuer_id=key.controller)
    token = sign_jwt(
        {"vc": credential, "iss": key.controller}, key.key, kid=key.verification_method
    )
    assert verify_jwt(token, DidResolver()).credential == credential


def test_garbage_is_an_input_error() -> None:
    with pytest.raises(InputError, match="compact JWT"):
        verify_jwt("not-a-jwt", DidResolver())


@pytest.mark.parametrize("extra", [{"crit": ["exp"]}, {"b64": False}, {"jwk": {"kty": "OKP"}}])
def test_headers_we_do_not_implement_are_refused(extra: dict[str, object]) -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    header = {"alg": "EdDSA", "kid": key.verification_method, **extra}
    signing_input = encode(header) + "." + encode({"a": 1})
    token = signing_input + "." + multibase.b64url_encode(key.key.sign(signing_input.encode()))
    with pytest.raises(ProofError, match="do not implement"):
        verify_jwt(token, DidResolver())
