"""No content may escape the signature (issue 2): every way JSON-LD to RDF lets part of a document
drop is refused by canonicalization, on the general and the fast path, so signing refuses it and
the verifier reports the proof as failed instead of "verifying" content the signature skips.

The reference's verdict on each construct is pinned in tests/interop/test_unsigned_reference.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.crypto.canon import canonicalize, clear_fast_path_cache, number_literal
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.rdfc import LITERAL_ESCAPES
from microcred.errors import CanonicalizationError, ContextError, ProofError
from microcred.signing import sign_credential
from microcred.verify import Verifier

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
EX = "https://example.org/vocab#"
EXAMPLES_VOCAB = "https://www.w3.org/ns/credentials/examples#"  # the @vocab of EXAMPLES
Json = dict[str, Any]


def credential(subject: Json, context: Json | None = None) -> Json:
    contexts: list[Any] = [V2, EXAMPLES] + ([context] if context is not None else [])
    return {
        "@context": contexts,
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", **subject},
    }


def coerced(kind: str) -> Json:
    return {"foo": {"@id": EX + "foo", "@type": kind}}


# Each construct, the document, and what the error must name (the content that would drop).
DROPPING: dict[str, tuple[Json, str]] = {
    "node id with spaces": (
        credential({"knows": {"id": "not an iri", "name": "secret"}}),
        "not an iri",
    ),
    "lone object id": (credential({"knows": {"id": "not an iri"}}), "not an iri"),
    "subject id": (
        {**credential({"name": "x"}), "credentialSubject": {"id": "no iri", "name": "x"}},
        "no iri",
    ),
    "id with a space after the scheme": (
        credential({"knows": {"id": "urn:a b", "name": "s"}}),
        "urn:a b",
    ),
    "id with braces": (credential({"knows": {"id": "urn:a{b}", "name": "s"}}), "urn:a{b}"),
    "id with a control character": (
        credential({"knows": {"id": "urn:a\x01b", "name": "s"}}),
        "urn:a",
    ),
    "id shaped like a keyword": (credential({"knows": {"id": "@foo", "name": "s"}}), "@foo"),
    "term mapped to text": (
        credential({"foo": "bar"}, {"foo": {"@id": "not an iri"}}),
        "not an iri",
    ),
    "term mapped to a string": (credential({"foo": "bar"}, {"foo": "not an iri"}), "not an iri"),
    "term mapped to null": (credential({"foo": "bar"}, {"foo": None}), "credentialSubject.foo"),
    "term whose @id is null": (
        credential({"foo": "bar"}, {"foo": {"@id": None}}),
        "credentialSubject.foo",
    ),
    "term mapped to a keyword form": (credential({"foo": "bar"}, {"foo": "@foo"}), "@foo"),
    "term @id in a keyword form": (credential({"foo": "bar"}, {"foo": {"@id": "@bar"}}), "@bar"),
    "term mapped to a blank node": (
        credential({"foo": "bar"}, {"foo": "_:b0"}),
        "_:b0",
    ),
    "@vocab that is not an IRI": (
        credential({"foo": "bar"}, {"@vocab": "not an iri"}),
        "not an iri",
    ),
    "@vocab null": (credential({"foo": "bar"}, {"@vocab": None}), "foo"),
    "prefix that is not an IRI": (credential({"ex:foo": "x"}, {"ex": "not an iri/"}), "not an iri"),
    "type that is not an IRI": (credential({"type": "not an iri", "name": "x"}), "not an iri"),
    "type with a space after the scheme": (credential({"type": "urn:a b", "name": "x"}), "urn:a b"),
    "type shaped like a keyword": (credential({"type": "@foo", "name": "x"}), "@foo"),
    "value @type not an IRI": (
        credential({"name": {"@value": "x", "@type": "not an iri"}}),
        "not an iri",
    ),
    "coerced @type not an IRI": (credential({"foo": "bar"}, coerced("not an iri")), "not an iri"),
    "@id-coerced value": (credential({"foo": "not an iri"}, coerced("@id")), "not an iri"),
    "@id-coerced value, bad IRI": (credential({"foo": "urn:a b"}, coerced("@id")), "urn:a b"),
    "@vocab-coerced value": (credential({"foo": "not an iri"}, coerced("@vocab")), "not an iri"),
    "language tag": (
        credential({"name": {"@value": "x", "@language": "not a lang"}}),
        "not a lang",
    ),
    "language tag with underscore": (
        credential({"name": {"@value": "x", "@language": "en_US"}}),
        "en_US",
    ),
    "language map key": (
        credential(
            {"foo": {"en": "x", "bad lang": "y"}},
            {"foo": {"@id": EX + "foo", "@container": "@language"}},
        ),
        "bad lang",
    ),
    "id map key": (
        credential(
            {"foo": {"not an iri": {"name": "x"}}},
            {"foo": {"@id": EX + "foo", "@container": "@id"}},
        ),
        "not an iri",
    ),
    "type map key": (
        credential(
            {"foo": {"not an iri": {"name": "x"}}},
            {"foo": {"@id": EX + "foo", "@container": "@type"}},
        ),
        "not an iri",
    ),
    "@reverse with a bad id": (
        credential({"@reverse": {EX + "p": {"id": "not an iri"}}}),
        "not an iri",
    ),
    "graph node with a bad id": (
        credential({"knows": {"@id": "urn:g", "@graph": [{"@id": "not an iri", "name": "x"}]}}),
        "not an iri",
    ),
    "property IRI with a space": (credential({"urn:a b": "x"}), "urn:a b"),
    "blank-node property": (credential({"_:p": "x"}), "_:p"),
    "property shaped like a keyword": (credential({"@foo": "x"}), "credentialSubject.@foo"),
    "boolean under a dropped property": (credential({"@foo": True}), "credentialSubject.@foo"),
    "number under a null term": (credential({"foo": 7}, {"foo": None}), "credentialSubject.foo"),
    "list of lists": (
        credential({"name": {"@list": [["a"], "b"]}}),
        "credentialSubject.name.@list[0]",
    ),
    "list of lists in a list container": (
        credential({"foo": [["a"], "b"]}, {"foo": {"@id": EX + "foo", "@container": "@list"}}),
        "credentialSubject.foo[0]",
    ),
    "dropped property inside @list": (
        credential({"knows": {"@list": [{"name": "x", "@foo": "y"}]}}),
        "credentialSubject.knows.@list[0].@foo",
    ),
    "dropped property inside @included": (
        credential({"@included": [{"id": "urn:example:i", "@foo": "y"}]}),
        "credentialSubject.@included[0].@foo",
    ),
    "dropped property inside @graph": (
        credential({"knows": {"@graph": [{"id": "urn:example:g", "foo": "y"}]}}, {"foo": None}),
        "credentialSubject.knows.@graph[0].foo",
    ),
    "type-scoped context nulls a term": (
        credential(
            {"knows": {"type": "T", "foo": "x"}},
            {"T": {"@id": EX + "T", "@context": {"foo": None}}},
        ),
        "credentialSubject.knows.foo",
    ),
    "property-scoped context nulls a term": (
        credential(
            {"knows": {"foo": "x"}}, {"knows": {"@id": EX + "knows", "@context": {"foo": None}}}
        ),
        "credentialSubject.knows.foo",
    ),
    "included node with only an id": (
        credential({"@included": [{"@id": "urn:example:x"}]}),
        "credentialSubject.@included[0].@id",
    ),
    "compact id expanding to a bad IRI": (
        credential({"knows": {"id": "ex:x y", "name": "s"}}, {"ex": EX}),
        "x y",
    ),
    "empty id": (credential({"knows": {"id": "", "name": "s"}}), "relative IRIs"),
    "language tag from the context": (
        credential({"foo": "x"}, {"foo": {"@id": EX + "foo", "@language": "en us"}}),
        "en us",
    ),
    "id with a bad percent escape": (
        credential({"knows": {"id": "urn:a%zz", "name": "s"}}),
        "urn:a%zz",
    ),
    "@index on a value": (
        credential({"name": {"@value": "a", "@index": "unsigned"}}),
        "unsigned",
    ),
    "@index on a node": (
        credential({"knows": {"id": "urn:example:k", "@index": "unsigned"}}),
        "unsigned",
    ),
    "index map keys": (
        credential(
            {"foo": {"unsigned": "x"}}, {"foo": {"@id": EX + "foo", "@container": "@index"}}
        ),
        "index map 'foo'",
    ),
    "type that is a term mapped to null": (
        credential({"knows": {"id": "urn:example:k", "type": "Gone"}}, {"Gone": None}),
        "Gone",
    ),
    "value @type that is a term mapped to null": (
        credential({"name": {"@value": "x", "@type": "Gone"}}, {"Gone": None}),
        "Gone",
    ),
    "type-map key that is a term mapped to null": (
        credential(
            {"foo": {"Gone": {"name": "x"}}},
            {"Gone": None, "foo": {"@id": EX + "foo", "@container": "@type"}},
        ),
        "credentialSubject.foo.Gone",
    ),
    "@vocab-coerced value that is a term mapped to null": (
        credential({"bar": "Gone"}, {"Gone": None, "bar": {"@id": EX + "bar", "@type": "@vocab"}}),
        "credentialSubject.bar (Gone)",
    ),
    "@vocab-coerced value that is a keyword alias": (
        credential({"bar": "type"}, {"bar": {"@id": EX + "bar", "@type": "@vocab"}}),
        "@type",
    ),
    "null @value": (credential({"name": {"@value": None}}), "null @value"),
    "embedded credential without its own @context (the scoped context is null)": (
        {
            "@context": [V2],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [
                {"type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:s"}}
            ],
        },
        "type",
    ),
    "a base direction that is neither ltr nor rtl": (
        credential({"name": {"@value": "x", "@language": "en", "@direction": "sideways"}}),
        "sideways",
    ),
    # Keywords where JSON-LD gives them no meaning are ignored, so the proof would not cover them
    # (issue 20, defect 3): a base direction or language on a node rather than a value, and the
    # context keywords outside a context.
    "@direction on a node": (
        credential({"name": "x", "@direction": "rtl"}),
        "credentialSubject.@direction",
    ),
    "@language on a node": (
        credential({"name": "x", "@language": "en"}),
        "credentialSubject.@language",
    ),
    "@version outside a context": ({**credential({"name": "x"}), "@version": 1.1}, "@version"),
    "@language on the document": ({**credential({"name": "x"}), "@language": "en"}, "@language"),
    "@vocab outside a context": (credential({"name": "x", "@vocab": EX}), "@vocab"),
    "@import outside a context": (credential({"name": "x", "@import": EX}), "@import"),
    "alias of @direction on a node": (
        credential({"name": "x", "dir": "ltr"}, {"dir": "@direction"}),
        "credentialSubject.dir",
    ),
    # pyoxigraph would drop the direction of plain strings without a language (see
    # crypto/direction.py); the reference signs it, see DELIBERATE in the interop test.
    "default base direction in a context": (
        credential({"name": "x"}, {"@direction": "rtl"}),
        "rtl",
    ),
}


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    clear_fast_path_cache()


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
@pytest.mark.parametrize("name", sorted(DROPPING))
def test_content_that_would_drop_is_refused_naming_it(name: str, fast: bool) -> None:
    document, named = DROPPING[name]
    with pytest.raises(CanonicalizationError) as caught:
        canonicalize(copy.deepcopy(document), use_fast_path=fast)
    error = caught.value
    assert error.expected, "the error says what was expected"
    assert named in (error.found or "") + error.message, str(error)


def test_refused_again_from_the_caches() -> None:
    """The shape-level verdict is cached: the second document of a refused shape (other strings)
    is refused as well, on both paths."""
    for fast in (True, False):
        for value in ("bar", "baz"):
            with pytest.raises(CanonicalizationError, match=r"credentialSubject\.foo"):
                canonicalize(credential({"foo": value}, {"foo": None}), use_fast_path=fast)


def test_a_keyword_form_is_refused_only_where_it_drops() -> None:
    """A literal that happens to look like a keyword (a handle such as @ada) is signed as text;
    the same string as a node id is refused."""
    fine = credential({"name": "@ada", "knows": {"id": "did:example:ada", "name": "@ada"}})
    for fast in (True, False):
        out = canonicalize(copy.deepcopy(fine), use_fast_path=fast)
        assert out.count('"@ada"') == 2
    fine["credentialSubject"]["knows"]["id"] = "@ada"
    for fast in (True, False):
        with pytest.raises(CanonicalizationError, match="@ada"):
            canonicalize(copy.deepcopy(fine), use_fast_path=fast)


def test_fast_path_template_then_a_dropping_value() -> None:
    """A shape first seen with valid IRIs is cached; a later document of that shape whose id is not
    an IRI must not ride the template."""
    good = credential({"knows": {"id": "urn:example:ok", "name": "secret"}})
    canonicalize(good)
    for bad in ("not an iri", "urn:a b", "@foo", "urn:a\x01b", "http://[bad/x"):
        tampered = copy.deepcopy(good)
        tampered["credentialSubject"]["knows"]["id"] = bad
        with pytest.raises(CanonicalizationError):
            canonicalize(tampered)


# What must keep working: things JSON-LD legitimately leaves out of RDF, and valid documents.
KEPT = {
    "null value": credential({"name": None}),
    "empty object": credential({"knows": {}}),
    "nested": credential({"foo": {"name": "x"}}, {"foo": "@nest"}),
    "term alias to a keyword": {
        **credential({}, {"ident": "@id"}),
        "credentialSubject": {"ident": "urn:example:1", "name": "x"},
    },
    "relative @vocab": credential({"foo": "bar"}, {"@vocab": "rel/"}),
    "language": credential({"name": {"@value": "x", "@language": "en-GB"}}),
    "upper-case language": credential({"name": [{"@value": "x", "@language": "EN"}]}),
    "language map": credential(
        {"foo": {"en": "x", "de-CH": "y"}}, {"foo": {"@id": EX + "foo", "@container": "@language"}}
    ),
    "odd but valid IRIs": credential(
        {"knows": [{"id": "HTTP://EX.org/a/../b", "name": "s"}, {"id": "http://ex.org/?q#f"}]}
    ),
    "compact IRI property": credential({"ex:foo": "x"}, {"ex": EX}),
    "JSON literal": credential(
        {"foo": {"a": ["x", True, None]}}, {"foo": {"@id": EX + "foo", "@type": "@json"}}
    ),
    "nested arrays in a set (flattened alike)": credential({"name": [["a", "b"], "c"]}),
    "valid @base": credential({"knows": {"id": "rel", "name": "s"}}, {"@base": "https://ex.org/"}),
    "graph container": credential(
        {"foo": {"name": "x"}}, {"foo": {"@id": EX + "foo", "@container": "@graph"}}
    ),
    "property-scoped alias of @id": credential(
        {"knows": {"ident": "urn:example:a", "name": "x"}},
        {"knows": {"@id": EX + "knows", "@context": {"ident": "@id"}}},
    ),
    "property-valued index": credential(
        {"foo": {"k1": {"name": "x"}}},
        {"foo": {"@id": EX + "foo", "@container": "@index", "@index": "tag"}, "tag": EX + "tag"},
    ),
    "compact ids": credential(
        {"knows": [{"id": "ex:x", "name": "s"}, {"id": "nope:x", "name": "t"}]}, {"ex": EX}
    ),
    "reverse property": credential(
        {"isKnownBy": {"id": "urn:example:x"}}, {"isKnownBy": {"@reverse": EX + "knows"}}
    ),
    "ill-formed typed literal": credential(
        {"foo": "notadate"},
        {"foo": {"@id": EX + "foo", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}},
    ),
    "native values": credential({"foo": [True, 7, 1.5]}, {"foo": EX + "foo"}),
    "handle that looks like a keyword": credential({"name": "@ada"}),
    "text equal to a term mapped to null": credential({"name": "Gone"}, {"Gone": None}),
    "keyword forms inside a JSON literal": credential(
        {"foo": {"handle": "@ada", "list": ["@ada", "x"]}},
        {"foo": {"@id": EX + "foo", "@type": "@json"}},
    ),
    "unicode IRI": credential({"knows": {"id": "urn:é", "name": "s"}}),
    "type term": credential({"type": "Person", "name": "x"}),
    # A context object wrapping its context, as the W3C vc-di-eddsa proof-chain vectors write
    # it: jsonld.js reads the inner map (JSON-LD 1.1 would call it a keyword redefinition).
    "context wrapped in @context": {
        **credential({"foo": "x"}),
        "@context": [V2, EXAMPLES, {"@context": {"foo": EX + "foo"}}],
    },
    "keywords inside a JSON literal": credential(
        {"foo": {"@language": "en", "@version": "1.1", "@direction": "rtl"}},
        {"foo": {"@id": EX + "foo", "@type": "@json"}},
    ),
    # Text with a base direction: signed in the reference's i18n-datatype form.
    "base direction": credential({"name": {"@value": "x", "@language": "en", "@direction": "rtl"}}),
    "base direction without a language": credential(
        {"name": {"@value": "\u0645\u0631\u062d\u0628\u0627", "@direction": "rtl"}}
    ),
    "base direction with an upper-case language": credential(
        {"name": {"@value": "x", "@language": "AR-EG", "@direction": "ltr"}}
    ),
    "base directions in a list": credential(
        {
            "name": [
                {"@value": "a", "@language": "he", "@direction": "rtl"},
                {"@value": "b", "@language": "en", "@direction": "ltr"},
                {"@value": "c", "@direction": "ltr"},
                "d",
            ]
        }
    ),
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_valid_documents_still_canonicalize_alike_on_both_paths(name: str) -> None:
    fast = canonicalize(copy.deepcopy(KEPT[name]))
    clear_fast_path_cache()
    assert canonicalize(copy.deepcopy(KEPT[name]), use_fast_path=False) == fast


# --- signing and verifying -----------------------------------------------------------------------

KEY = KeyFile.for_did_key(SigningKey.generate())


def issued(subject: Json, context: Json | None = None) -> Json:
    document = credential(subject, context)
    document["issuer"] = KEY.controller
    return document


def test_signing_refuses_a_document_with_content_it_would_not_cover() -> None:
    with pytest.raises(ProofError, match="not an iri"):
        sign_credential(issued({"knows": {"id": "not an iri", "name": "secret"}}), KEY)
    with pytest.raises(ProofError, match=r"would not be signed|not be covered"):
        sign_credential(issued({"foo": "bar"}, {"foo": None}), KEY)


def _attacks() -> list[tuple[str, Json, Callable[[Json], None]]]:
    """A signed credential and an edit adding content its signature does not cover: what the old
    canonicalizer verified (it dropped the added content, so the statements were unchanged)."""

    def bad_node(doc: Json) -> None:
        doc["credentialSubject"]["knows"] = {"id": "not an iri", "name": "anything"}

    def null_term(doc: Json) -> None:
        doc["@context"] = [*doc["@context"], {"grade": None}]
        doc["credentialSubject"]["grade"] = "A+"

    def keyword_property(doc: Json) -> None:
        doc["credentialSubject"]["@grade"] = "A+"

    def bad_type(doc: Json) -> None:
        doc["credentialSubject"]["type"] = "not an iri"

    def subject_keyword(name: str, value: Any) -> Callable[[Json], None]:
        return lambda doc: doc["credentialSubject"].__setitem__(name, value)

    def top_keyword(name: str, value: Any) -> Callable[[Json], None]:
        return lambda doc: doc.__setitem__(name, value)

    def proof_context(doc: Json) -> None:
        doc["proof"]["@context"] = [V2]

    def proof_keyword(doc: Json) -> None:
        doc["proof"]["@language"] = "en"

    return [
        # issue 20, defect 3: keywords JSON-LD ignores where they were put
        ("@direction on the subject", issued({"name": "x"}), subject_keyword("@direction", "rtl")),
        ("@language on the subject", issued({"name": "x"}), subject_keyword("@language", "fr")),
        ("top-level @version", issued({"name": "x"}), top_keyword("@version", 1.1)),
        ("top-level @language", issued({"name": "x"}), top_keyword("@language", "en")),
        ("top-level @direction", issued({"name": "x"}), top_keyword("@direction", "ltr")),
        ("a proof @context", issued({"name": "x"}), proof_context),
        ("a proof @language", issued({"name": "x"}), proof_keyword),
        ("node with an id that is not an IRI", issued({"name": "x"}), bad_node),
        ("term mapped to null", issued({"name": "x"}), null_term),
        ("property shaped like a keyword", issued({"name": "x"}), keyword_property),
        ("type that is not an IRI", issued({"name": "x"}), bad_type),
    ]


@pytest.mark.parametrize(("name", "document", "edit"), _attacks(), ids=[a[0] for a in _attacks()])
def test_verifier_reports_uncovered_content_as_a_failed_proof(
    name: str, document: Json, edit: Callable[[Json], None]
) -> None:
    signed = sign_credential(document, KEY)
    assert isinstance(signed, dict)
    assert Verifier().verify(signed).verified
    tampered = copy.deepcopy(signed)
    edit(tampered)
    result = Verifier().verify(tampered)
    assert not result.verified
    proof = next(check for check in result.checks if check.name == "proof")
    assert proof.status.value == "failed"
    assert "not be" in proof.message, proof.message  # "would not be signed/covered"


# --- property: every leaf reaches the canonical N-Quads, or the document is refused --------------

_IDS = [
    "urn:example:a",
    "did:example:b",
    "https://example.org/c",
    "not an iri",
    "urn:a b",
    "@foo",
    "_:b1",
]
_KEYS = ["name", "description", "knows", "foo", "bar", "@foo", "_:p", "urn:a b", EX + "full"]
_CONTEXTS: list[Json | None] = [
    None,
    {"foo": None},
    {"foo": EX + "foo", "bar": {"@id": EX + "bar", "@type": "@id"}},
    {"bar": {"@id": EX + "bar", "@type": "@vocab"}},
    {"foo": "not an iri"},
    {"foo": {"@id": EX + "foo", "@language": "en"}},
]
_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
_scalars = st.one_of(
    _text,
    st.sampled_from(_IDS),
    st.integers(-(2**40), 2**40),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


def _nodes(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Json]:
    return st.fixed_dictionaries(
        {},
        optional={
            "id": st.sampled_from(_IDS),
            "type": st.sampled_from(["Person", "not an iri", "@foo"]),
        },
    ).flatmap(
        lambda base: st.dictionaries(st.sampled_from(_KEYS), children, max_size=3).map(
            lambda d: {**base, **d}
        )
    )


_values = st.recursive(
    _scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), _nodes(inner)), max_leaves=8
)


def _leaves(value: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() if k != "type" for leaf in _leaves(v, k)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v, key)]
    return [] if value is None else [(key, value)]


def _appears(value: Any, nquads: str) -> bool:
    if isinstance(value, bool):
        return f'"{str(value).lower()}"^^' in nquads
    if isinstance(value, int | float):
        return number_literal(value).split("^^")[0] in nquads
    if value.startswith("_:"):
        return True  # blank node labels are renamed by RDFC-1.0; the node's statements remain
    # Exactly: as text, or as an IRI (itself, against the examples' @vocab, or a term of ours
    # coerced to EX). Ending an IRI is not enough: "e" would pass as the end of any IRI.
    if f'"{value.translate(LITERAL_ESCAPES)}"' in nquads:
        return True
    return any(f"<{iri}>" in nquads for iri in (value, EXAMPLES_VOCAB + value, EX + value))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=st.dictionaries(st.sampled_from(_KEYS), _values, max_size=4),
    context=st.sampled_from(_CONTEXTS),
)
def test_every_leaf_is_signed_or_the_document_is_refused(
    subject: Json, context: Json | None
) -> None:
    document = credential(subject, context)
    for fast in (True, False):
        try:
            nquads = canonicalize(copy.deepcopy(document), use_fast_path=fast)
        except (CanonicalizationError, ContextError):
            continue
        missing = [
            leaf for leaf in _leaves(document["credentialSubject"]) if not _appears(leaf[1], nquads)
        ]
        assert not missing, f"unsigned leaves {missing} of {json.dumps(document)}:\n{nquads}"


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_a_deeply_nested_document_is_refused_not_a_recursion_error(fast: bool) -> None:
    document = credential({})
    node = document["credentialSubject"]
    for _ in range(200):
        node["knows"] = {}
        node = node["knows"]
    with pytest.raises(CanonicalizationError, match="nests too deeply"):
        canonicalize(document, use_fast_path=fast)


def _nested(levels: int, leaf: Any) -> Any:
    for _ in range(levels):
        leaf = [leaf]
    return leaf


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_a_document_nested_past_the_recursion_limit_is_refused_not_a_recursion_error(
    fast: bool,
) -> None:
    document = credential({})
    node = document["credentialSubject"]
    for _ in range(5_000):  # past the interpreter's default recursion limit
        node["knows"] = {}
        node = node["knows"]
    with pytest.raises(CanonicalizationError, match="nests too deeply"):
        canonicalize(document, use_fast_path=fast)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_a_deeply_nested_context_is_refused_not_a_recursion_error(fast: bool) -> None:
    document = credential({})
    document["@context"] = [V2, _nested(900, {"@vocab": EX})]
    with pytest.raises(CanonicalizationError, match="nests too deeply") as caught:
        canonicalize(document, use_fast_path=fast)
    assert caught.value.expected == "<= 128 levels"
    assert caught.value.found == "more than 128 levels"


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_a_deeply_nested_type_is_refused_not_a_recursion_error(fast: bool) -> None:
    # "type" is kept as written in the shape key of both paths (the fast path's own walk).
    document = credential({})
    document["type"] = _nested(900, "VerifiableCredential")
    with pytest.raises(CanonicalizationError, match="nests too deeply") as caught:
        canonicalize(document, use_fast_path=fast)
    assert caught.value.expected == "<= 128 levels"


def test_a_deeply_nested_context_is_refused_by_signing_and_a_failed_proof_when_verifying() -> None:
    deep = [V2, EXAMPLES, _nested(900, {"@vocab": EX})]
    with pytest.raises(ProofError, match="nests too deeply"):
        sign_credential({**issued({"name": "x"}), "@context": deep}, KEY)
    signed = sign_credential(issued({"name": "x"}), KEY)
    assert isinstance(signed, dict)
    result = Verifier().verify({**signed, "@context": deep})
    proof = result.check("proof")
    assert proof is not None
    assert proof.status.value == "failed"
    assert "nests too deeply" in proof.message
    assert result.check("internal") is None


def test_a_leaf_appears_only_as_a_whole_literal_or_iri() -> None:
    nquads = (
        f'<did:example:s> <{EXAMPLES_VOCAB}name> "e-mail" .\n'
        f"<did:example:s> <{EXAMPLES_VOCAB}knows> <https://example.org/type> .\n"
    )
    assert _appears("e-mail", nquads)
    assert _appears("name", nquads)  # the property IRI, against the examples' @vocab
    assert _appears("https://example.org/type", nquads)
    # Dropped values that merely end an IRI or begin a literal do not count.
    assert not _appears("e", nquads)
    assert not _appears("type", nquads)
    assert not _appears("mail", nquads)


@pytest.mark.parametrize(
    ("wrapper", "named"),
    [
        ({"@context": {"foo": EX + "foo"}, "foo": EX + "other"}, "foo"),  # ignored beside it
        ({"@context": "https://www.w3.org/ns/credentials/examples/v2"}, "not a map"),
        ({"@context": [{"foo": EX + "foo"}]}, "not a map"),  # the reference refuses both too
    ],
)
def test_a_wrapped_context_is_refused_where_the_reference_would_ignore_or_refuse(
    wrapper: Json, named: str
) -> None:
    document = {**credential({"foo": "x"}), "@context": [V2, EXAMPLES, wrapper]}
    for fast in (True, False):
        with pytest.raises(ContextError) as caught:
            canonicalize(copy.deepcopy(document), use_fast_path=fast)
        assert named in (caught.value.found or "") + caught.value.message
