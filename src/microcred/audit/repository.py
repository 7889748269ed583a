"""The audit log's SQL: events are written in the caller's transaction and read newest first.

Repositories take the caller's session and never commit: the service owns the unit of work.
Every query on issuer-owned rows filters on ``issuer_id``; a row of another issuer is simply
not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from microcred.store.repository import Repository
from microcred.store.tables import (
    AuditEventRow,
    Base,
)

_AUDIT = Base.metadata.tables["audit_events"]  # Core executemany: no ORM objects per event


class AuditRepository(Repository):
    noun = "audit event"

    def record(
        self,
        *,
        issuer_id: str | None,
        actor: str,
        action: str,
        subject: str | None,
        at: datetime,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditEventRow(
                issuer_id=issuer_id,
                actor=actor,
                action=action,
                subject=subject,
                details=details or {},
                at=at,
            )
        )

    def record_many(self, events: Sequence[dict[str, Any]]) -> None:
        """Write these events (``issuer_id``, ``actor``, ``action``, ``subject``, ``details``,
        ``at``) in one executemany INSERT: issuing a chunk writes one per credential."""
        self.session.execute(insert(_AUDIT), events)

    def count(self, issuer_id: str, *, action: str | None = None) -> int:
        query = select(func.count()).select_from(AuditEventRow)
        query = query.where(AuditEventRow.issuer_id == issuer_id)
        if action:
            query = query.where(AuditEventRow.action == action)
        return self.session.scalar(query) or 0

    def list(
        self, issuer_id: str, *, action: str | None = None, offset: int = 0, limit: int = 50
    ) -> list[AuditEventRow]:
        query = select(AuditEventRow).where(AuditEventRow.issuer_id == issuer_id)
        if action:
            query = query.where(AuditEventRow.action == action)
        query = query.order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
        return list(self.session.scalars(query.offset(offset).limit(limit)))


def record_audit(
    session: Session,
    actor: str,
    action: str,
    subject: str | None,
    *,
    issuer_id: str | None,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Write one audit event in the caller's transaction: the one way every feature records.

    ``actor`` is the name the log shows (``Actor.name``, ``recipient``, ``system``)."""
    AuditRepository(session).record(
        issuer_id=issuer_id, actor=actor, action=action, subject=subject, at=at, details=details
    )
