"""Issued credentials' SQL: by issuer, by public id, by idempotency key, and filtered pages.

Repositories take the caller's session and never commit: the service owns the unit of work.
Every query on issuer-owned rows filters on ``issuer_id``; a row of another issuer is simply
not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from microcred.status import expiry
from microcred.store.repository import Repository
from microcred.store.tables import (
    Base,
    CredentialRow,
)

_CREDENTIALS = Base.metadata.tables["credentials"]
# Column defaults the ORM would have applied (``state``, flags): set on the objects too, so
# what the caller holds is what was stored.
_DEFAULTS = {
    column.key: column.default.arg
    for column in _CREDENTIALS.columns
    if isinstance(column.default, ScalarElementColumnDefault)
}


@dataclass(frozen=True)
class PageState:
    state: str
    state_reason: str | None
    name_public: bool
    valid_until: datetime | None


_PAGE_STATE = select(
    CredentialRow.state,
    CredentialRow.state_reason,
    CredentialRow.name_public,
    CredentialRow.valid_until,
).where(CredentialRow.id == bindparam("credential_id"))


def page_state_on(connection: Connection, credential_id: str) -> PageState | None:
    """What of a credential's row can change after issuance, on ``connection`` (one statement
    built once: it is read on every view of a kept page)."""
    found = connection.execute(_PAGE_STATE, {"credential_id": credential_id}).first()
    return None if found is None else PageState(*found)


class CredentialConflictError(Exception):
    """The credentials' INSERT broke a constraint: almost always because another worker stored
    one of the same idempotency keys first. Raised from the database's error; the transaction
    must be rolled back.

    Deliberately not a :class:`~microcred.errors.MicrocredError`: it is transient (the issuing
    service retries once, keeping the winner's credentials), and a bulk chunk treats a domain
    error as final but anything else as worth retrying."""


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
    sort: str = "newest"  # one of SORTS


SORTS = ("newest", "oldest", "recipient", "recipient-desc")


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

    def lock_many(self, pairs: Sequence[tuple[str, str]]) -> dict[str, CredentialRow]:
        """(issuer id, credential id) pairs, locked in one statement (a cascade's many
        dependents), by id; a pair whose credential is another issuer's is left out."""
        wanted = {credential_id: issuer_id for issuer_id, credential_id in pairs}
        found: dict[str, CredentialRow] = {}
        ids = sorted(wanted)
        for start in range(0, len(ids), 500):
            rows = self.session.scalars(
                select(CredentialRow)
                .where(CredentialRow.id.in_(ids[start : start + 500]))
                .order_by(CredentialRow.id)
                .with_for_update()
            )
            found.update((row.id, row) for row in rows if wanted[row.id] == row.issuer_id)
        return found

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

    def insert_signed(self, rows: Sequence[CredentialRow]) -> None:
        """Store these new credentials in one Core executemany INSERT, not the ORM's unit of
        work: the rows stay plain objects for the caller and the hooks, and a chunk's inserts
        cost one statement, not a flush that tracks every object (it was a fifth of a
        worker's time). The column defaults are set on the objects first.

        Raises :class:`CredentialConflictError` when the INSERT breaks a constraint (an
        idempotency key stored meanwhile by another worker)."""
        for row in rows:
            _fill_defaults(row)
        try:
            self.session.execute(insert(_CREDENTIALS), [_values(row) for row in rows])
        except IntegrityError as error:
            raise CredentialConflictError(
                "another worker stored one of these credentials' idempotency keys first"
            ) from error

    def get(self, issuer_id: str, credential_id: str) -> CredentialRow | None:
        return self.session.scalar(
            select(CredentialRow).where(
                CredentialRow.issuer_id == issuer_id, CredentialRow.id == credential_id
            )
        )

    def get_public(self, credential_id: str) -> CredentialRow | None:
        """For the credential's public URL, which anyone may read."""
        return self.session.get(CredentialRow, credential_id)

    def page_state(self, credential_id: str) -> PageState | None:
        """What of a credential's row can change after issuance (its document cannot): the
        version its public page is cached under."""
        return page_state_on(self.session.connection(), credential_id)

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
        page = query.order_by(*_order(where.sort))
        return list(self.session.scalars(page.offset(offset).limit(limit))), total


def _fill_defaults(row: CredentialRow) -> None:
    for key, value in _DEFAULTS.items():
        if key not in row.__dict__:
            setattr(row, key, value)


def _values(row: CredentialRow) -> dict[str, Any]:
    """The columns set on the object (unset ones keep their server defaults)."""
    return {c.key: row.__dict__[c.key] for c in _CREDENTIALS.columns if c.key in row.__dict__}


def _order(sort: str) -> tuple[Any, ...]:
    """The ORDER BY of a listing; the id last, so pages never overlap."""
    who = func.lower(func.coalesce(CredentialRow.recipient_name, CredentialRow.recipient_email, ""))
    if sort == "oldest":
        return (CredentialRow.issued_at, CredentialRow.id)
    if sort == "recipient":
        return (who, CredentialRow.id)
    if sort == "recipient-desc":
        return (who.desc(), CredentialRow.id)
    return (CredentialRow.issued_at.desc(), CredentialRow.id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
