"""Bulk issuance's SQL: batches, their rows (COPY on PostgreSQL), and staged uploads.

Repositories take the caller's session and never commit: the service owns the unit of work.
The statements here are the ones bench/bulk_bench.py measures at 100,000 rows (see
docs/design/jobs.md): rows are written 1,000 per statement, a chunk is marked by one UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

import psycopg
from sqlalchemy import ColumnElement, Engine, Row, delete, func, insert, select, text, update

from microcred.store.db import json_text
from microcred.store.repository import Repository
from microcred.store.tables import Base, BatchRow, BatchRowRow, CredentialRow, StagedUploadRow

OPEN_STATES = ("queued", "running")  # a batch whose chunks may still run
_BATCH_ROWS = Base.metadata.tables["batch_rows"]  # Core executemany: no ORM bulk-insert layer
_COPIED = ("batch_id", "line", "chunk", "idempotency_key", "data")


class BatchRepository(Repository):
    noun = "batch"

    def add(self, batch: BatchRow) -> None:
        """Store a new batch, flushed so its rows can refer to it."""
        self.session.add(batch)
        self.session.flush()

    def get(self, batch_id: str) -> BatchRow | None:
        return self.session.get(BatchRow, batch_id)

    def require(self, issuer_id: str, batch_id: str) -> BatchRow:
        """The issuer's batch; another issuer's is not found."""
        batch = self.get(batch_id)
        return self.found(
            batch if batch is not None and batch.issuer_id == issuer_id else None, batch_id
        )

    def lock(self, batch_id: str) -> BatchRow | None:
        """The batch, row-locked until commit: its counters and report are read and moved."""
        return self.session.get(BatchRow, batch_id, with_for_update=True)

    def page(self, issuer_id: str, *, offset: int, limit: int) -> tuple[list[BatchRow], int]:
        """The issuer's batches, newest first, and how many there are in all."""
        where = BatchRow.issuer_id == issuer_id
        total = self.session.scalar(select(func.count()).select_from(BatchRow).where(where)) or 0
        rows = self.session.scalars(
            select(BatchRow)
            .where(where)
            .order_by(BatchRow.created_at.desc(), BatchRow.id)
            .offset(offset)
            .limit(limit)
        )
        return list(rows), total

    def open(self, *, not_moved_since: datetime | None = None) -> Sequence[BatchRow]:
        """Batches still queued or running; with ``not_moved_since``, only those not updated
        since then."""
        query = select(BatchRow).where(BatchRow.state.in_(OPEN_STATES))
        if not_moved_since is not None:
            query = query.where(BatchRow.updated_at < not_moved_since)
        return self.session.scalars(query).all()

    def fail_if_open(self, batch_id: str, error: str, at: datetime) -> None:
        """One conditional UPDATE: a batch that finished or failed meanwhile stays as it is."""
        self.session.execute(
            update(BatchRow)
            .where(BatchRow.id == batch_id, BatchRow.state.in_(OPEN_STATES))
            .values(state="failed", error=error, updated_at=at, finished_at=at)
        )


