"""Webhooks out: signed per Standard Webhooks (checked by the reference ``standardwebhooks``
receiver), delivered to a real loopback HTTP server, retried with backoff, logged, replayed,
disabled after repeated failure, and never sent into a private network unless configured."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook, WebhookVerificationError

from microcred.accounts.actor import SYSTEM
from microcred.crypto.proofs import utc_now
from microcred.errors import InputError, NotFoundError, PermissionDeniedError, UrlRefusedError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.tables import CredentialRow
from microcred.web.fetch import FetchPolicy, check_target, post
from tests.platform.conftest import FakeClock, IssuerFixture, make_issuer
from tests.platform.webhooks_support import Receiver, receiver

__all__ = ["receiver"]

ALL = ["credential.issued", "credential.revoked", "credential.suspended", "credential.claimed"]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Loopback is reachable only because this configuration says so.
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url="https://badges.example.org",
        queue_immediate=True,
        webhook_allow_networks=["127.0.0.0/8"],
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc_now().replace(microsecond=0))


def issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> CredentialRow:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email="ada@example.org")]
    )
    return row


def verified(secret: str, receiver: Receiver, index: int = -1) -> dict[str, object]:
    """The request's payload, after the reference receiver has checked its signature."""
    request = receiver.requests[index]
    payload = Webhook(secret).verify(request.body, request.headers)
    assert isinstance(payload, dict)
    return payload


def test_issued_revoked_suspended_and_claimed_arrive_signed(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, receiver: Receiver
) -> None:
    made = runtime.webhooks.create(SYSTEM, issuer.id, url=receiver.url, events=ALL)
    assert made.secret is not None
    assert made.secret.startswith("whsec_")

    row = issue(runtime, issuer, achievement_id)
    payload = verified(made.secret, receiver)
    assert payload["type"] == "credential.issued"
    data = payload["data"]
    assert isinstance(data, dict)
    assert data["id"] == row.id
    assert data["credential"] == runtime.urls.credential(row.id)
    assert data["recipient"] == {"email": "ada@example.org", "did": None, "name": None}

    assert runtime.events.record(row.id, "claimed")
    assert verified(made.secret, receiver)["type"] == "credential.claimed"
    assert not runtime.events.record(row.id, "claimed")  # counted once, told once
    assert len(receiver.requests) == 2

    runtime.lifecycle.suspend(SYSTEM, issuer.id, row.id, "under review")
    runtime.lifecycle.revoke(SYSTEM, issuer.id, row.id, "plagiarism")
    kinds = [verified(made.secret, receiver, i)["type"] for i in range(len(receiver.requests))]
    assert kinds == [
        "credential.issued",
        "credential.claimed",
        "credential.suspended",
        "credential.revoked",
    ]
    last = verified(made.secret, receiver)["data"]
    assert isinstance(last, dict)
    assert last["reason"] == "plagiarism"

    # Another secret, or a body changed in transit, does not verify at the receiver.
    request = receiver.requests[-1]
    with pytest.raises(WebhookVerificationError):
        Webhook(
            runtime.webhooks.create(SYSTEM, issuer.id, url=receiver.url, events=ALL).secret or ""
        ).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(made.secret).verify(
            request.body.replace(b"plagiarism", b"mistake"), request.headers
        )

    log = runtime.webhooks.deliveries(SYSTEM, issuer.id, made.row.id)
    assert [entry.delivery.state for entry in log] == ["delivered"] * 4
    assert all(len(entry.attempts) == 1 and entry.attempts[0][1] == 200 for entry in log)


def test_only_the_events_asked_for_and_only_the_issuers_own(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, receiver: Receiver
) -> None:
    other = make_issuer(runtime, "gamma")
    runtime.webhooks.create(SYSTEM, other.id, url=receiver.url, events=["credential.issued"])
    made = runtime.webhooks.create(
        SYSTEM, issuer.id, url=receiver.url, events=["credential.revoked"]
    )
    row = issue(runtime, issuer, achievement_id)
    assert receiver.requests == []
    runtime.lifecycle.revoke(SYSTEM, issuer.id, row.id, "wrong person")
    assert [verified(made.secret or "", receiver)["type"]] == ["credential.revoked"]


