"""Numbers refused before signing, each named with where it is (no JS needed here; the reason
for each rule is shown against the reference in tests/interop/test_numbers_reference.py)."""

from __future__ import annotations

from typing import Any

import pytest

from microcred.crypto.numbers import check_round_trip
from microcred.errors import ModelError


@pytest.mark.parametrize(
    ("value", "field", "text"),
    [
        ({"a": {"b": [0, 2**53 + 1]}}, "a.b[1]", "beyond 2\\^53"),
        ({"x": -(2**64)}, "x", "beyond 2\\^53"),
        # 2^53 reads back, but 2^53 + 1 reads as it too; JCS refuses it (safe range: I-JSON)
        ({"x": 2**53}, "x", "beyond 2\\^53 - 1"),
        ({"x": 0.1 + 0.2}, "x", "17 significant digits"),
        ({"x": [{"y": 1e-7}]}, "x[0].y", "without a decimal point"),
        ({"x": -3e-9}, "x", "without a decimal point"),
        ({"x": float("nan")}, "x", "not finite"),
        ({"x": float("-inf")}, "x", "not finite"),
    ],
)
def test_numbers_that_would_not_read_back_are_named(value: Any, field: str, text: str) -> None:
    with pytest.raises(ModelError, match=text) as caught:
        check_round_trip(value)
    assert caught.value.field == field
    assert caught.value.expected


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        None,
        2**53 - 1,
        -(2**53 - 1),
        0.3,
        1.5e-7,
        1e-6,
        1.0,
        1e300,
        "0.30000000000000004",
    ],
)
def test_numbers_that_read_back_the_same_pass(value: Any) -> None:
    check_round_trip({"credentialSubject": {"n": [value]}})
