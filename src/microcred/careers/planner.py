"""The plan as a weighted set cover: choose achievements whose skills cover the gap at the least
total cost (workload, count, days or price), exactly with an integer program (HiGHS through
``scipy.optimize.milp``) while that stays fast, else greedily.

The greedy method takes, each round, the achievement with the most still-uncovered gap skills
per unit of cost; its cost is at most H(d) = 1 + 1/2 + ... + 1/d <= 1 + ln d times the optimum,
d being the most gap skills one achievement covers (Chvátal 1979). Pure: no SQL.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]
from scipy.sparse import csc_array  # type: ignore[import-untyped]

EXACT_MAX_CANDIDATES = 4000
"""Past this many useful achievements the ILP is not tried (see bench/careers_bench.py)."""
EXACT_TIME_LIMIT = 0.25
"""Seconds HiGHS may take before the greedy answer is used instead."""


@dataclass(frozen=True)
class Candidate:
    id: str
    skills: frozenset[str]
    cost: float


@dataclass(frozen=True)
class Cover:
    chosen: tuple[str, ...]
    cost: float
    uncovered: frozenset[str]
    """Gap skills no candidate teaches."""
    method: str
    """``exact`` (the ILP's optimum) or ``greedy``."""
    bound: float
    """1.0 for exact; H(d) for greedy: its cost is at most this times the optimum."""
    seconds: float
    considered: tuple[Candidate, ...] = ()
    """The candidates left after cutting and dominance (what the solver chose among)."""


def harmonic(d: int) -> float:
    return sum(1.0 / k for k in range(1, d + 1)) if d > 0 else 1.0


_SUBSETS_UP_TO = 8
"""Dominance is looked for through the subsets of sets of at most this many skills (2^8)."""


def useful(candidates: Sequence[Candidate], universe: frozenset[str]) -> list[Candidate]:
    """Candidates cut to the universe, less the dominated: a candidate is dropped when another
    teaches the same skills or more for no more cost (some optimum never needs it, so the
    ILP's answer is unchanged and the greedy one no worse).

    Sets are bit masks over the universe here: this runs over every achievement touching the
    gap, and integer masks hash and compare far faster than sets of strings."""
    skills = sorted(universe)
    bit = {skill: 1 << n for n, skill in enumerate(skills)}
    first: dict[int, tuple[float, str, Candidate]] = {}
    for candidate in candidates:
        mask = 0
        for skill in candidate.skills:
            mask |= bit.get(skill, 0)
        if not mask:
            continue
        key = (max(candidate.cost, 0.0), candidate.id, candidate)
        held = first.get(mask)
        if held is None or key[:2] < held[:2]:
            first[mask] = key
    # The cheapest candidate teaching at least each small set: enumerate every candidate's
    # submasks (a course teaches a handful of gap skills; larger sets are kept unexamined).
    cheapest: dict[int, tuple[float, int, str]] = {}
    for mask, (cost, ident, _candidate) in first.items():
        size = mask.bit_count()
        if size > _SUBSETS_UP_TO:
            continue
        rank = (cost, -size, ident)
        sub = mask
        while sub:
            found = cheapest.get(sub)
            if found is None or rank < found:
                cheapest[sub] = rank
            sub = (sub - 1) & mask
    survivors: list[Candidate] = []
    for mask, (cost, ident, candidate) in first.items():
        found = cheapest.get(mask)
        if found is not None and found[2] != ident:
            continue
        cut = frozenset(skill for skill in skills if bit[skill] & mask)
        survivors.append(
            candidate
            if cut == candidate.skills and cost == candidate.cost
            else Candidate(ident, cut, cost)
        )
    return sorted(survivors, key=lambda c: c.id)


def greedy(candidates: Sequence[Candidate], universe: frozenset[str]) -> list[Candidate]:
    """Chvátal's greedy with a lazy heap (a ratio only goes down as skills get covered)."""
    left = set(universe)
    heap = [(-len(c.skills) / max(c.cost, 1e-9), n) for n, c in enumerate(candidates)]
    heapq.heapify(heap)
    chosen: list[Candidate] = []
    while left and heap:
        ratio, n = heapq.heappop(heap)
        candidate = candidates[n]
        gain = len(candidate.skills & left)
        if gain == 0:
            continue
        current = -gain / max(candidate.cost, 1e-9)
        if current > ratio + 1e-12:  # stale: push back with its current ratio
            heapq.heappush(heap, (current, n))
            continue
        chosen.append(candidate)
        left -= candidate.skills
    return chosen


def exact(
    candidates: Sequence[Candidate], universe: frozenset[str], *, time_limit: float
) -> list[Candidate] | None:
    """The optimum by integer programming, or None if HiGHS did not prove it in time."""
    skills = sorted(universe)
    row = {skill: i for i, skill in enumerate(skills)}
    rows: list[int] = []
    cols: list[int] = []
    for j, candidate in enumerate(candidates):
        for skill in candidate.skills:
            rows.append(row[skill])
            cols.append(j)
    matrix = csc_array(
        (np.ones(len(rows)), (np.array(rows), np.array(cols))),
        shape=(len(skills), len(candidates)),
    )
    costs = np.array([c.cost for c in candidates], dtype=np.float64)
    result = milp(
        costs,
        constraints=LinearConstraint(matrix, lb=np.ones(len(skills)), ub=np.inf),
        integrality=np.ones(len(candidates)),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "presolve": True},
    )
    if result.status != 0 or result.x is None:
        return None
    return [c for c, x in zip(candidates, result.x, strict=True) if x > 0.5]


def cover(
    gap: Mapping[str, float],
    candidates: Sequence[Candidate],
    *,
    exact_max: int = EXACT_MAX_CANDIDATES,
    time_limit: float = EXACT_TIME_LIMIT,
    method: str = "auto",
) -> Cover:
    """The cheapest set of candidates covering every gap skill some candidate teaches.
    ``method``: ``auto`` (exact up to ``exact_max`` candidates), ``exact`` or ``greedy``."""
    started = time.perf_counter()
    universe = frozenset(gap)
    pool = useful(candidates, universe)
    teachable = frozenset().union(*(c.skills for c in pool)) if pool else frozenset()
    chosen: list[Candidate] | None = None
    used = "greedy"
    if pool and method != "greedy" and (method == "exact" or len(pool) <= exact_max):
        chosen = exact(pool, teachable, time_limit=time_limit)
        used = "exact" if chosen is not None else "greedy"
    if chosen is None:
        chosen = greedy(pool, teachable)
        # Drop any choice the later ones made redundant (never raises the cost).
        for candidate in sorted(chosen, key=lambda c: -c.cost):
            rest = [c for c in chosen if c is not candidate]
            if rest and candidate.skills <= frozenset().union(*(c.skills for c in rest)):
                chosen = rest
    widest = max((len(c.skills) for c in pool), default=0)
    return Cover(
        chosen=tuple(c.id for c in chosen),
        cost=sum(c.cost for c in chosen),
        uncovered=universe - teachable,
        method=used,
        bound=1.0 if used == "exact" else harmonic(widest),
        seconds=time.perf_counter() - started,
        considered=tuple(pool),
    )