def test_retried_with_doubling_delays_then_delivered(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    made = runtime.webhooks.create(SYSTEM, issuer.id, url=receiver.url, events=ALL)
    receiver.script = [500, 503]
    issue(runtime, issuer, achievement_id)
    (entry,) = runtime.webhooks.deliveries(SYSTEM, issuer.id, made.row.id)
    assert entry.delivery.state == "pending"
    assert entry.delivery.attempts == 1
    assert entry.delivery.next_attempt_at == clock.now + timedelta(minutes=1)
    assert entry.delivery.last_error is not None
    assert "HTTP 500" in entry.delivery.last_error

    clock.advance(seconds=59)
    assert runtime.webhooks.sweep() == 0  # not due yet
    clock.advance(seconds=1)
    assert runtime.webhooks.sweep() == 1
    (entry,) = runtime.webhooks.deliveries(SYSTEM, issuer.id, made.row.id)
    assert entry.delivery.attempts == 2
    assert entry.delivery.next_attempt_at == clock.now + timedelta(minutes=2)

    clock.advance(minutes=2)
    runtime.webhooks.sweep()
    (entry,) = runtime.webhooks.deliveries(SYSTEM, issuer.id, made.row.id)
    assert entry.delivery.state == "delivered"
    assert [status for _at, status, _error, _ms in entry.attempts] == [500, 503, 200]
    # Every attempt is the same message: one webhook-id, each freshly signed.
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    verified(made.secret or "", receiver)
    assert runtime.webhooks.get(SYSTEM, issuer.id, made.row.id).failures == 0


def test_repeated_failure_disables_the_subscription(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, receiver: Receiver
) -> None:
    runtime.webhooks.disable_after = 3
    made = runtime.webhooks.create(SYSTEM, issuer.id, url=receiver.url, events=ALL)
    receiver.script = [500] * 10
    rows = [issue(runtime, issuer, achievement_id) for _ in range(3)]
    subscription = runtime.webhooks.get(SYSTEM, issuer.id, made.row.id)
    assert not subscription.enabled
    assert subscription.disabled_reason is not None
    assert "3 failed attempts" in subscription.disabled_reason
    states = {e.delivery.state for e in runtime.webhooks.deliveries(SYSTEM, issuer.id, made.row.id)}
    assert states == {"cancelled"}
    # Disabled: new events are not stored for it, and a replay is refused until re-enabled.
    runtime.lifecycle.revoke(SYSTEM, issuer.id, rows[0].id, "test")
    assert len(receiver.requests) == 3
    first_id = receiver.requests[0].headers["webhook-id"]
    (first,) = (
        e.delivery
        for e in runtime.webhooks.deliveries(SYSTEM, issuer.id, made.row.id)
        if e.delivery.message_id == first_id
    )
    with pytest.raises(Exception, match="disabled"):
        runtime.webhooks.replay(SYSTEM, issuer.id, first.id)
    runtime.webhooks.set_enabled(SYSTEM, issuer.id, made.row.id, True)
    receiver.script = []  # the receiver is back
    runtime.webhooks.replay(SYSTEM, issuer.id, first.id)
    assert len(receiver.requests) == 4
    assert receiver.requests[-1].headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]
    log = runtime.webhooks.deliveries(SYSTEM, issuer.id, made.row.id)
    assert [e.delivery.state for e in log if e.delivery.id == first.id] == ["delivered"]


def test_replay_sends_the_same_message_again(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, receiver: Receiver
) -> None:
    made = runtime.webhooks.create(SYSTEM, issuer.id, url=receiver.url, events=ALL)
    issue(runtime, issuer, achievement_id)
    (entry,) = runtime.webhooks.deliveries(SYSTEM, issuer.id, made.row.id)
    runtime.webhooks.replay(SYSTEM, issuer.id, entry.delivery.id)
    assert len(receiver.requests) == 2
    first, second = (verified(made.secret or "", receiver, i) for i in (0, 1))
    assert first == second
    other = make_issuer(runtime, "gamma")
    with pytest.raises(NotFoundError):
        runtime.webhooks.replay(SYSTEM, other.id, entry.delivery.id)


