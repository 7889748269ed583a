"""The webhooks feature's SQL: subscriptions, deliveries, attempts and expiry notices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm import Session

from microcred.errors import NotFoundError
from microcred.store.tables import (
    CredentialRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookExpiryRow,
    WebhookSubscriptionRow,
)


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` once the caller's transaction has committed (never if it rolls back)."""
    event.listen(session, "after_commit", lambda _session: fn(), once=True)


class WebhookRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- subscriptions -----------------------------------------------------------------------

    def add(self, row: WebhookSubscriptionRow) -> None:
        self.session.add(row)
        self.session.flush()

    def subscriptions(self, issuer_id: str) -> list[WebhookSubscriptionRow]:
        query = (
            select(WebhookSubscriptionRow)
            .where(WebhookSubscriptionRow.issuer_id == issuer_id)
            .order_by(WebhookSubscriptionRow.created_at, WebhookSubscriptionRow.id)
        )
        return list(self.session.scalars(query))

    def require(
        self, issuer_id: str, subscription_id: str, *, lock: bool = False
    ) -> WebhookSubscriptionRow:
        query = select(WebhookSubscriptionRow).where(
            WebhookSubscriptionRow.id == subscription_id,
            WebhookSubscriptionRow.issuer_id == issuer_id,
        )
        row = self.session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise NotFoundError("no such webhook subscription", found=subscription_id)
        return row

    def listening(self, issuer_ids: Sequence[str], event_type: str) -> list[WebhookSubscriptionRow]:
        """Enabled subscriptions of these issuers that asked for ``event_type`` (the list of
        events is JSON, read here rather than by two dialects' JSON operators)."""
        if not issuer_ids:
            return []
        query = select(WebhookSubscriptionRow).where(
            WebhookSubscriptionRow.issuer_id.in_(sorted(set(issuer_ids))),
            WebhookSubscriptionRow.enabled.is_(True),
        )
        return [row for row in self.session.scalars(query) if event_type in row.events]

    def all_listening(self, event_type: str) -> list[WebhookSubscriptionRow]:
        query = select(WebhookSubscriptionRow).where(WebhookSubscriptionRow.enabled.is_(True))
        return [row for row in self.session.scalars(query) if event_type in row.events]

    def delete(self, row: WebhookSubscriptionRow) -> None:
        attempts = select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.subscription_id == row.id)
        self.session.execute(
            delete(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(attempts))
        )
        self.session.execute(
            delete(WebhookDeliveryRow).where(WebhookDeliveryRow.subscription_id == row.id)
        )
        self.session.delete(row)

    # ---- deliveries --------------------------------------------------------------------------

    def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(WebhookDeliveryRow), list(rows))

    def delivery(self, delivery_id: str, *, lock: bool = False) -> WebhookDeliveryRow | None:
        query = select(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id)
        return self.session.scalar(query.with_for_update() if lock else query)

    def subscription_of(self, delivery: WebhookDeliveryRow) -> WebhookSubscriptionRow:
        row = self.session.get(WebhookSubscriptionRow, delivery.subscription_id)
        assert row is not None  # a foreign key
        return row

    def deliveries(
        self, issuer_id: str, subscription_id: str, *, limit: int
    ) -> list[WebhookDeliveryRow]:
        query = (
            select(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.issuer_id == issuer_id,
                WebhookDeliveryRow.subscription_id == subscription_id,
            )
            .order_by(WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def attempts(self, delivery_id: str) -> list[WebhookAttemptRow]:
        query = (
            select(WebhookAttemptRow)
            .where(WebhookAttemptRow.delivery_id == delivery_id)
            .order_by(WebhookAttemptRow.id)
        )
        return list(self.session.scalars(query))

    def due(self, now: datetime, *, limit: int) -> list[str]:
        query = (
            select(WebhookDeliveryRow.id)
            .where(
                WebhookDeliveryRow.state == "pending",
                WebhookDeliveryRow.next_attempt_at <= now,
            )
            .order_by(WebhookDeliveryRow.next_attempt_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def add_attempt(self, **values: Any) -> None:
        self.session.add(WebhookAttemptRow(**values))

    def cancel_pending(self, subscription_id: str, reason: str) -> None:
        self.session.execute(
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.subscription_id == subscription_id,
                WebhookDeliveryRow.state == "pending",
            )
            .values(state="cancelled", next_attempt_at=None, last_error=reason)
        )

    # ---- expiry ------------------------------------------------------------------------------

    def newly_expired(
        self, since: dict[str, datetime], now: datetime, *, limit: int
    ) -> list[CredentialRow]:
        """Credentials of these issuers whose ``validUntil`` passed after ``since[issuer]``
        (when its first expiry subscription was made) and by ``now``, not yet told about."""
        if not since:
            return []
        told = select(WebhookExpiryRow.credential_id)
        found: list[CredentialRow] = []
        for issuer_id, start in sorted(since.items()):
            query = (
                select(CredentialRow)
                .where(
                    CredentialRow.issuer_id == issuer_id,
                    CredentialRow.valid_until.is_not(None),
                    CredentialRow.valid_until > start,
                    CredentialRow.valid_until <= now,
                    CredentialRow.state != "revoked",
                    CredentialRow.id.not_in(told),
                )
                .order_by(CredentialRow.valid_until)
                .limit(limit - len(found))
            )
            found.extend(self.session.scalars(query))
            if len(found) >= limit:
                break
        return found

    def mark_expired(self, credential_ids: Sequence[str], now: datetime) -> None:
        if credential_ids:
            self.session.execute(
                insert(WebhookExpiryRow), [{"credential_id": c, "at": now} for c in credential_ids]
            )


__all__ = ["WebhookRepository", "after_commit"]
