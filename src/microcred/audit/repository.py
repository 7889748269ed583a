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
    AchievementRow,
    ApiKeyRow,
    AuditEventRow,
    Base,
    CredentialRow,
    IssuerRow,
    StaffUserRow,
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

    # ---- names for the log's page -----------------------------------------------------------

    def names(
        self, issuer_id: str, ids: Sequence[str], staff: Sequence[str], key_prefixes: Sequence[str]
    ) -> dict[str, str]:
        """What the issuer's own things are called: credentials (recipient and achievement),
        achievements, API keys (by id and by prefix), the issuer, staff (by address). Keyed
        by what the log holds; another issuer's things are not named."""
        found: dict[str, str] = {}
        if ids:
            for cid, person, email, achievement in self.session.execute(
                select(
                    CredentialRow.id,
                    CredentialRow.recipient_name,
                    CredentialRow.recipient_email,
                    AchievementRow.name,
                )
                .join(AchievementRow, AchievementRow.id == CredentialRow.achievement_id)
                .where(CredentialRow.issuer_id == issuer_id, CredentialRow.id.in_(ids))
            ):
                found[cid] = f"{person or email or cid}: {achievement}"
            for row_id, name in self.session.execute(
                select(AchievementRow.id, AchievementRow.name).where(
                    AchievementRow.issuer_id == issuer_id, AchievementRow.id.in_(ids)
                )
            ):
                found[row_id] = name
            for row_id, name in self.session.execute(
                select(ApiKeyRow.id, ApiKeyRow.name).where(
                    ApiKeyRow.issuer_id == issuer_id, ApiKeyRow.id.in_(ids)
                )
            ):
                found[row_id] = name
            issuer = self.session.get(IssuerRow, issuer_id)
            if issuer is not None and issuer.id in ids:
                found[issuer.id] = issuer.name
        if staff:
            for email, name in self.session.execute(
                select(StaffUserRow.email, StaffUserRow.name).where(
                    StaffUserRow.issuer_id == issuer_id, StaffUserRow.email.in_(staff)
                )
            ):
                found[f"staff:{email}"] = name
        if key_prefixes:
            for prefix, name in self.session.execute(
                select(ApiKeyRow.prefix, ApiKeyRow.name).where(
                    ApiKeyRow.issuer_id == issuer_id, ApiKeyRow.prefix.in_(key_prefixes)
                )
            ):
                found[f"api-key:{prefix}"] = name
        return found


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
