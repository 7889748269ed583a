"""The issuing repository's INSERT and the race it reports: a worker that stores an idempotency
key another worker stored first gets the winner's credential, and nothing is stored twice."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from microcred.accounts.actor import SYSTEM
from microcred.audit.repository import AuditRepository
from microcred.issuing import issuance
from microcred.issuing.issuance import IssueRequest
from microcred.issuing.repository import CredentialConflictError, CredentialRepository
from microcred.runtime import Runtime
from microcred.store.db import transaction
from microcred.store.tables import CredentialRow, NotificationRow
from tests.platform.conftest import IssuerFixture


def _stored(runtime: Runtime, issuer_id: str, key: str) -> int:
    with runtime.sessions() as session:
        return len(CredentialRepository(session).by_idempotency_keys(issuer_id, [key]))


def test_a_conflicting_insert_is_a_credential_conflict_and_stores_nothing(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    [first] = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement_id, email="a@example.org", idempotency_key="k")],
    )
    columns = CredentialRow.__table__.columns
    copy = CredentialRow(**{c.key: getattr(first, c.key) for c in columns if c.key != "id"})
    copy.id = str(uuid.uuid4())  # a new credential, with the stored one's idempotency key
    with pytest.raises(CredentialConflictError) as caught, transaction(runtime.sessions) as session:
        CredentialRepository(session).insert_signed([copy])
    assert isinstance(caught.value.__cause__, IntegrityError)
    assert _stored(runtime, issuer.id, "k") == 1
    with runtime.sessions() as session:
        assert CredentialRepository(session).get(issuer.id, copy.id) is None


def test_the_worker_that_loses_the_race_returns_the_winners_credential(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = IssueRequest(
        achievement_id=achievement_id, email="ada@example.org", idempotency_key="race"
    )
    winner: list[CredentialRow] = []
    sign = issuance.sign_credential

    def sign_after_another_worker_stored_it(*args: Any, **kwargs: Any) -> Any:
        # Between this worker's check for the key and its INSERT, another one issues it.
        if not winner:
            winner.append(CredentialRow())  # the other worker signs normally
            winner[:] = runtime.issuance.issue(SYSTEM, issuer.id, [request])
        return sign(*args, **kwargs)

    monkeypatch.setattr(issuance, "sign_credential", sign_after_another_worker_stored_it)
    [(row, created)] = runtime.issuance.issue_reporting(SYSTEM, issuer.id, [request])

    assert row.id == winner[0].id
    assert created is False
    assert _stored(runtime, issuer.id, "race") == 1
    with runtime.sessions() as session:
        assert AuditRepository(session).count(issuer.id, action="credential.issued") == 1
        assert session.scalar(select(func.count()).select_from(NotificationRow)) == 1
