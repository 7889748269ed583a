"""From a gap and the catalogue to a path: the set cover for one objective, its steps ordered
by prerequisites and EQF level, and what each step covers and was chosen over. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microcred.careers.catalogue import Catalogue, Entry
from microcred.careers.planner import Candidate, Cover, cover_indexed

OBJECTIVES = ("workload", "fewest", "fastest", "cheapest", "in_demand")
"""``workload``: least total learning hours (the plan); the rest are its alternatives."""


@dataclass(frozen=True)
class GapSkill:
    id: str
    name: str
    weight: float
    hot: bool
    in_demand: bool
    essential: bool


@dataclass(frozen=True)
class Alternative:
    name: str
    covers: int
    hours: float


@dataclass(frozen=True)
class Step:
    entry: Entry
    covers: tuple[GapSkill, ...]
    """The gap skills this step is the first to cover, in plan order."""
    alternative: Alternative | None
    """The best achievement not chosen that teaches some of the same skills."""


@dataclass(frozen=True)
class Path:
    objective: str
    steps: tuple[Step, ...]
    total_hours: float
    total_days: float
    total_price_minor: int | None
    currency: str | None
    method: str
    bound: float
    milliseconds: float
    cost: float = 0.0
    """What the objective minimised (hours, count, days or price)."""


def build_path(
    objective: str,
    gap: tuple[GapSkill, ...],
    catalogue: Catalogue,
    currency: str | None,
    *,
    method: str = "auto",
) -> Path:
    """The path for one objective. ``in_demand`` covers only the gap skills with a demand
    signal (Hot Technology, In Demand, ESCO essential)."""
    wanted = [s for s in gap if objective != "in_demand" or s.weight > 1]
    weights = {s.id: s.weight for s in wanted}
    money = currency or catalogue.usual_currency
    result: Cover = cover_indexed(
        weights, catalogue.index, _costs(catalogue, objective, money), method=method
    )
    by_id = catalogue.by_id
    chosen = _ordered([by_id[i] for i in result.chosen])
    steps = _explained(chosen, wanted, result.considered, catalogue)
    prices = [e.price_minor for e in chosen if e.currency == money]
    priced = len(prices) == len(chosen) and bool(chosen)
    return Path(
        objective=objective,
        steps=steps,
        total_hours=round(sum(e.hours for e in chosen), 2),
        total_days=round(sum(e.duration_days for e in chosen), 2),
        total_price_minor=sum(p for p in prices if p is not None) if priced else None,
        currency=money if priced else None,
        method=result.method,
        bound=round(result.bound, 4),
        milliseconds=round(result.seconds * 1000, 2),
        cost=result.cost,
    )


def _costs(catalogue: Catalogue, objective: str, currency: str | None) -> NDArray[np.float64]:
    """Every entry's cost for the objective, in the catalogue's order (made once per
    catalogue)."""
    key = (objective, currency)
    made = catalogue.memo.get(key)
    if made is None:
        cost = _cost_function(objective, catalogue.entries, currency)
        made = np.fromiter((cost(e) for e in catalogue.entries), dtype=np.float64)
        catalogue.memo[key] = made
    return made


def _cost_function(
    objective: str, entries: list[Entry], currency: str | None
) -> Callable[[Entry], float]:
    if objective == "fewest":
        return lambda e: 1.0 + e.hours * 1e-6  # ties go to the lighter one
    if objective == "fastest":
        return lambda e: e.duration_days
    if objective == "cheapest":
        known = [
            e.price_minor for e in entries if e.currency == currency and e.price_minor is not None
        ]
        # An achievement without a price in this currency is taken only where nothing priced
        # teaches the skill: it costs more than the dearest priced one.
        unknown = float(max(known, default=0) + 1) * 2
        return lambda e: (
            (
                float(e.price_minor)
                if e.currency == currency and e.price_minor is not None
                else unknown
            )
            + e.hours * 1e-6
        )
    return lambda e: e.hours


def _ordered(chosen: list[Entry]) -> list[Entry]:
    """Prerequisites first (an achievement whose prerequisites name another chosen one comes
    after it), then by EQF level, then lighter first."""
    after: dict[str, set[str]] = {e.id: set() for e in chosen}
    for e in chosen:
        text = e.prerequisites.casefold()
        for other in chosen:
            if (
                other is not e
                and text
                and (
                    other.id in e.prerequisites
                    or (len(other.name) >= 4 and other.name.casefold() in text)
                )
            ):
                after[e.id].add(other.id)

    def key(e: Entry) -> tuple[int, float, str]:
        return (e.eqf_level or 0, e.hours, e.name.casefold())

    done: list[Entry] = []
    placed: set[str] = set()
    remaining = list(chosen)
    while remaining:
        ready = [e for e in remaining if after[e.id] <= placed]
        pick = min(ready or remaining, key=key)  # a cycle is broken by the same order
        done.append(pick)
        placed.add(pick.id)
        remaining.remove(pick)
    return done


def _explained(
    chosen: list[Entry],
    gap: list[GapSkill],
    considered: tuple[Candidate, ...],
    catalogue: Catalogue,
) -> tuple[Step, ...]:
    left = {s.id: s for s in gap}
    picked = {e.id for e in chosen}
    # Alternatives come from what the solver chose among (a dominated achievement is never a
    # better alternative than the one dominating it), found through the skills they teach.
    teaching: dict[str, list[Entry]] = {}
    for c in considered:
        if c.id not in picked:
            for skill in c.skills:
                teaching.setdefault(skill, []).append(catalogue.by_id[c.id])
    steps = []
    for entry in chosen:
        covers = tuple(s for s in gap if s.id in left and s.id in entry.skills)
        for s in covers:
            del left[s.id]
        shared: Counter[str] = Counter()
        for s in covers:
            shared.update(other.id for other in teaching.get(s.id, ()))
        best: tuple[int, float, str, str, Entry] | None = None
        for ident, count in shared.items():
            other = catalogue.by_id[ident]
            if best is None or (-count, other.hours, other.name, ident) < best[:4]:
                best = (-count, other.hours, other.name, ident, other)
        alternative = (
            Alternative(best[4].name, -best[0], best[4].hours) if best is not None else None
        )
        steps.append(Step(entry, covers, alternative))
    return tuple(steps)
