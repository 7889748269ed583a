"""Award rules fed by xAPI statements: each kind of rule, idempotent under repeats and races,
every award traced to its rule and event (audit log, evidence in the signed credential)."""

from __future__ import annotations

import base64
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.errors import ModelError
from microcred.lms.rules import RuleSpec
from microcred.runtime import Runtime
from microcred.store.tables import AuditEventRow, CredentialRow, LmsAwardRow, LmsRuleRow
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture
from tests.platform.lms_support import COURSE, SCORED, lrs_headers, statement

QUIZ = f"{COURSE}/quiz/1"
MODULES = [f"{COURSE}/module/{n}" for n in (1, 2, 3)]


def post(client: TestClient, headers: dict[str, str], body: Any) -> Any:
    answer = client.post("/xapi/statements", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Experience-API-Version"] == headers["X-Experience-API-Version"]
    return answer.json()


def credentials_of(runtime: Runtime, email: str) -> list[CredentialRow]:
    with runtime.sessions() as session:
        query = select(CredentialRow).where(CredentialRow.recipient_email == email)
        return list(session.scalars(query))


def count(runtime: Runtime, table: Any) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_completed_awards_once_with_its_evidence(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    rule = runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("completed", (QUIZ,))
    )
    headers = lrs_headers(runtime, issuer.id)
    first = statement("Ada@Example.org", QUIZ)
    (statement_id,) = post(client, headers, first)
    post(client, headers, first)  # the same statement again
    post(client, headers, [statement("ada@example.org", QUIZ)])  # another completion
    (credential,) = credentials_of(runtime, "ada@example.org")

    (evidence,) = credential.document["evidence"]
    assert evidence["id"] == f"urn:uuid:{statement_id}"
    assert evidence["type"] == ["Evidence"]
    assert rule.name in evidence["narrative"]
    assert statement_id in evidence["narrative"]
    assert runtime.verification.verifier().verify(credential.document).verified

    with runtime.sessions() as session:
        (award,) = session.scalars(select(LmsAwardRow))
        audit = {
            row.action: row.details
            for row in session.scalars(
                select(AuditEventRow).where(AuditEventRow.action.like("lms.%"))
            )
        }
    assert award.credential_id == credential.id
    assert (award.rule_id, award.event_id, award.source) == (rule.id, statement_id, "xapi")
    assert audit["lms.awarded"] == {
        "award": award.id,
        "rule": rule.id,
        "event": statement_id,
        "source": "xapi",
    }


def test_score_rule_wants_the_scaled_minimum(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.lms.add_rule(
        SYSTEM,
        issuer.id,
        achievement_id=achievement_id,
        spec=RuleSpec("score", (QUIZ,), 0.8),
    )
    headers = lrs_headers(runtime, issuer.id, "2.0.0")
    post(client, headers, statement("bo@example.org", QUIZ, verb=SCORED, score={"scaled": 0.79}))
    post(
        client,
        headers,
        statement("bo@example.org", QUIZ, verb=SCORED, score={"raw": 7, "min": 0, "max": 10}),
    )
    assert credentials_of(runtime, "bo@example.org") == []
    post(
        client,
        headers,
        statement("bo@example.org", QUIZ, verb=SCORED, score={"raw": 17, "min": 0, "max": 20}),
    )
    assert len(credentials_of(runtime, "bo@example.org")) == 1
    # A lower score later changes nothing.
    post(client, headers, statement("bo@example.org", QUIZ, verb=SCORED, score={"scaled": 0.1}))
    assert len(credentials_of(runtime, "bo@example.org")) == 1


def test_modules_rule_in_any_order(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("modules", tuple(MODULES))
    )
    headers = lrs_headers(runtime, issuer.id)
    post(client, headers, statement("cy@example.org", MODULES[2]))
    post(client, headers, statement("cy@example.org", MODULES[0]))
    # Scored but not completed: not a completion.
    post(client, headers, statement("cy@example.org", MODULES[1], verb=SCORED, score={"scaled": 1}))
    assert credentials_of(runtime, "cy@example.org") == []
    last = statement("cy@example.org", MODULES[1])
    post(client, headers, last)
    (credential,) = credentials_of(runtime, "cy@example.org")
    assert credential.document["evidence"][0]["id"] == f"urn:uuid:{last['id']}"
    # One batch completing everything for someone else awards once too.
    post(client, headers, [statement("di@example.org", m) for m in MODULES * 2])
    assert len(credentials_of(runtime, "di@example.org")) == 1


def test_racing_events_award_once(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """Two requests, each completing the last module the other lacks, at the same moment."""
    runtime.lms.add_rule(
        SYSTEM,
        issuer.id,
        achievement_id=achievement_id,
        spec=RuleSpec("modules", tuple(MODULES[:2])),
    )
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("completed", (MODULES[0],))
    )
    headers = lrs_headers(runtime, issuer.id)
    identity = runtime.lms.authenticate_lrs(headers["Authorization"])
    for round_ in range(3):
        email = f"race{round_}@example.org"
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def send(
            activity: str,
            email: str = email,
            barrier: threading.Barrier = barrier,
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                barrier.wait()
                runtime.lms.receive_statements(identity, "1.0.3", [statement(email, activity)])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(m,)) for m in MODULES[:2]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(credentials_of(runtime, email)) == 2  # the modules rule and the completed rule
    assert count(runtime, LmsAwardRow) == 6


def test_a_rule_for_another_issuers_achievement_is_refused(
    runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture, client: TestClient
) -> None:
    theirs = runtime.achievements.create(SYSTEM, other_issuer.id, SIMPLE_ACHIEVEMENT).id
    with pytest.raises(ModelError, match="not one of this issuer's"):
        runtime.lms.add_rule(
            SYSTEM, issuer.id, achievement_id=theirs, spec=RuleSpec("completed", (QUIZ,))
        )
    answer = client.post(
        f"/api/v1/issuers/{issuer.id}/lms/rules",
        json={"achievementId": theirs, "kind": "completed", "activities": [QUIZ]},
        headers=issuer.headers,
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith("achievementId: ")
    assert count(runtime, LmsRuleRow) == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (RuleSpec("score", (QUIZ,)), "scaled minimum"),
        (RuleSpec("score", (QUIZ,), 1.5), "scaled minimum"),
        (RuleSpec("modules", (QUIZ,)), "several activities"),
        (RuleSpec("completed", (QUIZ, MODULES[0])), "one activity"),
        (RuleSpec("completed", ("not an iri",)), "absolute IRI"),
        (RuleSpec("completed", (QUIZ,), 0.5), "no minimum"),
    ],
)
def test_bad_rules_are_refused(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, spec: RuleSpec, message: str
) -> None:
    with pytest.raises(ModelError, match=message):
        runtime.lms.add_rule(SYSTEM, issuer.id, achievement_id=achievement_id, spec=spec)


def test_rules_api_and_awards_list(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    other_issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    base = f"/api/v1/issuers/{issuer.id}/lms"
    made = client.post(
        f"{base}/rules",
        json={"achievementId": achievement_id, "kind": "completed", "activities": [QUIZ]},
        headers=issuer.headers,
    )
    assert made.status_code == 201, made.text
    assert [r["id"] for r in client.get(f"{base}/rules", headers=issuer.headers).json()] == [
        made.json()["id"]
    ]
    assert client.get(f"{base}/rules", headers=other_issuer.headers).status_code == 404
    key = client.post(f"{base}/lrs-keys", json={"name": "Moodle"}, headers=issuer.headers).json()
    assert key["secret"]
    assert key["key"].startswith("lrs_")
    assert client.get(f"{base}/lrs-keys", headers=issuer.headers).json()[0]["secret"] is None
    basic = base64.b64encode(f"{key['key']}:{key['secret']}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}
    post(client, headers, statement("ed@example.org", QUIZ))
    (award,) = client.get(f"{base}/awards", headers=issuer.headers).json()
    assert award["learner"] == "ed@example.org"
    assert award["credentialId"]
    removed = client.delete(f"{base}/rules/{made.json()['id']}", headers=issuer.headers).json()
    assert removed["outcome"] == "disabled"  # it awarded: kept, off
    assert client.delete(f"{base}/lrs-keys/{key['id']}", headers=issuer.headers).status_code == 204
    refused = client.post(
        "/xapi/statements", json=statement("ed@example.org", QUIZ), headers=headers
    )
    assert refused.status_code == 401
