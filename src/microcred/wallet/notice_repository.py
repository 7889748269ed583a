"""The statements about the notices re-verification leaves for learners (wallet/reverify.py
writes them, wallet/notices.py shows and dismisses them). The repository takes the caller's
session and never commits.

The periodic re-check reads in keyset pages (a cursor of the last row's sort key, never an
offset, never the whole table) and writes what it found as notices, one per (learner,
credential, what).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError

from microcred.status.expiry import effective_state_sql
from microcred.store.repository import Repository
from microcred.store.tables import (
    CredentialRow,
    LearnerEmailRow,
    LearnerRow,
    WalletClaimRow,
    WalletItemRow,
    WalletNoticeRow,
)


def _after(
    columns: Sequence[sa.SQLColumnExpression[Any]], cursor: Sequence[object] | None
) -> ColumnElement[bool]:
    """Rows sorting after ``cursor`` by ``columns`` (a keyset page's condition, spelled out:
    a row-value comparison would lose the columns' bind types)."""
    if cursor is None:
        return sa.true()
    first, *rest = columns
    if not rest:
        return first > cursor[0]
    return or_(first > cursor[0], sa.and_(first == cursor[0], _after(rest, cursor[1:])))


def _told(
    learner_id: sa.SQLColumnExpression[str],
    ref: sa.SQLColumnExpression[str],
    what: sa.SQLColumnExpression[str],
) -> ColumnElement[bool]:
    return sa.exists().where(
        WalletNoticeRow.learner_id == learner_id,
        WalletNoticeRow.ref == ref,
        WalletNoticeRow.what == what,
    )


class NoticeRepository(Repository):
    noun = "notice"

    # ---- the banner (wallet/notices.py) -------------------------------------------------------

    def open_notices(self, learner_id: str, *, limit: int) -> list[WalletNoticeRow]:
        rows = self.session.execute(
            select(WalletNoticeRow)
            .where(WalletNoticeRow.learner_id == learner_id, WalletNoticeRow.dismissed_at.is_(None))
            .order_by(WalletNoticeRow.created_at.desc(), WalletNoticeRow.id)
            .limit(limit)
        )
        return list(rows.scalars())

    def notice(self, learner_id: str, notice_id: str) -> WalletNoticeRow:
        row = self.session.get(WalletNoticeRow, notice_id)
        if row is not None and row.learner_id != learner_id:
            row = None  # another learner's notice is looked up as missing
        return self.found(row, notice_id)

    # ---- finding what to tell --------------------------------------------------------------

    def stale_items(
        self, before: datetime, cursor: tuple[datetime, str] | None, *, limit: int
    ) -> list[WalletItemRow]:
        """Imported credentials last checked before ``before``, oldest check first."""
        rows = self.session.execute(
            select(WalletItemRow)
            .where(
                WalletItemRow.checked_at < before,
                _after([WalletItemRow.checked_at, WalletItemRow.id], cursor),
            )
            .order_by(WalletItemRow.checked_at, WalletItemRow.id)
            .limit(limit)
        )
        return list(rows.scalars())

    def item(self, item_id: str) -> WalletItemRow | None:
        return self.session.get(WalletItemRow, item_id)

    def ours_to_tell(
        self,
        now: datetime,
        *,
        soon: datetime,
        since: datetime,
        cursor: tuple[str, str] | None,
        limit: int,
    ) -> list[tuple[str, CredentialRow]]:
        """(learner id, credential) of our held credentials revoked, suspended, or expiring
        before ``soon`` / expired after ``since``, that the learner was not told of in that
        state yet: held by a verified address or a claim (one union, each branch filtered),
        by learner and credential id."""
        state = effective_state_sql(now)
        what = sa.case((state == "active", "expiring"), else_=state)
        news = or_(
            CredentialRow.state.in_(("revoked", "suspended")),
            sa.and_(
                CredentialRow.state == "active",
                CredentialRow.valid_until.is_not(None),
                CredentialRow.valid_until <= soon,
                CredentialRow.valid_until > since,
            ),
        )
        by_address = (
            select(LearnerEmailRow.learner_id.label("learner_id"), CredentialRow.id.label("ref"))
            .join(LearnerEmailRow, LearnerEmailRow.email == CredentialRow.recipient_email)
            .where(news, ~_told(LearnerEmailRow.learner_id, CredentialRow.id, what))
        )
        by_claim = (
            select(WalletClaimRow.learner_id.label("learner_id"), CredentialRow.id.label("ref"))
            .join(WalletClaimRow, WalletClaimRow.credential_id == CredentialRow.id)
            .where(news, ~_told(WalletClaimRow.learner_id, CredentialRow.id, what))
        )
        held = sa.union(by_address, by_claim).subquery()
        rows = self.session.execute(
            select(held.c.learner_id, CredentialRow)
            .join(CredentialRow, CredentialRow.id == held.c.ref)
            .where(_after([held.c.learner_id, held.c.ref], cursor))
            .order_by(held.c.learner_id, held.c.ref)
            .limit(limit)
        ).all()
        return [(str(learner_id), row) for learner_id, row in rows]

    def addresses(self, learner_ids: set[str]) -> dict[str, set[str]]:
        """Each learner's verified addresses."""
        rows = self.session.execute(
            select(LearnerEmailRow.learner_id, LearnerEmailRow.email).where(
                LearnerEmailRow.learner_id.in_(learner_ids)
            )
        )
        found: dict[str, set[str]] = {}
        for learner_id, email in rows:
            found.setdefault(str(learner_id), set()).add(str(email))
        return found

    def imports_expiring(
        self,
        now: datetime,
        *,
        soon: datetime,
        since: datetime,
        cursor: str | None,
        limit: int,
    ) -> list[WalletItemRow]:
        """Imported credentials verified active whose validity ends before ``soon`` (and
        after ``since``), not yet told of as expiring or expired, by id."""
        what = sa.case((WalletItemRow.valid_until <= now, "expired"), else_="expiring")
        rows = self.session.execute(
            select(WalletItemRow)
            .where(
                WalletItemRow.state == "active",
                WalletItemRow.valid_until.is_not(None),
                WalletItemRow.valid_until <= soon,
                WalletItemRow.valid_until > since,
                ~_told(WalletItemRow.learner_id, WalletItemRow.id, what),
                _after([WalletItemRow.id], None if cursor is None else [cursor]),
            )
            .order_by(WalletItemRow.id)
            .limit(limit)
        )
        return list(rows.scalars())

    # ---- writing notices ---------------------------------------------------------------------

    def add_notices(self, rows: Sequence[WalletNoticeRow]) -> int:
        """Add the notices not there yet; how many were added. The unique key decides, so
        two runs at once tell no one twice."""
        if not rows:
            return 0
        found = self.session.execute(
            select(WalletNoticeRow.learner_id, WalletNoticeRow.ref, WalletNoticeRow.what).where(
                WalletNoticeRow.ref.in_({row.ref for row in rows})
            )
        ).all()
        known = {(str(learner_id), str(ref), str(what)) for learner_id, ref, what in found}
        added = 0
        for row in rows:
            key = (row.learner_id, row.ref, row.what)
            if key in known:
                continue
            known.add(key)
            try:
                with self.session.begin_nested():
                    self.session.add(row)
            except IntegrityError:
                continue  # another run added it first
            added += 1
        return added

    # ---- the learner's export ------------------------------------------------------------------

    def all_notices(self, learner_id: str) -> list[WalletNoticeRow]:
        rows = self.session.execute(
            select(WalletNoticeRow)
            .where(WalletNoticeRow.learner_id == learner_id)
            .order_by(WalletNoticeRow.created_at, WalletNoticeRow.id)
        )
        return list(rows.scalars())

    # ---- mailing -------------------------------------------------------------------------------

    def learners_to_mail(self, cursor: str | None, *, limit: int) -> list[str]:
        """Learners with notices not mailed yet, by id."""
        rows = self.session.execute(
            select(WalletNoticeRow.learner_id)
            .where(
                WalletNoticeRow.mailed_at.is_(None),
                _after([WalletNoticeRow.learner_id], None if cursor is None else [cursor]),
            )
            .group_by(WalletNoticeRow.learner_id)
            .order_by(WalletNoticeRow.learner_id)
            .limit(limit)
        )
        return [str(learner_id) for learner_id in rows.scalars()]

    def unmailed(self, learner_id: str, *, limit: int) -> list[WalletNoticeRow]:
        rows = self.session.execute(
            select(WalletNoticeRow)
            .where(WalletNoticeRow.learner_id == learner_id, WalletNoticeRow.mailed_at.is_(None))
            .order_by(WalletNoticeRow.created_at, WalletNoticeRow.id)
            .limit(limit)
        )
        return list(rows.scalars())

    def mark_mailed(self, notice_ids: Sequence[str], at: datetime) -> None:
        if notice_ids:
            self.session.execute(
                sa.update(WalletNoticeRow)
                .where(WalletNoticeRow.id.in_(notice_ids), WalletNoticeRow.mailed_at.is_(None))
                .values(mailed_at=at)
            )

    def learner(self, learner_id: str) -> LearnerRow | None:
        return self.session.get(LearnerRow, learner_id)

    def first_address(self, learner_id: str) -> str | None:
        """The learner's oldest verified address (the one they signed up with, usually)."""
        return self.session.execute(
            select(LearnerEmailRow.email)
            .where(LearnerEmailRow.learner_id == learner_id)
            .order_by(LearnerEmailRow.verified_at, LearnerEmailRow.email)
            .limit(1)
        ).scalar_one_or_none()
