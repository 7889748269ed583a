"""JSON nesting is judged before it is parsed: json.loads recurses in C as deep as the recursion
limit allows, and a test suite's libraries raise that limit (a 200,000-deep JWS payload once
crashed the whole run with a segmentation fault instead of being refused)."""

from __future__ import annotations

import json
import sys

import pytest

from microcred.errors import ModelError
from microcred.nesting import MAX_DEPTH, text_nests_deeper, too_deep_at
from microcred.web.deps import json_body


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), True),
        (json.dumps({"text": "[" * 500}), False),  # brackets inside a string do not nest
        (json.dumps({"text": '\\"' + "{" * 500}), False),  # nor after an escaped quote
        (json.dumps([["x"] * 200]), False),  # many brackets side by side, two levels
    ],
)
def test_the_scan_agrees_with_the_parsed_value(text: str, deeper: bool) -> None:
    assert text_nests_deeper(text) is deeper
    assert text_nests_deeper(text.encode()) is deeper
    assert (too_deep_at(json.loads(text)) is not None) is deeper


def test_a_hostile_body_is_refused_under_a_raised_recursion_limit() -> None:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)  # what parsing it would need; the C stack would not hold
    try:
        with pytest.raises(ModelError, match=f"deeper than {MAX_DEPTH} levels"):
            json_body(b"[" * 200_000 + b"]" * 200_000)
    finally:
        sys.setrecursionlimit(previous)
