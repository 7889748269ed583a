"""VC-JWT: credentials secured with JOSE (W3C VC-JOSE-COSE), EdDSA (Ed25519) and ES256 (P-256).

We issue the VC-JOSE-COSE form: the JWT claims set *is* the credential, the header says
``typ: vc+jwt``, ``cty: vc`` and names the key in ``kid`` (a DID URL). On verification we also
accept the older VC 1.1 form that Open Badges 3.0 describes, where the credential sits in a
``vc`` claim.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

from microcred.crypto import multibase
from microcred.crypto.did import DidResolver, VerificationMethod
from microcred.crypto.keys import PublicKey, SigningKey
from microcred.errors import InputError, MicrocredError, ProofError, short
from microcred.types import JsonObject

_ALGORITHMS = {"EdDSA": "Ed25519", "Ed25519": "Ed25519", "ES256": "P-256"}
MAX_JWT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class VerifiedJwt:
    credential: JsonObject
    header: JsonObject
    method: VerificationMethod


def looks_like_jwt(text: str) -> bool:
    parts = text.strip().split(".")
    return len(parts) == 3 and all(parts[:2]) and parts[0].startswith("ey")


def sign_jwt(credential: Mapping[str, Any], key: SigningKey, *, kid: str) -> str:
    """Compact JWS over the credential; ``kid`` is the verification method's DID URL."""
    alg = "EdDSA" if key.algorithm == "Ed25519" else "ES256"
    header = {"alg": alg, "typ": "vc+jwt", "cty": "vc", "kid": kid}
    payload = json.dumps(credential, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    with _eddsa_allowed():
        return jws.serialize_compact(header, payload, _jose_key(key.native), algorithms=[alg])


def verify_jwt(token: str, resolver: DidResolver) -> VerifiedJwt:
    """Verify a VC-JWT; raises :class:`ProofError` (bad signature, key) or :class:`InputError`."""
    token = token.strip()
    if len(token) > MAX_JWT_BYTES:
        raise InputError(
            "JWT is too large", expected=f"<= {MAX_JWT_BYTES} bytes", found=f"{len(token)} bytes"
        )
    if not looks_like_jwt(token):
        raise InputError(
            "not a compact JWT", expected="header.payload.signature", found=short(token)
        )
    header = _decode_part(token.split(".")[0], "header")
    alg = header.get("alg")
    if alg not in _ALGORITHMS:
        raise ProofError(
            "unsupported JWT algorithm", expected="EdDSA, Ed25519 or ES256", found=short(alg)
        )
    kid = header.get("kid")
    payload = _decode_part(token.split(".")[1], "payload")
    if not isinstance(kid, str):
        raise ProofError(
            "JWT header has no 'kid'", expected="a DID URL naming the signing key", found=short(kid)
        )
    if kid.startswith("#"):
        issuer = payload.get("iss") or _issuer_id(payload.get("vc", payload))
        kid = f"{issuer}{kid}"
    try:
        method = resolver.verification_method(kid)
    except MicrocredError as exc:
        raise ProofError(
            f"cannot resolve the JWT key: {exc.message}", expected=exc.expected, found=exc.found
        ) from exc
    if method.key.algorithm != _ALGORITHMS[alg]:
        raise ProofError(
            "JWT algorithm does not fit the key", expected=method.key.algorithm, found=alg
        )
    try:
        with _eddsa_allowed():
            jws.deserialize_compact(token, _public_jose_key(method.key), algorithms=[alg])
    except (JoseError, ValueError) as exc:
        raise ProofError("JWT signature does not match the data and the key") from exc
    credential = payload.get("vc") if isinstance(payload.get("vc"), dict) else payload
    assert isinstance(credential, dict)
    return VerifiedJwt(credential, header, method)


def decode_unverified(token: str) -> tuple[JsonObject, JsonObject]:
    """Header and credential of a JWT, without checking anything (for display and parsing)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise InputError(
            "not a compact JWT", expected="header.payload.signature", found=short(token)
        )
    header = _decode_part(parts[0], "header")
    payload = _decode_part(parts[1], "payload")
    vc = payload.get("vc")
    return header, vc if isinstance(vc, dict) else payload


def _issuer_id(credential: Any) -> str:
    issuer = credential.get("issuer") if isinstance(credential, dict) else None
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else ""


def _decode_part(part: str, name: str) -> JsonObject:
    try:
        value = json.loads(multibase.b64url_decode(part))
    except (MicrocredError, ValueError) as exc:
        raise InputError(f"JWT {name} is not base64url JSON", found=short(part)) from exc
    if not isinstance(value, dict):
        raise InputError(f"JWT {name} is not a JSON object", found=short(value))
    return value


def _jose_key(native: Any) -> OKPKey | ECKey:
    return OKPKey.import_key(native) if _is_okp(native) else ECKey.import_key(native)


def _public_jose_key(key: PublicKey) -> OKPKey | ECKey:
    return _jose_key(key.native)


def _is_okp(native: Any) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return isinstance(native, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey)


class _eddsa_allowed(warnings.catch_warnings):  # noqa: N801 - used as a context manager
    """joserfc warns that "EdDSA" is superseded by "Ed25519" (RFC 9864), but verifiers in the
    field, the reference included, still expect "EdDSA"; we keep issuing it, knowingly."""

    def __enter__(self) -> None:
        super().__enter__()
        warnings.filterwarnings("ignore", message="EdDSA is deprecated")
