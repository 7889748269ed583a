"""An issuer's webhook subscriptions (owner role to change, viewer to read) and their
delivery log, with replay. The signing secret is in the answer to the creation only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from microcred.store.tables import WebhookSubscriptionRow
from microcred.web.deps import ActorDep, RuntimeDep
from microcred.web.schemas import Schema
from microcred.webhooks.service import EVENTS, DeliveryLog

router = APIRouter(prefix="/api/v1/issuers/{issuer_id}/webhooks", tags=["webhooks"])


class SubscriptionIn(Schema):
    url: str
    events: list[str]
    description: str | None = None


class SubscriptionPatch(Schema):
    enabled: bool


class SubscriptionOut(Schema):
    id: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    failures: int
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
    # Standard Webhooks signing secret (whsec_...): only in the answer that made it.
    secret: str | None = None


class AttemptOut(Schema):
    at: datetime
    status: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(Schema):
    id: str
    message_id: str
    type: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]
    log: list[AttemptOut]


def _out(row: WebhookSubscriptionRow, secret: str | None = None) -> SubscriptionOut:
    return SubscriptionOut(
        id=row.id,
        url=row.url,
        events=list(row.events),
        description=row.description,
        enabled=row.enabled,
        failures=row.failures,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
        secret=secret,
    )


def _delivery(entry: DeliveryLog) -> DeliveryOut:
    row = entry.delivery
    return DeliveryOut(
        id=row.id,
        message_id=row.message_id,
        type=row.event_type,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        payload=row.payload,
        log=[AttemptOut(at=a, status=s, error=e, duration_ms=ms) for a, s, e, ms in entry.attempts],
    )


@router.get("/events", response_model=list[str])
def event_types(issuer_id: str, actor: ActorDep) -> list[str]:
    """The event types a subscription may ask for."""
    actor.require(issuer_id, "viewer")
    return list(EVENTS)


@router.post("", response_model=SubscriptionOut, status_code=201)
def create_subscription(
    issuer_id: str, body: SubscriptionIn, actor: ActorDep, runtime: RuntimeDep
) -> SubscriptionOut:
    """Subscribe a URL (a public address: private ones are refused, 422) to events."""
    made = runtime.webhooks.create(
        actor, issuer_id, url=body.url, events=body.events, description=body.description
    )
    return _out(made.row, made.secret)


@router.get("", response_model=list[SubscriptionOut])
def list_subscriptions(
    issuer_id: str, actor: ActorDep, runtime: RuntimeDep
) -> list[SubscriptionOut]:
    return [_out(row) for row in runtime.webhooks.subscriptions(actor, issuer_id)]


@router.patch("/{subscription_id}", response_model=SubscriptionOut)
def update_subscription(
    issuer_id: str,
    subscription_id: str,
    body: SubscriptionPatch,
    actor: ActorDep,
    runtime: RuntimeDep,
) -> SubscriptionOut:
    """Disable, or enable again (after automatic disabling, for example)."""
    return _out(runtime.webhooks.set_enabled(actor, issuer_id, subscription_id, body.enabled))


@router.delete("/{subscription_id}", status_code=204)
def delete_subscription(
    issuer_id: str, subscription_id: str, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    runtime.webhooks.delete(actor, issuer_id, subscription_id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=list[DeliveryOut])
def list_deliveries(
    issuer_id: str,
    subscription_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryOut]:
    """Newest first, each with its attempts (time, HTTP status or error, duration)."""
    return [
        _delivery(entry)
        for entry in runtime.webhooks.deliveries(actor, issuer_id, subscription_id, limit=limit)
    ]


@router.post("/deliveries/{delivery_id}/replay", status_code=202)
def replay_delivery(
    issuer_id: str, delivery_id: str, actor: ActorDep, runtime: RuntimeDep
) -> dict[str, str]:
    """Send the message again, with the same ``webhook-id`` (receivers de-duplicate by it)."""
    row = runtime.webhooks.replay(actor, issuer_id, delivery_id)
    return {"id": row.id, "state": row.state}
