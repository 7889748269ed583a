"""Issued credentials' SQL: by issuer, by public id, by idempotency key, and filtered pages.

Repositories take the caller's session and never commit: the service owns the unit of work.
Every query on issuer-owned rows filters on ``issuer_id``; a row of another issuer is simply
not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update

from microcred.status import expiry
from microcred.store.repository import Repository
from microcred.store.tables import (
    CredentialRow,
)


@dataclass(frozen=True)
class CredentialFilter:
    achievement_id: str | None = None
    state: str | None = None
    batch_id: str | None = None
    search: str | None = None
    issued_after: datetime | None = None
    issued_before: datetime | None = None
    # Expiry is not a stored state (see status.expiry): these split "active".
    unexpired_at: datetime | None = None  # validUntil absent or after this moment
    expired_at: datetime | None = None  # validUntil at or before this moment


class CredentialRepository(Repository):
    noun = "credential"

    def require(self, issuer_id: str, credential_id: str) -> CredentialRow:
        return self.found(self.get(issuer_id, credential_id), credential_id)

    def lock(self, issuer_id: str, credential_id: str) -> CredentialRow:
        """The issuer's credential, locked for the rest of the transaction (PostgreSQL's
        ``FOR UPDATE``; SQLite's write transaction already serialises)."""
        row = self.session.scalar(
            select(CredentialRow)
            .where(CredentialRow.issuer_id == issuer_id, CredentialRow.id == credential_id)
            .with_for_update()
        )
        return self.found(row, credential_id)

    def set_name_public(self, credential_id: str, public: bool) -> None:
        self.session.execute(
            update(CredentialRow)
            .where(CredentialRow.id == credential_id)
            .values(name_public=public)
        )

    def require_public(self, credential_id: str) -> CredentialRow:
        return self.found(self.get_public(credential_id), credential_id)

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
            query = query.where(expiry.unexpired_at(where.unexpired_at))
        if where.expired_at:
            query = query.where(expiry.expired_at(where.expired_at))
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
