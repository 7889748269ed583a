"""The plan as a weighted set cover: choose achievements whose skills cover the gap at the least
total cost (workload, count, days or price), exactly with an integer program (HiGHS through
``scipy.optimize.milp``) while that stays fast, else greedily.

The greedy method takes, each round, the achievement with the most still-uncovered gap skills
per unit of cost; its cost is at most H(d) = 1 + 1/2 + ... + 1/d <= 1 + ln d times the optimum,
d being the most gap skills one achievement covers (Chvátal 1979). Pure: no SQL.
"""

from __future__ import annotations

import heapq
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import (  # type: ignore[import-untyped]
    Bounds,
    LinearConstraint,
    linprog,
    milp,
)
from scipy.sparse import csc_array  # type: ignore[import-untyped]

from microcred.careers.pruning import SkillIndex, useful

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
    """``exact`` (the ILP's optimum), ``greedy``, or ``incumbent`` (the best cover HiGHS found
    before its time limit, cheaper than the greedy one but not proven optimal)."""
    bound: float
    """1.0 for exact; else the cost is at most this times the optimum: H(d) for greedy, or the
    cost over the best lower bound the LP and HiGHS proved, where that is smaller."""
    seconds: float
    considered: tuple[Candidate, ...] = ()
    """The candidates left after cutting and dominance (what the solver chose among)."""


def harmonic(d: int) -> float:
    return sum(1.0 / k for k in range(1, d + 1)) if d > 0 else 1.0


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


def _without_redundant(chosen: list[Candidate]) -> list[Candidate]:
    """Drop any choice the others make redundant, dearest first (never raises the cost)."""
    for candidate in sorted(chosen, key=lambda c: -c.cost):
        rest = [c for c in chosen if c is not candidate]
        if rest and candidate.skills <= frozenset().union(*(c.skills for c in rest)):
            chosen = rest
    return chosen


@dataclass(frozen=True)
class _Solved:
    chosen: list[int]
    proven: bool
    lower: float
    """A lower bound on the optimum's cost."""


_QUICKER: dict[str, object] = {"mip_heuristic_run_feasibility_jump": False}
"""HiGHS's feasibility-jump heuristic costs ~7 ms a call whatever the size (scipy 1.17's HiGHS)
and finds nothing here the incumbent does not. ``milp`` hands options it does not list to HiGHS
verbatim, with a warning; a HiGHS without the option refuses it, and then it is left out."""


def _milp(costs: NDArray[np.float64], matrix: csc_array, time_limit: float) -> Any:
    global _QUICKER
    options = {"time_limit": time_limit, "presolve": True, "mip_rel_gap": 0.0}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Unrecognized options", RuntimeWarning)
            return milp(
                costs,
                constraints=LinearConstraint(matrix, lb=np.ones(matrix.shape[0]), ub=np.inf),
                integrality=np.ones(len(costs)),
                bounds=Bounds(0, 1),
                options={**options, **_QUICKER},
            )
    except (AttributeError, ValueError, TypeError):
        if not _QUICKER:
            raise
        _QUICKER = {}
        return _milp(costs, matrix, time_limit)


