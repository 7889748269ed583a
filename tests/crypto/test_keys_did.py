"""Keys, Multikey encoding, did:key and did:web."""

from __future__ import annotations

import json

import pytest

from microcred.crypto.did import (
    DidResolver,
    build_did_document,
    did_key_document,
    did_web_document_url,
    did_web_from_url,
)
from microcred.crypto.keys import KeyFile, PublicKey, SigningKey
from microcred.crypto.multibase import b58decode, b58encode
from microcred.errors import FetchError, InputError, KeyResolutionError, ProofError
from tests.conftest import VECTORS, load_json

PAIR = load_json(VECTORS / "w3c-vc-di-eddsa" / "keyPair.json")


def test_vector_key_pair_decodes_and_matches() -> None:
    key = SigningKey.from_multibase(PAIR["privateKeyMultibase"], PAIR["publicKeyMultibase"])
    assert key.public.multibase == PAIR["publicKeyMultibase"]
    assert key.secret_multibase == PAIR["privateKeyMultibase"]
    assert "z3u2" not in repr(key)  # the secret never shows in repr


def test_mismatched_public_key_is_refused() -> None:
    other = SigningKey.generate().public.multibase
    with pytest.raises(KeyResolutionError, match="does not belong"):
        SigningKey.from_multibase(PAIR["privateKeyMultibase"], other)


@pytest.mark.parametrize("algorithm", ["Ed25519", "P-256"])
def test_multikey_round_trip_and_signatures(algorithm: str) -> None:
    key = SigningKey.generate(algorithm)  # type: ignore[arg-type]
    again = SigningKey.from_multibase(key.secret_multibase, key.public.multibase)
    assert again.public == key.public
    prefix = "z6Mk" if algorithm == "Ed25519" else "zDn"
    assert key.public.multibase.startswith(prefix)
    signature = key.sign(b"data")
    PublicKey.from_multibase(key.public.multibase).verify(signature, b"data")
    with pytest.raises(ProofError):
        key.public.verify(signature, b"other data")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("f00", "base58btc multibase"),
        ("z0OIl", "base58btc alphabet"),
        ("z" + b58encode(b"\xed\x01" + bytes(31)), "wrong length"),
        ("z" + b58encode(b"\x12\x34" + bytes(32)), "unsupported multikey type"),
    ],
)
def test_bad_multikeys_say_what_was_expected(value: str, message: str) -> None:
    with pytest.raises(KeyResolutionError, match=message):
        PublicKey.from_multibase(value)


def test_base58_keeps_leading_zeros() -> None:
    for data in [b"", b"\0", b"\0\0\x01", bytes(range(40))]:
        assert b58decode(b58encode(data)) == data


def test_did_key_document() -> None:
    did = "did:key:" + PAIR["publicKeyMultibase"]
    doc = did_key_document(did)
    vm = f"{did}#{PAIR['publicKeyMultibase']}"
    assert doc["id"] == did
    assert doc["verificationMethod"][0]["id"] == vm
    assert vm in doc["assertionMethod"]


@pytest.mark.parametrize(
    ("url", "did", "document_url"),
    [
        ("https://example.org", "did:web:example.org", "https://example.org/.well-known/did.json"),
        (
            "https://example.org:8443/issuers/a",
            "did:web:example.org%3A8443:issuers:a",
            "https://example.org:8443/issuers/a/did.json",
        ),
    ],
)
def test_did_web_mapping(url: str, did: str, document_url: str) -> None:
    assert did_web_from_url(url) == did
    assert did_web_document_url(did) == document_url


def test_did_web_rejects_path_traversal_and_plain_http() -> None:
    with pytest.raises(KeyResolutionError):
        did_web_document_url("did:web:example.org:..:secret")
    with pytest.raises(InputError, match="https"):
        did_web_from_url("http://example.org/a")


def test_did_web_resolution_through_injected_fetcher_and_key_rotation() -> None:
    did = did_web_from_url("https://issuer.example/orgs/7")
    old, new = SigningKey.generate(), SigningKey.generate()
    document = build_did_document(did, [("#key-2", new.public), ("#key-1", old.public)])
    fetched: list[str] = []

    def fetcher(url: str) -> bytes:
        fetched.append(url)
        return json.dumps(document).encode()

    resolver = DidResolver(fetcher=fetcher)
    assert resolver.verification_method(f"{did}#key-1").key == old.public  # old credentials
    assert resolver.verification_method(f"{did}#key-2").key == new.public  # new credentials
    assert fetched[0] == "https://issuer.example/orgs/7/did.json"


def test_did_web_document_for_another_did_is_refused() -> None:
    key = SigningKey.generate()
    document = build_did_document(did_web_from_url("https://evil.example"), [("#k", key.public)])
    resolver = DidResolver(fetcher=lambda url: json.dumps(document).encode())
    with pytest.raises(KeyResolutionError, match="another DID"):
        resolver.verification_method("did:web:issuer.example#k")


def test_offline_resolver_refuses_to_fetch() -> None:
    with pytest.raises(FetchError, match="offline"):
        DidResolver().resolve("did:web:issuer.example")


def test_key_not_listed_for_the_purpose_is_refused() -> None:
    key = SigningKey.generate()
    document = build_did_document(did_web_from_url("https://issuer.example"), [("#k", key.public)])
    document["assertionMethod"] = []
    resolver = DidResolver(documents={document["id"]: document})
    with pytest.raises(KeyResolutionError, match="not authorised for assertionMethod"):
        resolver.verification_method("did:web:issuer.example#k")


def test_key_file_round_trip_and_permissions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "key.json"
    original = KeyFile.for_did_key(SigningKey.generate())
    original.save(path)
    assert path.stat().st_mode & 0o077 == 0
    loaded = KeyFile.load(path)
    assert loaded.controller == original.controller
    assert loaded.key.public == original.key.public
    data = json.loads(path.read_text())
    assert {"did", "publicKeyMultibase", "secretKeyMultibase"} <= data.keys()
