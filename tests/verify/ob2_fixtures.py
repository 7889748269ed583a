"""An Open Badges 2.0 issuer made up for tests: RSA keys, profile, badge class, revocation
list, signed (JWS) assertions, and an in-memory fetcher that serves them by URL."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from microcred.crypto.baking import _itxt_body, _png_chunk, default_badge_png
from microcred.errors import FetchError

ORIGIN = "https://old-school.example"
ISSUER = f"{ORIGIN}/issuer"
KEY = f"{ORIGIN}/keys/1"
BADGE = f"{ORIGIN}/badges/legacy"
REVOCATIONS = f"{ORIGIN}/revocations"
ASSERTION = "urn:uuid:8c1f6a2e-4d0b-4a8e-9b57-1d3c2f0e6a11"


def rsa_key(number: int = 1) -> rsa.RSAPrivateKey:
    """One 2048-bit key per number, made once per test run (RSA key generation is slow)."""
    return _rsa_key(number)


@cache
def _rsa_key(_number: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(payload: dict[str, Any], key: rsa.RSAPrivateKey, alg: str = "RS256") -> str:
    head = b64(json.dumps({"alg": alg}).encode())
    body = b64(json.dumps(payload).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64(signature)}"


def assertion(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": ASSERTION,
        "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
        "badge": BADGE,
        "verification": {"type": "SignedBadge", "creator": KEY},
        "issuedOn": "2024-01-01T00:00:00Z",
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


@dataclass
class Web:
    """Documents by URL; ``seen`` records every fetch, in order."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> bytes:
        self.seen.append(url)
        if url not in self.documents:
            raise FetchError("the server did not return the document", found="HTTP 404")
        return json.dumps(self.documents[url]).encode()


def issuer_web(*, revoked: list[Any] | None = None, key_number: int = 1) -> Web:
    """The issuer's documents as it serves them: profile listing the key, key owned by the
    profile, badge class, and (when ``revoked`` is given) a revocation list."""
    profile: dict[str, Any] = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Profile",
        "id": ISSUER,
        "name": "Old School",
        "publicKey": [KEY],
    }
    web = Web()
    if revoked is not None:
        profile["revocationList"] = REVOCATIONS
        web.documents[REVOCATIONS] = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "RevocationList",
            "id": REVOCATIONS,
            "issuer": ISSUER,
            "revokedAssertions": revoked,
        }
    web.documents[ISSUER] = profile
    web.documents[KEY] = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "CryptographicKey",
        "id": KEY,
        "owner": ISSUER,
        "publicKeyPem": pem(rsa_key(key_number)),
    }
    web.documents[BADGE] = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "BadgeClass",
        "id": BADGE,
        "name": "Legacy Badge",
        "issuer": ISSUER,
        "criteria": {"narrative": "Did the thing."},
    }
    return web


def baked_png(text: str) -> bytes:
    """A PNG with an OB 2.0 ``openbadges`` iTXt chunk (right after IHDR)."""
    image = default_badge_png()
    return image[:33] + _png_chunk(b"iTXt", _itxt_body(b"openbadges", text)) + image[33:]


def baked_svg(token: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" '
        'width="10" height="10">'
        f'<openbadges:assertion verify="{token}"/>'
        '<rect width="10" height="10"/></svg>'
    ).encode()
