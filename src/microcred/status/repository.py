"""Status lists' SQL: the issuer's list rows (bits, signed copy) and the indices handed out.

Repositories take the caller's session and never commit: the service owns the unit of work.
Two writers that must not both act on one read lock the list row (``SELECT ... FOR UPDATE``
on PostgreSQL; SQLite's write transaction already serialises): allocation locks the issuer's
newest revocation list, a status change the list whose bit it flips. The expiry rule's SQL
lives with its Python twin in :mod:`microcred.status.expiry`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from microcred.store.repository import Repository
from microcred.store.tables import Base, StatusListRow

_INDICES = Base.metadata.tables["status_indices"]  # Core: executemany without the ORM's bulk path


class StatusListRepository(Repository):
    noun = "status list"

    def get(self, issuer_id: str, purpose: str, seq: int) -> StatusListRow | None:
        return self.session.scalar(
            select(StatusListRow).where(
                StatusListRow.issuer_id == issuer_id,
                StatusListRow.purpose == purpose,
                StatusListRow.seq == seq,
            )
        )

    def lock(self, issuer_id: str, purpose: str, seq: int) -> StatusListRow | None:
        """The list, row-locked until commit: two status changes on one list must not both
        rewrite the bits from one read."""
        return self.session.scalar(
            select(StatusListRow)
            .where(
                StatusListRow.issuer_id == issuer_id,
                StatusListRow.purpose == purpose,
                StatusListRow.seq == seq,
            )
            .with_for_update()
        )

    def lock_by_id(self, row_id: str) -> StatusListRow | None:
        """The list, row-locked until commit: its signed copy is kept only if its bits are
        still those that were signed."""
        return self.session.scalar(
            select(StatusListRow).where(StatusListRow.id == row_id).with_for_update()
        )

    def lock_current(self, issuer_id: str) -> StatusListRow | None:
        """The issuer's newest revocation list (it counts the pair's allocations), row-locked
        until commit so concurrent allocations on PostgreSQL serialise."""
        return self.session.scalar(
            select(StatusListRow)
            .where(StatusListRow.issuer_id == issuer_id, StatusListRow.purpose == "revocation")
            .order_by(StatusListRow.seq.desc())
            .limit(1)
            .with_for_update()
        )

    def add_pair(self, rows: Sequence[StatusListRow]) -> bool:
        """Store a new pair of lists in a savepoint; False when a concurrent allocator stored
        the same (issuer, purpose, seq) first (the unique constraint), leaving the caller's
        transaction usable."""
        try:
            with self.session.begin_nested():
                self.session.add_all(rows)
        except IntegrityError:
            return False
        return True


class StatusIndexRepository(Repository):
    noun = "status index"

    def add_many(self, issuer_id: str, seq: int, indices: Sequence[int]) -> None:
        """Record these indices of list pair ``seq`` as handed out, in one executemany INSERT
        on the table (ORM objects per index, or the ORM's bulk path, cost more than the
        picking). The unique constraint refuses an index handed out twice."""
        self.session.execute(
            insert(_INDICES),
            [{"issuer_id": issuer_id, "seq": seq, "status_index": i} for i in indices],
        )

    def taken(self, issuer_id: str, seq: int, candidates: Sequence[int]) -> Sequence[int]:
        """Those of ``candidates`` already handed out in list pair ``seq``. One IN list: the
        caller keeps it under the bind-parameter limits."""
        return self.session.scalars(
            select(_INDICES.c.status_index).where(
                _INDICES.c.issuer_id == issuer_id,
                _INDICES.c.seq == seq,
                _INDICES.c.status_index.in_(candidates),
            )
        ).all()


__all__ = ["StatusIndexRepository", "StatusListRepository"]