class BatchRowRepository(Repository):
    noun = "batch row"

    @cached_property
    def _copies(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def add_many(self, rows: Sequence[dict[str, object]]) -> None:
        """Write these rows (``batch_id``, ``line``, ``chunk``, ``idempotency_key``, ``data``)
        in one statement: COPY on PostgreSQL, an executemany INSERT elsewhere."""
        if self._copies:
            self._copy(rows)
        else:
            self.session.execute(insert(_BATCH_ROWS), rows)

    def _copy(self, rows: Sequence[dict[str, object]]) -> None:
        """PostgreSQL: COPY, in the session's transaction. An INSERT per row, even pipelined,
        took 30 us of the uploader's time each and was half of a 100,000-row upload."""
        connection = self.session.connection().connection.driver_connection
        assert isinstance(connection, psycopg.Connection)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY batch_rows ({', '.join(_COPIED)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([*(row[c] for c in _COPIED[:-1]), json_text(row["data"])])

    def unissued(self, batch_id: str, chunk: int) -> Sequence[Row[str, dict[str, Any]]]:
        """(idempotency key, data) of the chunk's rows without a credential, in file order."""
        return self.session.execute(
            select(BatchRowRow.idempotency_key, BatchRowRow.data)
            .where(
                BatchRowRow.batch_id == batch_id,
                BatchRowRow.chunk == chunk,
                BatchRowRow.credential_id.is_(None),
            )
            .order_by(BatchRowRow.line)
        ).all()

    def mark_issued(self, batch_id: str, chunk: int) -> list[str]:
        """Mark the chunk's unmarked rows with their credentials; returns the credential ids
        of the rows marked now (rows whose credential is not there yet stay unmarked).

        One statement finds each row's credential by its idempotency key (the unique index)
        and marks only unmarked rows: a second worker on the same chunk, blocked on the row
        locks until the first commits, then finds them marked and marks nothing."""
        batch_issuer = select(BatchRow.issuer_id).where(BatchRow.id == batch_id).scalar_subquery()
        credential = (
            select(CredentialRow.id)
            .where(
                CredentialRow.issuer_id == batch_issuer,
                CredentialRow.idempotency_key == BatchRowRow.idempotency_key,
            )
            .scalar_subquery()
        )
        return [
            credential_id
            for credential_id in self.session.scalars(
                update(BatchRowRow)
                .where(
                    BatchRowRow.batch_id == batch_id,
                    BatchRowRow.chunk == chunk,
                    BatchRowRow.credential_id.is_(None),
                )
                .values(credential_id=credential)
                .returning(BatchRowRow.credential_id)
            )
            if credential_id is not None
        ]

    def unfinished_chunks(self, batch_id: str) -> Sequence[int]:
        """The batch's chunks that still have a row without a credential, in order."""
        return self.session.scalars(
            select(BatchRowRow.chunk)
            .where(BatchRowRow.batch_id == batch_id, BatchRowRow.credential_id.is_(None))
            .distinct()
            .order_by(BatchRowRow.chunk)
        ).all()


class StagedUploadRepository(Repository):
    noun = "upload"

    def add(self, row: StagedUploadRow) -> None:
        self.session.add(row)

    def delete_created_before(self, before: datetime) -> None:
        """Sweep forgotten uploads."""
        self.session.execute(delete(StagedUploadRow).where(StagedUploadRow.created_at < before))

    def claim(self, issuer_id: str, token: str, *, at: datetime, created_since: datetime) -> bool:
        """Mark the issuer's upload started, if it is not yet and is recent enough; True when
        this call did. One conditional UPDATE: of two concurrent claims exactly one wins."""
        won = self.session.execute(
            update(StagedUploadRow)
            .where(
                _mine(issuer_id, token),
                StagedUploadRow.started_at.is_(None),
                StagedUploadRow.created_at >= created_since,
            )
            .values(started_at=at)
        ).rowcount  # type: ignore[attr-defined]
        return bool(won)

    def get(self, issuer_id: str, token: str) -> StagedUploadRow | None:
        return self.session.scalar(select(StagedUploadRow).where(_mine(issuer_id, token)))

    def waiting(
        self, issuer_id: str, token: str, *, created_since: datetime
    ) -> StagedUploadRow | None:
        """The issuer's upload if it is not started and recent enough."""
        return self.session.scalar(
            select(StagedUploadRow).where(
                _mine(issuer_id, token),
                StagedUploadRow.started_at.is_(None),
                StagedUploadRow.created_at >= created_since,
            )
        )

    def set_batch(self, token: str, batch_id: str) -> None:
        """Remember the upload's batch and drop the file's bytes."""
        self.session.execute(
            update(StagedUploadRow)
            .where(StagedUploadRow.token == token)
            .values(batch_id=batch_id, content=b"")
        )

    def unclaim(self, token: str) -> None:
        """Clear the claim of an upload that has no batch (a started one stays started)."""
        self.session.execute(
            update(StagedUploadRow)
            .where(StagedUploadRow.token == token, StagedUploadRow.batch_id.is_(None))
            .values(started_at=None)
        )

    def delete(self, token: str) -> None:
        self.session.execute(delete(StagedUploadRow).where(StagedUploadRow.token == token))


def _mine(issuer_id: str, token: str) -> ColumnElement[bool]:
    return (StagedUploadRow.token == token) & (StagedUploadRow.issuer_id == issuer_id)


def refresh_statistics(engine: Engine, tables: Sequence[str]) -> None:
    """ANALYZE these tables on PostgreSQL (nothing elsewhere).

    Not a repository method: ANALYZE runs on its own connection in autocommit, outside any
    unit of work, and takes no lock that blocks reads or writes."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text(f"ANALYZE {', '.join(tables)}")
        )


__all__ = [
    "OPEN_STATES",
    "BatchRepository",
    "BatchRowRepository",
    "StagedUploadRepository",
    "refresh_statistics",
]
