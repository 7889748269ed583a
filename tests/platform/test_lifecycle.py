"""Revoke, suspend, reinstate and expiry, checked the way a verifier sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.accounts.actor import SYSTEM, Actor
from microcred.audit.repository import AuditRepository
from microcred.crypto.statuslist import BitstringStatusList
from microcred.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.status.expiry import effective_state
from microcred.store.tables import CredentialRow, StatusListRow
from microcred.verify.result import Status, VerificationResult
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, FakeClock, IssuerFixture

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> CredentialRow:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email="ada@example.org")]
    )
    return row


def verify(runtime: Runtime, row: CredentialRow) -> VerificationResult:
    return runtime.verification.verifier().verify(row.document)


def status_of(result: VerificationResult) -> tuple[Status, str]:
    check = result.check("status")
    assert check is not None, result.checks
    return check.status, check.message


def list_bits(runtime: Runtime, issuer_id: str, purpose: str, seq: int) -> list[int]:
    with runtime.sessions() as session:
        row = session.scalar(
            select(StatusListRow).where(
                StatusListRow.issuer_id == issuer_id,
                StatusListRow.purpose == purpose,
                StatusListRow.seq == seq,
            )
        )
        assert row is not None
        return list(BitstringStatusList.from_bytes(row.bits).iter_set())


def audit(runtime: Runtime, issuer_id: str, action: str) -> list[Any]:
    with runtime.sessions() as session:
        return AuditRepository(session).list(issuer_id, action=action)


def test_suspend_reinstate_revoke_as_a_verifier_sees_it(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, clock: FakeClock
) -> None:
    row = issue(runtime, issuer, achievement_id)
    first = verify(runtime, row)
    assert first.verified, first.checks
    assert status_of(first)[0] == Status.PASSED

    clock.advance(minutes=1)
    suspended = runtime.lifecycle.suspend(SYSTEM, issuer.id, row.id, "under investigation")
    assert (suspended.state, suspended.state_reason) == ("suspended", "under investigation")
    result = verify(runtime, row)
    assert not result.verified
    assert status_of(result) == (Status.FAILED, "the issuer has suspended this credential")
    assert list_bits(runtime, issuer.id, "suspension", row.status_list_seq) == [row.status_index]

    clock.advance(minutes=1)
    runtime.lifecycle.reinstate(SYSTEM, issuer.id, row.id)
    again = verify(runtime, row)
    assert again.verified, again.checks
    assert list_bits(runtime, issuer.id, "suspension", row.status_list_seq) == []

    clock.advance(minutes=1)
    revoked = runtime.lifecycle.revoke(SYSTEM, issuer.id, row.id, "issued in error")
    assert (revoked.state, revoked.state_reason) == ("revoked", "issued in error")
    result = verify(runtime, row)
    assert not result.verified
    assert status_of(result) == (Status.FAILED, "the issuer has revoked this credential")
    assert list_bits(runtime, issuer.id, "revocation", row.status_list_seq) == [row.status_index]


def test_revocation_is_final(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> None:
    row = issue(runtime, issuer, achievement_id)
    runtime.lifecycle.suspend(SYSTEM, issuer.id, row.id, "checking")
    runtime.lifecycle.revoke(SYSTEM, issuer.id, row.id, "confirmed fraud")
    # Revoking clears the suspension bit: the lists mirror the one state.
    assert list_bits(runtime, issuer.id, "suspension", row.status_list_seq) == []
    for move in (runtime.lifecycle.reinstate, runtime.lifecycle.suspend, runtime.lifecycle.revoke):
        with pytest.raises(ConflictError) as caught:
            move(SYSTEM, issuer.id, row.id, "try again")
        assert caught.value.found == "revoked"
    assert runtime.credentials.get(SYSTEM, issuer.id, row.id).state == "revoked"
    assert status_of(verify(runtime, row))[0] == Status.FAILED


def test_moves_that_do_not_fit_the_state_are_conflicts(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    row = issue(runtime, issuer, achievement_id)
    with pytest.raises(ConflictError, match="active credential cannot be reinstated"):
        runtime.lifecycle.reinstate(SYSTEM, issuer.id, row.id)
    runtime.lifecycle.suspend(SYSTEM, issuer.id, row.id, "first")
    with pytest.raises(ConflictError, match="suspended credential cannot be suspended"):
        runtime.lifecycle.suspend(SYSTEM, issuer.id, row.id, "second")
    assert [e.details["reason"] for e in audit(runtime, issuer.id, "credential.suspended")] == [
        "first"
    ]


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 501])
def test_revoke_and_suspend_need_a_reason(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, reason: str | None
) -> None:
    row = issue(runtime, issuer, achievement_id)
    for move in (runtime.lifecycle.revoke, runtime.lifecycle.suspend):
        with pytest.raises(InputError) as caught:
            move(SYSTEM, issuer.id, row.id, reason)
        assert caught.value.expected
    assert runtime.credentials.get(SYSTEM, issuer.id, row.id).state == "active"
    assert list_bits(runtime, issuer.id, "revocation", row.status_list_seq) == []
    assert audit(runtime, issuer.id, "credential.revoked") == []


def test_every_change_is_audited_with_actor_time_and_reason(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, clock: FakeClock
) -> None:
    row = issue(runtime, issuer, achievement_id)
    staff = Actor(issuer_id=issuer.id, name="staff:registrar@alpha.example", role="issuer")
    runtime.lifecycle.suspend(staff, issuer.id, row.id, "  appeal pending  ")
    clock.advance(hours=2)
    runtime.lifecycle.reinstate(staff, issuer.id, row.id, "appeal upheld")
    clock.advance(hours=2)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, row.id, "x" * 500)

    url = runtime.urls.credential(row.id)
    expected = [
        ("credential.suspended", staff.name, START, "appeal pending", "active"),
        (
            "credential.reinstated",
            staff.name,
            START + timedelta(hours=2),
            "appeal upheld",
            "suspended",
        ),
        ("credential.revoked", "system", START + timedelta(hours=4), "x" * 500, "active"),
    ]
    for action, actor, at, reason, previous in expected:
        (event,) = audit(runtime, issuer.id, action)
        assert (event.actor, event.at, event.subject) == (actor, at, url)
        assert event.details == {"reason": reason, "from": previous}


def test_status_change_reaches_the_transparency_log_in_the_same_transaction(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = issue(runtime, issuer, achievement_id)
    seen: list[tuple[str, str, datetime]] = []

    def record(session: Session, changes: list[tuple[CredentialRow, str, datetime]]) -> None:
        # Inside the transaction: the new state is visible to the same session already.
        for credential, action, at in changes:
            assert session.get(CredentialRow, credential.id) is credential
            seen.append((credential.id, action, at))

    # One call per move, with every credential it moved (a cascade's entries together).
    monkeypatch.setattr(runtime.transparency, "record_status_changes", record)
    runtime.lifecycle.suspend(SYSTEM, issuer.id, row.id, "hold")
    runtime.lifecycle.reinstate(SYSTEM, issuer.id, row.id)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, row.id, "gone")
    assert seen == [(row.id, a, START) for a in ("suspended", "reinstated", "revoked")]


def test_a_failing_log_entry_undoes_the_whole_change(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = issue(runtime, issuer, achievement_id)

    def broken(*_args: object) -> None:
        raise ConflictError("log is sealed")

    monkeypatch.setattr(runtime.transparency, "record_status_changes", broken)
    with pytest.raises(ConflictError, match="log is sealed"):
        runtime.lifecycle.revoke(SYSTEM, issuer.id, row.id, "fraud")
    assert runtime.credentials.get(SYSTEM, issuer.id, row.id).state == "active"
    assert list_bits(runtime, issuer.id, "revocation", row.status_list_seq) == []
    assert audit(runtime, issuer.id, "credential.revoked") == []
    assert verify(runtime, row).verified


def test_scoping_and_roles(
    runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture, achievement_id: str
) -> None:
    row = issue(runtime, issuer, achievement_id)
    intruder = Actor(issuer_id=other_issuer.id, name="api-key:beta", role="owner")
    with pytest.raises(NotFoundError):
        runtime.lifecycle.revoke(intruder, issuer.id, row.id, "mine now")
    with pytest.raises(NotFoundError):  # its own issuer id, our credential id
        runtime.lifecycle.revoke(intruder, other_issuer.id, row.id, "mine now")
    viewer = Actor(issuer_id=issuer.id, name="api-key:viewer", role="viewer")
    with pytest.raises(PermissionDeniedError):
        runtime.lifecycle.suspend(viewer, issuer.id, row.id, "curious")
    with pytest.raises(NotFoundError):
        runtime.lifecycle.revoke(SYSTEM, issuer.id, "no-such-credential", "typo")
    assert runtime.credentials.get(SYSTEM, issuer.id, row.id).state == "active"


def test_expiry_follows_the_achievement_validity(
    runtime: Runtime, issuer: IssuerFixture, clock: FakeClock
) -> None:
    achievement = runtime.achievements.create(
        SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT, validity_months=12
    )
    row = issue(runtime, issuer, achievement.id)
    assert row.document["validUntil"] == "2027-03-02T09:30:00Z"
    assert verify(runtime, row).verified
    assert effective_state(row, clock()) == "active"

    clock.now = datetime(2027, 3, 2, 9, 29, 59, tzinfo=UTC)
    assert verify(runtime, row).verified
    clock.advance(seconds=1)
    result = verify(runtime, row)
    assert not result.verified
    validity = result.check("validity")
    assert validity is not None
    assert (validity.status, validity.message) == (
        Status.FAILED,
        "expired on 2027-03-02T09:30:00Z",
    )
    # The status lists are re-signed as time passes, so status itself still checks out.
    assert status_of(result)[0] == Status.PASSED
    assert runtime.lifecycle.effective_state(row) == "expired"

    runtime.lifecycle.revoke(SYSTEM, issuer.id, row.id, "withdrawn")
    revoked = runtime.credentials.get(SYSTEM, issuer.id, row.id)
    assert effective_state(revoked, clock()) == "revoked"


def test_no_validity_rule_means_no_expiry(
    runtime: Runtime, issuer: IssuerFixture, clock: FakeClock
) -> None:
    achievement = runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT)
    row = issue(runtime, issuer, achievement.id)
    assert "validUntil" not in row.document
    clock.advance(days=3650)
    assert verify(runtime, row).verified
    assert effective_state(row, clock()) == "active"


# --- the HTTP API ------------------------------------------------------------------------------


def _post(
    client: TestClient, issuer: IssuerFixture, credential_id: str, move: str, body: Any = None
) -> Any:
    return client.post(
        f"/api/v1/issuers/{issuer.id}/credentials/{credential_id}/{move}",
        json=body,
        headers=issuer.headers,
    )


def test_api_revoke_suspend_reinstate(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    created = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        json={"achievementId": achievement_id, "recipient": {"email": "ada@example.org"}},
        headers=issuer.headers,
    )
    assert created.status_code == 201, created.text
    credential_id = created.json()["id"]

    missing = _post(client, issuer, credential_id, "suspend", {})
    assert missing.status_code == 422
    assert missing.json()["error"]["message"] == "a reason is required"

    response = _post(client, issuer, credential_id, "suspend", {"reason": "paused"})
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["stateReason"]) == ("suspended", "paused")

    response = _post(client, issuer, credential_id, "reinstate")
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "active"

    response = _post(client, issuer, credential_id, "revoke", {"reason": "plagiarism"})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "revoked"

    again = _post(client, issuer, credential_id, "reinstate", {"reason": "please"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"

    bad = _post(client, issuer, credential_id, "revoke", {"reason": 7})
    assert bad.status_code == 422


def test_api_another_issuer_cannot_revoke(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    other_issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    row = issue(runtime, issuer, achievement_id)
    body = {"reason": "hostile"}
    for issuer_id in (issuer.id, other_issuer.id):
        response = client.post(
            f"/api/v1/issuers/{issuer_id}/credentials/{row.id}/revoke",
            json=body,
            headers=other_issuer.headers,
        )
        assert response.status_code == 404, response.text
    anonymous = client.post(f"/api/v1/issuers/{issuer.id}/credentials/{row.id}/revoke", json=body)
    assert anonymous.status_code == 401
    assert runtime.credentials.get(SYSTEM, issuer.id, row.id).state == "active"
    assert verify(runtime, row).verified
