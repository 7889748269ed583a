"""Per-recipient narrative, grade and evidence at issue (issue 19), from the service, the
console's form and the API: they land in the signed credential as OB 3.0 terms (the subject's
``narrative``, a ``Result`` value, an ``Evidence`` id), the credential verifies, and bad input
is a clear 4xx with nothing issued."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.bulk.batches import bad_rows
from microcred.errors import InputError
from microcred.issuing.issuance import IssueRequest
from microcred.issuing.repository import CredentialFilter
from microcred.runtime import Runtime
from microcred.store.tables import CredentialRow
from microcred.verify import Status
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import csrf, sign_in, staff

WORK = "https://portfolio.example/ada/final-project"


def _count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(CredentialRow)) or 0)


def _carries_all_three(
    runtime: Runtime, document: dict[str, Any], narrative: str, grade: str
) -> None:
    subject = document["credentialSubject"]
    assert subject["narrative"] == narrative
    assert subject["result"] == [{"type": ["Result"], "value": grade}]
    assert document["evidence"] == [{"id": WORK, "type": ["Evidence"]}]
    result = runtime.verification.verifier().verify(document)
    assert result.verified, [c for c in result.checks if c.status is not Status.PASSED]


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def test_the_service_puts_them_in_the_signed_credential(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (row,) = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [
            IssueRequest(
                achievement_id,
                email="ada@example.org",
                narrative="  Built a forecasting notebook.  ",
                grade="A",
                evidence_url=WORK,
            )
        ],
    )
    _carries_all_three(runtime, row.document, "Built a forecasting notebook.", "A")
    # Another recipient of the same achievement gets none of it.
    (other,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id, email="grace@example.org")]
    )
    assert "narrative" not in other.document["credentialSubject"]
    assert "result" not in other.document["credentialSubject"]
    assert "evidence" not in other.document


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"evidence_url": "javascript:alert(1)"}, "evidence address is not a web address"),
        ({"grade": "x" * 101}, "grade is too long"),
        ({"narrative": "x" * 5001}, "narrative is too long"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_issued(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    changes: dict[str, str],
    says: str,
) -> None:
    with pytest.raises(InputError, match=says):
        runtime.issuance.issue(
            SYSTEM, issuer.id, [IssueRequest(achievement_id, email="ada@example.org", **changes)]
        )
    assert _count(runtime) == 0


def test_the_console_form_takes_them(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    sign_in(web, staff(runtime, issuer, "issuer"))
    form = web.get(f"/console/issue?achievement={achievement_id}").text
    for field in ("narrative", "grade", "evidence_url"):
        assert f'id="{field}"' in form
    fields = {
        "csrf_token": csrf(form),
        "achievement": achievement_id,
        "email": "ada@example.org",
        "narrative": "Presented the final project.",
        "grade": "92/100",
        "evidence_url": WORK,
    }
    done = web.post("/console/issue", data=fields, follow_redirects=False)
    assert done.status_code == 303, done.text
    credential_id = done.headers["location"].split("/")[-1].split("?")[0]
    row = runtime.credentials.get(SYSTEM, issuer.id, credential_id)
    _carries_all_three(runtime, row.document, "Presented the final project.", "92/100")

    # A bad address: the form comes back with the problem and the values typed.
    again = web.post(
        "/console/issue",
        data={**fields, "csrf_token": csrf(form), "evidence_url": "ftp://files.example/x"},
    )
    assert again.status_code == 422
    assert "the evidence address is not a web address" in again.text
    assert "Presented the final project." in again.text
    assert _count(runtime) == 1


def test_bulk_csv_columns_take_them(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    csv = (
        "email,name,narrative,grade,evidence\n"
        f"ada@example.org,Ada,Led the capstone.,A+,{WORK}\n"
        "grace@example.org,Grace,,,\n"
        "alan@example.org,Alan,,B,not a web address\n"
    ).encode()
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement_id, csv)
    assert batch.state == "done"
    assert batch.issued_rows == 2
    (rejected,) = bad_rows(batch)
    assert rejected["line"] == 4
    assert "evidence address is not a web address" in str(rejected["reason"])
    rows, _ = runtime.credentials.list(SYSTEM, issuer.id, CredentialFilter(batch_id=batch.id))
    documents = {row.recipient_email: row.document for row in rows}
    _carries_all_three(runtime, documents["ada@example.org"], "Led the capstone.", "A+")
    assert "result" not in documents["grace@example.org"]["credentialSubject"]


def test_the_api_takes_them(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    body = {
        "achievementId": achievement_id,
        "recipient": {"email": "ada@example.org"},
        "narrative": "Mentored two peers.",
        "grade": "Distinction",
        "evidenceUrl": WORK,
    }
    response = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials", json=body, headers=issuer.headers
    )
    assert response.status_code == 201, response.text
    _carries_all_three(runtime, response.json()["credential"], "Mentored two peers.", "Distinction")
    bad = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        json={**body, "grade": "x" * 101},
        headers=issuer.headers,
    )
    assert bad.status_code == 422
    assert "grade" in bad.text
    assert _count(runtime) == 1
