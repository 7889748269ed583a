"""The ``jwt`` key proof (OpenID4VCI 1.0, "jwt Proof Type"): the wallet shows it holds the key
the credential will be bound to.

Checked, each failure an ``invalid_proof``: compact JWS of bounded size; ``typ``
``openid4vci-proof+jwt``; an asymmetric algorithm we implement (EdDSA/Ed25519, ES256) that fits
the key; the key given exactly one way, as a public ``jwk`` or as a ``kid`` that is a did:key
URL (no ``x5c``, no ``crit``, no private key); the signature by that key; ``aud`` the
credential issuer; ``iat`` recent and not ahead of our clock; ``exp``, if present, not passed;
a ``nonce``. Whether the nonce is ours and unused is the service's check, not this module's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from microcred.crypto import multibase
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import PublicKey
from microcred.errors import MicrocredError, Oid4vciError, short
from microcred.oid4vci.metadata import PROOF_ALGORITHMS, PROOF_TYP
from microcred.types import Did

MAX_PROOF_BYTES = 16 * 1024
CLOCK_SKEW = timedelta(seconds=60)
_KEY_ALGORITHM = {"EdDSA": "Ed25519", "Ed25519": "Ed25519", "ES256": "P-256"}
_REFUSED_HEADERS = ("x5c", "x5u", "jku", "crit", "b64", "trust_chain", "key_attestation")


@dataclass(frozen=True)
class KeyProof:
    holder: Did
    """The did:key of the proven key: what the issued credential is bound to."""
    nonce: str


def verify_key_proof(
    token: object, *, audience: str, now: datetime, max_age: timedelta
) -> KeyProof:
    if not isinstance(token, str) or len(token) > MAX_PROOF_BYTES:
        raise _invalid(
            "the key proof is not a JWT of reasonable size",
            expected=f"a compact JWS of at most {MAX_PROOF_BYTES} bytes",
            found=short(token),
        )
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise _invalid("the key proof is not a compact JWS", found=short(token))
    header, payload = _json_part(parts[0], "header"), _json_part(parts[1], "payload")

    # 1. Explicitly typed, with an algorithm we accept.
    if header.get("typ") != PROOF_TYP:
        raise _invalid("wrong key proof type", expected=PROOF_TYP, found=short(header.get("typ")))
    alg = header.get("alg")
    if alg not in PROOF_ALGORITHMS:
        raise _invalid(
            "unsupported key proof algorithm",
            expected=" | ".join(PROOF_ALGORITHMS),
            found=short(alg),
        )
    refused = [name for name in _REFUSED_HEADERS if name in header]
    if refused:
        raise _invalid(
            "the key proof header uses parameters we do not accept",
            expected="the key in 'jwk' or 'kid'",
            found=", ".join(refused),
        )

    # 2. The key, named exactly one way, and the signature by it.
    key, holder = _key_of(header)
    if key.algorithm != _KEY_ALGORITHM[str(alg)]:
        raise _invalid("the algorithm does not fit the key", expected=key.algorithm, found=alg)
    try:
        key.verify(multibase.b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii"))
    except MicrocredError as exc:
        raise _invalid("the key proof's signature does not verify with its key") from exc

    # 3. Meant for us, fresh, and carrying a nonce.
    aud = payload.get("aud")
    if aud != audience and not (isinstance(aud, list) and aud == [audience]):
        raise _invalid("the key proof is for another audience", expected=audience, found=short(aud))
    iat = payload.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise _invalid("the key proof has no 'iat'", expected="a NumericDate", found=short(iat))
    moment = now.timestamp()
    if iat > moment + CLOCK_SKEW.total_seconds():
        raise _invalid("the key proof is dated in the future", found=f"iat {iat}")
    if iat < moment - max_age.total_seconds():
        raise _invalid(
            "the key proof is too old",
            expected=f"iat within the last {int(max_age.total_seconds())} s",
            found=f"{int(moment - iat)} s ago",
        )
    exp = payload.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp <= moment):
        raise _invalid("the key proof has expired", found=f"exp {short(exp)}")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise _invalid(
            "the key proof carries no nonce",
            expected="a c_nonce from the nonce endpoint in 'nonce'",
            found=short(nonce),
        )
    return KeyProof(holder, nonce)


def _key_of(header: dict[str, Any]) -> tuple[PublicKey, Did]:
    jwk, kid = header.get("jwk"), header.get("kid")
    if (jwk is None) == (kid is None):
        raise _invalid(
            "the key proof must name its key once",
            expected="either 'jwk' or 'kid' in the header",
            found="both" if jwk is not None else "neither",
        )
    if jwk is not None:
        key = public_key_from_jwk(jwk)
        return key, key.did_key
    if not isinstance(kid, str) or not kid.startswith("did:key:") or "#" not in kid:
        raise _invalid(
            "the key proof's 'kid' is not a did:key URL",
            expected="did:key:z...#z... (other DID methods are not resolved)",
            found=short(kid),
        )
    try:
        method = DidResolver().verification_method(kid, purpose="authentication")
    except MicrocredError as exc:
        raise _invalid(f"the key proof's 'kid' does not resolve: {exc.message}") from exc
    return method.key, method.controller


def public_key_from_jwk(jwk: object) -> PublicKey:
    """An Ed25519 (OKP) or P-256 (EC) public JWK as a key; anything else is refused."""
    if not isinstance(jwk, dict):
        raise _invalid("the proof's 'jwk' is not an object", found=short(jwk))
    if "d" in jwk:
        raise _invalid("the proof's 'jwk' holds a private key", expected="a public key only")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    try:
        if kty == "OKP" and crv == "Ed25519":
            raw = _coordinate(jwk, "x")
            return PublicKey("Ed25519", ed25519.Ed25519PublicKey.from_public_bytes(raw))
        if kty == "EC" and crv == "P-256":
            x, y = (int.from_bytes(_coordinate(jwk, name), "big") for name in ("x", "y"))
            point = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
            return PublicKey("P-256", point)
    except ValueError as exc:  # not a point on the curve
        raise _invalid("the proof's 'jwk' is not a valid public key", found=short(jwk)) from exc
    raise _invalid(
        "unsupported key type in the proof's 'jwk'",
        expected="OKP/Ed25519 or EC/P-256",
        found=f"{short(kty)}/{short(crv)}",
    )


def _coordinate(jwk: dict[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    try:
        raw = multibase.b64url_decode(value) if isinstance(value, str) else b""
    except MicrocredError:
        raw = b""
    if len(raw) != 32:
        raise _invalid(f"the proof's 'jwk' has no valid '{name}'", expected="32 bytes, base64url")
    return raw


def _json_part(part: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(multibase.b64url_decode(part))
    except (MicrocredError, ValueError, RecursionError) as exc:
        raise _invalid(f"the key proof's {name} is not base64url JSON") from exc
    if not isinstance(value, dict):
        raise _invalid(f"the key proof's {name} is not a JSON object", found=short(value))
    return value


def _invalid(message: str, *, expected: str | None = None, found: object = None) -> Oid4vciError:
    return Oid4vciError(
        "invalid_proof", message, expected=expected, found=None if found is None else str(found)
    )


__all__ = ["KeyProof", "public_key_from_jwk", "verify_key_proof"]
