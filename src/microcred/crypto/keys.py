"""Signing keys (Ed25519, P-256) and their Multikey encoding; public keys also as JWKs, and RSA
public keys (RS256), which credentials signed elsewhere use and we only verify.

A key knows its public Multikey; it does not know who controls it. The DID that controls a key and
the verification method id that names it are chosen by the caller (``crypto.did``), so that an
issuer can rotate keys under one DID.

Ed25519 keys are held as ``cryptography`` objects (loading, encoding, ``native``), but sign and
verify through libsodium (PyNaCl), which does both about 1.5-2x faster than OpenSSL here; Ed25519
is deterministic, so both give the same signatures (``tests/crypto/test_ed25519_backends.py``).
libsodium is the stricter verifier: it also refuses small-order keys and R values, which no
honest signer produces.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import nacl.bindings
import nacl.exceptions
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from microcred.crypto import multibase
from microcred.errors import InputError, KeyResolutionError, MicrocredError, ProofError, short
from microcred.types import Did, Multibase

Algorithm = Literal["Ed25519", "P-256"]
PublicAlgorithm = Literal["Ed25519", "P-256", "RSA"]
MIN_RSA_BITS = 2048
ED25519_BACKEND = "libsodium"  # what signs and verifies Ed25519 (the bench prints its floor)

_PUBLIC_PREFIXES = {multibase.ED25519_PUB: 32, multibase.P256_PUB: 33}
_SECRET_PREFIXES = {multibase.ED25519_PRIV: 32, multibase.P256_PRIV: 32}


@dataclass(frozen=True, eq=False)
class PublicKey:
    """A public key that verifies signatures; ``verify`` raises, it never returns False."""

    algorithm: PublicAlgorithm
    _key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    _raw: bytes = field(init=False, repr=False)  # Ed25519: the 32 key bytes libsodium verifies with

    def __post_init__(self) -> None:
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            object.__setattr__(self, "_raw", self._key.public_bytes_raw())
        else:
            object.__setattr__(self, "_raw", b"")

    @property
    def multibase(self) -> Multibase:
        if self._raw:
            return multibase.encode_multikey(multibase.ED25519_PUB, self._raw)
        if isinstance(self._key, rsa.RSAPublicKey):
            der = self._key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.PKCS1
            )
            return multibase.encode_multikey(multibase.RSA_PUB, der)
        raw = self._key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        return multibase.encode_multikey(multibase.P256_PUB, raw)

    @property
    def jws_algorithm(self) -> str:
        return {"Ed25519": "EdDSA", "P-256": "ES256", "RSA": "RS256"}[self.algorithm]

    @property
    def native(self) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
        """The ``cryptography`` key object, for libraries (JOSE) that take one."""
        return self._key

    @property
    def did_key(self) -> Did:
        """The did:key that this key is, e.g. ``did:key:z6Mk...``."""
        return Did(f"did:key:{self.multibase}")

    def verify(self, signature: bytes, data: bytes) -> None:
        """Raise :class:`ProofError` unless ``signature`` signs ``data``.

        P-256 signatures are raw ``r || s`` (64 bytes), as JOSE and Data Integrity use them;
        RSA ones are RSASSA-PKCS1-v1_5 with SHA-256 (RS256).
        """
        if isinstance(self._key, rsa.RSAPublicKey):
            try:
                self._key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature as exc:
                raise ProofError("signature does not match the data and the key") from exc
            return
        if len(signature) != 64:
            # Checked first: libsodium reads the signature off the front of signature || data.
            raise ProofError(
                f"{self.algorithm} signature has the wrong length",
                expected="64 bytes" if self._raw else "64 bytes (r || s)",
                found=f"{len(signature)} bytes",
            )
        if self._raw:
            try:
                nacl.bindings.crypto_sign_open(signature + data, self._raw)
            except nacl.exceptions.CryptoError as exc:
                raise ProofError("signature does not match the data and the key") from exc
            return
        assert isinstance(self._key, ec.EllipticCurvePublicKey)
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            self._key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise ProofError("signature does not match the data and the key") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and other.multibase == self.multibase

    def __hash__(self) -> int:
        return hash(self.multibase)

    @classmethod
    def from_jwk(cls, jwk: Any) -> PublicKey:
        """A public JWK (RFC 7517): OKP Ed25519, EC P-256 or RSA (>= 2048 bits). A JWK holding
        a private part is refused: whoever published it gave its secret away."""
        if not isinstance(jwk, dict):
            raise KeyResolutionError("JWK is not a JSON object", found=short(jwk))
        if "d" in jwk or "p" in jwk:
            raise KeyResolutionError(
                "JWK holds a private key", expected="a public JWK", found="a 'd' member"
            )
        kty, crv = jwk.get("kty"), jwk.get("crv")
        try:
            if kty == "OKP" and crv == "Ed25519":
                raw = multibase.b64url_decode(str(jwk.get("x", "")))
                return cls("Ed25519", ed25519.Ed25519PublicKey.from_public_bytes(raw))
            if kty == "EC" and crv == "P-256":
                x = multibase.b64url_decode(str(jwk.get("x", "")))
                y = multibase.b64url_decode(str(jwk.get("y", "")))
                if len(x) != 32 or len(y) != 32:
                    raise ValueError("P-256 coordinates are 32 bytes")
                point = b"\x04" + x + y
                return cls(
                    "P-256", ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
                )
            if kty == "RSA":
                n = int.from_bytes(multibase.b64url_decode(str(jwk.get("n", ""))), "big")
                e = int.from_bytes(multibase.b64url_decode(str(jwk.get("e", ""))), "big")
                return cls._rsa(rsa.RSAPublicNumbers(e, n).public_key())
        except (ValueError, MicrocredError) as exc:
            raise KeyResolutionError(
                "JWK is not a valid public key", expected=f"a {kty} key", found=str(exc)
            ) from exc
        raise KeyResolutionError(
            "unsupported JWK", expected="OKP Ed25519, EC P-256 or RSA", found=f"{kty} {crv or ''}"
        )

    @classmethod
    def _rsa(cls, key: rsa.RSAPublicKey) -> PublicKey:
        if key.key_size < MIN_RSA_BITS:
            raise KeyResolutionError(
                "the RSA key is too short",
                expected=f">= {MIN_RSA_BITS} bits",
                found=f"{key.key_size} bits",
            )
        return cls("RSA", key)

    @property
    def jwk(self) -> dict[str, str]:
        """The public JWK of this key."""
        if self._raw:
            return {"kty": "OKP", "crv": "Ed25519", "x": multibase.b64url_encode(self._raw)}
        if isinstance(self._key, rsa.RSAPublicKey):
            numbers = self._key.public_numbers()
            return {
                "kty": "RSA",
                "n": multibase.b64url_encode(_unsigned_bytes(numbers.n)),
                "e": multibase.b64url_encode(_unsigned_bytes(numbers.e)),
            }
        assert isinstance(self._key, ec.EllipticCurvePublicKey)
        point = self._key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": multibase.b64url_encode(point.x.to_bytes(32, "big")),
            "y": multibase.b64url_encode(point.y.to_bytes(32, "big")),
        }

    @classmethod
    def from_multibase(cls, value: str) -> PublicKey:
        return _public_key_of_multibase(value)


def _unsigned_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _pkcs1_to_spki(der: bytes) -> bytes:
    """Wrap a PKCS #1 RSAPublicKey in a SubjectPublicKeyInfo (what ``cryptography`` loads)."""
    algorithm = bytes.fromhex("300d06092a864886f70d0101010500")  # rsaEncryption, NULL
    bit_string = b"\x03" + _der_length(len(der) + 1) + b"\x00" + der
    body = algorithm + bit_string
    return b"\x30" + _der_length(len(body)) + body


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = _unsigned_bytes(length)
    return bytes([0x80 | len(encoded)]) + encoded


