"""The set cover: the ILP's answer is the optimum (checked by enumeration on small random
instances), the greedy answer stays within its stated bound, and uncovered skills are named."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from microcred.careers.catalogue import Entry, hours_of
from microcred.careers.paths import _ordered
from microcred.careers.planner import Candidate, cover, harmonic
from microcred.careers.pruning import SkillIndex, useful


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


def _dominated_by_definition(gap: set[str], candidates: list[Candidate]) -> set[str]:
    """Who a better-ranked candidate (cost, more gap skills, id) teaches no less than."""
    cut = {c.id: c.skills & gap for c in candidates}

    def rank(c: Candidate) -> tuple[float, int, str]:
        return (max(c.cost, 0.0), -len(cut[c.id]), c.id)

    return {
        c.id
        for c in candidates
        if cut[c.id]
        and any(rank(o) < rank(c) and cut[c.id] <= cut[o.id] for o in candidates if o is not c)
    }


@pytest.mark.parametrize("seed", range(30))
def test_pruning_drops_exactly_the_dominated(seed: int) -> None:
    rng = random.Random(seed)
    names = [f"s{i}" for i in range(rng.choice([6, 12, 90]))]  # 90: keys in a wide base
    gap = set(rng.sample(names, len(names) * 2 // 3))
    candidates = [
        Candidate(
            f"a{j:03d}",
            frozenset(rng.sample(names, rng.randint(1, 6))),
            float(rng.choice([-1, 2, 3, 5])),  # ties on purpose; a negative cost counts as 0
        )
        for j in range(rng.randint(1, 120))
    ]
    index = SkillIndex([c.id for c in candidates], [c.skills for c in candidates])
    found = useful(index, sorted(gap), np.array([c.cost for c in candidates]))
    survivors = {index.ids[n] for n in found.numbers.tolist()}
    touching = {c.id for c in candidates if c.skills & gap}
    assert found.touching == len(touching)
    assert survivors == touching - _dominated_by_definition(gap, candidates)
    for number, taught in zip(found.numbers.tolist(), found.taught, strict=True):
        assert {found.skills[s] for s in taught.tolist()} == index.skills[number] & gap


def test_exact_stays_optimal_where_the_relaxation_is_fractional(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Equal costs make the LP relaxation fractional now and then, so the reduced-cost fixing
    and the ILP over what is left decide; every answer is checked against brute force."""
    from microcred.careers import planner

    solved: list[int] = []

    def counted(*args: object, **kwargs: object) -> object:
        solved.append(1)
        return real(*args, **kwargs)

    real = planner.milp
    monkeypatch.setattr(planner, "milp", counted)
    for seed in range(40):
        rng = random.Random(100 + seed)
        names = [f"s{i}" for i in range(9)]
        candidates = [
            Candidate(
                f"a{j}", frozenset(rng.sample(names, rng.randint(2, 3))), float(rng.randint(1, 3))
            )
            for j in range(13)
        ]
        gap = dict.fromkeys(names, 1.0)
        result = cover(gap, candidates, method="exact")
        assert result.method == "exact"
        assert result.cost == pytest.approx(brute_force(set(gap), candidates))
    assert solved  # some instance needed the ILP
