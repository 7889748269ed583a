"""The LTI tool's SQL: platforms, tool keys, login states, used nonces and launches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microcred.errors import ConflictError, NotFoundError
from microcred.store.tables import (
    LtiContextRow,
    LtiLaunchRow,
    LtiLineItemRow,
    LtiNonceRow,
    LtiPlatformRow,
    LtiRegistrationRow,
    LtiStateRow,
    LtiToolKeyRow,
)


class LtiRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- platforms ---------------------------------------------------------------------------

    def add_platform(self, row: LtiPlatformRow) -> None:
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise ConflictError(
                "this platform and client id are registered already",
                found=f"{row.platform_issuer} / {row.client_id}",
            ) from exc

    def platforms(self, issuer_id: str | None = None) -> list[LtiPlatformRow]:
        query = select(LtiPlatformRow).order_by(LtiPlatformRow.created_at, LtiPlatformRow.id)
        if issuer_id is not None:
            query = query.where(LtiPlatformRow.issuer_id == issuer_id)
        return list(self.session.scalars(query))

    def platforms_of(self, platform_issuer: str) -> list[LtiPlatformRow]:
        query = select(LtiPlatformRow).where(LtiPlatformRow.platform_issuer == platform_issuer)
        return list(self.session.scalars(query))

    def platform(self, platform_id: str) -> LtiPlatformRow | None:
        return self.session.get(LtiPlatformRow, platform_id)

    def remove_platform(self, issuer_id: str, platform_id: str) -> LtiPlatformRow:
        row = self.session.scalar(
            select(LtiPlatformRow).where(
                LtiPlatformRow.id == platform_id, LtiPlatformRow.issuer_id == issuer_id
            )
        )
        if row is None:
            raise NotFoundError("no such LTI platform", found=platform_id)
        for table in (LtiStateRow, LtiNonceRow, LtiLaunchRow, LtiLineItemRow, LtiContextRow):
            self.session.execute(delete(table).where(table.platform_id == platform_id))
        self.session.execute(
            update(LtiRegistrationRow)
            .where(LtiRegistrationRow.platform_id == platform_id)
            .values(platform_id=None)
        )
        self.session.delete(row)
        return row

    # ---- the tool's keys ---------------------------------------------------------------------

    def tool_keys(self) -> list[LtiToolKeyRow]:
        query = select(LtiToolKeyRow).where(LtiToolKeyRow.retired_at.is_(None))
        return list(self.session.scalars(query.order_by(LtiToolKeyRow.created_at)))

    def add_tool_key(self, row: LtiToolKeyRow) -> None:
        self.session.add(row)
        self.session.flush()

    # ---- logins, nonces, launches ------------------------------------------------------------

    def add_state(self, row: LtiStateRow, now: datetime) -> None:
        self.session.execute(delete(LtiStateRow).where(LtiStateRow.expires_at < now))
        self.session.add(row)

    def take_state(self, state_hash: str) -> LtiStateRow | None:
        """The login state, deleted as it is read: a second launch with it finds nothing."""
        row = self.session.get(LtiStateRow, state_hash, with_for_update=True)
        if row is not None:
            self.session.delete(row)
            self.session.flush()
        return row

    def use_nonce(
        self, platform_id: str, nonce_hash: str, expires_at: datetime, now: datetime
    ) -> bool:
        """Record a nonce as used; False when it was used before."""
        self.session.execute(delete(LtiNonceRow).where(LtiNonceRow.expires_at < now))
        if self.session.get(LtiNonceRow, (platform_id, nonce_hash)) is not None:
            return False
        self.session.add(
            LtiNonceRow(platform_id=platform_id, nonce_hash=nonce_hash, expires_at=expires_at)
        )
        try:
            self.session.flush()
        except IntegrityError:  # used by a launch running beside: this one is refused
            return False
        return True

    def add_launch(self, row: LtiLaunchRow) -> None:
        self.session.add(row)
        self.session.flush()

    # ---- dynamic registration ----------------------------------------------------------------

    def add_registration(self, row: LtiRegistrationRow) -> None:
        self.session.add(row)

    def registration(self, code_hash: str, *, lock: bool = False) -> LtiRegistrationRow | None:
        return self.session.get(LtiRegistrationRow, code_hash, with_for_update=lock)

    # ---- courses and their rosters ----------------------------------------------------------

    def keep_context(self, row: LtiContextRow) -> None:
        """Remember a course, or bring its title and memberships URL up to date."""
        found = self.session.scalar(
            select(LtiContextRow).where(
                LtiContextRow.platform_id == row.platform_id,
                LtiContextRow.context_id == row.context_id,
            )
        )
        if found is None:
            self.session.add(row)
            self.session.flush()
            return
        found.title = row.title or found.title
        found.memberships_url = row.memberships_url or found.memberships_url
        found.updated_at = row.updated_at

    def context(self, issuer_id: str, platform_id: str, context_id: str) -> LtiContextRow:
        row = self.session.scalar(
            select(LtiContextRow).where(
                LtiContextRow.issuer_id == issuer_id,
                LtiContextRow.platform_id == platform_id,
                LtiContextRow.context_id == context_id,
            )
        )
        if row is None:
            raise NotFoundError("no launch came from this course", found=context_id)
        return row

    # ---- Assignment and Grade Services -------------------------------------------------------

    def keep_line_item(self, row: LtiLineItemRow) -> None:
        """Remember a line item once (a later launch naming it again changes nothing)."""
        found = self.session.scalar(
            select(LtiLineItemRow.id).where(
                LtiLineItemRow.platform_id == row.platform_id,
                LtiLineItemRow.url_hash == row.url_hash,
            )
        )
        if found is None:
            self.session.add(row)
            self.session.flush()

    def line_items(self, *, limit: int) -> list[LtiLineItemRow]:
        """Those read longest ago (or never) first."""
        query = select(LtiLineItemRow).order_by(
            LtiLineItemRow.pulled_at.is_not(None), LtiLineItemRow.pulled_at, LtiLineItemRow.id
        )
        return list(self.session.scalars(query.limit(limit)))

    def learners_of(self, platform_id: str, subjects: list[str]) -> dict[str, str]:
        """The e-mail address each platform user (``sub``) last launched with."""
        if not subjects:
            return {}
        query = (
            select(LtiLaunchRow.subject, LtiLaunchRow.email)
            .where(
                LtiLaunchRow.platform_id == platform_id,
                LtiLaunchRow.subject.in_(sorted(set(subjects))),
                LtiLaunchRow.email.is_not(None),
            )
            .order_by(LtiLaunchRow.at)
        )
        return {subject: email for subject, email in self.session.execute(query).all() if email}

    def mark_pulled(self, line_item_id: str, now: datetime) -> None:
        row = self.session.get(LtiLineItemRow, line_item_id)
        if row is not None:
            row.pulled_at = now


__all__ = ["LtiRepository"]
