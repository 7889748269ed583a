"""Engagement's SQL: the dashboard's numbers (credentials issued per period and per
achievement, counts by effective status, e-mails by state, for one issuer) and the event
counters (claimed, shared, verified).

Repositories take the caller's session and never commit: the service owns the unit of work.
A count is the exception: :func:`count_event` runs on a connection of its own (see there).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Engine,
    Executable,
    Integer,
    Row,
    Select,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from microcred.status.expiry import effective_state_sql
from microcred.store.repository import Repository
from microcred.store.tables import (
    AchievementRow,
    CredentialEventRow,
    CredentialRow,
    NotificationRow,
)

LOCK_WAIT_MS = 250  # the longest a count may wait for a database lock
MAX_CHANNEL = 32

log = logging.getLogger(__name__)


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


class EventRepository(Repository):
    """The counters' reads (one row per credential, kind, channel and day)."""

    noun = "event"

    def claimed(self, credential_id: str) -> bool:
        """Whether the credential's claim is counted. Only reads: no write lock is taken."""
        return bool(self.session.scalar(select(_claimed(credential_id))))

    def of_credential(
        self, issuer_id: str, credential_id: str
    ) -> Sequence[Row[str, int, datetime | None]]:
        """Per kind: (kind, events in all, the first one's time) of one of the issuer's
        credentials."""
        return self.session.execute(
            select(
                CredentialEventRow.kind,
                func.sum(CredentialEventRow.count),
                func.min(CredentialEventRow.first_at),
            )
            .where(
                CredentialEventRow.issuer_id == issuer_id,
                CredentialEventRow.credential_id == credential_id,
            )
            .group_by(CredentialEventRow.kind)
        ).all()

    def per_period(
        self, issuer_id: str, periods: Sequence[tuple[datetime, datetime]]
    ) -> Sequence[Row[*tuple[Any, ...]]]:
        """Per kind: (kind, count in each ``[start, end)`` period...) of the issuer's events.
        Periods start and end at midnight (the charts' weeks); none given, no statement."""
        if not periods:
            return []
        day, count = CredentialEventRow.day, CredentialEventRow.count
        columns = [
            func.sum(case((and_(day >= start.date(), day < end.date()), count), else_=0))
            for start, end in periods
        ]
        since = min(start for start, _ in periods)
        return self.session.execute(
            select(CredentialEventRow.kind, *columns)
            .where(CredentialEventRow.issuer_id == issuer_id, day >= since.date())
            .group_by(CredentialEventRow.kind)
        ).all()

    def per_achievement(self, issuer_id: str) -> Sequence[Row[str, str, int | None]]:
        """(achievement id, kind, events in all) of the issuer's events."""
        return self.session.execute(
            select(
                CredentialEventRow.achievement_id,
                CredentialEventRow.kind,
                func.sum(CredentialEventRow.count),
            )
            .where(CredentialEventRow.issuer_id == issuer_id)
            .group_by(CredentialEventRow.achievement_id, CredentialEventRow.kind)
        ).all()


def count_event(
    engine: Engine,
    credential_id: str,
    kind: str,
    channel: str | None,
    now: datetime,
    times: int = 1,
) -> bool:
    """Count one event of the credential; True when it was counted. False for an unknown
    credential, a claim already counted (or counted concurrently: the partial unique index
    refuses the second), or a database error, which is logged and swallowed: a lost count
    must not break the page that counts it.

    One ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` from the credential row, so an unknown
    id records nothing; a claim is never counted up (its conflict does nothing, and the
    ``NOT EXISTS`` holds against a concurrent first claim).

    Not a repository method: the count runs on a connection of its own, outside the caller's
    unit of work, and waits at most ``LOCK_WAIT_MS`` for a lock: under a long writer (a bulk
    chunk on SQLite, a row lock on PostgreSQL) the count is dropped, the page is not held up.
    """
    source = select(
        CredentialRow.id,
        literal(kind, String()),
        literal(channel[:MAX_CHANNEL] if channel else "", String()),
        literal(now.date(), Date()),
        CredentialRow.issuer_id,
        CredentialRow.achievement_id,
        literal(times, Integer()),
        literal(now, CredentialEventRow.first_at.type),
    ).where(CredentialRow.id == credential_id)
    if kind == "claimed":
        source = source.where(~_claimed(credential_id))
    try:
        return _write(engine, source, counted_up=kind != "claimed", times=times)
    except IntegrityError:
        return False  # a concurrent first claim won
    except SQLAlchemyError:
        log.warning("could not count a %s event", kind, exc_info=True)
        return False


def _claimed(credential_id: str) -> ColumnElement[bool]:
    return exists().where(
        CredentialEventRow.credential_id == credential_id,
        CredentialEventRow.kind == "claimed",
    )


def _upsert(
    dialect: str, source: Select[*tuple[Any, ...]], *, counted_up: bool, times: int = 1
) -> Executable:
    """The day's row is added, or its count goes up by ``times`` (a claim is never counted
    up: its conflict does nothing)."""
    make = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = make(CredentialEventRow).from_select(
        [
            "credential_id",
            "kind",
            "channel",
            "day",
            "issuer_id",
            "achievement_id",
            "count",
            "first_at",
        ],
        source,
    )
    keys = ["credential_id", "kind", "channel", "day"]
    if counted_up:
        done = statement.on_conflict_do_update(
            index_elements=keys, set_={"count": CredentialEventRow.count + times}
        )
    else:
        done = statement.on_conflict_do_nothing(index_elements=keys)
    return done.returning(
        CredentialEventRow.count
    )  # rowcount of INSERT ... SELECT varies by driver


def _write(
    engine: Engine, source: Select[*tuple[Any, ...]], *, counted_up: bool, times: int = 1
) -> bool:
    """Run the insert, waiting at most ``LOCK_WAIT_MS`` for a lock."""
    with engine.connect() as connection:
        dialect, usual = connection.dialect.name, 0
        try:
            with connection.begin():  # PRAGMA and SET LOCAL take no lock; the insert does
                if dialect == "sqlite":
                    usual = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
                elif dialect == "postgresql":
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'")
                statement = _upsert(dialect, source, counted_up=counted_up, times=times)
                return connection.execute(statement).first() is not None
        finally:
            if dialect == "sqlite" and usual:  # the pooled connection's own setting back
                connection.exec_driver_sql(f"PRAGMA busy_timeout={usual}")
                connection.rollback()
