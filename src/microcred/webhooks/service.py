"""Subscriptions to an issuer's credential events, and their delivery by jobs.

An event is stored as one :class:`~microcred.store.tables.WebhookDeliveryRow` per subscription
that asked for it, in the transaction that made the event (issuance, a status change, a
claim, ...), and its ``webhooks.deliver`` job is queued once that transaction commits. The job
signs the message (Standard Webhooks: ``webhook-id``, ``webhook-timestamp``,
``webhook-signature``) and POSTs it through the guarded client, which checks the target's
address again at each delivery (a name that now resolves into a private network is refused).

A failed attempt (no answer, or a status outside 2xx) is tried again after a delay that
doubles from ``first_retry`` up to ``longest_retry``; after ``max_attempts`` the delivery is
failed. Retries are queued by the ``webhooks.sweep`` job, each minute, from the rows
themselves, so a lost job or a restarted worker loses nothing. ``disable_after`` failed
attempts in a row (any delivery) disable the subscription and cancel what it still had
pending; re-enabling it starts the count again. Delivery is at least once: a receiver
de-duplicates by ``webhook-id``, which a retry and a replay keep.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from microcred.accounts.actor import Actor
from microcred.audit.repository import record_audit
from microcred.errors import (
    ConflictError,
    FetchError,
    InputError,
    NotFoundError,
    UrlRefusedError,
    short,
)
from microcred.store.db import transaction
from microcred.store.tables import CredentialRow, WebhookDeliveryRow, WebhookSubscriptionRow
from microcred.webhooks import signing
from microcred.webhooks.repository import WebhookRepository, after_commit

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

    from microcred.crypto.sealing import Sealer
    from microcred.jobs.queue import JobQueue
    from microcred.urls import PublicUrls

log = logging.getLogger(__name__)

DELIVER_JOB = "webhooks.deliver"
WEBHOOK_SWEEP_JOB = "webhooks.sweep"
WEBHOOK_SWEEP_MINUTES = 1

CREDENTIAL_ISSUED = "credential.issued"
CREDENTIAL_CLAIMED = "credential.claimed"
CREDENTIAL_REVOKED = "credential.revoked"
CREDENTIAL_SUSPENDED = "credential.suspended"
CREDENTIAL_REINSTATED = "credential.reinstated"
CREDENTIAL_EXPIRED = "credential.expired"
# Emitted by the pathways feature (``emit(session, issuer_id, PATHWAY_COMPLETED, data)``).
PATHWAY_COMPLETED = "pathway.completed"
EVENTS = (
    CREDENTIAL_ISSUED,
    CREDENTIAL_CLAIMED,
    CREDENTIAL_REVOKED,
    CREDENTIAL_SUSPENDED,
    CREDENTIAL_REINSTATED,
    CREDENTIAL_EXPIRED,
    PATHWAY_COMPLETED,
)
_STATUS_EVENTS = {
    "revoked": CREDENTIAL_REVOKED,
    "suspended": CREDENTIAL_SUSPENDED,
    "reinstated": CREDENTIAL_REINSTATED,
}
MAX_URL = 2000
SWEEP_LIMIT = 500
ERROR_LIMIT = 500

Sender = Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]
"""POST a body with headers to a URL; the status and the first bytes of the answer. Raises
:class:`FetchError` (UrlRefusedError for an address outside the policy)."""


@dataclass(frozen=True)
class Subscription:
    row: WebhookSubscriptionRow
    secret: str | None = None  # only when just made: shown once, never again


@dataclass(frozen=True)
class DeliveryLog:
    delivery: WebhookDeliveryRow
    attempts: list[tuple[datetime, int | None, str | None, int]]  # at, status, error, ms


def _bound(subscription_id: str) -> str:
    return f"webhook-subscription:{subscription_id}"


class WebhookService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        sealer: Sealer,
        queue: JobQueue,
        sender: Sender,
        check_url: Callable[[str], None],
        wall_clock: Callable[[], float] = time.time,
        max_attempts: int = 8,
        first_retry: timedelta = timedelta(minutes=1),
        longest_retry: timedelta = timedelta(hours=6),
        disable_after: int = 20,
    ) -> None:
        """``check_url`` refuses a target outside the fetch policy (at subscription time);
        ``sender`` posts under the same policy. ``wall_clock`` stamps ``webhook-timestamp``
        (receivers compare it with their real clock)."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.sealer = sealer
        self.queue = queue
        self.sender = sender
        self.check_url = check_url
        self.wall_clock = wall_clock
        self.max_attempts = max_attempts
        self.first_retry = first_retry
        self.longest_retry = longest_retry
        self.disable_after = disable_after

    # ---- subscriptions -----------------------------------------------------------------------

    def create(
        self,
        actor: Actor,
        issuer_id: str,
        *,
        url: str,
        events: Sequence[str],
        description: str | None = None,
    ) -> Subscription:
        """A new enabled subscription and its signing secret (returned this once)."""
        actor.require(issuer_id, "owner")
        url = self._checked_url(url)
        chosen = _checked_events(events)
        if description is not None and len(description) > 300:
            raise InputError("description is too long", expected="at most 300 characters")
        now = self.clock()
        secret = signing.new_secret()
        subscription_id = str(uuid.uuid4())
        row = WebhookSubscriptionRow(
            id=subscription_id,
            issuer_id=issuer_id,
            url=url,
            events=chosen,
            description=description,
            sealed_secret=self.sealer.seal(secret.encode(), bound_to=_bound(subscription_id)),
            enabled=True,
            failures=0,
            created_at=now,
            updated_at=now,
        )
        with transaction(self.sessions) as session:
            WebhookRepository(session).add(row)
            record_audit(
                session,
                actor.name,
                "webhook.created",
                url,
                issuer_id=issuer_id,
                at=now,
                details={"subscription": subscription_id, "events": chosen},
            )
        return Subscription(row, secret)

    def subscriptions(self, actor: Actor, issuer_id: str) -> list[WebhookSubscriptionRow]:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return WebhookRepository(session).subscriptions(issuer_id)

    def get(self, actor: Actor, issuer_id: str, subscription_id: str) -> WebhookSubscriptionRow:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return WebhookRepository(session).require(issuer_id, subscription_id)

    def set_enabled(
        self, actor: Actor, issuer_id: str, subscription_id: str, enabled: bool
    ) -> WebhookSubscriptionRow:
        """Disable (pending deliveries are cancelled) or enable again (the failure count
        starts from zero; the target is checked again)."""
        actor.require(issuer_id, "owner")
        now = self.clock()
        with transaction(self.sessions) as session:
            repository = WebhookRepository(session)
            row = repository.require(issuer_id, subscription_id, lock=True)
            if enabled and not row.enabled:
                self._checked_url(row.url)
                row.enabled, row.failures = True, 0
                row.disabled_at = row.disabled_reason = None
            elif not enabled and row.enabled:
                row.enabled, row.disabled_at = False, now
                row.disabled_reason = f"disabled by {actor.name}"
                repository.cancel_pending(row.id, "subscription disabled")
            row.updated_at = now
            record_audit(
                session,
                actor.name,
                "webhook.enabled" if enabled else "webhook.disabled",
                row.url,
                issuer_id=issuer_id,
                at=now,
                details={"subscription": row.id},
            )
        return row

    def delete(self, actor: Actor, issuer_id: str, subscription_id: str) -> None:
        """Forget a subscription with its delivery log."""
        actor.require(issuer_id, "owner")
        with transaction(self.sessions) as session:
            repository = WebhookRepository(session)
            row = repository.require(issuer_id, subscription_id, lock=True)
            repository.delete(row)
            record_audit(
                session,
                actor.name,
                "webhook.deleted",
                row.url,
                issuer_id=issuer_id,
                at=self.clock(),
                details={"subscription": row.id},
            )

    def deliveries(
        self, actor: Actor, issuer_id: str, subscription_id: str, *, limit: int = 50
    ) -> list[DeliveryLog]:
        """The newest deliveries of a subscription, each with its attempts."""
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            repository = WebhookRepository(session)
            repository.require(issuer_id, subscription_id)
            return [
                DeliveryLog(
                    row,
                    [(a.at, a.status, a.error, a.duration_ms) for a in repository.attempts(row.id)],
                )
                for row in repository.deliveries(issuer_id, subscription_id, limit=limit)
            ]

    def replay(self, actor: Actor, issuer_id: str, delivery_id: str) -> WebhookDeliveryRow:
        """Send a delivery's message again (same ``webhook-id``, a fresh set of attempts);
        its subscription must be enabled."""
        actor.require(issuer_id, "owner")
        now = self.clock()
        with transaction(self.sessions) as session:
            repository = WebhookRepository(session)
            row = repository.delivery(delivery_id, lock=True)
            if row is None or row.issuer_id != issuer_id:
                raise _no_delivery(delivery_id)
            if not repository.subscription_of(row).enabled:
                raise ConflictError(
                    "the subscription is disabled", expected="enable it first", found="disabled"
                )
            row.state, row.attempts, row.next_attempt_at = "pending", 0, now
            row.delivered_at = None
            record_audit(
                session,
                actor.name,
                "webhook.replayed",
                row.message_id,
                issuer_id=issuer_id,
                at=now,
                details={"delivery": row.id, "type": row.event_type},
            )
            after_commit(session, lambda: self._enqueue([delivery_id]))
        return row

    # ---- events ------------------------------------------------------------------------------

    def emit(
        self,
        session: Session,
        issuer_id: str,
        event_type: str,
        data: dict[str, Any],
    ) -> int:
        """Store ``event_type`` for each subscription of the issuer that wants it, in the
        caller's transaction; delivered once it commits. Returns how many deliveries."""
        return self.emit_many(session, event_type, [(issuer_id, data)])

    def emit_many(
        self, session: Session, event_type: str, events: Iterable[tuple[str, dict[str, Any]]]
    ) -> int:
        if event_type not in EVENTS:
            raise ValueError(f"unknown webhook event {event_type!r}")
        events = list(events)
        repository = WebhookRepository(session)
        listeners: dict[str, list[WebhookSubscriptionRow]] = {}
        for row in repository.listening([issuer for issuer, _ in events], event_type):
            listeners.setdefault(row.issuer_id, []).append(row)
        if not listeners:
            return 0
        now = self.clock()
        stamp = now.isoformat().replace("+00:00", "Z")
        rows: list[dict[str, Any]] = []
        for issuer_id, data in events:
            message_id = f"msg_{uuid.uuid4().hex}"
            payload = {"type": event_type, "timestamp": stamp, "data": data}
            rows.extend(
                {
                    "id": str(uuid.uuid4()),
                    "subscription_id": subscription.id,
                    "issuer_id": issuer_id,
                    "message_id": message_id,
                    "event_type": event_type,
                    "payload": payload,
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for subscription in listeners.get(issuer_id, ())
            )
        repository.add_deliveries(rows)
        ids = [row["id"] for row in rows]
        after_commit(session, lambda: self._enqueue(ids))
        return len(rows)

    def credential_data(self, row: CredentialRow) -> dict[str, Any]:
        """What a credential event says about the credential (the issuer's own data: it
        knows the recipient already)."""
        return {
            "id": row.id,
            "credential": self.urls.credential(row.id),
            "achievement": row.achievement_id,
            "state": row.state,
            "reason": row.state_reason,
            "validUntil": row.valid_until.isoformat().replace("+00:00", "Z")
            if row.valid_until
            else None,
            "recipient": {
                "email": row.recipient_email,
                "did": row.recipient_did,
                "name": row.recipient_name,
            },
        }

    # The issuance hook (microcred.issuing.issuance.IssuanceHook).
    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None:
        issuers = sorted({row.issuer_id for row in credentials})
        if not WebhookRepository(session).listening(issuers, CREDENTIAL_ISSUED):
            return  # nobody listens: no event data built for a bulk chunk's thousand rows
        self.emit_many(
            session,
            CREDENTIAL_ISSUED,
            ((row.issuer_id, self.credential_data(row)) for row in credentials),
        )

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None:
        """Nothing: :meth:`emit` queues its jobs when the transaction commits."""

    # The status hook (microcred.status.lifecycle.StatusHook).
    def statuses_changed(
        self, session: Session, changes: Sequence[tuple[CredentialRow, str]], at: datetime
    ) -> None:
        """One event per credential moved; the subscriptions read once for them all (a
        cascade moves thousands in one transaction)."""
        by_type: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for credential, action in changes:
            event_type = _STATUS_EVENTS.get(action)
            if event_type is not None:
                by_type.setdefault(event_type, []).append(
                    (credential.issuer_id, self.credential_data(credential))
                )
        for event_type, events in by_type.items():
            self.emit_many(session, event_type, events)

    def claimed(self, credential_id: str) -> None:
        """The recipient opened their private link for the first time (engagement's hook).
        Read first: only an issuer with a subscription to claims costs a write."""
        try:
            with self.sessions() as session:
                row = session.get(CredentialRow, credential_id)
                wanted = row is not None and bool(
                    WebhookRepository(session).listening([row.issuer_id], CREDENTIAL_CLAIMED)
                )
            if row is None or not wanted:
                return
            with transaction(self.sessions) as session:
                self.emit(session, row.issuer_id, CREDENTIAL_CLAIMED, self.credential_data(row))
        except Exception:  # the page that counted the claim must not fail for a webhook
            log.exception("could not store the claimed event of %s", credential_id)

    # ---- jobs --------------------------------------------------------------------------------

    def _enqueue(self, delivery_ids: Sequence[str]) -> None:
        for delivery_id in delivery_ids:
            # The event is committed: a queue that is down must not fail the request that
            # made it; the sweep sends what is still pending.
            try:
                self.queue.enqueue(DELIVER_JOB, delivery_id)
            except Exception:
                log.exception("could not queue webhook delivery %s", delivery_id)

    def deliver(self, delivery_id: str) -> str:
        """One attempt at a pending delivery; returns its state afterwards (``skipped`` when
        it was not pending)."""
        with transaction(self.sessions) as session:
            repository = WebhookRepository(session)
            row = repository.delivery(delivery_id, lock=True)
            if row is None or row.state != "pending":
                return "skipped"
            subscription = repository.subscription_of(row)
            if not subscription.enabled:
                row.state, row.next_attempt_at = "cancelled", None
                return row.state
            url, sealed, subscription_id = (
                subscription.url,
                subscription.sealed_secret,
                subscription.id,
            )
            message_id, payload, issuer_id = row.message_id, row.payload, row.issuer_id
        secret = self.sealer.open(sealed, bound_to=_bound(subscription_id)).decode()
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = signing.headers(secret, message_id, int(self.wall_clock()), body)
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            status, answer = self.sender(url, body, headers)
            if not 200 <= status < 300:
                error = f"HTTP {status}: {short(answer.decode('utf-8', 'replace'), 200)}"
        except UrlRefusedError as exc:
            error = f"refused: {exc}"
        except FetchError as exc:
            error = str(exc)
        elapsed = int((time.monotonic() - started) * 1000)
        return self._record(issuer_id, delivery_id, subscription_id, status, error, elapsed)

    def _record(
        self,
        issuer_id: str,
        delivery_id: str,
        subscription_id: str,
        status: int | None,
        error: str | None,
        elapsed_ms: int,
    ) -> str:
        now = self.clock()
        with transaction(self.sessions) as session:
            repository = WebhookRepository(session)
            subscription = repository.require(issuer_id, subscription_id, lock=True)
            row = repository.delivery(delivery_id, lock=True)
            assert row is not None
            repository.add_attempt(
                delivery_id=delivery_id,
                at=now,
                status=status,
                error=error[:ERROR_LIMIT] if error else None,
                duration_ms=elapsed_ms,
            )
            if row.state != "pending":  # replayed or cancelled meanwhile: only logged
                return row.state
            row.attempts += 1
            row.last_status = status
            row.last_error = error[:ERROR_LIMIT] if error else None
            if error is None:
                row.state, row.delivered_at, row.next_attempt_at = "delivered", now, None
                subscription.failures = 0
                return row.state
            if row.attempts >= self.max_attempts:
                row.state, row.next_attempt_at = "failed", None
            else:
                row.next_attempt_at = now + self.backoff(row.attempts)
            subscription.failures += 1
            if subscription.enabled and subscription.failures >= self.disable_after:
                subscription.enabled, subscription.disabled_at = False, now
                subscription.disabled_reason = (
                    f"{subscription.failures} failed attempts in a row; last: {row.last_error}"
                )[:ERROR_LIMIT]
                repository.cancel_pending(subscription.id, "subscription disabled after failures")
                record_audit(
                    session,
                    "system",
                    "webhook.disabled",
                    subscription.url,
                    issuer_id=issuer_id,
                    at=now,
                    details={"subscription": subscription.id, "failures": subscription.failures},
                )
            return row.state

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: doubling, capped."""
        wait: timedelta = self.first_retry * (2 ** (attempts - 1))
        return min(wait, self.longest_retry)

    def sweep(self) -> int:
        """Queue the deliveries whose retry is due and emit ``credential.expired`` for
        credentials that expired since; returns how many deliveries were queued."""
        self.emit_expired()
        with self.sessions() as session:
            due = WebhookRepository(session).due(self.clock(), limit=SWEEP_LIMIT)
        self._enqueue(due)
        return len(due)

    def emit_expired(self) -> int:
        """``credential.expired`` for each credential past its ``validUntil`` whose issuer
        has a subscription to it (made before the expiry), once per credential."""
        now = self.clock()
        with transaction(self.sessions) as session:
            repository = WebhookRepository(session)
            since: dict[str, datetime] = {}
            for row in repository.all_listening(CREDENTIAL_EXPIRED):
                since[row.issuer_id] = min(since.get(row.issuer_id, row.created_at), row.created_at)
            expired = repository.newly_expired(since, now, limit=SWEEP_LIMIT)
            repository.mark_expired([row.id for row in expired], now)
            return self.emit_many(
                session,
                CREDENTIAL_EXPIRED,
                ((row.issuer_id, self.credential_data(row)) for row in expired),
            )

    def _checked_url(self, url: str) -> str:
        url = (url or "").strip()
        if not url or len(url) > MAX_URL:
            raise InputError(
                "a webhook needs a URL", expected=f"http(s)://... of at most {MAX_URL} characters"
            )
        try:
            self.check_url(url)
        except UrlRefusedError:
            raise
        except FetchError as exc:
            raise InputError(
                "the webhook's host name does not resolve",
                expected="a resolvable host",
                found=exc.found,
            ) from exc
        return url


def _checked_events(events: Sequence[str]) -> list[str]:
    chosen = sorted(set(events))
    unknown = [e for e in chosen if e not in EVENTS]
    if not chosen or unknown:
        raise InputError(
            "unknown webhook event" if unknown else "a subscription needs at least one event",
            expected=" | ".join(EVENTS),
            found=", ".join(short(e, 64) for e in unknown) or "none",
        )
    return chosen


def _no_delivery(delivery_id: str) -> NotFoundError:
    return NotFoundError("no such webhook delivery", found=short(delivery_id, 64))


__all__ = [
    "DELIVER_JOB",
    "EVENTS",
    "PATHWAY_COMPLETED",
    "WEBHOOK_SWEEP_JOB",
    "WEBHOOK_SWEEP_MINUTES",
    "DeliveryLog",
    "Sender",
    "Subscription",
    "WebhookService",
]
