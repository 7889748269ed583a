"""W3C Bitstring Status List v1.0: the bitstring, status list credentials and entry checks.

One bit per credential: index 0 is the left-most (most significant) bit of the first byte. The
published ``encodedList`` is the GZIP-compressed bitstring, base64url without padding, with the
multibase prefix ``u``. We issue 1-bit ``revocation`` and ``suspension`` entries; we read, too,
entries of ``statusSize`` bits (entry ``i`` spans bits ``i * size`` .. ``i * size + size - 1``,
most significant first) whose value a ``statusMessage`` explains, and ``message`` lists.

Nothing here fetches a list or verifies its proof; see :func:`check_status_entry`.
"""

from __future__ import annotations

import base64
import gzip
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from microcred.errors import StatusListError, short
from microcred.types import JsonObject

__all__ = [
    "DEFAULT_MAX_DECODED_BYTES",
    "MIN_LENGTH",
    "BitstringStatusList",
    "StatusCheck",
    "StatusPurpose",
    "check_status_entry",
    "status_entry",
    "status_list_credential",
]

MIN_LENGTH = 131_072
"""The spec's minimum list length in bits (16 KiB), for herd privacy."""

DEFAULT_MAX_DECODED_BYTES = 16 * 1024 * 1024
"""Largest decompressed list :meth:`BitstringStatusList.decode` accepts (a gzip-bomb limit)."""

StatusPurpose = Literal["revocation", "suspension"]
_PURPOSES: frozenset[str] = frozenset({"revocation", "suspension"})
# What a verifier may meet: "message" lists carry a value and its explanation, no verdict.
_READ_PURPOSES: frozenset[str] = frozenset({*_PURPOSES, "message"})
MAX_STATUS_SIZE = 16
"""Widest ``statusSize`` read (the spec sets no bound; 2**16 messages is already absurd)."""
_HEX_STATUS = re.compile(r"0x[0-9a-fA-F]{1,8}")
_VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_DECIMAL = re.compile(r"[0-9]{1,20}")  # ASCII only: str.isdigit() accepts other scripts' digits


class BitstringStatusList:
    """A fixed-length, mutable list of status bits, all 0 (unset) when created."""

    __slots__ = ("_bits", "_length")
    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable

    def __init__(self, length: int = MIN_LENGTH, *, allow_small: bool = False) -> None:
        _check_length(length, allow_small=allow_small)
        self._length = length
        self._bits = bytearray(length // 8)

    @property
    def length(self) -> int:
        """The number of entries (bits)."""
        return self._length

    def get(self, index: int) -> bool:
        """Whether the bit at ``index`` is set."""
        self._check_index(index)
        return bool(self._bits[index >> 3] & (0x80 >> (index & 7)))

    def value(self, index: int, size: int) -> int:
        """The ``size``-bit status of entry ``index`` (bits ``index * size`` onwards)."""
        self._check_index(index * size + size - 1)
        start = index * size
        result = 0
        for position in range(start, start + size):
            result = (result << 1) | self.get(position)
        return result

    def set_value(self, index: int, size: int, value: int) -> None:
        """Store ``value`` as the ``size``-bit status of entry ``index``."""
        if not 0 <= value < 1 << size:
            raise StatusListError(
                "status value does not fit its size",
                expected=f"0..{(1 << size) - 1}",
                found=str(value),
            )
        self._check_index(index * size + size - 1)
        for offset in range(size):
            self.set(index * size + offset, bool(value >> (size - 1 - offset) & 1))

    def set(self, index: int, value: bool) -> None:
        """Set (``True``) or clear (``False``) the bit at ``index``."""
        self._check_index(index)
        mask = 0x80 >> (index & 7)
        if value:
            self._bits[index >> 3] |= mask
        else:
            self._bits[index >> 3] &= ~mask & 0xFF

    def iter_set(self) -> Iterator[int]:
        """The indices whose bit is set, in ascending order."""
        for byte_index, byte in enumerate(self._bits):
            if byte:
                for bit in range(8):
                    if byte & (0x80 >> bit):
                        yield byte_index * 8 + bit

    def to_bytes(self) -> bytes:
        """The uncompressed bitstring."""
        return bytes(self._bits)

    def encode(self) -> str:
        """The ``encodedList`` value: ``u`` + base64url(GZIP(bitstring)), without padding."""
        # mtime=0 keeps the output reproducible, so re-publishing an unchanged list is a no-op.
        compressed = gzip.compress(self._bits, compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    @classmethod
    def from_bytes(cls, raw: bytes, *, allow_small: bool = False) -> Self:
        """A list over an uncompressed bitstring (8 entries per byte)."""
        _check_length(len(raw) * 8, allow_small=allow_small)
        status_list = cls.__new__(cls)
        status_list._length = len(raw) * 8
        status_list._bits = bytearray(raw)
        return status_list

    @classmethod
    def decode(
        cls,
        encoded: str,
        *,
        allow_small: bool = False,
        max_bytes: int = DEFAULT_MAX_DECODED_BYTES,
    ) -> Self:
        """Parse an ``encodedList``; refuses lists shorter than :data:`MIN_LENGTH` by default.

        The multibase ``u`` prefix is required: v1.0 says the value MUST be multibase-encoded
        (StatusList2021's unprefixed form is not accepted). Decompression stops at
        ``max_bytes`` so a small gzip bomb cannot exhaust memory.
        """
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            hint = " (StatusList2021 form?)" if str(encoded).startswith("H4sI") else ""
            raise StatusListError(
                "encodedList is not multibase base64url",
                expected="a string starting with the multibase prefix 'u'",
                found=short(encoded) + hint,
            )
        return cls.from_bytes(_bitstring_of(encoded, max_bytes), allow_small=allow_small)

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int):
            raise StatusListError(
                "status list index is not an integer", expected="int", found=short(index)
            )
        if not 0 <= index < self._length:
            raise StatusListError(
                "status list index out of range (RANGE_ERROR)",
                expected=f"0..{self._length - 1}",
                found=str(index),
            )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BitstringStatusList):
            return NotImplemented
        return self._length == other._length and self._bits == other._bits

    def __repr__(self) -> str:
        count = sum(byte.bit_count() for byte in self._bits)
        return f"BitstringStatusList(length={self._length}, set={count})"


