"""Multibase (base58btc, base64url) and the multicodec prefixes of the key types we use.

A generic multiformats library costs more than the signature it wraps, and these encodings are a
few lines each, so they are written here and tested against the published key vectors.
"""

from __future__ import annotations

import base64
import binascii

from microcred.errors import KeyResolutionError, short
from microcred.types import Multibase

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}

# Multicodec table entries, already varint-encoded.
ED25519_PUB = b"\xed\x01"
ED25519_PRIV = b"\x80\x26"
P256_PUB = b"\x80\x24"
P256_PRIV = b"\x86\x26"
RSA_PUB = b"\x85\x24"  # rsa-pub, 0x1205: the DER of an RSAPublicKey (PKCS #1)


# Ten base58 digits at a time: big-integer division by 58**10 once instead of by 58 ten times,
# then the small remainder two digits at a time from a table.
_CHUNK = 10
_CHUNK_BASE = 58**_CHUNK
_PAIRS = [a + b for a in _B58_ALPHABET for b in _B58_ALPHABET]


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    chunks: list[str] = []
    while number:
        number, rem = divmod(number, _CHUNK_BASE)
        r4, p5 = divmod(rem, 3364)
        r3, p4 = divmod(r4, 3364)
        r2, p3 = divmod(r3, 3364)
        p1, p2 = divmod(r2, 3364)
        chunks.append(_PAIRS[p1] + _PAIRS[p2] + _PAIRS[p3] + _PAIRS[p4] + _PAIRS[p5])
    body = "".join(reversed(chunks)).lstrip("1")
    return "1" * zeros + body


_PAIR_VALUES = {pair: i for i, pair in enumerate(_PAIRS)}


def b58decode(text: str) -> bytes:
    number = 0
    odd = len(text) % 2
    try:
        if odd:
            number = _B58_INDEX[text[0]]
        for start in range(odd, len(text), 2):
            number = number * 3364 + _PAIR_VALUES[text[start : start + 2]]
    except KeyError:
        bad = next(c for c in text if c not in _B58_INDEX)
        raise KeyResolutionError(
            "invalid base58btc text",
            expected="characters of the base58btc alphabet",
            found=short(bad),
        ) from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyResolutionError(
            "invalid base64url text", expected="base64url", found=short(text)
        ) from exc


def encode_b58btc(data: bytes) -> Multibase:
    """Multibase base58btc: ``z`` + base58btc."""
    return Multibase("z" + b58encode(data))


def decode_b58btc(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyResolutionError(
            "unsupported multibase encoding",
            expected="base58btc multibase (starting with 'z')",
            found=short(value),
        )
    return b58decode(value[1:])


def encode_multikey(prefix: bytes, raw: bytes) -> Multibase:
    return encode_b58btc(prefix + raw)


def decode_multikey(value: str, prefixes: dict[bytes, int]) -> tuple[bytes, bytes]:
    """Split a Multikey into (multicodec prefix, raw key), checking prefix and length.

    ``prefixes`` maps each accepted prefix to the raw key length it requires.
    """
    data = decode_b58btc(value)
    for prefix, length in prefixes.items():
        if data.startswith(prefix):
            raw = data[len(prefix) :]
            if len(raw) != length:
                raise KeyResolutionError(
                    "multikey has the wrong length",
                    expected=f"{length} key bytes after the multicodec prefix",
                    found=f"{len(raw)} bytes",
                )
            return prefix, raw
    raise KeyResolutionError(
        "unsupported multikey type",
        expected="multicodec prefix " + " or ".join(p.hex() for p in prefixes),
        found=data[:2].hex(),
    )