@dataclass(frozen=True, eq=False)
class SigningKey:
    """A key pair that signs. Its secret never appears in ``repr`` or logs."""

    public: PublicKey
    _secret: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
    _sodium: bytes = field(init=False, repr=False)  # Ed25519: libsodium's seed || public key

    def __post_init__(self) -> None:
        # libsodium signs with seed || public key and trusts the public half: a wrong one gives
        # signatures that verify under no key, and one message signed under two public keys
        # reveals the secret scalar (the nonce depends on the seed and message only).
        derived = PublicKey(
            "Ed25519" if isinstance(self._secret, ed25519.Ed25519PrivateKey) else "P-256",
            self._secret.public_key(),
        )
        if derived != self.public:
            raise KeyResolutionError(
                "public key does not belong to the secret key",
                expected=derived.multibase,
                found=self.public.multibase,
            )
        sodium = b""
        if isinstance(self._secret, ed25519.Ed25519PrivateKey):
            sodium = self._secret.private_bytes_raw() + self.public._raw
        object.__setattr__(self, "_sodium", sodium)

    @classmethod
    def generate(cls, algorithm: Algorithm = "Ed25519") -> SigningKey:
        if algorithm == "Ed25519":
            secret_ed = ed25519.Ed25519PrivateKey.generate()
            return cls(PublicKey("Ed25519", secret_ed.public_key()), secret_ed)
        secret_ec = ec.generate_private_key(ec.SECP256R1())
        return cls(PublicKey("P-256", secret_ec.public_key()), secret_ec)

    @classmethod
    def from_multibase(
        cls, secret_multibase: str, public_multibase: str | None = None
    ) -> SigningKey:
        """Load a Multikey secret; if the public key is given it must match the secret."""
        prefix, raw = multibase.decode_multikey(secret_multibase, _SECRET_PREFIXES)
        key: SigningKey
        if prefix == multibase.ED25519_PRIV:
            secret_ed = ed25519.Ed25519PrivateKey.from_private_bytes(raw)
            key = cls(PublicKey("Ed25519", secret_ed.public_key()), secret_ed)
        else:
            try:
                secret_ec = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            except ValueError as exc:
                raise KeyResolutionError("P-256 secret key is out of range") from exc
            key = cls(PublicKey("P-256", secret_ec.public_key()), secret_ec)
        if public_multibase is not None and public_multibase != key.public.multibase:
            raise KeyResolutionError(
                "public key does not belong to the secret key",
                expected=key.public.multibase,
                found=short(public_multibase),
            )
        return key

    @property
    def algorithm(self) -> Algorithm:
        algorithm = self.public.algorithm
        assert algorithm != "RSA"  # a SigningKey holds an Ed25519 or P-256 secret
        return algorithm

    @property
    def secret_multibase(self) -> Multibase:
        if isinstance(self._secret, ed25519.Ed25519PrivateKey):
            return multibase.encode_multikey(
                multibase.ED25519_PRIV, self._secret.private_bytes_raw()
            )
        raw = self._secret.private_numbers().private_value.to_bytes(32, "big")
        return multibase.encode_multikey(multibase.P256_PRIV, raw)

    @property
    def native(self) -> ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey:
        """The ``cryptography`` key object, for libraries (JOSE) that take one."""
        return self._secret

    def sign(self, data: bytes) -> bytes:
        if self._sodium:
            # crypto_sign returns signature || data; the signature is the first 64 bytes.
            return nacl.bindings.crypto_sign(data, self._sodium)[:64]
        assert isinstance(self._secret, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(self._secret.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def __repr__(self) -> str:
        return f"SigningKey({self.algorithm}, public={self.public.multibase})"


@dataclass(frozen=True)
class KeyFile:
    """A key with the DID that controls it and the verification method id that names it."""

    key: SigningKey
    controller: Did
    verification_method: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.verification_method,
            "type": "Multikey",
            "controller": self.controller,
            "did": self.controller,
            "publicKeyMultibase": self.key.public.multibase,
            "secretKeyMultibase": self.key.secret_multibase,
        }

    @classmethod
    def for_did_key(cls, key: SigningKey) -> KeyFile:
        did = key.public.did_key
        return cls(key, did, f"{did}#{key.public.multibase}")

    @classmethod
    def from_json(cls, data: Any) -> KeyFile:
        if not isinstance(data, dict):
            raise InputError("key file is not a JSON object", found=type(data).__name__)
        secret = data.get("secretKeyMultibase") or data.get("privateKeyMultibase")
        if not isinstance(secret, str):
            raise InputError(
                "key file has no secret key",
                expected="a 'secretKeyMultibase' string",
                found=short(secret),
            )
        public = data.get("publicKeyMultibase")
        key = SigningKey.from_multibase(secret, public if isinstance(public, str) else None)
        did = data.get("did") or data.get("controller") or key.public.did_key
        if not isinstance(did, str) or not did.startswith("did:"):
            raise InputError("key file's 'did' is not a DID", expected="did:...", found=short(did))
        vm = data.get("id")
        if not isinstance(vm, str):
            vm = f"{did}#{key.public.multibase}"
        if did.startswith("did:key:") and did != key.public.did_key:
            raise KeyResolutionError(
                "key file's did:key is not the key's own", expected=key.public.did_key, found=did
            )
        return cls(key, Did(did), vm)

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read key file {path}", found=str(exc)) from exc
        return cls.from_json(data)

    def save(self, path: Path) -> None:
        """Write the key file readable by its owner only."""
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")


# A verifier reads the same few issuer keys for every credential: each multikey is decoded once.
# PublicKey is immutable; a refused value raises every time (exceptions are not kept).
@functools.lru_cache(maxsize=512)
def _public_key_of_multibase(value: str) -> PublicKey:
    if multibase.decode_b58btc(value).startswith(multibase.RSA_PUB):
        der = multibase.decode_b58btc(value)[len(multibase.RSA_PUB) :]
        try:
            loaded = serialization.load_der_public_key(_pkcs1_to_spki(der))
        except ValueError as exc:
            raise KeyResolutionError("RSA multikey is not a valid key", found=short(value)) from exc
        assert isinstance(loaded, rsa.RSAPublicKey)
        return PublicKey._rsa(loaded)
    prefix, raw = multibase.decode_multikey(value, _PUBLIC_PREFIXES)
    if prefix == multibase.ED25519_PUB:
        return PublicKey("Ed25519", ed25519.Ed25519PublicKey.from_public_bytes(raw))
    try:
        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as exc:
        raise KeyResolutionError(
            "P-256 public key is not a point on the curve", found=short(value)
        ) from exc
    return PublicKey("P-256", point)
