"""Careers: a goal to occupations, an occupation to the learner's skill gap, the gap to a plan.

The learner's skills are those their verified, unrevoked, unexpired credentials name (the
wallet's ``active`` ones: issued here or imported); the gap is the occupation's skills less
those, each weighted by its demand signals; the plan covers the gap from the whole catalogue.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from microcred.careers.catalogue import Entry, entry_of
from microcred.careers.goals import checked_goal
from microcred.careers.matching import GoalMatcher, Match
from microcred.careers.planner import Candidate, Cover, cover
from microcred.careers.repository import CareersRepository
from microcred.careers.semantic import Embedder
from microcred.crypto import jose
from microcred.errors import InputError, MicrocredError, NotFoundError
from microcred.skills.alignment import achievement_of_credential
from microcred.skills.service import SkillsService
from microcred.skills.taxonomy import ONET, Occupation, Taxonomy
from microcred.store.db import transaction
from microcred.wallet.service import WalletService

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


@dataclass(frozen=True)
class Plan:
    occupation: Occupation
    gap: tuple[GapSkill, ...]
    held: dict[str, tuple[str, ...]]
    """Skill id -> names of the credentials that show it (the occupation's skills only)."""
    path: Path
    alternatives: dict[str, Path]
    uncovered: tuple[GapSkill, ...]
    matches: tuple[Match, ...] = field(default=())


class CareersService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        skills: SkillsService,
        wallet: WalletService,
        embedder: Callable[[], Embedder | None],
    ) -> None:
        """``embedder``: the offline model, or None for lexical matching only (asked once)."""
        self.sessions = sessions
        self.clock = clock
        self.skills = skills
        self.wallet = wallet
        self._embedder = embedder
        self._lock = threading.Lock()
        self._matchers: dict[str, tuple[Taxonomy, GoalMatcher]] = {}
        self._catalogue: tuple[object, list[Entry]] | None = None

    # ---- goals ----------------------------------------------------------------------------

    def matcher(self, framework: str = ONET) -> GoalMatcher:
        taxonomy = self.skills.taxonomy()
        with self._lock:
            cached = self._matchers.get(framework)
            if cached is None or cached[0] is not taxonomy:
                embedder = self._embedder() if framework == ONET else None
                matcher = GoalMatcher(taxonomy, framework=framework, embedder=embedder)
                self._matchers[framework] = (taxonomy, matcher)
                return matcher
            return cached[1]

    def match(self, goal: str, *, framework: str = ONET, limit: int = 5) -> list[Match]:
        checked_goal(goal)  # a goal that cannot be read is refused before any work
        return self.matcher(framework).match(goal, limit=limit)

    # ---- skills: the occupation's, the learner's, the gap ---------------------------------

    def held_skills(self, learner_id: str) -> dict[str, tuple[str, ...]]:
        """Skill id -> names of the learner's active credentials that name it."""
        names = self.skills.names()
        held: dict[str, list[str]] = {}
        offset = 0
        while True:
            page, total = self.wallet.list_credentials(learner_id, offset=offset, limit=200)
            for item in page:
                if item.state != "active" or item.document is None:
                    continue
                document = item.document
                if isinstance(document, str):
                    try:
                        document = jose.decode_unverified(document)[1]
                    except MicrocredError:
                        continue
                achievement = achievement_of_credential(document)
                for skill in names.of_achievement(achievement):
                    held.setdefault(skill, []).append(item.name or "")
            offset += len(page)
            if not page or offset >= total:
                break
        return {skill: tuple(sorted(set(v))) for skill, v in held.items()}

    def occupation_skills(self, occupation: Occupation) -> list[GapSkill]:
        taxonomy = self.skills.taxonomy()
        skills = [
            GapSkill(
                link.skill_id,
                taxonomy.skills[link.skill_id].name,
                link.weight,
                link.hot,
                link.in_demand,
                link.essential,
            )
            for link in taxonomy.links.get(occupation.id, [])
            if link.skill_id in taxonomy.skills
        ]
        return sorted(skills, key=lambda s: (-s.weight, s.name.casefold()))

    # ---- the catalogue ---------------------------------------------------------------------

    def catalogue(self) -> list[Entry]:
        """Every unarchived achievement on the server, read again only when one changed."""
        names = self.skills.names()
        with self.sessions() as session:
            repo = CareersRepository(session)
            version = (repo.catalogue_version(), id(names))
            with self._lock:
                if self._catalogue is not None and self._catalogue[0] == version:
                    return self._catalogue[1]
            entries = [
                entry_of(
                    achievement_id,
                    name,
                    issuer,
                    definition,
                    names,
                    price_minor=price,
                    currency=currency,
                    duration_days=days,
                )
                for achievement_id, name, issuer, definition, price, currency, days in (
                    repo.catalogue()
                )
            ]
        with self._lock:
            self._catalogue = (version, entries)
        return entries

    def set_offer(
        self,
        achievement_id: str,
        *,
        price_minor: int | None = None,
        currency: str | None = None,
        duration_days: int | None = None,
    ) -> None:
        """What an achievement costs and how long it takes (for the cheapest/fastest paths)."""
        if price_minor is not None and (price_minor < 0 or not currency):
            raise InputError(
                "a price needs a currency and cannot be negative",
                expected="price >= 0 with an ISO 4217 code such as EUR",
                found=f"{price_minor} {currency or '(no currency)'}",
            )
        if currency is not None and not (len(currency) == 3 and currency.isalpha()):
            raise InputError("not a currency code", expected="ISO 4217, e.g. EUR", found=currency)
        if duration_days is not None and duration_days <= 0:
            raise InputError("duration must be positive", expected="days > 0")
        with transaction(self.sessions) as session:
            repo = CareersRepository(session)
            repo.require_achievement(achievement_id)
            repo.set_offer(
                achievement_id,
                price_minor=price_minor,
                currency=currency.upper() if currency else None,
                duration_days=duration_days,
                at=self.clock(),
            )

    # ---- the plan --------------------------------------------------------------------------

    def plan(
        self,
        *,
        goal: str | None = None,
        occupation: str | None = None,
        learner_id: str | None = None,
        currency: str | None = None,
    ) -> Plan:
        """The plan for an occupation (by code) or for the best match of a goal."""
        matches: tuple[Match, ...] = ()
        if occupation:
            chosen = self.skills.occupation(occupation)
        elif goal is not None:
            matches = tuple(self.match(goal))
            if not matches:
                raise NotFoundError(
                    "no occupation matches the goal",
                    expected="an occupation's name or what the work involves",
                    found=goal[:80],
                )
            chosen = matches[0].occupation
        else:
            raise InputError("no goal", expected="a goal or an occupation code")
        skills = self.occupation_skills(chosen)
        held_all = self.held_skills(learner_id) if learner_id else {}
        held = {s.id: held_all[s.id] for s in skills if s.id in held_all}
        gap = tuple(s for s in skills if s.id not in held)
        entries = self.catalogue()
        paths = {
            objective: self._path(objective, gap, entries, currency) for objective in OBJECTIVES
        }
        taught = frozenset().union(*(e.skills for e in entries)) if entries else frozenset()
        return Plan(
            occupation=chosen,
            gap=gap,
            held=held,
            path=paths["workload"],
            alternatives={k: v for k, v in paths.items() if k != "workload"},
            uncovered=tuple(s for s in gap if s.id not in taught),
            matches=matches,
        )

    def _path(
        self, objective: str, gap: tuple[GapSkill, ...], entries: list[Entry], currency: str | None
    ) -> Path:
        wanted = [s for s in gap if objective != "in_demand" or s.weight > 1]
        weights = {s.id: s.weight for s in wanted}
        money = currency or _usual_currency(entries)
        cost = _cost_function(objective, entries, money)
        candidates = [
            Candidate(e.id, e.skills, cost(e)) for e in entries if e.skills & weights.keys()
        ]
        result: Cover = cover(weights, candidates)
        by_id = {e.id: e for e in entries}
        chosen = _ordered([by_id[i] for i in result.chosen])
        steps = _explained(chosen, wanted, [by_id[c.id] for c in candidates])
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
        )


def _usual_currency(entries: list[Entry]) -> str | None:
    counts = Counter(e.currency for e in entries if e.currency and e.price_minor is not None)
    return counts.most_common(1)[0][0] if counts else None


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


def _explained(chosen: list[Entry], gap: list[GapSkill], pool: list[Entry]) -> tuple[Step, ...]:
    left = {s.id: s for s in gap}
    picked = {e.id for e in chosen}
    steps = []
    for entry in chosen:
        covers = tuple(s for s in gap if s.id in left and s.id in entry.skills)
        for s in covers:
            del left[s.id]
        wanted = {s.id for s in covers}
        best: tuple[int, float, str, Entry] | None = None
        for other in pool:
            if other.id in picked:
                continue
            shared = len(other.skills & wanted)
            if shared and (best is None or (-shared, other.hours, other.name) < best[:3]):
                best = (-shared, other.hours, other.name, other)
        alternative = (
            Alternative(best[3].name, -best[0], best[3].hours) if best is not None else None
        )
        steps.append(Step(entry, covers, alternative))
    return tuple(steps)


__all__ = ["OBJECTIVES", "CareersService", "GapSkill", "Path", "Plan", "Step"]
