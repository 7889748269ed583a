"""Platform issuance refuses numbers a verifier would read otherwise (crypto/numbers.py), as
VC-API issue does: before anything is signed or stored, naming where the number is."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.errors import ModelError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.tables import CredentialRow
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture

SEVENTEEN_DIGITS = 0.30000000000000004  # signs as 0.3 would: either could replace the other


def _stored(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(CredentialRow)) or 0


@pytest.fixture
def unsafe_achievement(runtime: Runtime, issuer: IssuerFixture) -> str:
    definition = {**SIMPLE_ACHIEVEMENT, "creditsAvailable": SEVENTEEN_DIGITS}
    return runtime.achievements.create(SYSTEM, issuer.id, definition).id


def test_issuance_refuses_a_number_that_would_not_read_back(
    runtime: Runtime, issuer: IssuerFixture, unsafe_achievement: str
) -> None:
    request = IssueRequest(achievement_id=unsafe_achievement, email="ada@example.org")
    with pytest.raises(ModelError) as caught:
        runtime.issuance.issue(SYSTEM, issuer.id, [request])
    assert caught.value.field == "credentialSubject.achievement.creditsAvailable"
    assert "17 significant digits" in caught.value.message
    assert caught.value.found == repr(SEVENTEEN_DIGITS)
    assert _stored(runtime) == 0


def test_the_api_says_which_number_with_a_4xx(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, unsafe_achievement: str
) -> None:
    response = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        json={"achievementId": unsafe_achievement, "recipient": {"email": "ada@example.org"}},
        headers=issuer.headers,
    )
    assert 400 <= response.status_code < 500, response.text
    assert "credentialSubject.achievement.creditsAvailable" in response.text
    assert "17 significant digits" in response.text
    assert _stored(runtime) == 0


def test_a_number_that_reads_back_is_issued(runtime: Runtime, issuer: IssuerFixture) -> None:
    definition = {**SIMPLE_ACHIEVEMENT, "creditsAvailable": 0.3}
    achievement = runtime.achievements.create(SYSTEM, issuer.id, definition).id
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement, email="ada@example.org")]
    )
    assert row.document["credentialSubject"]["achievement"]["creditsAvailable"] == 0.3
    assert runtime.verification.verifier().verify(row.document).verified
