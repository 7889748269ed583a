"""VC-JWT with RS256, ES256 and EdDSA; keys by ``kid`` (DID URL, https controller method) or in
the header's ``jwk``; the published RFC 7515 examples; a carried key's binding to its issuer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from microcred.crypto import multibase
from microcred.crypto.did import DidResolver
from microcred.crypto.jose import verify_jwt
from microcred.crypto.keys import PublicKey, SigningKey
from microcred.errors import FetchError, KeyResolutionError, ProofError
from microcred.samples import sample_credential

RFC7515 = Path(__file__).resolve().parents[1] / "fixtures" / "vectors" / "rfc7515" / "jws.json"
RSA_SECRET = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PUBLIC = PublicKey("RSA", RSA_SECRET.public_key())
ISSUER = "did:web:issuer.example"
HTTPS_ISSUER = "https://issuer.example/issuers/1"

Signer = Callable[[bytes], bytes]


def rs256(data: bytes) -> bytes:
    return RSA_SECRET.sign(data, padding.PKCS1v15(), hashes.SHA256())


def b64(value: dict[str, Any]) -> str:
    return multibase.b64url_encode(json.dumps(value).encode())


def token(header: dict[str, Any], payload: dict[str, Any], sign: Signer) -> str:
    signing_input = f"{b64(header)}.{b64(payload)}"
    return signing_input + "." + multibase.b64url_encode(sign(signing_input.encode()))


def credential(issuer: str = ISSUER) -> dict[str, Any]:
    return sample_credential(issuer_id=issuer)


def document(controller: str, key: PublicKey, *, as_jwk: bool = False) -> dict[str, Any]:
    method: dict[str, Any] = {"id": f"{controller}#key-1", "controller": controller}
    if as_jwk:
        method |= {"type": "JsonWebKey", "publicKeyJwk": key.jwk}
    else:
        method |= {"type": "Multikey", "publicKeyMultibase": key.multibase}
    return {"id": controller, "verificationMethod": [method], "assertionMethod": [method["id"]]}


@pytest.mark.parametrize("name", ["A.2", "A.3"])
def test_the_rfc7515_examples_verify_with_their_published_keys(name: str) -> None:
    vector = json.loads(RFC7515.read_text())[name]
    key = PublicKey.from_jwk(vector["jwk"])
    header, payload, signature = vector["jws"].split(".")
    key.verify(multibase.b64url_decode(signature), f"{header}.{payload}".encode())
    assert key.jws_algorithm == vector["alg"]
    assert key.jwk == vector["jwk"]
    assert PublicKey.from_multibase(key.multibase) == key  # rsa-pub / p256-pub multikeys
    with pytest.raises(ProofError):
        key.verify(multibase.b64url_decode(signature), f"{header}.{payload}x".encode())


def test_rs256_with_a_kid_in_a_did_document_whose_key_is_a_jwk() -> None:
    resolver = DidResolver(documents={ISSUER: document(ISSUER, RSA_PUBLIC, as_jwk=True)})
    jwt = token({"alg": "RS256", "kid": f"{ISSUER}#key-1"}, credential(), rs256)
    verified = verify_jwt(jwt, resolver)
    assert verified.method.binding == "listed"
    assert verified.method.controller == ISSUER
    assert verified.credential["issuer"]["id"] == ISSUER


@pytest.mark.parametrize("algorithm", ["Ed25519", "P-256"])
def test_es256_and_eddsa_with_the_key_in_the_header(algorithm: str) -> None:
    key = SigningKey.generate(algorithm)  # type: ignore[arg-type]
    header = {"alg": key.public.jws_algorithm, "jwk": key.public.jwk}
    jwt = token(header, credential(), key.sign)
    # Offline: the signature verifies, but nothing says the key is the issuer's.
    offline = verify_jwt(jwt, DidResolver())
    assert offline.method.key == key.public
    assert offline.method.binding == "unconfirmed"
    assert "could not be read" in (offline.method.binding_reason or "")
    # The issuer's DID document lists the key: confirmed, under the document's own method id.
    listed = verify_jwt(jwt, DidResolver(documents={ISSUER: document(ISSUER, key.public)}))
    assert listed.method.binding == "listed"
    assert listed.method.id == f"{ISSUER}#key-1"
    # The document lists another key: the carried key is not the issuer's.
    other = SigningKey.generate().public
    unlisted = verify_jwt(jwt, DidResolver(documents={ISSUER: document(ISSUER, other)}))
    assert unlisted.method.binding == "unlisted"


def test_a_carried_key_does_not_verify_someone_elses_signature() -> None:
    key, impostor = SigningKey.generate(), SigningKey.generate()
    jwt = token({"alg": "EdDSA", "jwk": impostor.public.jwk}, credential(), key.sign)
    with pytest.raises(ProofError, match="does not match"):
        verify_jwt(jwt, DidResolver())


def test_a_kid_naming_an_https_controller_method() -> None:
    key = SigningKey.generate()
    kid = f"{HTTPS_ISSUER}#{key.public.multibase}"
    jwt = token({"alg": "EdDSA", "kid": kid}, credential(HTTPS_ISSUER), key.sign)
    offline = verify_jwt(jwt, DidResolver())
    assert offline.method.binding == "unconfirmed"
    controller = document(HTTPS_ISSUER, key.public)
    controller["verificationMethod"][0]["id"] = kid
    controller["assertionMethod"] = [kid]

    def fetch(url: str) -> bytes:
        if url != HTTPS_ISSUER:
            raise FetchError("unexpected URL", found=url)
        return json.dumps(controller).encode()

    fetched = verify_jwt(jwt, DidResolver(fetcher=fetch))
    assert fetched.method.binding == "listed"
    assert fetched.method.controller == HTTPS_ISSUER


def test_an_https_kid_that_is_no_key_needs_its_document() -> None:
    key = SigningKey.generate()
    jwt = token({"alg": "EdDSA", "kid": f"{HTTPS_ISSUER}#key-1"}, credential(), key.sign)
    with pytest.raises(ProofError, match="cannot resolve the JWT key"):
        verify_jwt(jwt, DidResolver())
    given = DidResolver()
    given.add_controller_document(document(HTTPS_ISSUER, key.public))
    assert verify_jwt(jwt, given).method.binding == "listed"


def test_the_algorithm_must_fit_the_key() -> None:
    key = SigningKey.generate("P-256")
    jwt = token({"alg": "RS256", "jwk": key.public.jwk}, credential(), key.sign)
    with pytest.raises(ProofError, match="does not fit the key"):
        verify_jwt(jwt, DidResolver())


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "d": "AAAA"}, "private key"),
        ({"kty": "oct", "k": "c2VjcmV0"}, "unsupported JWK"),
        ({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}, "not a valid public key"),
    ],
)
def test_bad_header_keys_are_refused(jwk: dict[str, str], message: str) -> None:
    with pytest.raises(KeyResolutionError, match=message):
        PublicKey.from_jwk(jwk)
    jwt = token({"alg": "EdDSA", "jwk": jwk}, credential(), SigningKey.generate().sign)
    with pytest.raises(ProofError, match=message):
        verify_jwt(jwt, DidResolver())


def test_short_rsa_keys_are_refused() -> None:
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    with pytest.raises(KeyResolutionError, match="too short"):
        PublicKey.from_jwk(PublicKey("RSA", short).jwk)


def test_an_ed25519_2018_key_in_base58_is_read() -> None:
    key = SigningKey.generate()
    raw = multibase.decode_b58btc(key.public.multibase)[2:]
    method = {
        "id": f"{ISSUER}#k",
        "type": "Ed25519VerificationKey2018",
        "controller": ISSUER,
        "publicKeyBase58": multibase.b58encode(raw),
    }
    resolver = DidResolver(
        documents={
            ISSUER: {"id": ISSUER, "verificationMethod": [method], "assertionMethod": ["#k"]}
        }
    )
    assert resolver.verification_method(f"{ISSUER}#k").key == key.public
