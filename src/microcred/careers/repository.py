"""The careers feature's SQL: the catalogue (achievements of every issuer, with their offers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select

from microcred.store.repository import Repository
from microcred.store.tables import (
    AchievementRow,
    CareerOfferRow,
    EmployerHitRow,
    EmployerRow,
    EmployerSearchRow,
    IssuerRow,
    SkillShareRow,
)


class CareersRepository(Repository):
    noun = "achievement"

    def catalogue_version(self) -> tuple[int, datetime | None, int, datetime | None]:
        """Changes whenever an achievement or an offer is added or edited."""
        achievements = self.session.execute(
            select(func.count(), func.max(AchievementRow.updated_at))
        ).one()
        offers = self.session.execute(
            select(func.count(), func.max(CareerOfferRow.updated_at))
        ).one()
        return int(achievements[0]), achievements[1], int(offers[0]), offers[1]

    def catalogue(
        self,
    ) -> Iterator[tuple[str, str, str, dict[str, Any], int | None, str | None, int | None]]:
        query = (
            select(
                AchievementRow.id,
                AchievementRow.name,
                IssuerRow.name,
                AchievementRow.definition,
                CareerOfferRow.price_minor,
                CareerOfferRow.currency,
                CareerOfferRow.duration_days,
            )
            .join(IssuerRow, IssuerRow.id == AchievementRow.issuer_id)
            .outerjoin(CareerOfferRow, CareerOfferRow.achievement_id == AchievementRow.id)
            .where(AchievementRow.archived.is_(False))
            .order_by(AchievementRow.id)
        )
        for row in self.session.execute(query):
            yield row[0], row[1], row[2], dict(row[3]), row[4], row[5], row[6]

    def set_offer(
        self,
        achievement_id: str,
        *,
        price_minor: int | None,
        currency: str | None,
        duration_days: int | None,
        at: datetime,
    ) -> None:
        row = self.session.get(CareerOfferRow, achievement_id)
        if row is None:
            row = CareerOfferRow(achievement_id=achievement_id, updated_at=at)
            self.session.add(row)
        row.price_minor = price_minor
        row.currency = currency
        row.duration_days = duration_days
        row.updated_at = at


class EmployersRepository(Repository):
    noun = "employer"

    def add_employer(self, row: EmployerRow) -> None:
        self.session.add(row)

    def employer_by_token(self, token_hash: str) -> EmployerRow | None:
        return self.session.scalar(select(EmployerRow).where(EmployerRow.token_hash == token_hash))

    def replace_share(self, learner_id: str, ref: str, skills: Iterable[str], at: datetime) -> None:
        self.withdraw(learner_id, ref)
        self.session.add_all(
            SkillShareRow(learner_id=learner_id, ref=ref, skill_id=skill, shared_at=at)
            for skill in skills
        )

    def withdraw(self, learner_id: str, ref: str) -> int:
        result = self.session.execute(
            delete(SkillShareRow).where(
                SkillShareRow.learner_id == learner_id, SkillShareRow.ref == ref
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def shares_of(self, learner_id: str) -> list[tuple[str, str]]:
        query = select(SkillShareRow.ref, SkillShareRow.skill_id).where(
            SkillShareRow.learner_id == learner_id
        )
        return [(ref, skill) for ref, skill in self.session.execute(query)]

    def rank_learners(
        self, weights: Mapping[str, float], *, offset: int, limit: int
    ) -> list[tuple[str, float]]:
        """Learners who shared credentials showing some of the weighted skills, by the summed
        weight of the distinct skills shown, heaviest first (the database does the ranking:
        only one page of learners comes back, however many shared)."""
        shown = (
            select(SkillShareRow.learner_id, SkillShareRow.skill_id)
            .where(SkillShareRow.skill_id.in_(list(weights)))
            .distinct()
            .subquery()
        )
        weight = case(
            {skill: float(w) for skill, w in weights.items()}, value=shown.c.skill_id, else_=0.0
        )
        score = func.sum(weight).label("score")
        query = (
            select(shown.c.learner_id, score)
            .group_by(shown.c.learner_id)
            .order_by(score.desc(), shown.c.learner_id)
            .offset(offset)
            .limit(limit)
        )
        return [(learner, float(total)) for learner, total in self.session.execute(query)]

    def shares_of_learners(
        self, learners: Iterable[str], skills: Iterable[str]
    ) -> list[tuple[str, str, str]]:
        """(learner, credential, skill) of these learners' shares showing one of ``skills``."""
        query = select(SkillShareRow.learner_id, SkillShareRow.ref, SkillShareRow.skill_id).where(
            SkillShareRow.learner_id.in_(list(learners)),
            SkillShareRow.skill_id.in_(list(skills)),
        )
        return [(learner, ref, skill) for learner, ref, skill in self.session.execute(query)]

    def searches_since(self, employer_id: str, since: datetime) -> int:
        query = select(func.count()).where(
            EmployerSearchRow.employer_id == employer_id, EmployerSearchRow.at >= since
        )
        return int(self.session.scalar(query) or 0)

    def log_search(self, row: EmployerSearchRow, learners: Iterable[str]) -> None:
        self.session.add(row)
        self.session.flush()
        self.session.add_all(
            EmployerHitRow(search_id=row.id, learner_id=learner) for learner in learners
        )

    def searches_finding(
        self, learner_id: str, limit: int = 100
    ) -> list[tuple[str, str, datetime]]:
        query = (
            select(EmployerRow.name, EmployerSearchRow.query, EmployerSearchRow.at)
            .join(EmployerSearchRow, EmployerSearchRow.employer_id == EmployerRow.id)
            .join(EmployerHitRow, EmployerHitRow.search_id == EmployerSearchRow.id)
            .where(EmployerHitRow.learner_id == learner_id)
            .order_by(EmployerSearchRow.at.desc())
            .limit(limit)
        )
        return [(name, q, at) for name, q, at in self.session.execute(query)]

    def forget_learner(self, learner_id: str) -> None:
        self.session.execute(delete(SkillShareRow).where(SkillShareRow.learner_id == learner_id))
        self.session.execute(delete(EmployerHitRow).where(EmployerHitRow.learner_id == learner_id))
