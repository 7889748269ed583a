"""The requirement tree on its own: every node kind parsed, every refusal naming its node, and
progress evaluated over held-credential facts (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from microcred.errors import PathwayError
from microcred.pathways.evaluate import Held, HeldIndex, evaluate
from microcred.pathways.tree import PartFacts, check_satisfiable, parse_definition

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ESCO = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def part(node_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "achievement", "achievement": f"urn:a:{node_id}", **extra}


def pathway(requirement: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "Micro-degree", "requirement": requirement, **extra}


def refused(data: dict[str, Any], facts: dict[str, PartFacts] | None = None) -> PathwayError:
    def save() -> None:
        definition = parse_definition(data)
        check_satisfiable(definition, lambda node: (facts or {}).get(node.id, PartFacts()))

    with pytest.raises(PathwayError) as caught:
        save()
    return caught.value


def held(ref: str, achievement: str | None = None, **extra: Any) -> Held:
    values: dict[str, Any] = {
        "ref": ref,
        "kind": "ours",
        "url": f"https://x.example/credentials/{ref}",
        "achievement_id": achievement,
        "skills": frozenset(),
        "credits": None,
        "eqf": None,
        "earned_at": NOW - timedelta(days=10),
        "name": ref,
        "counts": True,
        "state": "active",
    }
    values.update(extra)
    return Held(**values)


def run(data: dict[str, Any], *items: Held) -> Any:
    return evaluate(parse_definition(data), HeldIndex(items), NOW)


# ---- validation ---------------------------------------------------------------------------------


def test_n_above_the_number_of_children_is_unsatisfiable_at_that_node() -> None:
    error = refused(pathway({"id": "pick", "type": "nOf", "n": 3, "of": [part("a"), part("b")]}))
    assert (error.node, error.reason) == ("pick", "unsatisfiable")
    assert "needs 3" in error.message


def test_a_credit_minimum_above_what_the_parts_give_is_unsatisfiable() -> None:
    data = pathway(
        {"id": "ects", "type": "credits", "min": 20, "of": [part("a"), part("b", credits=5)]}
    )
    error = refused(data, {"a": PartFacts(credits=10)})
    assert (error.node, error.reason) == ("ects", "unsatisfiable")
    assert "at most 15" in error.message


def test_a_minimum_eqf_level_no_part_reaches_is_unsatisfiable() -> None:
    data = pathway({"id": "core", "type": "allOf", "minEqf": 6, "of": [part("a"), part("b")]})
    error = refused(data, {"a": PartFacts(eqf=5)})
    assert (error.node, error.reason) == ("core", "unsatisfiable")
    assert "a" in error.message


def test_the_same_part_twice_is_refused_naming_the_second() -> None:
    data = pathway(
        {"id": "r", "type": "anyOf", "of": [part("a"), {**part("b"), "achievement": "urn:a:a"}]}
    )
    error = refused(data)
    assert (error.node, error.reason) == ("b", "duplicate_part")


def test_the_same_skill_twice_is_a_duplicate_part() -> None:
    skill = {"type": "skill", "url": ESCO}
    error = refused(
        pathway({"type": "anyOf", "of": [{**skill, "id": "s1"}, {**skill, "id": "s2"}]})
    )
    assert (error.node, error.reason) == ("s2", "duplicate_part")


def test_prerequisites_in_a_circle_are_a_cycle() -> None:
    data = pathway({"type": "allOf", "of": [part("a", after=["b"]), part("b", after=["a"])]})
    error = refused(data)
    assert error.reason == "cycle"
    assert "->" in (error.found or "")


def test_a_node_after_its_own_group_is_a_cycle() -> None:
    data = pathway({"id": "g", "type": "allOf", "of": [part("a", after=["g"]), part("b")]})
    error = refused(data)
    assert (error.node, error.reason) == ("a", "cycle")


def test_a_cycle_through_groups_is_found() -> None:
    data = pathway(
        {
            "type": "allOf",
            "of": [
                {"id": "g1", "type": "allOf", "after": ["g2"], "of": [part("a")]},
                {"id": "g2", "type": "allOf", "of": [part("b", after=["a"])]},
            ],
        }
    )
    assert refused(data).reason == "cycle"


def test_unknown_node_kinds_fields_and_prerequisites_are_named() -> None:
    assert refused(pathway({"id": "x", "type": "someOf", "of": []})).node == "x"
    error = refused(pathway(part("a", colour="red")))
    assert (error.node, error.reason, error.found) == ("a", "invalid", "colour")
    error = refused(pathway({"type": "allOf", "of": [part("a", after=["nope"])]}))
    assert (error.node, error.reason) == ("a", "unknown_node")
    assert refused(pathway({"id": "g", "type": "allOf", "of": []})).node == "g"


def test_duplicate_node_ids_are_refused() -> None:
    data = pathway({"type": "allOf", "of": [part("a"), {**part("b"), "id": "a"}]})
    assert refused(data).reason == "duplicate_node"


# ---- evaluation ---------------------------------------------------------------------------------


def test_all_of_needs_every_part_and_says_what_remains() -> None:
    data = pathway({"type": "allOf", "of": [part("a"), part("b")]})
    progress = run(data, held("1", "urn:a:a"))
    assert not progress.done
    assert progress.remaining() == ["urn:a:b"]
    assert run(data, held("1", "urn:a:a"), held("2", "urn:a:b")).done


def test_n_of_m_and_any_of() -> None:
    two = pathway({"type": "nOf", "n": 2, "of": [part("a"), part("b"), part("c")]})
    assert not run(two, held("1", "urn:a:c")).done
    assert run(two, held("1", "urn:a:c"), held("2", "urn:a:a")).done
    anyone = pathway({"type": "anyOf", "of": [part("a"), part("b")]})
    assert run(anyone, held("1", "urn:a:b")).done


def test_credit_minimum_sums_the_credentials_credits() -> None:
    data = pathway(
        {"type": "credits", "min": 10, "of": [part("a"), part("b", credits=3), part("c")]}
    )
    progress = run(data, held("1", "urn:a:a", credits=6.0), held("2", "urn:a:b"))
    assert (progress.done, progress.credits) == (False, 9.0)
    progress = run(data, *[held(str(i), f"urn:a:{x}", credits=5.0) for i, x in enumerate("ab")])
    assert (progress.done, progress.credits) == (True, 10.0)


def test_minimum_eqf_level_refuses_lower_credentials() -> None:
    data = pathway({"type": "allOf", "minEqf": 6, "of": [part("a")]})
    progress = run(data, held("1", "urn:a:a", eqf=5))
    assert not progress.done
    assert progress.children[0].reason == "below EQF level 6"
    assert run(data, held("1", "urn:a:a", eqf=6)).done


def test_recency_window_refuses_old_credentials() -> None:
    data = pathway({"type": "allOf", "withinMonths": 12, "of": [part("a")]})
    old = held("1", "urn:a:a", earned_at=NOW - timedelta(days=400))
    assert run(data, old).children[0].reason == "earned too long ago"
    assert run(data, old, held("2", "urn:a:a")).done


def test_prerequisites_order_the_parts() -> None:
    data = pathway({"type": "allOf", "of": [part("a"), part("b", after=["a"])]})
    first = held("1", "urn:a:a", earned_at=NOW - timedelta(days=5))
    early = held("2", "urn:a:b", earned_at=NOW - timedelta(days=9))
    progress = run(data, first, early)
    assert not progress.done
    assert progress.children[1].reason == "earned before its prerequisites"
    later = held("3", "urn:a:b", earned_at=NOW - timedelta(days=1))
    assert run(data, first, later).done


def test_skill_parts_match_aligned_credentials_by_uri_or_code() -> None:
    by_url = pathway({"type": "allOf", "of": [{"id": "s", "type": "skill", "url": ESCO}]})
    assert run(by_url, held("1", "urn:other", skills=frozenset({ESCO}))).done
    by_code = pathway(
        {"type": "allOf", "of": [{"id": "s", "type": "skill", "framework": "ESCO", "code": "S1"}]}
    )
    assert run(by_code, held("1", skills=frozenset({"esco:S1"}))).done
    assert not run(by_code, held("1", skills=frozenset({"esco:S2"}))).done


def test_only_credentials_that_verify_count_and_each_counts_once() -> None:
    data = pathway({"type": "allOf", "of": [part("a")]})
    progress = run(data, held("1", "urn:a:a", counts=False, state="revoked"))
    assert progress.children[0].reason == "credential is revoked"
    # One credential matching two parts (its achievement and its skill) fills one of them.
    both = pathway(
        {
            "type": "allOf",
            "of": [part("a"), {"id": "s", "type": "skill", "url": ESCO}],
        }
    )
    assert not run(both, held("1", "urn:a:a", skills=frozenset({ESCO}))).done
