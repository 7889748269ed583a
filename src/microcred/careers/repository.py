"""The careers feature's SQL: the catalogue (achievements of every issuer, with their offers)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from microcred.store.repository import Repository
from microcred.store.tables import AchievementRow, CareerOfferRow, IssuerRow


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

    def require_achievement(self, achievement_id: str) -> AchievementRow:
        return self.found(self.session.get(AchievementRow, achievement_id), achievement_id)

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
