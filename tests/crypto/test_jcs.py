"""Our JCS shortcut against the rfc8785 library, and RDFC's literal escapes against pyoxigraph."""

from __future__ import annotations

from typing import Any

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
