"""Repositories for issuers, keys, API keys, achievements, credentials and the audit log.

Each takes the caller's session and never commits: the service owns the unit of work, so a
credential, its status index, its audit event and its log entry land together or not at all.
Every query on issuer-owned rows filters on ``issuer_id``; a row of another issuer is simply
not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from microcred.store.tables import (
    AchievementRow,
    ApiKeyRow,
    AuditEventRow,
    CredentialRow,
    IssuerKeyRow,
    IssuerRow,
    StaffUserRow,
)


class IssuerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: IssuerRow) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, issuer_id: str) -> IssuerRow | None:
        return self.session.get(IssuerRow, issuer_id)

    def by_slug(self, slug: str) -> IssuerRow | None:
        return self.session.scalar(select(IssuerRow).where(IssuerRow.slug == slug))

    def list(self) -> list[IssuerRow]:
        return list(self.session.scalars(select(IssuerRow).order_by(IssuerRow.created_at)))


class KeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: IssuerKeyRow) -> None:
        self.session.add(row)
        self.session.flush()

    def for_issuer(self, issuer_id: str, purpose: str | None = None) -> list[IssuerKeyRow]:
        """All keys, newest first (retired ones included: they still verify old credentials)."""
        query = select(IssuerKeyRow).where(IssuerKeyRow.issuer_id == issuer_id)
        if purpose is not None:
            query = query.where(IssuerKeyRow.purpose == purpose)
        return list(
            self.session.scalars(query.order_by(IssuerKeyRow.created_at.desc(), IssuerKeyRow.id))
        )

    def current(self, issuer_id: str, purpose: str) -> IssuerKeyRow | None:
        return self.session.scalar(
            select(IssuerKeyRow)
            .where(
                IssuerKeyRow.issuer_id == issuer_id,
                IssuerKeyRow.purpose == purpose,
                IssuerKeyRow.retired_at.is_(None),
            )
            .order_by(IssuerKeyRow.created_at.desc())
            .limit(1)
        )

    def retire_current(self, issuer_id: str, purpose: str, at: datetime) -> None:
        self.session.execute(
            update(IssuerKeyRow)
            .where(
                IssuerKeyRow.issuer_id == issuer_id,
                IssuerKeyRow.purpose == purpose,
                IssuerKeyRow.retired_at.is_(None),
            )
            .values(retired_at=at)
        )


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: ApiKeyRow) -> None:
        self.session.add(row)
        self.session.flush()

    def by_prefix(self, prefix: str) -> ApiKeyRow | None:
        return self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))

    def for_issuer(self, issuer_id: str) -> list[ApiKeyRow]:
        return list(
            self.session.scalars(
                select(ApiKeyRow)
                .where(ApiKeyRow.issuer_id == issuer_id)
                .order_by(ApiKeyRow.created_at)
            )
        )

    def get(self, issuer_id: str, key_id: str) -> ApiKeyRow | None:
        return self.session.scalar(
            select(ApiKeyRow).where(ApiKeyRow.issuer_id == issuer_id, ApiKeyRow.id == key_id)
        )


class StaffRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: StaffUserRow) -> None:
        self.session.add(row)
        self.session.flush()

    def by_email(self, email: str) -> StaffUserRow | None:
        return self.session.scalar(select(StaffUserRow).where(StaffUserRow.email == email))

    def get(self, user_id: str) -> StaffUserRow | None:
        return self.session.get(StaffUserRow, user_id)

    def for_issuer(self, issuer_id: str) -> list[StaffUserRow]:
        return list(
            self.session.scalars(
                select(StaffUserRow)
                .where(StaffUserRow.issuer_id == issuer_id)
                .order_by(StaffUserRow.created_at)
            )
        )


class AchievementRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: AchievementRow) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, issuer_id: str, achievement_id: str) -> AchievementRow | None:
        return self.session.scalar(
            select(AchievementRow).where(
                AchievementRow.issuer_id == issuer_id, AchievementRow.id == achievement_id
            )
        )

    def get_public(self, achievement_id: str) -> AchievementRow | None:
        """For public pages and images, which are not scoped to a signed-in issuer."""
        return self.session.get(AchievementRow, achievement_id)

    def list(
        self, issuer_id: str, *, include_archived: bool = False, offset: int = 0, limit: int = 50
    ) -> list[AchievementRow]:
        query = select(AchievementRow).where(AchievementRow.issuer_id == issuer_id)
        if not include_archived:
            query = query.where(AchievementRow.archived.is_(False))
        query = query.order_by(AchievementRow.created_at, AchievementRow.id)
        return list(self.session.scalars(query.offset(offset).limit(limit)))

    def names(self, issuer_id: str) -> tuple[AchievementName, ...]:
        """Id and name of every unarchived achievement of the issuer, oldest first (for
        choosers: no definition, no image)."""
        query = (
            select(AchievementRow.id, AchievementRow.name)
            .where(AchievementRow.issuer_id == issuer_id, AchievementRow.archived.is_(False))
            .order_by(AchievementRow.created_at, AchievementRow.id)
        )
        return tuple(AchievementName(id, name) for id, name in self.session.execute(query))


@dataclass(frozen=True)
class AchievementName:
    id: str
    name: str


@dataclass(frozen=True)
class CredentialFilter:
    achievement_id: str | None = None
    state: str | None = None
    batch_id: str | None = None
    search: str | None = None
    issued_after: datetime | None = None
    issued_before: datetime | None = None
    # Expiry is not a stored state (see lifecycle.effective_state): these split "active".
    unexpired_at: datetime | None = None  # validUntil absent or after this moment
    expired_at: datetime | None = None  # validUntil at or before this moment


class CredentialRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_all(self, rows: Sequence[CredentialRow]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def get(self, issuer_id: str, credential_id: str) -> CredentialRow | None:
        return self.session.scalar(
            select(CredentialRow).where(
                CredentialRow.issuer_id == issuer_id, CredentialRow.id == credential_id
            )
        )

    def get_public(self, credential_id: str) -> CredentialRow | None:
        """For the credential's public URL, which anyone may read."""
        return self.session.get(CredentialRow, credential_id)

    def by_idempotency_keys(self, issuer_id: str, keys: Sequence[str]) -> dict[str, CredentialRow]:
        if not keys:
            return {}
        rows = self.session.scalars(
            select(CredentialRow).where(
                CredentialRow.issuer_id == issuer_id, CredentialRow.idempotency_key.in_(keys)
            )
        )
        return {row.idempotency_key: row for row in rows}

    def list(
        self,
        issuer_id: str,
        where: CredentialFilter = CredentialFilter(),
        *,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[CredentialRow], int]:
        """One page, newest first, and the total count matching the filter."""
        query = select(CredentialRow).where(CredentialRow.issuer_id == issuer_id)
        if where.achievement_id:
            query = query.where(CredentialRow.achievement_id == where.achievement_id)
        if where.state:
            query = query.where(CredentialRow.state == where.state)
        if where.batch_id:
            query = query.where(CredentialRow.batch_id == where.batch_id)
        if where.unexpired_at:
            query = query.where(
                or_(
                    CredentialRow.valid_until.is_(None),
                    CredentialRow.valid_until > where.unexpired_at,
                )
            )
        if where.expired_at:
            query = query.where(CredentialRow.valid_until <= where.expired_at)
        if where.issued_after:
            query = query.where(CredentialRow.issued_at >= where.issued_after)
        if where.issued_before:
            query = query.where(CredentialRow.issued_at < where.issued_before)
        if where.search:
            pattern = f"%{_escape_like(where.search.lower())}%"
            query = query.where(
                or_(
                    func.lower(CredentialRow.recipient_name).like(pattern, escape="\\"),
                    func.lower(CredentialRow.recipient_email).like(pattern, escape="\\"),
                    CredentialRow.id == where.search,
                )
            )
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = query.order_by(CredentialRow.issued_at.desc(), CredentialRow.id)
        return list(self.session.scalars(page.offset(offset).limit(limit))), total


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

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

    def list(
        self, issuer_id: str, *, action: str | None = None, offset: int = 0, limit: int = 50
    ) -> list[AuditEventRow]:
        query = select(AuditEventRow).where(AuditEventRow.issuer_id == issuer_id)
        if action:
            query = query.where(AuditEventRow.action == action)
        query = query.order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
        return list(self.session.scalars(query.offset(offset).limit(limit)))
