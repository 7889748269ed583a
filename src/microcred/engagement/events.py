"""Counters of a credential's public life: claimed, shared, verified.

* ``claimed``: the recipient opened their private link (counted once per credential);
* ``shared``: someone followed a share link of the public page (through our counting
  redirect, since LinkedIn and the like cannot tell us);
* ``verified``: this server's verifier (page, API, VC-API) checked one of our credentials
  and its proof held, whatever the other checks said (an employer checking a revoked
  credential counts too; a forged copy that merely carries our id does not).

Counts are kept per credential, kind, channel and day (with the issuer and achievement, for
the charts, and the day's first time): nothing about the person, and one row per day of
activity, however many requests, so nobody can grow the table by repeating a request. A count
is one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` from the credential row, so an unknown
id records nothing; it waits at most ``LOCK_WAIT_MS`` for a lock and never raises: a lost
count must not break or hold up the page that counts it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import (
    Date,
    Executable,
    Integer,
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

from microcred.accounts.actor import Actor
from microcred.store.tables import CredentialEventRow, CredentialRow

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.urls import PublicUrls

Kind = Literal["claimed", "shared", "verified"]
KINDS: tuple[Kind, ...] = ("claimed", "shared", "verified")
MAX_CHANNEL = 32
LOCK_WAIT_MS = 250  # the longest a count may wait for a database lock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventCounts:
    """Per kind: counts in each period (``periods`` order), and per achievement id."""

    per_period: dict[str, list[int]]
    per_achievement: dict[str, dict[str, int]]


class EventService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        engine: Engine,
        clock: Callable[[], datetime],
        urls: PublicUrls,
    ) -> None:
        """``engine``: a count runs on its own connection with a short lock wait."""
        self.sessions = sessions
        self.engine = engine
        self.clock = clock
        self.urls = urls

    def record(self, credential_id: str, kind: Kind, *, channel: str | None = None) -> bool:
        """Count one event; True when it was counted (False: unknown credential, a claim
        already counted, or a database error, which is logged and swallowed)."""
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        now = self.clock()
        source = select(
            CredentialRow.id,
            literal(kind, String()),
            literal(channel[:MAX_CHANNEL] if channel else "", String()),
            literal(now.date(), Date()),
            CredentialRow.issuer_id,
            CredentialRow.achievement_id,
            literal(1, Integer()),
            literal(now, CredentialEventRow.first_at.type),
        ).where(CredentialRow.id == credential_id)
        if kind == "claimed":
            claimed = exists().where(
                CredentialEventRow.credential_id == credential_id,
                CredentialEventRow.kind == "claimed",
            )
            # Repeat visits of the private link only read (no write lock is taken); the
            # NOT EXISTS and the partial unique index hold against a concurrent first claim.
            with self.sessions() as session:
                if session.scalar(select(claimed)):
                    return False
            source = source.where(~claimed)
        try:
            return self._write(source, counted_up=kind != "claimed")
        except IntegrityError:
            return False  # a concurrent first claim won
        except SQLAlchemyError:
            log.warning("could not count a %s event", kind, exc_info=True)
            return False

    @staticmethod
    def _upsert(dialect: str, source: Select[*tuple[Any, ...]], *, counted_up: bool) -> Executable:
        """The day's row is added, or its count goes up by one (a claim is never counted up:
        its conflict does nothing)."""
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
                index_elements=keys, set_={"count": CredentialEventRow.count + 1}
            )
        else:
            done = statement.on_conflict_do_nothing(index_elements=keys)
        return done.returning(
            CredentialEventRow.count
        )  # rowcount of INSERT ... SELECT varies by driver

    def _write(self, source: Select[*tuple[Any, ...]], *, counted_up: bool) -> bool:
        """Run the insert, waiting at most ``LOCK_WAIT_MS`` for a lock: under a long writer
        (a bulk chunk on SQLite, a row lock on PostgreSQL) the count is dropped, the page is
        not held up."""
        with self.engine.connect() as connection:
            dialect, usual = connection.dialect.name, 0
            try:
                with connection.begin():  # PRAGMA and SET LOCAL take no lock; the insert does
                    if dialect == "sqlite":
                        usual = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
                        connection.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
                    elif dialect == "postgresql":
                        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'")
                    statement = self._upsert(dialect, source, counted_up=counted_up)
                    return connection.execute(statement).first() is not None
            finally:
                if dialect == "sqlite" and usual:  # the pooled connection's own setting back
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={usual}")
                    connection.rollback()

    def verified(self, credential_url: str) -> None:
        """The verifier's hook: ``credential_url`` is a credential id under our base URL."""
        credential_id = self.urls.credential_id(credential_url)
        if credential_id is not None:
            self.record(credential_id, "verified")

    def of_credential(
        self, actor: Actor, issuer_id: str, credential_id: str
    ) -> dict[str, tuple[int, datetime | None]]:
        """Per kind: how many events one credential of the issuer has, and the first one's time."""
        actor.require(issuer_id, "viewer")
        found: dict[str, tuple[int, datetime | None]] = dict.fromkeys(KINDS, (0, None))
        with self.sessions() as session:
            rows = session.execute(
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
            )
            for kind, count, first in rows:
                if kind in found:
                    found[kind] = (int(count), first)
        return found

    def counts(
        self, actor: Actor, issuer_id: str, periods: Sequence[tuple[datetime, datetime]]
    ) -> EventCounts:
        """The issuer's events per kind in each ``[start, end)`` period, and per achievement."""
        actor.require(issuer_id, "viewer")
        mine = CredentialEventRow.issuer_id == issuer_id
        day, count = CredentialEventRow.day, CredentialEventRow.count
        columns = [  # periods start and end at midnight (the charts' weeks)
            func.sum(case((and_(day >= start.date(), day < end.date()), count), else_=0))
            for start, end in periods
        ]
        per_period: dict[str, list[int]] = {kind: [0] * len(periods) for kind in KINDS}
        per_achievement: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
        with self.sessions() as session:
            if periods:
                since = min(start for start, _ in periods)
                rows = session.execute(
                    select(CredentialEventRow.kind, *columns)
                    .where(mine, day >= since.date())
                    .group_by(CredentialEventRow.kind)
                ).all()
                for kind, *values in rows:
                    if kind in per_period:
                        per_period[kind] = [int(v or 0) for v in values]
            for achievement_id, kind, total in session.execute(
                select(CredentialEventRow.achievement_id, CredentialEventRow.kind, func.sum(count))
                .where(mine)
                .group_by(CredentialEventRow.achievement_id, CredentialEventRow.kind)
            ):
                if kind in per_achievement:
                    per_achievement[kind][achievement_id] = int(total or 0)
        return EventCounts(per_period, per_achievement)


__all__ = ["KINDS", "EventCounts", "EventService", "Kind"]
