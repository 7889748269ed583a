"""Status list indices: each credential gets a random unused index (herd privacy).

A credential's index points into two lists with the same ``seq``: the issuer's revocation list
and its suspension list. A list is filled to at most half, so a random pick finds a free index
in about two tries, and a new pair of lists starts when the current one is half full.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.store.tables import StatusIndexRow, StatusListRow

PURPOSES = ("revocation", "suspension")
FILL_LIMIT = 0.5


def _current_lists(session: Session, issuer_id: str) -> StatusListRow | None:
    """The newest revocation list, locked so concurrent allocations on PostgreSQL serialize."""
    return session.scalar(
        select(StatusListRow)
        .where(StatusListRow.issuer_id == issuer_id, StatusListRow.purpose == "revocation")
        .order_by(StatusListRow.seq.desc())
        .limit(1)
        .with_for_update()
    )


def _new_lists(
    session: Session, issuer_id: str, seq: int, length: int, now: datetime
) -> StatusListRow:
    rows = [
        StatusListRow(
            id=str(uuid.uuid4()),
            issuer_id=issuer_id,
            purpose=purpose,
            seq=seq,
            length=length,
            bits=bytes(length // 8),
            allocated=0,
            changed_at=now,
        )
        for purpose in PURPOSES
    ]
    session.add_all(rows)
    session.flush()
    return rows[0]


def allocate_indices(
    session: Session, issuer_id: str, count: int, *, length: int, now: datetime
) -> list[tuple[int, int]]:
    """``count`` fresh ``(seq, index)`` pairs, each unused and chosen uniformly at random.

    Call inside a write transaction; the unique constraint on ``status_indices`` is the
    guarantee, the lock on the list row keeps concurrent allocators from tripping on it.
    """
    result: list[tuple[int, int]] = []
    while len(result) < count:
        lists = _current_lists(session, issuer_id)
        capacity = int((lists.length if lists else length) * FILL_LIMIT)
        if lists is None or lists.allocated >= capacity:
            lists = _new_lists(session, issuer_id, (lists.seq + 1) if lists else 1, length, now)
        want = min(count - len(result), capacity - lists.allocated)
        picked = _pick_free(session, issuer_id, lists.seq, lists.length, want)
        session.add_all(
            StatusIndexRow(issuer_id=issuer_id, seq=lists.seq, status_index=i) for i in picked
        )
        lists.allocated += len(picked)
        session.flush()
        result.extend((lists.seq, i) for i in picked)
    return result


def _pick_free(session: Session, issuer_id: str, seq: int, length: int, want: int) -> list[int]:
    picked: set[int] = set()
    while len(picked) < want:
        # Draw more than needed: at most half the list is taken, so most candidates are free.
        candidates = {secrets.randbelow(length) for _ in range(2 * (want - len(picked)) + 8)}
        candidates -= picked
        taken: set[int] = set()
        ordered = sorted(candidates)
        for start in range(0, len(ordered), 5000):  # stay under bind-parameter limits
            taken.update(
                session.scalars(
                    select(StatusIndexRow.status_index).where(
                        StatusIndexRow.issuer_id == issuer_id,
                        StatusIndexRow.seq == seq,
                        StatusIndexRow.status_index.in_(ordered[start : start + 5000]),
                    )
                )
            )
        for index in candidates - taken:
            if len(picked) == want:
                break
            picked.add(index)
    return list(picked)
