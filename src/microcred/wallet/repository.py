"""Every statement the wallet makes. Repositories take the caller's session and never commit:
the service owns the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, literal, or_, select, union_all

from microcred.status.expiry import effective_state_sql, is_expired
from microcred.store.repository import Repository
from microcred.store.tables import (
    CredentialRow,
    LearnerEmailRow,
    LearnerRow,
    WalletClaimRow,
    WalletCollectionEntryRow,
    WalletCollectionRow,
    WalletItemRow,
    WalletNoticeRow,
    WalletShareRow,
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
        self, learner_id: str, *, offset: int, limit: int, since: datetime | None = None
    ) -> tuple[list[tuple[str, str]], int]:
        """One page of (kind, id) pairs, newest first (``kind`` is ``ours`` or ``imported``),
        and the total: one union query for the page, one for the count. ``since``: only
        those issued (ours) or added (imported) after it."""
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
        if since is not None:
            ours = ours.where(CredentialRow.issued_at > since)
            imported = imported.where(WalletItemRow.added_at > since)
        both = union_all(ours, imported).subquery()
        page = self.session.execute(
            select(both.c.kind, both.c.ref)
            .order_by(both.c.at.desc(), both.c.ref)
            .offset(offset)
            .limit(limit)
        ).all()
        total = self.session.execute(select(func.count()).select_from(both)).scalar_one()
        return [(str(kind), str(ref)) for kind, ref in page], int(total)

    def holding_states(self, learner_id: str, now: datetime) -> list[tuple[str, str, str]]:
        """(kind, id, state) of everything the learner holds, without the documents: ours in
        their effective state at ``now``, imports in their verified state (expiry applied by
        the caller). Two narrow queries."""
        ours = self.session.execute(
            select(CredentialRow.id, effective_state_sql(now)).where(self._held(learner_id))
        ).all()
        imported = self.session.execute(
            select(WalletItemRow.id, WalletItemRow.state, WalletItemRow.valid_until).where(
                WalletItemRow.learner_id == learner_id
            )
        ).all()
        found = [("ours", str(ref), str(state)) for ref, state in ours]
        found.extend(
            (
                "imported",
                str(ref),
                "expired" if state == "active" and is_expired(until, now) else str(state),
            )
            for ref, state, until in imported
        )
        return found

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

    def held_by_address(self, learner_id: str, credential_id: str) -> bool:
        found = self.session.execute(
            select(CredentialRow.id).where(
                CredentialRow.id == credential_id,
                CredentialRow.recipient_email.in_(
                    select(LearnerEmailRow.email).where(LearnerEmailRow.learner_id == learner_id)
                ),
            )
        ).first()
        return found is not None

    def held_among(self, learner_id: str, ids: Sequence[str]) -> list[str]:
        if not ids:
            return []
        rows = self.session.execute(
            select(CredentialRow.id).where(self._held(learner_id), CredentialRow.id.in_(ids))
        )
        return [str(ref) for ref in rows.scalars()]

    def remove_claim(self, learner_id: str, credential_id: str) -> None:
        self.session.execute(
            delete(WalletClaimRow).where(
                WalletClaimRow.learner_id == learner_id,
                WalletClaimRow.credential_id == credential_id,
            )
        )

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

    def delete_item(self, item_id: str) -> None:
        """An imported credential and its parts (parts first: they point at it)."""
        self.session.execute(delete(WalletItemRow).where(WalletItemRow.parent_id == item_id))
        self.session.execute(delete(WalletItemRow).where(WalletItemRow.id == item_id))

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

    def expiring(self, learner_id: str, *, limit: int) -> list[tuple[str, str, datetime]]:
        """(kind, id, valid until) of held credentials that expire, soonest first: the
        expiry timeline, in one union query."""
        ours = select(
            literal("ours").label("kind"),
            CredentialRow.id.label("ref"),
            CredentialRow.valid_until.label("until"),
        ).where(self._held(learner_id), CredentialRow.valid_until.is_not(None))
        imported = select(
            literal("imported").label("kind"),
            WalletItemRow.id.label("ref"),
            WalletItemRow.valid_until.label("until"),
        ).where(WalletItemRow.learner_id == learner_id, WalletItemRow.valid_until.is_not(None))
        both = union_all(ours, imported).subquery()
        rows = self.session.execute(
            select(both.c.kind, both.c.ref, both.c.until)
            .order_by(both.c.until, both.c.ref)
            .limit(limit)
        ).all()
        return [(str(kind), str(ref), until) for kind, ref, until in rows]

    # ---- showing: public credentials, collections, the profile ----------------------------------

    def shares(self, learner_id: str) -> dict[str, str]:
        """ref -> kind of every credential the learner made public."""
        rows = self.session.execute(
            select(WalletShareRow.ref, WalletShareRow.kind).where(
                WalletShareRow.learner_id == learner_id
            )
        ).all()
        return {str(ref): str(kind) for ref, kind in rows}

    def is_shared(self, learner_id: str, ref: str) -> bool:
        return self.session.get(WalletShareRow, (learner_id, ref)) is not None

    def share(self, learner_id: str, ref: str, kind: str, at: datetime) -> None:
        if not self.is_shared(learner_id, ref):
            self.session.add(
                WalletShareRow(learner_id=learner_id, ref=ref, kind=kind, shared_at=at)
            )
            self.session.flush()

    def unshare(self, learner_id: str, ref: str) -> None:
        self.session.execute(
            delete(WalletShareRow).where(
                WalletShareRow.learner_id == learner_id, WalletShareRow.ref == ref
            )
        )

    def collections(self, learner_id: str) -> list[WalletCollectionRow]:
        rows = self.session.execute(
            select(WalletCollectionRow)
            .where(WalletCollectionRow.learner_id == learner_id)
            .order_by(WalletCollectionRow.created_at, WalletCollectionRow.id)
        )
        return list(rows.scalars())

    def collection(self, learner_id: str, collection_id: str) -> WalletCollectionRow:
        row = self.session.get(WalletCollectionRow, collection_id)
        if row is not None and row.learner_id != learner_id:
            row = None  # another learner's collection is looked up as missing
        return self.found(row, collection_id, noun="collection")

    def add_collection(self, row: WalletCollectionRow) -> None:
        self.session.add(row)
        self.session.flush()

    def delete_collection(self, collection_id: str) -> None:
        self.session.execute(
            delete(WalletCollectionEntryRow).where(
                WalletCollectionEntryRow.collection_id == collection_id
            )
        )
        self.session.execute(
            delete(WalletCollectionRow).where(WalletCollectionRow.id == collection_id)
        )

    def entries(self, collection_ids: Sequence[str]) -> list[WalletCollectionEntryRow]:
        if not collection_ids:
            return []
        rows = self.session.execute(
            select(WalletCollectionEntryRow)
            .where(WalletCollectionEntryRow.collection_id.in_(collection_ids))
            .order_by(WalletCollectionEntryRow.added_at, WalletCollectionEntryRow.ref)
        )
        return list(rows.scalars())

    def add_entry(self, collection_id: str, ref: str, kind: str, at: datetime) -> bool:
        if self.session.get(WalletCollectionEntryRow, (collection_id, ref)) is not None:
            return False
        self.session.add(
            WalletCollectionEntryRow(collection_id=collection_id, ref=ref, kind=kind, added_at=at)
        )
        self.session.flush()
        return True

    def remove_entry(self, collection_id: str, ref: str) -> None:
        self.session.execute(
            delete(WalletCollectionEntryRow).where(
                WalletCollectionEntryRow.collection_id == collection_id,
                WalletCollectionEntryRow.ref == ref,
            )
        )

    def forget_ref(self, learner_id: str, ref: str) -> None:
        """A credential no longer held leaves the public list and every collection."""
        self.unshare(learner_id, ref)
        mine = select(WalletCollectionRow.id).where(WalletCollectionRow.learner_id == learner_id)
        self.session.execute(
            delete(WalletCollectionEntryRow).where(
                WalletCollectionEntryRow.collection_id.in_(mine),
                WalletCollectionEntryRow.ref == ref,
            )
        )

    def learner(self, learner_id: str) -> LearnerRow:
        return self.found(self.session.get(LearnerRow, learner_id), learner_id, noun="learner")

    def learner_by_slug(self, slug: str) -> LearnerRow | None:
        return self.session.execute(
            select(LearnerRow).where(LearnerRow.profile_slug == slug)
        ).scalar_one_or_none()

    def slug_taken(self, slug: str) -> bool:
        return self.learner_by_slug(slug) is not None

    def set_slug(self, learner_id: str, slug: str | None) -> None:
        self.learner(learner_id).profile_slug = slug
        self.session.flush()

    # ---- a learner's deletion ------------------------------------------------------------------

    def delete_all(self, learner_id: str) -> None:
        mine = select(WalletCollectionRow.id).where(WalletCollectionRow.learner_id == learner_id)
        self.session.execute(
            delete(WalletCollectionEntryRow).where(WalletCollectionEntryRow.collection_id.in_(mine))
        )
        self.session.execute(
            delete(WalletCollectionRow).where(WalletCollectionRow.learner_id == learner_id)
        )
        self.session.execute(delete(WalletShareRow).where(WalletShareRow.learner_id == learner_id))
        self.session.execute(
            delete(WalletNoticeRow).where(WalletNoticeRow.learner_id == learner_id)
        )
        # Parts first: they point at their CLR.
        self.session.execute(
            delete(WalletItemRow).where(
                WalletItemRow.learner_id == learner_id, WalletItemRow.parent_id.is_not(None)
            )
        )
        self.session.execute(delete(WalletItemRow).where(WalletItemRow.learner_id == learner_id))
        self.session.execute(delete(WalletClaimRow).where(WalletClaimRow.learner_id == learner_id))
