"""What the wallet's banner shows: the notices re-verification left for a learner (a held
credential revoked, suspended, expiring or expired) until the learner dismisses them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from microcred.store.db import transaction
from microcred.wallet.notice_repository import NoticeRepository

BANNER_LIMIT = 20
"""The most notices the banner lists at once (the newest)."""


@dataclass(frozen=True)
class Notice:
    id: str
    ref: str
    what: str  # revoked, suspended, expiring, expired
    name: str | None
    created_at: datetime


class NoticeService:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def notices(self, learner_id: str) -> list[Notice]:
        """The learner's notices not dismissed yet, newest first."""
        with self.sessions() as session:
            rows = NoticeRepository(session).open_notices(learner_id, limit=BANNER_LIMIT)
            return [Notice(r.id, r.ref, r.what, r.name, r.created_at) for r in rows]

    def dismiss(self, learner_id: str, notice_id: str) -> None:
        """Hide one notice; another learner's is not found."""
        with transaction(self.sessions) as session:
            row = NoticeRepository(session).notice(learner_id, notice_id)
            if row.dismissed_at is None:
                row.dismissed_at = self.clock()


__all__ = ["Notice", "NoticeService"]
