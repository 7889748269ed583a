"""A wallet written for the tests: its own key (Ed25519 or P-256) and the OpenID4VCI ``jwt``
key proofs it signs, built here from the specification with ``cryptography`` alone."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from microcred.crypto.keys import PublicKey

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: object) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


class Wallet:
    def __init__(self, algorithm: Literal["Ed25519", "P-256"] = "Ed25519") -> None:
        self.algorithm = algorithm
        self._key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey = (
            ed25519.Ed25519PrivateKey.generate()
            if algorithm == "Ed25519"
            else ec.generate_private_key(ec.SECP256R1())
        )

    @property
    def alg(self) -> str:
        return "EdDSA" if self.algorithm == "Ed25519" else "ES256"

    @property
    def jwk(self) -> dict[str, str]:
        public = self._key.public_key()
        if isinstance(public, ed25519.Ed25519PublicKey):
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public.public_bytes_raw())}
        numbers = public.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }

    @property
    def did(self) -> str:
        public = self._key.public_key()
        assert isinstance(public, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey)
        return PublicKey(self.algorithm, public).did_key

    @property
    def kid(self) -> str:
        return f"{self.did}#{self.did.removeprefix('did:key:')}"

    def sign(self, data: bytes) -> bytes:
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(data)
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def proof(
        self,
        *,
        aud: str,
        nonce: str | None,
        now: datetime,
        by_kid: bool = False,
        header: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        signer: Wallet | None = None,
    ) -> str:
        """A key proof JWT; ``header``/``payload`` override fields (None deletes one) and
        ``signer`` signs with another wallet's key, for the bad cases."""
        head: dict[str, Any] = {"typ": "openid4vci-proof+jwt", "alg": self.alg}
        head.update({"kid": self.kid} if by_kid else {"jwk": self.jwk})
        body: dict[str, Any] = {"aud": aud, "iat": int(now.timestamp())}
        if nonce is not None:
            body["nonce"] = nonce
        for target, changes in ((head, header), (body, payload)):
            for name, value in (changes or {}).items():
                if value is None:
                    target.pop(name, None)
                else:
                    target[name] = value
        signing_input = f"{b64json(head)}.{b64json(body)}"
        signature = (signer or self).sign(signing_input.encode("ascii"))
        return f"{signing_input}.{b64url(signature)}"


def offer_of(uri: str) -> dict[str, Any]:
    """The credential offer object in an ``openid-credential-offer://?credential_offer=`` URI."""
    assert uri.startswith("openid-credential-offer://?"), uri
    (text,) = parse_qs(urlsplit(uri).query)["credential_offer"]
    offer: dict[str, Any] = json.loads(text)
    return offer


def code_of(uri: str) -> str:
    code: str = offer_of(uri)["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    return code
