"""Our JCS shortcut against the rfc8785 library, and RDFC's literal escapes against pyoxigraph."""

from __future__ import annotations

import enum
import sys
import uuid
from typing import Any

import orjson
import pyoxigraph as ox
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.crypto import jcs, rdfc
from microcred.errors import CanonicalizationError

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**60), max_value=2**60),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"])),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4),
            children,
            max_size=4,
        ),
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_jcs_matches_rfc8785(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(CanonicalizationError):
            jcs.canonicalize(value)
        return
    assert jcs.canonicalize(value) == expected


# Credential-like values: text, booleans and nesting only, so the output check alone decides.
text_values = st.recursive(
    st.one_of(st.booleans(), st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]))),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4),
            children,
            max_size=4,
        ),
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=4), text_values, max_size=6))
def test_output_check_shortcut_matches_rfc8785(value: dict[str, Any]) -> None:
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    # Astral characters anywhere, digits and "null" (even inside strings) send it to the walk.
    if all(c <= "\uffff" and not c.isdigit() for c in text) and "null" not in text:
        assert jcs.plain_output(text.encode())  # the shortcut is taken
    assert jcs.canonicalize(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1.0},
        {"a": [1e16]},
        {"a": -0.0},
        {"a": 5e-324},
        {"a": {"b": 1e21}},
        [0.1],
        {"a": 7},
        {"a": None},
        {"\U0001f600": "x"},
        {"a": "text ending in a digit, 7, then more"},
        {"a": "null"},
    ],
)
def test_output_check_refuses_numbers_null_and_astral(value: Any) -> None:
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    assert not jcs.plain_output(text)
    assert jcs.canonicalize(value) == rfc8785.dumps(value)


def test_output_check_accepts_astral_text_outside_keys() -> None:
    value = {"b": "\U0001f600", "a": ["\u00e9", "\uffff"]}
    assert jcs.canonicalize(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [1.0, 1e16, 7, "text", True, None])
def test_top_level_scalars_match_rfc8785(value: Any) -> None:
    assert jcs.canonicalize(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"a": float("nan")},  # orjson would write null
        {"a": [float("inf")]},
        {"a": 2**53},
        {"a": -(2**60)},
        {1: "integer key"},
        {"a": b"bytes"},
        {"a": object()},
        {"a": "lone surrogate \ud800"},
    ],
)
def test_values_that_are_not_jcs_json_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalizationError, match="cannot canonicalize with JCS"):
        jcs.canonicalize(value)


def test_deep_nesting_is_refused_not_crashed() -> None:
    value: Any = "leaf"
    for _ in range(5000):
        value = [value]
    with pytest.raises(CanonicalizationError):
        jcs.canonicalize({"a": value})


class _Text(str):
    pass


def test_subclasses_of_json_types_take_the_rfc8785_path() -> None:
    value = {_Text("k"): _Text("v"), "n": True, "t": (1, 2)}
    assert jcs.canonicalize(value) == rfc8785.dumps(value) == b'{"k":"v","n":true,"t":[1,2]}'


class _Colour(enum.Enum):
    RED = "red"


def test_uuid_and_enum_objects_are_written_by_value_on_the_fast_path() -> None:
    # Documented in crypto/jcs.py: orjson writes them; they never come from a JSON parser.
    marker = uuid.UUID(int=1)
    assert jcs.canonicalize({"id": marker, "c": _Colour.RED}) == (
        b'{"c":"red","id":"00000000-0000-0000-0000-000000000001"}'
    )


def test_astral_keys_sort_by_utf16_code_units() -> None:
    # U+1F600 sorts before U+FFFD in UTF-16 (a surrogate, 0xD83D) but after it by code point.
    value = {"\ufffd": 1, "\U0001f600": 2}
    assert jcs.canonicalize(value) == rfc8785.dumps(value)
    assert jcs.canonicalize(value).decode().index("\U0001f600") < jcs.canonicalize(
        value
    ).decode().index("\ufffd")


def test_literal_escapes_match_pyoxigraph_for_every_bmp_character() -> None:
    text = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF) + "\U0001f600"
    quad = ox.Quad(ox.BlankNode("b"), ox.NamedNode("http://example.org/p"), ox.Literal(text))
    serialized = ox.serialize(ox.Dataset([quad]), format=ox.RdfFormat.N_QUADS)
    line = serialized.decode() if isinstance(serialized, bytes) else str(serialized)
    assert line == f'_:b <http://example.org/p> "{text.translate(rdfc.LITERAL_ESCAPES)}" .\n'


def test_look_alike_blank_nodes_are_left_to_the_full_algorithm() -> None:
    quads = [
        ("_:x", "<http://example.org/p>", '"same"'),
        ("_:y", "<http://example.org/p>", '"same"'),
    ]
    assert rdfc.canonicalize_distinct(quads) is None
    distinct = [
        ("_:x", "<http://example.org/p>", '"one"'),
        ("_:y", "<http://example.org/p>", '"two"'),
    ]
    assert rdfc.canonicalize_distinct(distinct) is not None


def test_look_alike_count() -> None:
    same = [("_:x", "<http://example.org/p>", '"v"'), ("_:y", "<http://example.org/p>", '"v"')]
    other = [("_:z", "<http://example.org/p>", '"w"')]
    assert rdfc.look_alike_blank_nodes(same + other) == 2
    assert rdfc.look_alike_blank_nodes(other) == 0


def test_deep_nesting_is_refused_whatever_the_recursion_limit() -> None:
    # py-evm raises the recursion limit when imported; the bound must not move with it.
    value: Any = "leaf"
    for _ in range(jcs.MAX_NESTING + 1):
        value = [value]
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        with pytest.raises(CanonicalizationError, match="nested too deeply"):
            jcs.canonicalize({"a": value})
    finally:
        sys.setrecursionlimit(old)


def test_nesting_within_the_bound_still_canonicalizes() -> None:
    value: Any = 1.5  # a float: not the orjson shortcut
    for _ in range(jcs.MAX_NESTING - 2):
        value = [value]
    assert jcs.canonicalize({"a": value}) == rfc8785.dumps({"a": value})
