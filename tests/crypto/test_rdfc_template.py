"""The compiled-template route of RDFC-1.0 against the generic one (term tuples through
``rdfc.canonicalize_distinct``), on generated templates and on credentials."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.crypto import canon, proofs, rdfc, rdfc_template
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.errors import CanonicalizationError, ProofError

IRI_STRINGS = range(0, 4)  # string indexes used in IRI positions
LITERAL_STRINGS = range(4, 9)  # and in literal positions

fixed = st.sampled_from(
    [
        "<https://example.org/p>",
        "<https://example.org/q%s>",
        '"fixed % text"',
        '"x"^^<http://www.w3.org/2001/XMLSchema#string>',
    ]
)
blank = st.sampled_from(["_:b0", "_:b1", "_:b2", "_:b3"])
slot = st.one_of(
    st.builds(lambda i: (i, rdfc_template.IRI, ""), st.sampled_from(IRI_STRINGS)),
    st.builds(
        lambda i, suffix: (i, rdfc_template.LITERAL, suffix),
        st.sampled_from(LITERAL_STRINGS),
        st.sampled_from(["", "@en", "^^<http://www.w3.org/2001/XMLSchema#dateTime>"]),
    ),
)
term = st.one_of(fixed, blank, slot)
quad = st.lists(term, min_size=3, max_size=4).map(tuple)
iri_string = st.sampled_from(
    ["https://example.org/a", "https://example.org/%s", "urn:x:1", "did:example:b"]
)
# Text with the characters that matter here: escapes, "%" (the lines are %-formats), NUL (the
# separator of the filled pieces), and what a blank node or a line end looks like.
literal_string = st.lists(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
        st.sampled_from(['"', "\\", "\n", "\x00", "%", "%s", "_:b0", " .\n", "\u2028"]),
    ),
    max_size=6,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    quads=st.lists(quad, min_size=1, max_size=12),
    iris=st.lists(iri_string, min_size=4, max_size=4),
    literals=st.lists(literal_string, min_size=5, max_size=5),
)
def test_compiled_route_matches_the_generic_route(
    quads: list[tuple[Any, ...]], iris: list[str], literals: list[str]
) -> None:
    strings = [*iris, *literals]
    generic_quads = canon._fill(tuple(quads), strings)
    generic = rdfc.canonicalize_distinct(generic_quads)
    compiled = rdfc_template.canonicalize(rdfc_template.compile_quads(quads), strings)
    if compiled is None:
        # It hands over duplicates and look-alike blank nodes; nothing else.
        assert generic is None or len(set(generic_quads)) < len(generic_quads)
    else:
        assert compiled == generic


def test_equal_strings_making_one_quad_are_handed_over() -> None:
    quads = [
        ("_:b0", "<https://example.org/p>", (4, rdfc_template.LITERAL, "")),
        ("_:b0", "<https://example.org/p>", (5, rdfc_template.LITERAL, "")),
    ]
    strings = ["", "", "", "", "same", "same"]
    compiled = rdfc_template.compile_quads(quads)
    assert rdfc_template.canonicalize(compiled, strings) is None
    assert rdfc_template.canonicalize(compiled, [*strings[:5], "other"]) == (
        rdfc.canonicalize_distinct(canon._fill(tuple(quads), [*strings[:5], "other"]))
    )


FIXTURE = json.loads(
    (Path(__file__).parent.parent / "interop" / "fixtures" / "ob3-realistic.json").read_text(
        encoding="utf-8"
    )
)


def test_credential_with_repeated_keywords_matches_the_general_path() -> None:
    doc = copy.deepcopy(FIXTURE)
    keywords = doc["credentialSubject"]["achievement"]["tag"]
    doc["credentialSubject"]["achievement"]["tag"] = [keywords[0]] * len(keywords)
    assert canon.canonicalize(doc) == canon.canonicalize(doc, use_fast_path=False)


def test_credential_matches_the_general_path_through_the_compiled_route() -> None:
    canon.clear_fast_path_cache()
    first = canon.canonicalize(FIXTURE)
    found = canon._fast_template(FIXTURE, None)
    assert found is not None
    template, strings = found
    assert template.compiled is not None
    assert rdfc_template.canonicalize(template.compiled, strings) == first
    assert first == canon.canonicalize(FIXTURE, use_fast_path=False)


@pytest.mark.parametrize("fast", [True, False])
def test_a_lone_surrogate_is_a_canonicalization_error_on_both_paths(fast: bool) -> None:
    canon.canonicalize(FIXTURE)  # the template is cached: the fast path would be taken
    doc = copy.deepcopy(FIXTURE)
    doc["name"] = "broken \ud800 text"
    with pytest.raises(CanonicalizationError, match="unpaired surrogate"):
        canon.canonicalize(doc, use_fast_path=fast)


def test_a_lone_surrogate_is_a_proof_error_not_a_crash() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    doc = copy.deepcopy(FIXTURE)
    doc["issuer"]["id"] = key.controller
    signed = proofs.sign(doc, key.key, verification_method=key.verification_method)
    signed["credentialSubject"]["achievement"]["criteria"]["narrative"] = "\udfff"
    with pytest.raises(ProofError, match="unpaired surrogate"):
        proofs.verify(signed, DidResolver())
    doc["name"] = "\ud800"
    with pytest.raises(ProofError, match="unpaired surrogate"):
        proofs.sign(doc, key.key, verification_method=key.verification_method)


def test_look_alike_blank_nodes_are_handed_over() -> None:
    quads = [
        ("_:b0", "<https://example.org/p>", (4, rdfc_template.LITERAL, "")),
        ("_:b1", "<https://example.org/p>", (5, rdfc_template.LITERAL, "")),
    ]
    compiled = rdfc_template.compile_quads(quads)
    alike = ["", "", "", "", "same", "same"]
    assert rdfc.canonicalize_distinct(canon._fill(tuple(quads), alike)) is None
    assert rdfc_template.canonicalize(compiled, alike) is None
    told_apart = [*alike[:5], "other"]
    assert rdfc_template.canonicalize(compiled, told_apart) == rdfc.canonicalize_distinct(
        canon._fill(tuple(quads), told_apart)
    )


def test_text_called_plain_needs_no_escape_for_any_character() -> None:
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        if rdfc_template._plain_text(char):
            assert char.translate(rdfc.LITERAL_ESCAPES) == char, hex(code)
    assert rdfc_template._plain_text("Plan, document and share research data")
    assert not rdfc_template._plain_text('say "hi"')


def test_limits_hold_on_the_compiled_route() -> None:
    canon.canonicalize(FIXTURE)  # template cached
    found = canon._fast_template(FIXTURE, None)
    assert found is not None
    compiled = found[0].compiled
    assert compiled is not None
    result = canon.canonicalize(FIXTURE, limits=canon.DEFAULT_LIMITS)
    # The counts the limits use instead of scanning the text are the text's own.
    assert compiled.quads == result.count("\n")
    assert len(compiled.mentions) == len({w for w in result.split() if w.startswith("_:c14n")})
    with pytest.raises(CanonicalizationError, match="too many RDF statements"):
        canon.canonicalize(FIXTURE, limits=canon.Limits(max_quads=compiled.quads - 1))
    with pytest.raises(CanonicalizationError, match="too many blank nodes"):
        canon.canonicalize(FIXTURE, limits=canon.Limits(max_blank_nodes=len(compiled.mentions) - 1))
