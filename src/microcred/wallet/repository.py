"""Every statement the wallet makes. Repositories take the caller's session and never commit:
the service owns the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, literal, or_, select, union_all

from microcred.store.repository import Repository
from microcred.store.tables import (
    CredentialRow,
    LearnerEmailRow,
    WalletClaimRow,
    WalletItemRow,
)


class WalletRepository(Repository):
    noun = "wallet credential"

    # ---- our own credentials: issued to a verified address, or claimed --------------------------

    def _held(self, learner_id: str) -> ColumnElement[bool]:
        """Which of our credentials the learner holds: issued to one of their verified
        addresses (a join, no copy) or claimed through the recipient's link."""
        return or_(
            CredentialRow.recipient_email.in_(
                select(LearnerEmailRow.email).where(LearnerEmailRow.learner_id == learner_id)
            ),
            CredentialRow.id.in_(
                select(WalletClaimRow.credential_id).where(WalletClaimRow.learner_id == learner_id)
            ),
        )

    def holdings_page(
        self, learner_id: str, *, offset: int, limit: int
    ) -> tuple[list[tuple[str, str]], int]:
        """One page of (kind, id) pairs, newest first (``kind`` is ``ours`` or ``imported``),
        and the total: one union query for the page, one for the count."""
        ours = select(
            literal("ours").label("kind"),
            CredentialRow.id.label("ref"),
            CredentialRow.issued_at.label("at"),
        ).where(self._held(learner_id))
        imported = select(
            literal("imported").label("kind"),
            WalletItemRow.id.label("ref"),
            WalletItemRow.added_at.label("at"),
        ).where(WalletItemRow.learner_id == learner_id)
        both = union_all(ours, imported).subquery()
        page = self.session.execute(
            select(both.c.kind, both.c.ref)
            .order_by(both.c.at.desc(), both.c.ref)
            .offset(offset)
            .limit(limit)
        ).all()
        total = self.session.execute(select(func.count()).select_from(both)).scalar_one()
        return [(str(kind), str(ref)) for kind, ref in page], int(total)

    def credentials(self, ids: Sequence[str]) -> dict[str, CredentialRow]:
        if not ids:
            return {}
        rows = self.session.execute(select(CredentialRow).where(CredentialRow.id.in_(ids)))
        return {row.id: row for row in rows.scalars()}

    def holds(self, learner_id: str, credential_id: str) -> bool:
        found = self.session.execute(
            select(CredentialRow.id).where(
                self._held(learner_id), CredentialRow.id == credential_id
            )
        ).first()
        return found is not None

    def claimed(self, learner_id: str, credential_id: str) -> bool:
        return self.session.get(WalletClaimRow, (learner_id, credential_id)) is not None

    def add_claim(self, learner_id: str, credential_id: str, at: datetime) -> None:
        self.session.add(
            WalletClaimRow(learner_id=learner_id, credential_id=credential_id, claimed_at=at)
        )
        self.session.flush()

    def all_ours(self, learner_id: str) -> list[CredentialRow]:
        rows = self.session.execute(select(CredentialRow).where(self._held(learner_id)))
        return list(rows.scalars())

    # ---- imported credentials ------------------------------------------------------------------

    def items(self, ids: Sequence[str]) -> dict[str, WalletItemRow]:
        if not ids:
            return {}
        rows = self.session.execute(select(WalletItemRow).where(WalletItemRow.id.in_(ids)))
        return {row.id: row for row in rows.scalars()}

    def item(self, learner_id: str, item_id: str) -> WalletItemRow:
        row = self.session.get(WalletItemRow, item_id)
        if row is not None and row.learner_id != learner_id:
            row = None  # another learner's item is looked up as missing
        return self.found(row, item_id)

    def item_by_digest(self, learner_id: str, digest: str) -> WalletItemRow | None:
        return self.session.execute(
            select(WalletItemRow).where(
                WalletItemRow.learner_id == learner_id, WalletItemRow.digest == digest
            )
        ).scalar_one_or_none()

    def item_by_key(self, learner_id: str, key: str) -> WalletItemRow | None:
        return (
            self.session.execute(
                select(WalletItemRow).where(
                    WalletItemRow.learner_id == learner_id, WalletItemRow.credential_key == key
                )
            )
            .scalars()
            .first()
        )

    def add_items(self, rows: Sequence[WalletItemRow]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def parts(self, parent_id: str) -> list[WalletItemRow]:
        rows = self.session.execute(
            select(WalletItemRow)
            .where(WalletItemRow.parent_id == parent_id)
            .order_by(WalletItemRow.added_at, WalletItemRow.id)
        )
        return list(rows.scalars())

    def all_items(self, learner_id: str) -> list[WalletItemRow]:
        rows = self.session.execute(
            select(WalletItemRow)
            .where(WalletItemRow.learner_id == learner_id)
            .order_by(WalletItemRow.added_at, WalletItemRow.id)
        )
        return list(rows.scalars())

    # ---- a learner's deletion ------------------------------------------------------------------

    def delete_all(self, learner_id: str) -> None:
        # Parts first: they point at their CLR.
        self.session.execute(
            delete(WalletItemRow).where(
                WalletItemRow.learner_id == learner_id, WalletItemRow.parent_id.is_not(None)
            )
        )
        self.session.execute(delete(WalletItemRow).where(WalletItemRow.learner_id == learner_id))
        self.session.execute(delete(WalletClaimRow).where(WalletClaimRow.learner_id == learner_id))
