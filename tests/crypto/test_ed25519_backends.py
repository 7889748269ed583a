"""Ed25519 signs and verifies through libsodium; keys and signatures agree with OpenSSL's.

``SigningKey`` and ``PublicKey`` load and encode with ``cryptography`` (OpenSSL) and sign and
verify with PyNaCl (libsodium). Ed25519 is deterministic, so the two backends must give the same
bytes for the same seed and message, and each must accept the other's signatures.
"""

from __future__ import annotations

import nacl.bindings
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.crypto import multibase
from microcred.crypto.keys import Algorithm, PublicKey, SigningKey
from microcred.errors import KeyResolutionError, ProofError


def _from_seed(seed: bytes) -> SigningKey:
    return SigningKey.from_multibase(multibase.encode_multikey(multibase.ED25519_PRIV, seed))


def _openssl_private(key: SigningKey) -> ed25519.Ed25519PrivateKey:
    native = key.native
    assert isinstance(native, ed25519.Ed25519PrivateKey)
    return native


def _openssl_public(key: PublicKey) -> ed25519.Ed25519PublicKey:
    native = key.native
    assert isinstance(native, ed25519.Ed25519PublicKey)
    return native


@settings(max_examples=150, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=300))
def test_both_backends_give_the_same_key_and_signature(seed: bytes, message: bytes) -> None:
    key = _from_seed(seed)
    sodium_public, sodium_secret = nacl.bindings.crypto_sign_seed_keypair(seed)
    assert key.public.multibase == multibase.encode_multikey(multibase.ED25519_PUB, sodium_public)
    ours = key.sign(message)
    assert ours == _openssl_private(key).sign(message)
    assert ours == nacl.bindings.crypto_sign(message, sodium_secret)[:64]


def test_a_libsodium_generated_key_works_with_openssl_and_back() -> None:
    sodium_public, sodium_secret = nacl.bindings.crypto_sign_keypair()
    key = _from_seed(sodium_secret[:32])
    assert key.public == PublicKey.from_multibase(
        multibase.encode_multikey(multibase.ED25519_PUB, sodium_public)
    )
    message = b"credential hash data"
    # libsodium's own signature verifies through OpenSSL and through our key.
    sodium_signature = nacl.bindings.crypto_sign(message, sodium_secret)[:64]
    _openssl_public(key.public).verify(sodium_signature, message)
    key.public.verify(sodium_signature, message)


def test_an_openssl_generated_key_works_with_libsodium_and_back() -> None:
    key = SigningKey.generate()
    native = _openssl_private(key)
    message = b"credential hash data"
    openssl_signature = native.sign(message)
    key.public.verify(openssl_signature, message)  # OpenSSL's signature, libsodium's check
    ours = key.sign(message)
    _openssl_public(key.public).verify(ours, message)  # libsodium's signature, OpenSSL's check
    seed = native.private_bytes_raw()
    sodium_public, _ = nacl.bindings.crypto_sign_seed_keypair(seed)
    assert sodium_public == _openssl_public(key.public).public_bytes_raw()


def test_both_backends_refuse_a_changed_signature_or_message() -> None:
    key = SigningKey.generate()
    message = b"credential hash data"
    signature = key.sign(message)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    for bad_signature, bad_message in [(flipped, message), (signature, message + b"!")]:
        with pytest.raises(ProofError, match="does not match"):
            key.public.verify(bad_signature, bad_message)
        with pytest.raises(InvalidSignature):
            _openssl_public(key.public).verify(bad_signature, bad_message)


def test_a_signature_of_the_wrong_length_is_refused_before_libsodium_reads_it() -> None:
    # libsodium takes signature || message; a 63-byte signature must not borrow a message byte.
    key = SigningKey.generate()
    message = b"credential hash data"
    signature = key.sign(message[1:])
    for bad in [signature[:63], signature + message[:1], b""]:
        with pytest.raises(ProofError, match="wrong length") as caught:
            key.public.verify(bad, message)
        assert caught.value.expected == "64 bytes"
        assert caught.value.found == f"{len(bad)} bytes"


def test_p256_keys_keep_openssl() -> None:
    key = SigningKey.generate("P-256")
    signature = key.sign(b"data")
    assert len(signature) == 64
    key.public.verify(signature, b"data")
    with pytest.raises(ProofError, match="wrong length"):
        key.public.verify(signature[:63], b"data")


@pytest.mark.parametrize("algorithm", ["Ed25519", "P-256"])
def test_a_signing_key_refuses_a_public_key_of_another_secret(algorithm: Algorithm) -> None:
    key, other = SigningKey.generate(algorithm), SigningKey.generate(algorithm)
    with pytest.raises(KeyResolutionError, match="does not belong to the secret") as caught:
        SigningKey(other.public, key.native)
    assert caught.value.expected == key.public.multibase
    assert caught.value.found == other.public.multibase
    # Nor one of the other algorithm; the matching public key is taken.
    mixed = SigningKey.generate("P-256" if algorithm == "Ed25519" else "Ed25519")
    with pytest.raises(KeyResolutionError, match="does not belong to the secret"):
        SigningKey(mixed.public, key.native)
    assert SigningKey(key.public, key.native).public == key.public
