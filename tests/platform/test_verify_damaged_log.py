"""A log that cannot show one of our issued credentials fails the transparency check, visibly;
it is never passed off as "no proof came with it" (regression: a corrupt store once made the
check *skipped*, and the credential still read as verified)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.db import transaction
from microcred.store.tables import LogCheckpointRow, LogLeafRow
from microcred.verify import messages as m
from microcred.verify.result import Status
from tests.platform.conftest import IssuerFixture


def issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> dict[str, object]:
    requests = [
        IssueRequest(achievement_id=achievement_id, email=f"p{i}@example.org") for i in range(3)
    ]
    rows = runtime.issuance.issue(SYSTEM, issuer.id, requests)
    return dict(rows[0].document)


def test_an_intact_log_passes(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> None:
    document = issue(runtime, issuer, achievement_id)
    result = runtime.verification.verifier().verify(document)
    check = result.check("transparency-log")
    assert check is not None
    assert check.status is Status.PASSED
    assert result.verified


@pytest.mark.parametrize("damage", ["leaf deleted", "checkpoints deleted"])
def test_a_damaged_log_fails_the_check_and_the_verdict(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    damage: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = issue(runtime, issuer, achievement_id)
    credential_id = str(document["id"]).rsplit("/", 1)[-1]
    with transaction(runtime.sessions) as session:
        if damage == "leaf deleted":
            session.execute(delete(LogLeafRow).where(LogLeafRow.credential_id == credential_id))
        else:
            session.execute(delete(LogCheckpointRow))
    with caplog.at_level("WARNING"):
        result = runtime.verification.verifier().verify(document)
    check = result.check("transparency-log")
    assert check is not None
    assert check.status is Status.FAILED, check.message
    assert not result.verified
    assert check.template == m.LOG_STORE_UNREADABLE
    assert "could not be read" in check.message
    assert any(credential_id in r.getMessage() for r in caplog.records)


def test_a_forged_copy_of_our_id_is_not_a_damaged_log(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """An id under our address that we never issued: no proof to show (skipped), and the
    signature check is what fails it."""
    document = issue(runtime, issuer, achievement_id)
    base = str(document["id"]).rsplit("/", 1)[0]
    forged = {**document, "id": f"{base}/00000000-0000-4000-8000-000000000000"}
    result = runtime.verification.verifier().verify(forged)
    check = result.check("transparency-log")
    assert check is not None
    assert check.status is Status.SKIPPED
    assert not result.verified
