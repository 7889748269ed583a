"""The SQL of expiry reminders: renewal links per achievement, credentials due a reminder, and
the one-row-per-credential record that makes a reminder happen once. Takes the caller's
session; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from microcred.store.repository import Repository
from microcred.store.tables import (
    AchievementRenewalRow,
    AchievementRow,
    CredentialRow,
    ExpiryReminderRow,
)


class ExpiryRepository(Repository):
    noun = "expiry reminder"

    def achievement_issuer(self, achievement_id: str) -> str | None:
        return self.session.scalar(
            select(AchievementRow.issuer_id).where(AchievementRow.id == achievement_id)
        )

    def renewal(self, achievement_id: str) -> str | None:
        row = self.session.get(AchievementRenewalRow, achievement_id)
        return row.url if row else None

    def set_renewal(self, achievement_id: str, url: str | None) -> None:
        row = self.session.get(AchievementRenewalRow, achievement_id)
        if url is None:
            if row is not None:
                self.session.delete(row)
        elif row is None:
            self.session.add(AchievementRenewalRow(achievement_id=achievement_id, url=url))
        else:
            row.url = url

    def due(self, now: datetime, until: datetime, limit: int) -> Sequence[str]:
        """Active credentials with an address, expiring in (now, until], not yet reminded."""
        return self.session.scalars(
            select(CredentialRow.id)
            .outerjoin(ExpiryReminderRow, ExpiryReminderRow.credential_id == CredentialRow.id)
            .where(
                ExpiryReminderRow.credential_id.is_(None),
                CredentialRow.state == "active",
                CredentialRow.recipient_email.is_not(None),
                CredentialRow.valid_until.is_not(None),
                CredentialRow.valid_until > now,
                CredentialRow.valid_until <= until,
            )
            .order_by(CredentialRow.valid_until)
            .limit(limit)
        ).all()

    def claim(self, credential_id: str, at: datetime) -> bool:
        """Record the reminder as sent; False when another run recorded it first (the primary
        key decides)."""
        try:
            with self.session.begin_nested():
                self.session.add(ExpiryReminderRow(credential_id=credential_id, sent_at=at))
        except IntegrityError:
            return False
        return True

    def release(self, credential_id: str) -> None:
        """Forget the record, so a later run tries again (a temporary mail failure)."""
        self.session.execute(
            delete(ExpiryReminderRow).where(ExpiryReminderRow.credential_id == credential_id)
        )


__all__ = ["ExpiryRepository"]
