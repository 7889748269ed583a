"""The catalogue as the planner sees it: every issuer's unarchived achievements, each with the
skills it teaches, its workload, EQF level, prerequisites, and the price and duration the issuer
gave it (``career_offers``). Pure: built from rows the repository reads."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microcred.careers.pruning import SkillIndex
from microcred.skills.alignment import SkillNames

HOURS_PER_ECTS = 25.0
"""ECTS users' guide: one credit is 25 to 30 hours of learning; the low end is used."""
HOURS_PER_DAY = 8.0
DEFAULT_HOURS = 10.0
"""Workload assumed for an achievement that states none (the step says so)."""
_DURATION = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:\d+(?:\.\d+)?S)?)?$"
)


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    issuer: str
    skills: frozenset[str]
    hours: float
    hours_stated: bool
    eqf_level: int | None
    prerequisites: str
    price_minor: int | None
    currency: str | None
    duration_days: float


def hours_of(definition: Mapping[str, Any]) -> float | None:
    """Notional learning hours: ECTS credits x 25, else ``volumeOfLearning`` (ISO 8601; a day
    counts 8 hours, a week 40)."""
    credits = definition.get("creditsAvailable")
    if isinstance(credits, int | float) and not isinstance(credits, bool) and credits > 0:
        return float(credits) * HOURS_PER_ECTS
    volume = definition.get("volumeOfLearning")
    match = _DURATION.match(volume) if isinstance(volume, str) else None
    if match:
        hours = (
            float(match["w"] or 0) * 5 * HOURS_PER_DAY
            + float(match["d"] or 0) * HOURS_PER_DAY
            + float(match["h"] or 0)
            + float(match["m"] or 0) / 60
        )
        return hours if hours > 0 else None
    return None


def eqf_of(definition: Mapping[str, Any]) -> int | None:
    level = definition.get("eqfLevel")
    tail = level.rstrip("/").rsplit("/", 1)[-1] if isinstance(level, str) else ""
    return int(tail) if tail.isdigit() else None


def entry_of(
    achievement_id: str,
    name: str,
    issuer: str,
    definition: Mapping[str, Any],
    names: SkillNames,
    *,
    price_minor: int | None = None,
    currency: str | None = None,
    duration_days: int | None = None,
) -> Entry:
    hours = hours_of(definition)
    prerequisites = definition.get("prerequisites")
    workload = hours if hours is not None else DEFAULT_HOURS
    return Entry(
        id=achievement_id,
        name=name,
        issuer=issuer,
        skills=names.of_achievement(definition),
        hours=workload,
        hours_stated=hours is not None,
        eqf_level=eqf_of(definition),
        prerequisites=prerequisites if isinstance(prerequisites, str) else "",
        price_minor=price_minor,
        currency=currency,
        duration_days=float(duration_days) if duration_days else workload / HOURS_PER_DAY,
    )


class Catalogue:
    """The entries, and which teach each skill (a plan looks only at those touching its gap)."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        self.by_id = {e.id: e for e in self.entries}
        self.memo: dict[tuple[str, str | None], NDArray[np.float64]] = {}
        """What the planner derives from the entries once (costs per objective)."""
        self.index = SkillIndex([e.id for e in self.entries], [e.skills for e in self.entries])
        """Which entries teach each skill, as arrays (what a plan prunes with)."""
        self.by_skill: dict[str, list[int]] = {}
        for n, entry in enumerate(self.entries):
            for skill in entry.skills:
                self.by_skill.setdefault(skill, []).append(n)
        counts = Counter(
            e.currency for e in self.entries if e.currency and e.price_minor is not None
        )
        self.usual_currency = counts.most_common(1)[0][0] if counts else None

    def __len__(self) -> int:
        return len(self.entries)

    def touching_indices(self, skills: Iterable[str]) -> list[int]:
        found: set[int] = set()
        for skill in skills:
            found.update(self.by_skill.get(skill, ()))
        return sorted(found)

    def touching(self, skills: Iterable[str]) -> list[Entry]:
        return [self.entries[n] for n in self.touching_indices(skills)]