def _check_length(length: int, *, allow_small: bool) -> None:
    if isinstance(length, bool) or not isinstance(length, int) or length <= 0 or length % 8:
        raise StatusListError(
            "bad status list length", expected="a positive multiple of 8", found=short(length)
        )
    if length < MIN_LENGTH and not allow_small:
        raise StatusListError(
            "status list is shorter than the minimum for herd privacy (STATUS_LIST_LENGTH_ERROR)",
            expected=f"at least {MIN_LENGTH} entries",
            found=f"{length} entries",
        )


# A verifier reads the same few lists for every credential (an issuer's revocation and suspension
# lists): their bitstrings are inflated once and kept, by their encoded text (inflating is a pure
# function of it). Bounded by the bytes kept, since a foreign list may inflate to many megabytes.
_KEPT_BYTES = 8 * 1024 * 1024
_inflated: OrderedDict[tuple[str, int], bytes] = OrderedDict()
_inflated_lock = threading.Lock()


def _bitstring_of(encoded: str, max_bytes: int) -> bytes:
    key = (encoded, max_bytes)
    with _inflated_lock:
        kept = _inflated.get(key)
        if kept is not None:
            _inflated.move_to_end(key)
            return kept
    raw = _inflate(encoded, max_bytes)
    if len(raw) + len(encoded) <= _KEPT_BYTES // 4:
        with _inflated_lock:
            _inflated[key] = raw
            held = sum(len(k[0]) + len(v) for k, v in _inflated.items())
            while held > _KEPT_BYTES:
                (text, _), value = _inflated.popitem(last=False)
                held -= len(text) + len(value)
    return raw


def _inflate(encoded: str, max_bytes: int) -> bytes:
    """The bitstring an ``encodedList`` (with its ``u`` prefix) holds; refusals as in decode."""
    body = encoded[1:]
    # base64 of GZIP output can never be much longer than the limit it decompresses to.
    if len(body) > (max_bytes + 1024) * 4 // 3:
        raise StatusListError(
            "encodedList is too long",
            expected=f"a list that decompresses to at most {max_bytes} bytes",
            found=f"{len(body)} characters",
        )
    if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
        raise StatusListError(
            "encodedList is not base64url without padding",
            expected="characters A-Z a-z 0-9 - _ only, no '='",
            found=short(encoded),
        )
    compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return _gunzip(compressed, max_bytes)


def _gunzip(compressed: bytes, max_bytes: int) -> bytes:
    if not compressed.startswith(b"\x1f\x8b"):
        raise StatusListError(
            "encodedList is not GZIP data",
            expected="GZIP magic 1f 8b",
            found=compressed[:2].hex(" ") or "(empty)",
        )
    inflater = zlib.decompressobj(wbits=31)  # 16 + 15: a GZIP wrapper around a 32 KiB window
    try:
        raw = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise StatusListError(
            "encodedList GZIP data is corrupt", expected="valid GZIP data", found=str(exc)
        ) from exc
    if len(raw) > max_bytes:
        raise StatusListError(
            "status list decompresses to more than the limit",
            expected=f"at most {max_bytes} bytes",
            found=f"more than {max_bytes} bytes",
        )
    if not inflater.eof:
        raise StatusListError(
            "encodedList GZIP data is truncated",
            expected="a complete GZIP stream",
            found=f"{len(compressed)} bytes that end mid-stream",
        )
    if inflater.unused_data:
        raise StatusListError(
            "data after the GZIP stream in encodedList",
            expected="one GZIP member",
            found=f"{len(inflater.unused_data)} more bytes",
        )
    return raw