def test_expired_is_told_once_by_the_sweep(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    made = runtime.webhooks.create(
        SYSTEM, issuer.id, url=receiver.url, events=["credential.expired"]
    )
    clock.advance(seconds=1)
    row = issue(runtime, issuer, achievement_id)  # valid for 24 months
    runtime.webhooks.sweep()
    assert receiver.requests == []
    clock.now = (row.valid_until or clock.now) + timedelta(seconds=1)
    runtime.webhooks.sweep()
    runtime.webhooks.sweep()
    assert len(receiver.requests) == 1
    payload = verified(made.secret or "", receiver)
    assert payload["type"] == "credential.expired"
    assert isinstance(payload["data"], dict)
    assert payload["data"]["id"] == row.id


def test_private_targets_are_refused_unless_configured(
    runtime: Runtime, issuer: IssuerFixture, tmp_path: Path
) -> None:
    strict = Runtime(
        Settings(
            data_dir=tmp_path / "strict",
            database_url=runtime.settings.database_url,
            public_url="https://badges.example.org",
            queue_immediate=True,
        )
    )
    try:
        for url in (
            "http://127.0.0.1:9/hook",
            "http://10.1.2.3/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:192.168.0.1]/hook",
        ):
            with pytest.raises(UrlRefusedError, match="private or reserved"):
                strict.webhooks.create(SYSTEM, issuer.id, url=url, events=ALL)
        for url in ("ftp://example.org/x", "http://user:pw@example.org/x", ""):
            with pytest.raises((InputError, UrlRefusedError)):
                strict.webhooks.create(SYSTEM, issuer.id, url=url, events=ALL)
        assert strict.webhooks.subscriptions(SYSTEM, issuer.id) == []
    finally:
        strict.close()


def test_an_address_that_turns_private_is_refused_at_delivery(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, receiver: Receiver
) -> None:
    """DNS said public when subscribing and says loopback now: nothing is sent."""
    answers = {"hooks.example.com": "93.184.216.34"}
    policy = FetchPolicy(resolver=lambda host, _port: [answers[host]])
    port = receiver.url.split(":")[2].split("/")[0]
    service = runtime.webhooks
    service.sender = lambda url, body, headers: (
        post(url, body, policy, headers=headers).status,
        b"",
    )
    service.check_url = lambda url: check_target(url, policy)
    made = service.create(
        SYSTEM, issuer.id, url=f"http://hooks.example.com:{port}/hook", events=ALL
    )
    answers["hooks.example.com"] = "127.0.0.1"
    with runtime.sessions.begin() as session:
        service.emit(session, issuer.id, "credential.issued", {"id": "x"})
    assert receiver.requests == []
    (entry,) = service.deliveries(SYSTEM, issuer.id, made.row.id)
    assert entry.delivery.state == "pending"
    assert entry.attempts[0][2] is not None
    assert "private or reserved" in entry.attempts[0][2]


def test_bad_subscriptions_are_refused(
    runtime: Runtime, issuer: IssuerFixture, receiver: Receiver
) -> None:
    with pytest.raises(InputError, match="unknown webhook event"):
        runtime.webhooks.create(SYSTEM, issuer.id, url=receiver.url, events=["credential.eaten"])
    with pytest.raises(InputError, match="at least one event"):
        runtime.webhooks.create(SYSTEM, issuer.id, url=receiver.url, events=[])


def test_api_shows_the_secret_once_and_checks_roles(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    receiver: Receiver,
) -> None:
    base = f"/api/v1/issuers/{issuer.id}/webhooks"
    answer = client.post(
        base, json={"url": receiver.url, "events": ["credential.issued"]}, headers=issuer.headers
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["secret"].startswith("whsec_")
    listed = client.get(base, headers=issuer.headers).json()
    assert [s["id"] for s in listed] == [made["id"]]
    assert listed[0]["secret"] is None

    refused = client.post(
        base,
        json={"url": "http://10.0.0.7/x", "events": ["credential.issued"]},
        headers=issuer.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "url_refused"
    unknown = client.post(
        base, json={"url": receiver.url, "events": ["nope"]}, headers=issuer.headers
    )
    assert unknown.status_code == 422
    assert "credential.issued" in unknown.json()["error"]["expected"]

    other = make_issuer(runtime, "gamma")
    assert client.get(base, headers=other.headers).status_code == 404
    viewer = make_issuer(runtime, "delta", role="viewer")
    viewer_base = f"/api/v1/issuers/{viewer.id}/webhooks"
    denied = client.post(
        viewer_base,
        json={"url": receiver.url, "events": ["credential.issued"]},
        headers=viewer.headers,
    )
    assert denied.status_code == 403

    issue(runtime, issuer, achievement_id)
    log = client.get(f"{base}/{made['id']}/deliveries", headers=issuer.headers).json()
    assert log[0]["state"] == "delivered"
    assert log[0]["log"][0]["status"] == 200
    replay = client.post(f"{base}/deliveries/{log[0]['id']}/replay", headers=issuer.headers)
    assert replay.status_code == 202
    assert len(receiver.requests) == 2
    Webhook(made["secret"]).verify(receiver.requests[1].body, receiver.requests[1].headers)
    assert json.loads(receiver.requests[1].body)["type"] == "credential.issued"

    assert (
        client.patch(
            f"{base}/{made['id']}", json={"enabled": False}, headers=issuer.headers
        ).json()["enabled"]
        is False
    )
    assert client.delete(f"{base}/{made['id']}", headers=issuer.headers).status_code == 204
    assert client.get(base, headers=issuer.headers).json() == []


def test_viewer_cannot_change(runtime: Runtime, receiver: Receiver) -> None:
    viewer = make_issuer(runtime, "epsilon", role="viewer")
    actor = runtime.issuers.authenticate(viewer.token)
    assert actor is not None
    with pytest.raises(PermissionDeniedError):
        runtime.webhooks.create(actor, viewer.id, url=receiver.url, events=ALL)
