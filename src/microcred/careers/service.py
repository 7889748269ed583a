"""Careers: a goal to occupations, an occupation to the learner's skill gap, the gap to a plan.

The learner's skills are those their verified, unrevoked, unexpired credentials name (the
wallet's ``active`` ones: issued here or imported); the gap is the occupation's skills less
those, each weighted by its demand signals; the plan covers the gap from the whole catalogue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor
from microcred.achievements.service import AchievementService
from microcred.careers.catalogue import Catalogue, entry_of
from microcred.careers.goals import checked_goal
from microcred.careers.matching import GoalMatcher, Match
from microcred.careers.paths import OBJECTIVES, GapSkill, Path, build_path
from microcred.careers.repository import CareersRepository
from microcred.careers.semantic import Embedder
from microcred.crypto import jose
from microcred.errors import InputError, MicrocredError, NotFoundError
from microcred.skills.alignment import achievement_of_credential
from microcred.skills.service import SkillsService
from microcred.skills.taxonomy import ONET, Occupation, Taxonomy
from microcred.store.db import transaction
from microcred.wallet.service import WalletService


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
        achievements: AchievementService,
        embedder: Callable[[], Embedder | None],
    ) -> None:
        """``embedder``: the offline model, or None for lexical matching only (asked once)."""
        self.sessions = sessions
        self.clock = clock
        self.skills = skills
        self.wallet = wallet
        self.achievements = achievements
        self._embedder = embedder
        self._lock = threading.Lock()
        self._matchers: dict[str, tuple[Taxonomy, GoalMatcher]] = {}
        self._catalogue: tuple[object, Catalogue] | None = None

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

    def catalogue(self) -> Catalogue:
        """Every unarchived achievement on the server, read again only when one changed."""
        names = self.skills.names()
        with self.sessions() as session:
            repo = CareersRepository(session)
            version = (repo.catalogue_version(), id(names))
            with self._lock:
                if self._catalogue is not None and self._catalogue[0] == version:
                    return self._catalogue[1]
            entries = Catalogue(
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
            )
        with self._lock:
            self._catalogue = (version, entries)
        return entries

    def set_offer(
        self,
        actor: Actor,
        issuer_id: str,
        achievement_id: str,
        *,
        price_minor: int | None = None,
        currency: str | None = None,
        duration_days: int | None = None,
    ) -> None:
        """What an achievement costs and how long it takes (for the cheapest/fastest paths);
        the issuer's own achievements only."""
        actor.require(issuer_id, "issuer")
        self.achievements.get(actor, issuer_id, achievement_id)  # another issuer's: not found
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
            CareersRepository(session).set_offer(
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
        catalogue = self.catalogue()
        paths = {
            objective: build_path(objective, gap, catalogue, currency) for objective in OBJECTIVES
        }
        return Plan(
            occupation=chosen,
            gap=gap,
            held=held,
            path=paths["workload"],
            alternatives={k: v for k, v in paths.items() if k != "workload"},
            uncovered=tuple(s for s in gap if s.id not in catalogue.by_skill),
            matches=matches,
        )


__all__ = ["OBJECTIVES", "CareersService", "GapSkill", "Path", "Plan"]
