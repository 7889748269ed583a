"""The expiry rule, in one place: a credential is expired from its ``validUntil`` on.

Expiry is not a stored state; it follows from ``valid_until`` and the clock. Revoked and
suspended outrank it. The same rule is given twice here, as Python for a row in hand and as SQL
for filters and counts, side by side so they cannot drift apart (a test holds them equal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, case, or_

from microcred.store.tables import CredentialRow

EffectiveState = Literal["active", "expired", "suspended", "revoked"]


def is_expired(valid_until: datetime | None, now: datetime) -> bool:
    return valid_until is not None and now >= valid_until


def effective_state(row: CredentialRow, now: datetime) -> EffectiveState:
    """What a page should say about a credential: revoked and suspended outrank expiry."""
    if row.state == "revoked":
        return "revoked"
    if row.state == "suspended":
        return "suspended"
    return "expired" if is_expired(row.valid_until, now) else "active"


def expired_at(now: datetime) -> ColumnElement[bool]:
    """SQL: the row's ``validUntil`` has passed at ``now`` (whatever its stored state)."""
    return and_(CredentialRow.valid_until.is_not(None), CredentialRow.valid_until <= now)


def unexpired_at(now: datetime) -> ColumnElement[bool]:
    """SQL: the negation of :func:`expired_at`."""
    return or_(CredentialRow.valid_until.is_(None), CredentialRow.valid_until > now)


def effective_state_sql(now: datetime) -> ColumnElement[str]:
    """SQL: :func:`effective_state` of each row at ``now``."""
    return case(
        (and_(CredentialRow.state == "active", expired_at(now)), "expired"),
        else_=CredentialRow.state,
    )


__all__ = ["EffectiveState", "effective_state", "effective_state_sql", "expired_at", "is_expired"]
