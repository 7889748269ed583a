"""Status list indices: each credential gets a random unused index (herd privacy).

A credential's index points into two lists with the same ``seq``: the issuer's revocation list
and its suspension list. A list is filled to at most half, so a random pick finds a free index
in about two tries, and a new pair of lists starts when the current one is half full. Only the
revocation row of a pair counts ``allocated`` (both share the same indices).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from microcred.crypto.statuslist import MIN_LENGTH
from microcred.errors import ConflictError
from microcred.status.repository import StatusIndexRepository, StatusListRepository
from microcred.store.tables import StatusListRow

PURPOSES = ("revocation", "suspension")
FILL_LIMIT = 0.5
_IN_CHUNK = 5000  # stay under bind-parameter limits


def list_length(configured: int) -> int:
    """The length new lists get: never below the spec's herd-privacy minimum, whole bytes.

    A shorter list would be refused by every conforming verifier (STATUS_LIST_LENGTH_ERROR), so
    a smaller configured value is raised to the minimum rather than honoured.
    """
    length = max(configured, MIN_LENGTH)
    return length + (-length % 8)


def _new_lists(
    status_lists: StatusListRepository, issuer_id: str, seq: int, length: int, now: datetime
) -> StatusListRow | None:
    """Start list pair ``seq``; None if a concurrent allocator started it first."""
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
    return rows[0] if status_lists.add_pair(rows) else None


def allocate_indices(
    session: Session, issuer_id: str, count: int, *, length: int, now: datetime
) -> list[tuple[int, int]]:
    """``count`` fresh ``(seq, index)`` pairs, each unused and chosen uniformly at random.

    Call inside a write transaction; the unique constraint on ``status_indices`` is the
    guarantee, the lock on the list row keeps concurrent allocators from tripping on it.
    """
    length = list_length(length)
    status_lists, handed_out = StatusListRepository(session), StatusIndexRepository(session)
    result: list[tuple[int, int]] = []
    races = 0
    while len(result) < count:
        lists = status_lists.lock_current(issuer_id)
        if lists is None or lists.allocated >= _capacity(lists.length):
            seq = (lists.seq + 1) if lists else 1
            started = _new_lists(status_lists, issuer_id, seq, length, now)
            if started is None:
                races += 1
                if races > 3:  # not a race any more: something else breaks the insert
                    raise ConflictError(
                        "could not start a new status list", expected=f"list {seq}", found=issuer_id
                    )
                continue  # another transaction started it: lock and use theirs
            lists = started
        want = min(count - len(result), _capacity(lists.length) - lists.allocated)
        picked = _pick_free(handed_out, issuer_id, lists.seq, lists.length, want)
        if picked:
            handed_out.add_many(issuer_id, lists.seq, picked)
        lists.allocated += len(picked)
        session.flush()
        result.extend((lists.seq, i) for i in picked)
    return result


def _capacity(length: int) -> int:
    return int(length * FILL_LIMIT)


def _pick_free(
    handed_out: StatusIndexRepository, issuer_id: str, seq: int, length: int, want: int
) -> list[int]:
    picked: set[int] = set()
    while len(picked) < want:
        # Draw more than needed: at most half the list is taken, so most candidates are free.
        candidates = {secrets.randbelow(length) for _ in range(2 * (want - len(picked)) + 8)}
        candidates -= picked
        taken: set[int] = set()
        ordered = sorted(candidates)
        for start in range(0, len(ordered), _IN_CHUNK):
            taken.update(handed_out.taken(issuer_id, seq, ordered[start : start + _IN_CHUNK]))
        for index in candidates - taken:
            if len(picked) == want:
                break
            picked.add(index)
    return list(picked)
