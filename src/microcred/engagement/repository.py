"""The dashboard's SQL: credentials issued per period and per achievement, counts by effective
status, and e-mails by state, for one issuer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select

from microcred.status.expiry import effective_state_sql
from microcred.store.repository import Repository
from microcred.store.tables import AchievementRow, CredentialRow, NotificationRow


@dataclass(frozen=True)
class IssuedCounts:
    per_week: Sequence[int | None]
    top: list[tuple[str, str, int]]  # achievement id, name, credentials issued
    states: dict[str, int]
    emails: dict[str, int]


class DashboardRepository(Repository):
    noun = "dashboard"

    def issued(
        self,
        issuer_id: str,
        periods: Sequence[tuple[datetime, datetime]],
        now: datetime,
        top: int,
    ) -> IssuedCounts:
        """Issued in each ``[start, end)`` period, the ``top`` most issued achievements, the
        effective states at ``now`` and the e-mails by state."""
        session = self.session
        mine = CredentialRow.issuer_id == issuer_id
        issued_at = CredentialRow.issued_at
        live_state = effective_state_sql(now)
        per_week = session.execute(
            select(
                *(
                    func.sum(case((and_(issued_at >= a, issued_at < b), 1), else_=0))
                    for a, b in periods
                )
            ).where(mine, issued_at >= periods[0][0])
        ).one()
        by_achievement = session.execute(
            select(AchievementRow.id, AchievementRow.name, func.count(CredentialRow.id))
            .join(AchievementRow, AchievementRow.id == CredentialRow.achievement_id)
            .where(mine)
            .group_by(AchievementRow.id, AchievementRow.name)
            .order_by(func.count(CredentialRow.id).desc(), AchievementRow.name)
            .limit(top)
        ).all()
        states = {
            str(state): int(count)
            for state, count in session.execute(
                select(live_state, func.count()).where(mine).group_by(live_state)
            )
        }
        emails = {
            str(state): int(count)
            for state, count in session.execute(
                select(NotificationRow.state, func.count())
                .where(NotificationRow.issuer_id == issuer_id)
                .group_by(NotificationRow.state)
            )
        }
        return IssuedCounts(
            per_week=tuple(per_week),
            top=[(str(i), str(n), int(c)) for i, n, c in by_achievement],
            states=states,
            emails=emails,
        )
