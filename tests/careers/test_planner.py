"""The set cover: the ILP's answer is the optimum (checked by enumeration on small random
instances), the greedy answer stays within its stated bound, and uncovered skills are named."""

from __future__ import annotations

import itertools
import random

import pytest

from microcred.careers.catalogue import Entry, hours_of
from microcred.careers.paths import _ordered
from microcred.careers.planner import Candidate, cover, harmonic


def brute_force(gap: set[str], candidates: list[Candidate]) -> float:
    teachable = set().union(*(c.skills for c in candidates)) & gap
    best = float("inf")
    for size in range(len(candidates) + 1):
        for combo in itertools.combinations(candidates, size):
            if teachable <= set().union(*(c.skills for c in combo)):
                best = min(best, sum(c.cost for c in combo))
    return best


def instance(seed: int, n: int = 10, skills: int = 8) -> tuple[dict[str, float], list[Candidate]]:
    rng = random.Random(seed)
    names = [f"s{i}" for i in range(skills)]
    candidates = [
        Candidate(
            f"a{j}", frozenset(rng.sample(names, rng.randint(1, 4))), float(rng.randint(1, 20))
        )
        for j in range(n)
    ]
    gap = dict.fromkeys([*names, "nowhere"], 1.0)
    return gap, candidates


@pytest.mark.parametrize("seed", range(25))
def test_exact_is_optimal_and_greedy_within_its_bound(seed: int) -> None:
    gap, candidates = instance(seed)
    optimum = brute_force(set(gap), candidates)
    exact = cover(gap, candidates, method="exact")
    assert exact.method == "exact"
    assert exact.cost == pytest.approx(optimum)
    taught = set().union(*(c.skills for c in candidates))
    assert exact.uncovered == set(gap) - taught
    assert "nowhere" in exact.uncovered
    greedy = cover(gap, candidates, method="greedy")
    assert greedy.method == "greedy"
    assert optimum <= greedy.cost <= greedy.bound * optimum + 1e-9
    for result in (exact, greedy):
        chosen = [c for c in candidates if c.id in result.chosen]
        assert set(gap) & taught <= set().union(*(c.skills for c in chosen))


def test_auto_falls_back_to_greedy_past_the_exact_size() -> None:
    gap, candidates = instance(3, n=30)
    assert cover(gap, candidates).method == "exact"
    result = cover(gap, candidates, exact_max=5)
    assert result.method == "greedy"
    assert result.bound == pytest.approx(harmonic(4), rel=0.34)  # d <= 4 skills per candidate


def test_nothing_to_cover() -> None:
    result = cover({}, [Candidate("a", frozenset({"x"}), 1.0)])
    assert result.chosen == ()
    assert result.uncovered == frozenset()
    result = cover({"x": 1.0}, [])
    assert result.chosen == ()
    assert result.uncovered == {"x"}


def _entry(name: str, eqf: int | None, prerequisites: str = "", hours: float = 10) -> Entry:
    return Entry(name, name, "Alpha", frozenset(), hours, True, eqf, prerequisites, None, None, 1)


def test_steps_follow_prerequisites_then_eqf_level() -> None:
    advanced = _entry("Advanced statistics", 4, "Passed Statistics basics first.")
    basics = _entry("Statistics basics", 6)
    level3 = _entry("Spreadsheets", 3)
    assert [e.name for e in _ordered([advanced, basics, level3])] == [
        "Spreadsheets",
        "Statistics basics",
        "Advanced statistics",
    ]


@pytest.mark.parametrize(
    ("definition", "hours"),
    [
        ({"creditsAvailable": 2}, 50.0),
        ({"volumeOfLearning": "PT60H"}, 60.0),
        ({"volumeOfLearning": "P1W2DT3H30M"}, 40 + 16 + 3.5),
        ({"volumeOfLearning": "soon"}, None),
        ({"creditsAvailable": True}, None),
        ({}, None),
    ],
)
def test_workload_from_ects_or_volume_of_learning(
    definition: dict[str, object], hours: float | None
) -> None:
    assert hours_of(definition) == hours
