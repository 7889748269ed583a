"""VC-JWT: credentials secured with JOSE (W3C VC-JOSE-COSE), EdDSA (Ed25519) and ES256 (P-256);
RS256 (RSA) verified too, as Open Badges 3.0 issuers elsewhere sign with it.

Compact JWS (RFC 7515) is written here on top of ``cryptography``: two base64url parts, a
signature over them, a fixed list of algorithms each bound to a key type, and a refusal of any
header we do not implement (``crit``, ``b64``, keys by URL or certificate). A JOSE library added
a deprecation warning on "EdDSA" and three times our signing cost for that.

The key is named by ``kid`` (a DID URL, or an https controller document's method) or carried in
the header's ``jwk``. A carried key proves only that the JWT was not altered: whether it is the
issuer's is asked of the issuer's DID or controller document (``VerificationMethod.binding``).

We issue the VC-JOSE-COSE form: the JWT claims set *is* the credential, the header says
``typ: vc+jwt``, ``cty: vc`` and names the key in ``kid`` (a DID URL). On verification we also
accept the older VC 1.1 form that Open Badges 3.0 describes, where the credential sits in a
``vc`` claim.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from microcred.crypto import multibase
from microcred.crypto.did import DidResolver, VerificationMethod
from microcred.crypto.keys import PublicKey, SigningKey
from microcred.errors import InputError, MicrocredError, ProofError, short
from microcred.nesting import refuse_deep_nesting
from microcred.surrogates import may_hold_surrogate_escape, refuse_lone_surrogates
from microcred.types import JsonObject

_ALGORITHMS = {"EdDSA": "Ed25519", "Ed25519": "Ed25519", "ES256": "P-256", "RS256": "RSA"}
# Parameters that change how a JWS must be processed or where its key comes from.
_REFUSED_HEADERS = frozenset({"crit", "b64", "jku", "x5u", "x5c"})
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
    signing_input = _b64json(header) + "." + multibase.b64url_encode(_payload(credential))
    return signing_input + "." + multibase.b64url_encode(key.sign(signing_input.encode("ascii")))


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
    header_part, payload_part, signature_part = token.split(".")
    header = _decode_part(header_part, "header")
    alg = header.get("alg")
    if alg not in _ALGORITHMS:
        raise ProofError(
            "unsupported JWT algorithm", expected="EdDSA, Ed25519, ES256 or RS256", found=short(alg)
        )
    unsupported = sorted(_REFUSED_HEADERS & header.keys())
    if unsupported:
        raise ProofError(
            "JWT header uses parameters we do not implement",
            expected="none of " + ", ".join(sorted(_REFUSED_HEADERS)),
            found=", ".join(unsupported),
        )
    payload = _decode_part(payload_part, "payload")
    method = _signing_method(header, payload, resolver)
    if method.key.algorithm != _ALGORITHMS[alg]:
        raise ProofError(
            "JWT algorithm does not fit the key", expected=method.key.algorithm, found=alg
        )
    try:
        signature = multibase.b64url_decode(signature_part)
    except MicrocredError as exc:
        raise ProofError("JWT signature is not base64url", found=short(signature_part)) from exc
    try:
        method.key.verify(signature, f"{header_part}.{payload_part}".encode("ascii"))
    except ProofError as exc:
        raise ProofError("JWT signature does not match the data and the key") from exc
    credential = payload.get("vc") if isinstance(payload.get("vc"), dict) else payload
    assert isinstance(credential, dict)
    return VerifiedJwt(credential, header, method)


def _signing_method(
    header: Mapping[str, Any], payload: Mapping[str, Any], resolver: DidResolver
) -> VerificationMethod:
    """The key that signed: the header's ``jwk`` (then bound, or not, to the issuer through
    its document), else the method ``kid`` names (relative to the issuer when it starts #)."""
    issuer = str(payload.get("iss") or _issuer_id(payload.get("vc", payload)))
    kid = header.get("kid")
    if isinstance(kid, str) and kid.startswith("#"):
        kid = f"{issuer}{kid}"
    try:
        if "jwk" in header:
            key = PublicKey.from_jwk(header["jwk"])
            named = kid if isinstance(kid, str) and "#" in kid else None
            if named is not None:
                try:
                    listed: VerificationMethod | None = resolver.verification_method(named)
                except MicrocredError:  # offline, or not there: asked again of the document
                    listed = None
                if listed is not None and listed.key == key and listed.binding == "listed":
                    return listed
            controller = named.split("#", 1)[0] if named is not None else issuer
            if not controller:
                raise ProofError("a JWT with a 'jwk' header names no issuer (iss)")
            return resolver.confirm_key(controller, key, "assertionMethod")
        if not isinstance(kid, str):
            raise ProofError(
                "JWT header has neither 'kid' nor 'jwk'",
                expected="a DID URL naming the signing key, or the key as a JWK",
                found=short(kid),
            )
        return resolver.verification_method(kid)
    except ProofError:
        raise
    except MicrocredError as exc:
        raise ProofError(
            f"cannot resolve the JWT key: {exc.message}", expected=exc.expected, found=exc.found
        ) from exc


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
        raw = multibase.b64url_decode(part)
        value = json.loads(raw)
    except (MicrocredError, ValueError, RecursionError) as exc:
        raise InputError(f"JWT {name} is not base64url JSON", found=short(part)) from exc
    if not isinstance(value, dict):
        raise InputError(f"JWT {name} is not a JSON object", found=short(value))
    if may_hold_surrogate_escape(raw):  # not text: nothing could show or store it (issue 20)
        refuse_lone_surrogates(value, field=f"JWT {name}")
    refuse_deep_nesting(value)
    return value


def _payload(credential: Mapping[str, Any]) -> bytes:
    """Compact JSON of the credential: orjson's where it is what ``json.dumps`` writes.

    orjson writes NaN and infinities as null, so output holding ``null`` is written again by
    ``json``, which refuses them (they are not JSON); so are types orjson passes through.
    """
    try:
        text = orjson.dumps(credential, option=_PASSTHROUGH)
    except orjson.JSONEncodeError:
        text = None
    if text is not None and b"null" not in text:
        return text
    try:
        dumped = json.dumps(credential, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return dumped.encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise InputError("credential is not JSON", expected="JSON values", found=str(exc)) from exc


_PASSTHROUGH = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)


def _b64json(value: Mapping[str, Any]) -> str:
    return multibase.b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))