# --------------------------------------------------------------------------------------------
# Credentials and entries


@dataclass(frozen=True, slots=True)
class StatusCheck:
    """The outcome of :func:`check_status_entry`: whether the entry's status is non-zero.

    ``purpose`` is ``revocation``, ``suspension`` or ``message``."""

    purpose: str
    index: int
    set: bool
    message: str
    value: int = 0
    status_message: str | None = None
    """The issuer's explanation of ``value`` (from the entry's ``statusMessage``), if given."""


def status_list_credential(
    *,
    id: str,  # named after the JSON property it fills
    issuer: str | Mapping[str, Any],
    status_purpose: StatusPurpose,
    status_list: BitstringStatusList,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> JsonObject:
    """An unsigned ``BitstringStatusListCredential``, ready to be secured and published at ``id``.

    ``valid_from``/``valid_until`` must be timezone-aware; they are written in UTC.
    """
    _check_url(id, "id")
    purpose = _check_purpose(status_purpose, "statusPurpose")
    credential: JsonObject = {
        "@context": [_VC_V2_CONTEXT],
        "id": id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer if isinstance(issuer, str) else dict(issuer),
        "validFrom": _timestamp(valid_from, "validFrom"),
    }
    if valid_until is not None:
        if valid_until <= valid_from:
            raise StatusListError(
                "validUntil is not after validFrom",
                expected=f"a time after {_timestamp(valid_from, 'validFrom')}",
                found=_timestamp(valid_until, "validUntil"),
            )
        credential["validUntil"] = _timestamp(valid_until, "validUntil")
    credential["credentialSubject"] = {
        "id": f"{id}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": status_list.encode(),
    }
    return credential


def status_entry(*, list_url: str, index: int, purpose: StatusPurpose) -> JsonObject:
    """A ``BitstringStatusListEntry`` for a credential's ``credentialStatus``."""
    _check_url(list_url, "statusListCredential")
    checked = _check_purpose(purpose, "statusPurpose")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusListError("bad status list index", expected="an int >= 0", found=short(index))
    return {
        "id": f"{list_url}#{index}",  # must differ from the list URL itself
        "type": "BitstringStatusListEntry",
        "statusPurpose": checked,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def check_status_entry(
    entry: Mapping[str, Any],
    list_credential: Mapping[str, Any],
    *,
    allow_small: bool = False,
    max_bytes: int = DEFAULT_MAX_DECODED_BYTES,
) -> StatusCheck:
    """Read the bit a ``BitstringStatusListEntry`` points at in a status list credential.

    This follows the spec's validate algorithm *except* the parts outside this module: it does
    NOT fetch ``statusListCredential`` and does NOT verify the list credential's proof, issuer
    trust or validity period. The caller (the verifier) must do all of that first; a list that
    has not been verified says nothing. Every malformed or mismatched field raises
    :class:`StatusListError` naming what was expected and what was found.
    """
    if not isinstance(entry, Mapping):
        raise StatusListError(
            "status entry is not an object", expected="object", found=short(entry)
        )
    _require_type(entry.get("type"), "BitstringStatusListEntry", "credentialStatus.type")
    purpose = _read_purpose(entry.get("statusPurpose"))
    size = _status_size(entry.get("statusSize", 1))
    messages = _status_messages(entry.get("statusMessage"), size)
    index, raw_index = _status_index(entry.get("statusListIndex"))
    list_url = entry.get("statusListCredential")
    _check_url(list_url, "credentialStatus.statusListCredential")

    if not isinstance(list_credential, Mapping):
        raise StatusListError(
            "status list credential is not an object",
            expected="object",
            found=short(list_credential),
        )
    if list_credential.get("id") != list_url:
        raise StatusListError(
            "status list credential is not the one the entry points at",
            expected=f"id {list_url}",
            found=f"id {short(list_credential.get('id'))}",
        )
    _require_type(list_credential.get("type"), "BitstringStatusListCredential", "type")
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise StatusListError(
            "credentialSubject of the status list is not an object",
            expected="object",
            found=short(subject),
        )
    _require_type(subject.get("type"), "BitstringStatusList", "credentialSubject.type")
    list_purposes = subject.get("statusPurpose")
    if isinstance(list_purposes, str):
        list_purposes = [list_purposes]
    if not isinstance(list_purposes, list) or purpose not in list_purposes:
        # The spec's STATUS_VERIFICATION_ERROR: a revocation entry read from a suspension list.
        raise StatusListError(
            "status purpose of the entry and the list differ (STATUS_VERIFICATION_ERROR)",
            expected=purpose,
            found=short(subject.get("statusPurpose")),
        )
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise StatusListError(
            "credentialSubject.encodedList is missing", expected="string", found=short(encoded)
        )
    status_list = BitstringStatusList.decode(encoded, allow_small=allow_small, max_bytes=max_bytes)
    if (index + 1) * size > status_list.length:
        raise StatusListError(
            "credentialStatus.statusListIndex is outside the list (RANGE_ERROR)",
            expected=f"0..{status_list.length // size - 1}",
            found=raw_index,
        )
    value = status_list.value(index, size)
    explained = messages.get(value) if messages is not None else None
    if messages is not None and explained is None:
        raise StatusListError(
            "credentialStatus.statusMessage does not explain the list's value",
            expected="a statusMessage entry for every value",
            found=f"status {value:#x}",
        )
    return StatusCheck(
        purpose, index, value != 0, _message(purpose, value, explained), value, explained
    )


def _message(purpose: str, value: int, explained: str | None) -> str:
    if purpose == "message":
        return f"Status {value:#x}: {explained}" if explained else f"Status {value:#x}."
    if purpose == "revocation":
        return "The issuer has revoked this credential." if value else "Not revoked."
    return "The issuer has suspended this credential." if value else "Not suspended."


def _read_purpose(value: object) -> str:
    if isinstance(value, str) and value in _READ_PURPOSES:
        return value
    raise StatusListError(
        "credentialStatus.statusPurpose is not supported",
        expected=" or ".join(sorted(_READ_PURPOSES)),
        found=short(value),
    )


def _status_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_STATUS_SIZE:
        raise StatusListError(
            "credentialStatus.statusSize is not supported",
            expected=f"an integer 1..{MAX_STATUS_SIZE} (or absent)",
            found=short(value),
        )
    return value


def _status_index(value: object) -> tuple[int, str]:
    # The spec writes the index as a string; a JSON number (as some issuers send) means the same.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**20:
        return value, str(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value), value
    raise StatusListError(
        "credentialStatus.statusListIndex is malformed",
        expected='a base-10 integer >= 0, e.g. "94567" or 94567',
        found=short(value),
    )


def _status_messages(value: object, size: int) -> dict[int, str] | None:
    """``statusMessage`` as value -> message; required when a status has more than one bit."""
    if value is None:
        if size > 1:
            raise StatusListError(
                "credentialStatus.statusMessage is missing (a statusSize above 1 needs it)",
                expected="a list of {status: '0x..', message: '...'}",
                found="none",
            )
        return None
    if not isinstance(value, list) or not value:
        raise StatusListError(
            "credentialStatus.statusMessage is not a list",
            expected="a list of {status: '0x..', message: '...'}",
            found=short(value),
        )
    messages: dict[int, str] = {}
    for item in value:
        status = item.get("status") if isinstance(item, Mapping) else None
        message = item.get("message") if isinstance(item, Mapping) else None
        if not isinstance(status, str) or not _HEX_STATUS.fullmatch(status):
            raise StatusListError(
                "a statusMessage entry has no hexadecimal status",
                expected="status like '0x1'",
                found=short(item),
            )
        number = int(status, 16)
        if not isinstance(message, str) or number >= 1 << size or number in messages:
            raise StatusListError(
                "a statusMessage entry is malformed",
                expected=f"one message per value 0x0..{(1 << size) - 1:#x}",
                found=short(item),
            )
        messages[number] = message
    return messages


def _check_purpose(value: object, field: str) -> StatusPurpose:
    if value == "revocation":
        return "revocation"
    if value == "suspension":
        return "suspension"
    raise StatusListError(
        f"{field} is not supported",
        expected=" or ".join(sorted(_PURPOSES)),
        found=short(value),
    )


def _require_type(value: object, wanted: str, field: str) -> None:
    types = [value] if isinstance(value, str) else value
    if not isinstance(types, list) or wanted not in types:
        raise StatusListError(f"{field} is wrong", expected=f"{wanted}", found=short(value))


def _check_url(value: object, field: str) -> None:
    # The verifier dereferences this URL, and "#list" / "#<index>" are appended to it.
    usable = False
    if isinstance(value, str) and "#" not in value:
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        usable = parts is not None and parts.scheme in ("https", "http") and bool(parts.netloc)
    if not usable:
        raise StatusListError(
            f"{field} is not a usable status list URL",
            expected="an http(s) URL without a fragment",
            found=short(value),
        )


def _timestamp(value: datetime, field: str) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise StatusListError(
            f"{field} has no time zone", expected="a timezone-aware datetime", found=str(value)
        )
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
