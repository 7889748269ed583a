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
count must not break or hold up the page that counts it (see
:func:`microcred.engagement.repository.count_event`).

Verifications are the one count a busy server makes many times a second, on the public API:
with ``defer_verified`` they are added up in memory and written about once a second, one
upsert per credential for however many verifications (``flush``), and at shutdown. A crash
loses at most that second's counts, and another process's dashboard sees them that much
later (this one's reads flush first). Tests and scripts count at once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from microcred.accounts.actor import Actor
from microcred.engagement.repository import EventRepository, count_event

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.urls import PublicUrls

log = logging.getLogger(__name__)

Kind = Literal["claimed", "shared", "verified"]
KINDS: tuple[Kind, ...] = ("claimed", "shared", "verified")


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
        on_claimed: Callable[[str], None] | None = None,
        defer_verified: bool = False,
        flush_seconds: float = 1.0,
    ) -> None:
        """``engine``: a count runs on its own connection with a short lock wait.
        ``on_claimed`` is told each credential whose first claim was counted (webhooks).
        ``defer_verified``: verifications are written together every ``flush_seconds``."""
        self.on_claimed = on_claimed
        self.defer_verified = defer_verified
        self.flush_seconds = flush_seconds
        self._pending: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._flusher: tuple[int, threading.Thread] | None = None  # (process id, thread)
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
        if kind == "claimed":
            # Repeat visits of the private link only read (no write lock is taken); the
            # NOT EXISTS and the partial unique index hold against a concurrent first claim.
            with self.sessions() as session:
                if EventRepository(session).claimed(credential_id):
                    return False
        counted = count_event(self.engine, credential_id, kind, channel, now)
        if counted and kind == "claimed" and self.on_claimed is not None:
            self.on_claimed(credential_id)
        return counted

    def verified(self, credential_url: str) -> None:
        """The verifier's hook: ``credential_url`` is a credential id under our base URL."""
        credential_id = self.urls.credential_id(credential_url)
        if credential_id is None:
            return
        if not self.defer_verified:
            self.record(credential_id, "verified")
            return
        with self._lock:
            self._pending[credential_id] += 1
            if self._flusher is None or self._flusher[0] != os.getpid():  # none yet, or forked
                thread = threading.Thread(
                    target=self._flush_every, name="microcred-verified-counts", daemon=True
                )
                self._flusher = (os.getpid(), thread)
                thread.start()

    def flush(self) -> None:
        """Write the verifications counted in memory (one upsert per credential)."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
        now = self.clock()
        for credential_id, times in pending.items():
            count_event(self.engine, credential_id, "verified", None, now, times)

    def _flush_every(self) -> None:
        stop = threading.Event()
        while not stop.wait(self.flush_seconds):
            try:
                self.flush()
            except Exception:  # a lost count must not stop the counting
                log.warning("could not write verification counts", exc_info=True)

    def of_credential(
        self, actor: Actor, issuer_id: str, credential_id: str
    ) -> dict[str, tuple[int, datetime | None]]:
        """Per kind: how many events one credential of the issuer has, and the first one's time."""
        self.flush()  # this process's deferred verifications first
        actor.require(issuer_id, "viewer")
        found: dict[str, tuple[int, datetime | None]] = dict.fromkeys(KINDS, (0, None))
        with self.sessions() as session:
            for kind, count, first in EventRepository(session).of_credential(
                issuer_id, credential_id
            ):
                if kind in found:
                    found[kind] = (int(count), first)
        return found

    def counts(
        self, actor: Actor, issuer_id: str, periods: Sequence[tuple[datetime, datetime]]
    ) -> EventCounts:
        """The issuer's events per kind in each ``[start, end)`` period, and per achievement."""
        self.flush()  # this process's deferred verifications first
        actor.require(issuer_id, "viewer")
        per_period: dict[str, list[int]] = {kind: [0] * len(periods) for kind in KINDS}
        per_achievement: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
        with self.sessions() as session:
            events = EventRepository(session)
            for kind, *values in events.per_period(issuer_id, periods):
                if kind in per_period:
                    per_period[kind] = [int(v or 0) for v in values]
            for achievement_id, kind, total in events.per_achievement(issuer_id):
                if kind in per_achievement:
                    per_achievement[kind][achievement_id] = int(total or 0)
        return EventCounts(per_period, per_achievement)


__all__ = ["KINDS", "EventCounts", "EventService", "Kind"]
