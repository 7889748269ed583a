"""RDFC-1.0 canonicalization: the cached fast path against the general path, and work limits."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.crypto.canon import Limits, canonicalize, clear_fast_path_cache
from microcred.crypto.work import WorkBudget
from microcred.errors import CanonicalizationError, ContextError, WorkLimitError
from microcred.samples import sample_credential

UNDEFINED_OK = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/undefined-terms/v2",
]
ISSUER = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def both_paths(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    results: list[str | None] = []
    for fast in (True, False):
        try:
            results.append(canonicalize(doc, use_fast_path=fast))
        except (CanonicalizationError, ContextError):
            results.append(None)
    return results[0], results[1]


# Text that stresses N-Quads escaping: controls, DEL, quotes, backslashes, line separators,
# astral characters; and IRI-ish strings the fast path must refuse or carry unchanged.
tricky_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
        st.sampled_from(['"', "\\", "\n", "\r", "\t", "\x00", "\x01", "\x7f", "\u2028", "😀"]),
    ),
    max_size=20,
)
iri_like = st.one_of(
    st.builds(lambda s: f"https://example.org/{s}", st.text("abc/%?#:~é", max_size=8)),
    st.sampled_from(
        [
            "urn:uuid:7d0f3f5a-1c2b-4b8a-9a34-0c4b6f1e2d3c",
            "did:example:123",
            "relative/path",
            "xsd:string",
            "schema:Thing",
            "_:b0",
            "https://example.org/a b",
            "https://example.org/<x>",
            "mailto:someone@example.org",
            "",
        ]
    ),
)
leaf = st.one_of(
    tricky_text,
    iri_like,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)


def mutate(doc: Any, choices: list[Any]) -> Any:
    """Replace leaves of ``doc`` in walk order with ``choices`` (cycled), keeping keys and types."""
    position = [0]

    def walk(node: Any, key: str | None) -> Any:
        if isinstance(node, dict):
            return {
                k: node[k] if k in ("@context", "type") else walk(v, k)
                for k, v in node.items()
                for v in [node[k]]
            }
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        value = choices[position[0] % len(choices)]
        position[0] += 1
        return value

    return walk(doc, None)


BASE = sample_credential(
    issuer_id=ISSUER, credential_id="urn:uuid:2f5bd0c0-5f2b-4a4e-8a57-111111111111"
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(leaf, min_size=1, max_size=12))
def test_fast_path_matches_general_path_on_generated_values(choices: list[Any]) -> None:
    doc = mutate(BASE, choices)
    fast, general = both_paths(doc)
    assert fast == general


extra_value = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(["note", "level", "score", "id", "ref"]), children, max_size=3
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["note", "level", "score", "extra"]), extra_value, min_size=1, max_size=3
    )
)
def test_fast_path_matches_general_path_with_extra_structure(extra: dict[str, Any]) -> None:
    doc = copy.deepcopy(BASE)
    doc["credentialSubject"]["achievement"].update(extra)
    doc["credentialSubject"].update(extra)
    fast, general = both_paths(doc)
    assert fast == general


@pytest.mark.parametrize(
    "extra",
    [
        {"@context": [{"ex": "https://example.org/ns#"}], "ex:note": "inline context"},
        {"evidence": [{"id": "ex:1", "type": ["Evidence"], "narrative": "compact IRI id"}]},
        {"credentialSchema": [{"id": "relative", "type": "1EdTechJsonSchemaValidator2019"}]},
        {"description": "same string twice", "name": "same string twice"},
    ],
)
def test_fast_path_falls_back_or_agrees_on_unsafe_shapes(extra: dict[str, Any]) -> None:
    doc = copy.deepcopy(BASE)
    if "@context" in extra:
        doc["@context"] = [*doc["@context"], *extra.pop("@context")]
    doc.update(extra)
    clear_fast_path_cache()
    fast, general = both_paths(doc)
    assert fast == general


def test_unknown_context_is_named_in_the_error() -> None:
    doc = {"@context": ["https://example.org/unknown-context"], "name": "x"}
    with pytest.raises(ContextError, match=r"https://example\.org/unknown-context") as info:
        canonicalize(doc)
    assert "https://example.org/unknown-context" in str(info.value)


def test_document_without_context_is_refused() -> None:
    with pytest.raises(CanonicalizationError, match="no @context"):
        canonicalize({"name": "x"})


def poison_graph(nodes: int) -> dict[str, Any]:
    """A clique of blank nodes that all look alike: n-degree hashing explodes on it."""
    return {
        "@context": {"p": {"@id": "https://example.org/p", "@type": "@id"}},
        "@graph": [
            {"@id": f"_:b{i}", "p": [f"_:b{j}" for j in range(nodes) if j != i]}
            for i in range(nodes)
        ],
    }


def test_look_alike_blank_nodes_hit_the_time_limit_instead_of_hanging() -> None:
    # The structural and work-estimate refusals off: the deadline is the last line of defence.
    limits = Limits(timeout_seconds=1.0, max_blank_cycles=10**6, max_look_alike_work=10**15)
    started = time.monotonic()
    with pytest.raises(CanonicalizationError, match="too long"):
        canonicalize(poison_graph(14), limits=limits)
    assert time.monotonic() - started < 10


def test_small_look_alike_graph_still_canonicalizes_under_limits() -> None:
    limits = Limits(timeout_seconds=20.0)
    assert canonicalize(poison_graph(3), limits=limits) == canonicalize(poison_graph(3))


# Issue 20, defect 2: the work is bounded before it starts, and per request.


@pytest.mark.parametrize("nodes", [10, 30, 60])
def test_a_clique_of_look_alike_blank_nodes_is_refused_before_any_hashing(nodes: int) -> None:
    budget = WorkBudget(5.0)
    with pytest.raises(WorkLimitError, match="cycles") as refused:
        canonicalize(poison_graph(nodes), limits=Limits(budget=budget))
    assert budget.spent == 0  # no child process ran
    assert budget.refusal is refused.value


def look_alike_tree(children: int) -> dict[str, Any]:
    """No cycles, but two look-alike blank nodes each with ``children`` look-alike children:
    hashing either parent tries every order of its children."""
    return {
        "@context": UNDEFINED_OK,
        "type": ["VerifiableCredential"],
        "credentialSubject": {
            "knows": [{"knows": [{"name": "x"} for _ in range(children)]} for _ in range(2)]
        },
    }


def test_look_alike_nodes_without_cycles_are_refused_by_their_estimated_work() -> None:
    budget = WorkBudget(5.0)
    with pytest.raises(WorkLimitError, match="too many look-alike blank nodes"):
        canonicalize(look_alike_tree(10), limits=Limits(budget=budget))
    assert budget.spent == 0
    # A few look-alikes (identical alignments, say) are no problem.
    assert canonicalize(look_alike_tree(3), limits=Limits()) == canonicalize(look_alike_tree(3))


def test_one_budget_bounds_every_canonicalization_of_a_request() -> None:
    budget = WorkBudget(5.0)
    first = canonicalize(poison_graph(4), limits=Limits(budget=budget))
    assert first == canonicalize(poison_graph(4))
    assert 0 < budget.spent < 5
    budget.spend(budget.left)  # the request spent its time
    with pytest.raises(WorkLimitError, match="spent its time"):
        canonicalize(poison_graph(5), limits=Limits(budget=budget))
    # The limits' identity (a cache key) ignores the budget.
    assert Limits(budget=budget) == Limits()
    assert hash(Limits(budget=budget)) == hash(Limits())


def test_too_many_blank_nodes_refused() -> None:
    doc = {
        "@context": UNDEFINED_OK,
        "type": ["VerifiableCredential"],
        "credentialSubject": {"knows": [{"name": f"n{i}"} for i in range(50)]},
    }
    with pytest.raises(CanonicalizationError, match="too many blank nodes"):
        canonicalize(doc, limits=Limits(max_blank_nodes=20))


def test_too_many_quads_refused() -> None:
    doc = {
        "@context": UNDEFINED_OK,
        "type": ["VerifiableCredential"],
        "credentialSubject": {"tag": [f"t{i}" for i in range(500)]},
    }
    with pytest.raises(CanonicalizationError, match="too many RDF statements"):
        canonicalize(doc, limits=Limits(max_quads=100))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"favouriteColour": "blue"}, "favouriteColour"),
        ({"type": ["VerifiableCredential", "MadeUpCredential"]}, "MadeUpCredential"),
        ({"id": "relative/credential"}, "relative"),
    ],
)
def test_terms_that_would_not_be_signed_are_refused(extra: dict[str, Any], message: str) -> None:
    """Like jsonld.js in safe mode: what would drop out of the signed statements is an error."""
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "credentialSubject": {"id": "did:example:1"},
        **extra,
    }
    for fast in (True, False):
        with pytest.raises(CanonicalizationError, match=message):
            canonicalize(doc, use_fast_path=fast)


def test_hostile_credentials_are_refused_before_any_hashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from microcred.crypto import rdfc, rdfc_template
    from tests.platform.test_verify_work_limits import hostile_credential

    def no_hashing(*_args: object) -> None:
        raise AssertionError("hashed before refusing")

    monkeypatch.setattr(rdfc, "first_degree_hashes", no_hashing)
    monkeypatch.setattr(rdfc_template, "canonicalize", no_hashing)
    for _ in range(2):  # the general path, then the cached template's
        credential = hostile_credential(30)
        del credential["proof"]
        with pytest.raises(WorkLimitError, match="look-alike"):
            canonicalize(credential, limits=Limits())
