"""CSV files checked in the console and waiting to be started as a batch.

They live in the database (``staged_uploads``), so any web worker can start what another one
checked. Starting claims the upload with one conditional UPDATE (``started_at IS NULL``), so
two concurrent starts of the same file create one batch: the loser is told which batch the
winner started, or that it is being started.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from microcred.accounts.actor import Actor
from microcred.bulk.repository import StagedUploadRepository
from microcred.errors import ConflictError, NotFoundError, short
from microcred.store.db import transaction
from microcred.store.tables import StagedUploadRow

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy.orm import Session, sessionmaker

STAGED_FOR = timedelta(hours=1)  # how long a checked file waits to be started


@dataclass(frozen=True)
class Claimed:
    """The caller won the upload (``row``), or another request already started it."""

    row: StagedUploadRow | None
    batch_id: str | None = None


class StagedUploads:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def stage(
        self,
        actor: Actor,
        issuer_id: str,
        achievement_id: str,
        content: bytes,
        *,
        filename: str,
        encoding: str | None,
    ) -> str:
        """Keep a checked file; returns its random token. Forgotten uploads are swept."""
        actor.require(issuer_id, "issuer")
        now = self.clock()
        token = secrets.token_urlsafe(18)
        with transaction(self.sessions) as session:
            uploads = StagedUploadRepository(session)
            uploads.delete_created_before(now - STAGED_FOR)
            uploads.add(
                StagedUploadRow(
                    token=token,
                    issuer_id=issuer_id,
                    achievement_id=achievement_id,
                    filename=filename[:500],
                    encoding=encoding,
                    content=content,
                    created_at=now,
                )
            )
        return token

    def claim(self, actor: Actor, issuer_id: str, token: str) -> Claimed:
        """Take the upload to start it: exactly one caller gets the row."""
        actor.require(issuer_id, "issuer")
        now = self.clock()
        with transaction(self.sessions) as session:
            uploads = StagedUploadRepository(session)
            won = uploads.claim(issuer_id, token, at=now, created_since=now - STAGED_FOR)
            row = uploads.get(issuer_id, token)
        if row is None or (not won and row.started_at is None):
            raise NotFoundError(
                "this upload has expired; upload the file again", found=short(token)
            )
        if won:
            return Claimed(row)
        if row.batch_id is None:
            raise ConflictError("this upload is being started already", found=short(token))
        return Claimed(None, row.batch_id)

    def read(self, actor: Actor, issuer_id: str, token: str) -> StagedUploadRow:
        """A checked file not started yet (its bytes are dropped once started), for its
        rejected rows; NotFoundError when expired, started, or another issuer's."""
        actor.require(issuer_id, "issuer")
        with self.sessions() as session:
            row = StagedUploadRepository(session).waiting(
                issuer_id, token, created_since=self.clock() - STAGED_FOR
            )
            if row is None:
                raise NotFoundError(
                    "this upload has expired or was started; upload the file again",
                    found=short(token),
                )
            session.expunge(row)
            return row

    def started(self, token: str, batch_id: str) -> None:
        """Remember the batch (a repeated start finds it) and drop the file's bytes."""
        with transaction(self.sessions) as session:
            StagedUploadRepository(session).set_batch(token, batch_id)

    def release(self, token: str) -> None:
        """Give back a claim whose start failed unexpectedly, so the upload can be started
        again (a started one, with its batch, stays started)."""
        with transaction(self.sessions) as session:
            StagedUploadRepository(session).unclaim(token)

    def drop(self, token: str) -> None:
        with transaction(self.sessions) as session:
            StagedUploadRepository(session).delete(token)


__all__ = ["STAGED_FOR", "Claimed", "StagedUploads"]
