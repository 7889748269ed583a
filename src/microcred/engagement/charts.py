"""The console dashboard's numbers: credentials issued per week and per achievement, counts
by effective status, e-mails by state, and the engagement counters beside them.

Issued counts come from the credentials; claimed, shared and verified from the counters
(:class:`~microcred.engagement.events.EventService`). Everything is scoped to one issuer, for
an actor with at least the viewer role. The web layer draws them; this module only counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor
from microcred.engagement.events import KINDS, EventService
from microcred.engagement.repository import DashboardRepository

WEEKS = 12
TOP_ACHIEVEMENTS = 10


@dataclass(frozen=True)
class Dashboard:
    """``weeks``: the Monday each week starts on and its counts per series (``issued`` and
    each counter kind), oldest first; ``achievements``: the most issued, by name, likewise."""

    weeks: list[tuple[date, dict[str, int]]]
    achievements: list[tuple[str, dict[str, int]]]
    states: dict[str, int]
    emails: dict[str, int]


class ChartService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        events: EventService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.events = events

    def dashboard(self, actor: Actor, issuer_id: str) -> Dashboard:
        actor.require(issuer_id, "viewer")
        now = self.clock()
        monday = (now - timedelta(days=now.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        starts = [monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
        periods = [(start, start + timedelta(weeks=1)) for start in starts]
        with self.sessions() as session:
            issued = DashboardRepository(session).issued(issuer_id, periods, now, TOP_ACHIEVEMENTS)
        per_week, issued_by_achievement = issued.per_week, issued.top
        states, emails = issued.states, issued.emails
        events = self.events.counts(actor, issuer_id, periods)
        weeks = []
        for i, start in enumerate(starts):
            values = {"issued": int(per_week[i] or 0)}
            values.update({kind: events.per_period[kind][i] for kind in KINDS})
            weeks.append((start.date(), values))
        top = []
        for achievement_id, name, count in issued_by_achievement:
            values = {"issued": int(count)}
            values.update({k: events.per_achievement[k].get(achievement_id, 0) for k in KINDS})
            top.append((str(name), values))
        return Dashboard(weeks=weeks, achievements=top, states=states, emails=emails)


__all__ = ["TOP_ACHIEVEMENTS", "WEEKS", "ChartService", "Dashboard"]
