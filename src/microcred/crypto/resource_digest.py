"""Digests of a credential's ``relatedResource`` entries (VC Data Model 2.0, section 5.3).

An entry names a resource (``id``) and its digest: ``digestSRI``, a Subresource Integrity
metadata string (``sha384-<base64>``, several separated by spaces), and/or ``digestMultibase``,
a multibase (``u`` base64url or ``z`` base58btc) multihash. Both are over the bytes served at
``id``. Fetching those bytes is the verifier's business; this module only compares.

SRI's rule applies to ``digestSRI``: only the strongest algorithm listed counts, and one of its
digests must match. Unknown SRI algorithms are ignored, as SRI says; a ``digestMultibase`` whose
hash we do not know is refused (it states one digest, which we cannot check).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from microcred.crypto import multibase
from microcred.errors import InputError, MicrocredError, ProofError, short

_SRI = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_SRI_STRENGTH = ["sha256", "sha384", "sha512"]
# multihash code -> (name, function, digest length)
_MULTIHASH = {
    0x12: ("sha2-256", hashlib.sha256, 32),
    0x13: ("sha2-512", hashlib.sha512, 64),
    0x20: ("sha2-384", hashlib.sha384, 48),
    0x16: ("sha3-256", hashlib.sha3_256, 32),
    0x15: ("sha3-384", hashlib.sha3_384, 48),
    0x14: ("sha3-512", hashlib.sha3_512, 64),
}


def has_digest(entry: Mapping[str, Any]) -> bool:
    return "digestSRI" in entry or "digestMultibase" in entry


def check_digests(entry: Mapping[str, Any], body: bytes) -> None:
    """Raises :class:`ProofError` when ``body`` does not match a digest the entry states, and
    :class:`InputError` when a digest cannot be read."""
    if not has_digest(entry):
        raise InputError(
            "a relatedResource entry states no digest",
            expected="digestSRI or digestMultibase",
            found=short(dict(entry)),
        )
    if "digestSRI" in entry:
        _check_sri(entry["digestSRI"], body)
    if "digestMultibase" in entry:
        _check_multibase(entry["digestMultibase"], body)


def _check_sri(value: Any, body: bytes) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            "digestSRI is not SRI metadata", expected="sha384-<base64>", found=short(value)
        )
    known: dict[str, list[bytes]] = {}
    for token in value.split():
        algorithm, _, rest = token.partition("-")
        if algorithm not in _SRI:
            continue
        encoded = rest.split("?", 1)[0]  # SRI options follow a "?"
        try:
            known.setdefault(algorithm, []).append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise InputError(
                "digestSRI has a digest that is not base64", expected="sha384-<base64>", found=token
            ) from exc
    if not known:
        raise InputError(
            "digestSRI names no algorithm we know", expected="sha256, sha384 or sha512", found=value
        )
    strongest = max(known, key=_SRI_STRENGTH.index)
    actual = _SRI[strongest](body).digest()
    if not any(hmac.compare_digest(actual, wanted) for wanted in known[strongest]):
        raise ProofError(
            "the resource does not match its digestSRI",
            expected=value,
            found=f"{strongest}-{base64.b64encode(actual).decode()}",
        )


def _check_multibase(value: Any, body: bytes) -> None:
    raw = _decode_multibase(value)
    code, length, digest = _multihash(raw, value)
    name, function, size = _MULTIHASH[code]
    if length != size or len(digest) != size:
        raise InputError(
            "digestMultibase has the wrong length for its hash",
            expected=f"{size} bytes of {name}",
            found=f"{len(digest)} bytes",
        )
    actual = function(body).digest()
    if not hmac.compare_digest(actual, digest):
        raise ProofError(
            "the resource does not match its digestMultibase",
            expected=value,
            found=f"{name} {actual.hex()}",
        )


def _decode_multibase(value: Any) -> bytes:
    if isinstance(value, str) and value.startswith("u"):
        try:
            return multibase.b64url_decode(value[1:])
        except MicrocredError as exc:
            raise InputError("digestMultibase is not base64url", found=short(value)) from exc
    if isinstance(value, str) and value.startswith("z"):
        try:
            return multibase.b58decode(value[1:])
        except MicrocredError as exc:
            raise InputError("digestMultibase is not base58btc", found=short(value)) from exc
    raise InputError(
        "digestMultibase is not multibase",
        expected="'u' (base64url) or 'z' (base58btc) and a multihash",
        found=short(value),
    )


def _multihash(raw: bytes, shown: Any) -> tuple[int, int, bytes]:
    # Codes and lengths are varints; every code we know, and every length, fits in one byte.
    if len(raw) < 2 or raw[0] not in _MULTIHASH or raw[1] & 0x80:
        raise InputError(
            "digestMultibase holds no multihash we know",
            expected="sha2-256/384/512 or sha3-256/384/512",
            found=short(shown),
        )
    return raw[0], raw[1], raw[2:]
