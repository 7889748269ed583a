"""JSON Canonicalization Scheme (RFC 8785), fast where it is safe.

For JSON of strings, booleans, null and integers within ±2^53, with keys inside the Basic
Multilingual Plane, JCS output equals orjson's sorted compact output: the escapes agree, and
sorting by code point agrees with JCS's UTF-16 order. Floats (ECMAScript number formatting) and
keys with astral characters go to the ``rfc8785`` library.

Proving that a value is of that kind used to take a walk over it in Python, which cost as much as
the serialization. Now orjson writes the value first and its output is checked instead: numbers
are the only tokens that end in a digit followed by ``,``, ``}`` or ``]``; orjson writes NaN and
infinities as ``null``; astral characters are the only ones with a UTF-8 lead byte >= 0xF0. Output
with none of these (the usual credential) is JCS as it stands; otherwise the walk decides, and
values orjson refuses (non-string keys, integers beyond ±2^53, subclasses of JSON types) go to
``rfc8785``. orjson also writes ``uuid.UUID`` and ``enum.Enum`` values as their JSON form, which
``rfc8785`` refuses; neither comes out of a JSON parser. ``tests/crypto/test_jcs.py`` checks
the result against ``rfc8785`` on generated JSON, and each branch of the check on its own.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

from microcred.errors import CanonicalizationError

_MAX_SAFE_INTEGER = 2**53 - 1
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_STRICT_INTEGER
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)
# Digits become 0 and closing brackets a comma, so one search finds a digit ending a token.
_NUMBER_ENDS = bytes.maketrans(b"123456789}]", b"000000000,,")
_BELOW_ASTRAL_LEAD = bytes(range(0xF0))  # deleting these leaves only 4-byte UTF-8 lead bytes
# orjson's own limit. rfc8785 recurses, so without this bound the interpreter's recursion limit
# (which an imported library may raise, as py-evm does) would decide what gets canonicalized.
MAX_NESTING = 255


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value."""
    try:
        try:
            text = orjson.dumps(value, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError:
            if _nested_deeper_than(value, MAX_NESTING):
                raise CanonicalizationError(
                    "cannot canonicalize with JCS: the JSON is nested too deeply",
                    expected=f"at most {MAX_NESTING} levels of arrays and objects",
                    found=f"more than {MAX_NESTING}",
                ) from None
            return rfc8785.dumps(value)  # nothing orjson refuses is plain; rfc8785 decides
        if plain_output(text) or _simple(value):
            return text
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as exc:
        raise CanonicalizationError(f"cannot canonicalize with JCS: {exc}") from exc


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """True if arrays and objects nest deeper than ``limit`` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list | tuple):
            if depth >= limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def plain_output(text: bytes) -> bool:
    """True if orjson's ``text`` of an object or array has no number, null or astral character.

    Conservative: a string holding ``"7,"`` or ``"null"`` also answers False, and the caller then
    walks the value.
    """
    if not text.endswith((b"}", b"]")) or b"null" in text:
        return False
    if b"0," in text.translate(_NUMBER_ENDS):
        return False
    return text.isascii() or not text.translate(None, _BELOW_ASTRAL_LEAD)


def _simple(value: Any) -> bool:
    # Iterative and by exact type; runs only when the output check above was not enough.
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            for key, item in node.items():
                if type(key) is not str or (not key.isascii() and max(key) > "\uffff"):
                    return False
                if type(item) is not str:
                    stack.append(item)
        elif kind is list:
            stack.extend(item for item in node if type(item) is not str)
        elif kind is int:
            if not -_MAX_SAFE_INTEGER <= node <= _MAX_SAFE_INTEGER:
                return False
        elif not (kind is str or kind is bool or node is None):
            return False  # floats, and anything that is not JSON
    return True