def exact(
    costs: NDArray[np.float64],
    matrix: csc_array,
    incumbent: list[int],
    *,
    time_limit: float,
) -> _Solved | None:
    """The optimum of min costs.x, matrix.x >= 1, x binary (``matrix``: skills x candidates),
    given a feasible ``incumbent`` (candidate columns). None if HiGHS failed.

    1. The LP relaxation: when its answer is whole, it is the optimum.
    2. Reduced-cost fixing: for any y >= 0, y.1 + sum(min(0, d)) with d = costs - A'y is a lower
       bound on every cover, and taking candidate j costs at least that plus max(0, d_j); a
       candidate whose bound exceeds the incumbent's cost is in no better cover.
    3. The ILP over the candidates left, with a time limit; the better of its answer and the
       incumbent. Unproven in time: the best found and the best lower bound."""
    ones = np.ones(matrix.shape[0])
    relaxed = linprog(costs, A_ub=-matrix, b_ub=-ones, bounds=(0, 1), method="highs")
    if relaxed.status != 0 or relaxed.x is None:
        return None
    x = np.asarray(relaxed.x)
    if np.all(np.minimum(x, 1 - x) < 1e-9):
        return _Solved(np.flatnonzero(x > 0.5).tolist(), True, float(relaxed.fun))
    upper = float(costs[incumbent].sum())
    slack = 1e-9 * max(1.0, abs(upper))
    y = np.maximum(-np.asarray(relaxed.ineqlin.marginals), 0.0)
    reduced = costs - matrix.T @ y
    lower = float(y.sum() + np.minimum(reduced, 0.0).sum())
    if lower >= upper - slack:
        return _Solved(incumbent, True, lower)
    kept = np.flatnonzero(lower + np.maximum(reduced, 0.0) <= upper + slack)
    sub = matrix[:, kept]
    if np.any(sub.sum(axis=1) == 0):  # no cover cheaper than the incumbent exists
        return _Solved(incumbent, True, lower)
    result = _milp(costs[kept], sub, time_limit)
    found: list[int] | None = None
    if result.x is not None:
        found = kept[np.asarray(result.x) > 0.5].tolist()
    better = found if found is not None and costs[found].sum() < upper else incumbent
    if result.status == 0:
        return _Solved(better, True, min(upper, float(result.fun)))
    bound = getattr(result, "mip_dual_bound", None)
    if isinstance(bound, float) and math.isfinite(bound):
        lower = max(lower, bound)
    return _Solved(better, False, lower)


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
    index = SkillIndex([c.id for c in candidates], [c.skills for c in candidates])
    costs = np.array([c.cost for c in candidates], dtype=np.float64)
    return cover_indexed(
        gap, index, costs, exact_max=exact_max, time_limit=time_limit, method=method
    )


def cover_indexed(
    gap: Mapping[str, float],
    index: SkillIndex,
    costs: NDArray[np.float64],
    *,
    exact_max: int = EXACT_MAX_CANDIDATES,
    time_limit: float = EXACT_TIME_LIMIT,
    method: str = "auto",
) -> Cover:
    """``cover`` over a catalogue's index (``costs`` per candidate, in the index's order)."""
    started = time.perf_counter()
    universe = frozenset(gap)
    found = useful(index, list(gap), costs)
    names = found.skills
    pool = [
        Candidate(
            index.ids[number],
            frozenset(names[s] for s in taught.tolist()),
            max(float(costs[number]), 0.0),
        )
        for number, taught in zip(found.numbers.tolist(), found.taught, strict=True)
    ]
    teachable = frozenset(names)
    picked = _without_redundant(greedy(pool, teachable))
    used, bound = "greedy", harmonic(max((len(c.skills) for c in pool), default=0))
    if pool and method != "greedy" and (method == "exact" or len(pool) <= exact_max):
        column = {c.id: j for j, c in enumerate(pool)}
        starts = np.zeros(len(pool) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in found.taught], out=starts[1:])
        matrix = csc_array(
            (np.ones(int(starts[-1])), np.concatenate(found.taught), starts),
            shape=(len(names), len(pool)),
        )
        pool_costs = np.array([c.cost for c in pool], dtype=np.float64)
        solved = exact(pool_costs, matrix, [column[c.id] for c in picked], time_limit=time_limit)
        if solved is not None:
            best = [pool[j] for j in solved.chosen]
            cost = sum(c.cost for c in best)
            if solved.proven:
                picked, used, bound = best, "exact", 1.0
            else:
                if cost < sum(c.cost for c in picked):
                    picked, used = best, "incumbent"
                if solved.lower > 0:
                    bound = min(bound, sum(c.cost for c in picked) / solved.lower)
    return Cover(
        chosen=tuple(c.id for c in picked),
        cost=sum(c.cost for c in picked),
        uncovered=universe - teachable,
        method=used,
        bound=bound,
        seconds=time.perf_counter() - started,
        considered=tuple(pool),
    )
