"""JSON Canonicalization Scheme (RFC 8785), fast where it is safe.

For documents of strings, booleans, null and integers within ±2^53, and keys inside the Basic
Multilingual Plane, JCS output equals ``json.dumps`` with sorted keys, no spaces and no ASCII
escaping: the escapes agree, and sorting by code point agrees with JCS's UTF-16 order. Floats
(ECMAScript number formatting) and keys with astral characters go to the ``rfc8785`` library.
``tests/crypto/test_jcs.py`` checks the two agree.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from microcred.errors import CanonicalizationError

_MAX_SAFE_INTEGER = 2**53 - 1


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value."""
    try:
        if _simple(value):
            return json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ).encode("utf-8")
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, UnicodeError) as exc:
        raise CanonicalizationError(f"cannot canonicalize with JCS: {exc}") from exc


def _simple(value: Any) -> bool:
    # Iterative and by exact type: this walk runs on every JCS proof, so it is kept cheap.
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
