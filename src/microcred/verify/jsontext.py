"""Strict JSON for documents strangers hand us: one object, no repeated keys, finite numbers,
no lone surrogates, no absurd nesting."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from microcred.errors import InputError
from microcred.nesting import refuse_deep_nesting
from microcred.surrogates import may_hold_surrogate_escape, refuse_lone_surrogates
from microcred.types import JsonObject


def repeated_key(keys: Iterable[str]) -> str | None:
    """The first key seen a second time, or None: one pass, so a large object costs linear time."""
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return None


def load_json(text: str) -> JsonObject:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> JsonObject:
        duplicate = repeated_key(k for k, _ in pairs)
        if duplicate is not None:
            raise InputError(
                "JSON object repeats a key (parsers disagree on which one counts)", found=duplicate
            )
        return dict(pairs)

    def no_constants(name: str) -> Any:
        raise InputError("JSON holds a non-standard number", expected="finite numbers", found=name)

    try:
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise InputError(
            "JSON is not an object", expected="a credential object", found=type(value).__name__
        )
    if may_hold_surrogate_escape(text):
        # Not text: nothing could hash, sign or show it (issue 20).
        refuse_lone_surrogates(value)
    refuse_deep_nesting(value)
    return value
