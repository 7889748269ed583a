"""The transparency log's own SQL beside the log store: the server's log keys, and checkpoints
as the witness and the bundle read and anchor them.

Repositories take the caller's session and never commit: the service owns the unit of work.
Leaves, nodes and the checkpoint each append signs are written by
:class:`~microcred.store.log.SqlLogStore` (the store floor), which bench/log_store_bench.py
measures; nothing here is on that path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, null, select, update

from microcred.store.repository import Repository
from microcred.store.tables import IssuerKeyRow, LogCheckpointRow

LOG_PURPOSE = "log"


class LogKeyRepository(Repository):
    """The server's log keys: ``issuer_id`` NULL, purpose ``log``."""

    noun = "log key"

    def current(self) -> IssuerKeyRow | None:
        """The newest key not retired, or None if the log has none yet."""
        return self.session.scalar(
            select(IssuerKeyRow)
            .where(
                IssuerKeyRow.issuer_id.is_(None),
                IssuerKeyRow.purpose == LOG_PURPOSE,
                IssuerKeyRow.retired_at.is_(None),
            )
            .order_by(IssuerKeyRow.created_at.desc())
            .limit(1)
        )

    def add(self, row: IssuerKeyRow) -> None:
        """Store a new key, flushed so it is the current one for the rest of the transaction."""
        self.session.add(row)
        self.session.flush()

    def retire_current(self, at: datetime) -> None:
        self.session.execute(
            update(IssuerKeyRow)
            .where(
                IssuerKeyRow.issuer_id.is_(None),
                IssuerKeyRow.purpose == LOG_PURPOSE,
                IssuerKeyRow.retired_at.is_(None),
            )
            .values(retired_at=at)
        )

    def every(self) -> list[IssuerKeyRow]:
        """Every log key, retired ones too (they still verify old checkpoints), unordered."""
        return list(
            self.session.scalars(
                select(IssuerKeyRow).where(
                    IssuerKeyRow.issuer_id.is_(None), IssuerKeyRow.purpose == LOG_PURPOSE
                )
            )
        )


class CheckpointRepository(Repository):
    """Signed checkpoints by tree size, and their anchor records (``anchor``, JSON)."""

    noun = "checkpoint"

    def get(self, size: int) -> LogCheckpointRow | None:
        return self.session.get(LogCheckpointRow, size)

    def require(self, size: int) -> LogCheckpointRow:
        """The checkpoint of this tree size, or NotFoundError."""
        return self.found(self.get(size), size)

    def lock(self, size: int) -> LogCheckpointRow | None:
        """The checkpoint, row-locked until commit: two anchoring runs must not both record,
        confirm or drop its anchor from one read."""
        return self.session.scalar(
            select(LogCheckpointRow).where(LogCheckpointRow.size == size).with_for_update()
        )

    def clear_anchor(self, size: int) -> None:
        """Set the anchor column to SQL NULL. A Core UPDATE with ``null()``: assigning None to
        the JSON attribute would store JSON ``null``, which ``anchor IS NOT NULL`` still finds."""
        self.session.execute(
            update(LogCheckpointRow).where(LogCheckpointRow.size == size).values(anchor=null())
        )

    def newest_size(self) -> int:
        """The largest tree size with a checkpoint, 0 for none."""
        return self.session.scalar(select(func.max(LogCheckpointRow.size))) or 0

    def last_with_anchor(self) -> tuple[int, Any] | None:
        """(size, anchor record) of the largest checkpoint with any anchor record (pending,
        confirmed or unreadable), or None."""
        row = self.session.execute(
            select(LogCheckpointRow.size, LogCheckpointRow.anchor)
            .where(LogCheckpointRow.anchor.is_not(None))
            .order_by(LogCheckpointRow.size.desc())
            .limit(1)
        ).first()
        return None if row is None else (row[0], row[1])

    def with_anchor_holding(self, leaf: int, *, limit: int) -> Iterable[LogCheckpointRow]:
        """Checkpoints that hold leaf ``leaf`` and have an anchor record, newest first, at most
        ``limit``; fetched as they are iterated, so a caller that stops early reads no more."""
        return self.session.scalars(
            select(LogCheckpointRow)
            .where(LogCheckpointRow.size > leaf, LogCheckpointRow.anchor.is_not(None))
            .order_by(LogCheckpointRow.size.desc())
            .limit(limit)
        )


__all__ = ["LOG_PURPOSE", "CheckpointRepository", "LogKeyRepository"]
