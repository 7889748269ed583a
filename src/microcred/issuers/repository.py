"""The issuers' SQL: issuer rows, their signing keys and their API keys.

Repositories take the caller's session and never commit: the service owns the unit of work.
Every query on issuer-owned rows filters on ``issuer_id``; a row of another issuer is simply
not found.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from microcred.store.repository import Repository
from microcred.store.tables import (
    ApiKeyRow,
    IssuerKeyRow,
    IssuerRow,
)


class IssuerRepository(Repository):
    noun = "issuer"

    def require(self, issuer_id: str) -> IssuerRow:
        return self.found(self.get(issuer_id), issuer_id)

    def require_by_slug(self, slug: str) -> IssuerRow:
        return self.found(self.by_slug(slug), slug)

    def add(self, row: IssuerRow) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, issuer_id: str) -> IssuerRow | None:
        return self.session.get(IssuerRow, issuer_id)

    def by_slug(self, slug: str) -> IssuerRow | None:
        return self.session.scalar(select(IssuerRow).where(IssuerRow.slug == slug))

    def list(self) -> list[IssuerRow]:
        return list(self.session.scalars(select(IssuerRow).order_by(IssuerRow.created_at)))


class KeyRepository(Repository):
    noun = "key"

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

    def newest_current(self, purpose: str, limit: int) -> list[IssuerKeyRow]:
        """Up to ``limit`` keys in use (not retired) of any issuer, newest first."""
        return list(
            self.session.scalars(
                select(IssuerKeyRow)
                .where(
                    IssuerKeyRow.issuer_id.is_not(None),
                    IssuerKeyRow.purpose == purpose,
                    IssuerKeyRow.retired_at.is_(None),
                )
                .order_by(IssuerKeyRow.created_at.desc())
                .limit(limit)
            )
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


class ApiKeyRepository(Repository):
    noun = "API key"

    def require(self, issuer_id: str, key_id: str) -> ApiKeyRow:
        return self.found(self.get(issuer_id, key_id), key_id)

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

    def live_of_creator(self, issuer_id: str, user_id: str) -> list[ApiKeyRow]:
        """The unrevoked keys of this issuer that this staff user made."""
        return list(
            self.session.scalars(
                select(ApiKeyRow).where(
                    ApiKeyRow.issuer_id == issuer_id,
                    ApiKeyRow.created_by == user_id,
                    ApiKeyRow.revoked_at.is_(None),
                )
            )
        )

    def mark_used(self, key_id: str, at: datetime) -> None:
        self.session.execute(
            update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=at)
        )

    def get(self, issuer_id: str, key_id: str) -> ApiKeyRow | None:
        return self.session.scalar(
            select(ApiKeyRow).where(ApiKeyRow.issuer_id == issuer_id, ApiKeyRow.id == key_id)
        )
