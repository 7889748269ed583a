"""The xAPI statements resource: versions 1.0.3 and 2.0, LRS keys, clear refusals, and
nothing stored from a request that is refused."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.lms.rules import RuleSpec
from microcred.runtime import Runtime
from microcred.store.tables import LmsAwardRow, LmsStatementRow
from tests.platform.conftest import IssuerFixture
from tests.platform.lms_support import COURSE, lrs_headers, statement

QUIZ = f"{COURSE}/quiz/9"


def stored(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(LmsStatementRow)) or 0)


def refusal(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["X-Experience-API-Version"] in ("1.0.3", "2.0.0")
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_about_and_versions(client: TestClient, runtime: Runtime, issuer: IssuerFixture) -> None:
    assert client.get("/xapi/about").json() == {"version": ["1.0.3", "2.0.0"]}
    for version in ("1.0.3", "1.0.0", "1.0", "2.0.0"):
        headers = lrs_headers(runtime, issuer.id, version)
        answer = client.post(
            "/xapi/statements", json=statement("a@example.org", QUIZ), headers=headers
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Experience-API-Version"] == (
            "2.0.0" if version[0] == "2" else "1.0.3"
        )
    headers = lrs_headers(runtime, issuer.id)
    del headers["X-Experience-API-Version"]
    error = refusal(
        client.post("/xapi/statements", json=statement("a@example.org", QUIZ), headers=headers), 422
    )
    assert error["message"].startswith("X-Experience-API-Version")
    assert error["found"] == "no header"
    headers["X-Experience-API-Version"] = "0.95"
    assert (
        refusal(
            client.post("/xapi/statements", json=statement("a@example.org", QUIZ), headers=headers),
            422,
        )["expected"]
        == "1.0.x or 2.0.x"
    )


def test_authentication(client: TestClient, runtime: Runtime, issuer: IssuerFixture) -> None:
    body = statement("a@example.org", QUIZ)
    version = {"X-Experience-API-Version": "1.0.3"}
    answer = client.post("/xapi/statements", json=body, headers=version)
    assert refusal(answer, 401)["code"] == "unauthenticated"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    headers = lrs_headers(runtime, issuer.id)
    key = base64.b64decode(headers["Authorization"].split()[1]).decode().split(":")[0]
    wrong = base64.b64encode(f"{key}:not-the-secret".encode()).decode()
    for authorization in (f"Basic {wrong}", "Basic !!!", f"Bearer {wrong}"):
        refusal(
            client.post(
                "/xapi/statements", json=body, headers={**version, "Authorization": authorization}
            ),
            401,
        )
    assert stored(runtime) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: s["actor"].update(openid="https://id.example/ada"), "statement.actor"),
        (lambda s: s["actor"].update(mbox="ada@example.org"), "statement.actor.mbox"),
        (lambda s: s["verb"].update(id="completed"), "statement.verb.id"),
        (lambda s: s.update(id="12345"), "statement.id"),
        (lambda s: s.update(result={"score": {"scaled": 1.5}}), "statement.result.score.scaled"),
        (
            lambda s: s.update(result={"score": {"raw": 11, "min": 0, "max": 10}}),
            "statement.result.score.raw",
        ),
        (lambda s: s.update(result={"duration": "1 hour"}), "statement.result.duration"),
        (lambda s: s.update(result={"completion": "yes"}), "statement.result.completion"),
        (lambda s: s.update(colour="red"), "statement.colour"),
        (lambda s: s["object"].update(objectType="Thing"), "statement.object.objectType"),
        (lambda s: s.update(context={"registration": "x"}), "statement.context.registration"),
        (lambda s: s.update(timestamp="yesterday"), "statement.timestamp"),
        (lambda s: s.update(context={"contextAgents": []}), "statement.context.contextAgents"),
        (lambda s: s.update(version="2.0.0"), "statement.version"),
    ],
)
def test_statements_that_break_the_model_are_refused_by_name(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, change: Any, field: str
) -> None:
    body = statement("a@example.org", QUIZ)
    change(body)
    headers = lrs_headers(runtime, issuer.id)
    error = refusal(client.post("/xapi/statements", json=body, headers=headers), 422)
    assert error["code"] == "invalid_model"
    assert error["message"].startswith(f"{field}")
    assert stored(runtime) == 0


def test_version_differences(client: TestClient, runtime: Runtime, issuer: IssuerFixture) -> None:
    zoneless = statement("a@example.org", QUIZ, timestamp="2026-12-07T10:00:00")
    agents = statement(
        "a@example.org",
        QUIZ,
        context={
            "contextAgents": [
                {
                    "objectType": "contextAgent",
                    "agent": {"mbox": "mailto:teacher@example.org"},
                    "relevantTypes": ["https://example.org/types/instructor"],
                }
            ]
        },
    )
    old, new = lrs_headers(runtime, issuer.id, "1.0.3"), lrs_headers(runtime, issuer.id, "2.0.0")
    assert client.post("/xapi/statements", json=zoneless, headers=old).status_code == 200
    error = refusal(
        client.post("/xapi/statements", json={**zoneless, "id": str(uuid.uuid4())}, headers=new),
        422,
    )
    assert "time zone" in error["message"]
    assert client.post("/xapi/statements", json=agents, headers=new).status_code == 200
    assert refusal(
        client.post("/xapi/statements", json={**agents, "id": str(uuid.uuid4())}, headers=old), 422
    )["message"].startswith("statement.context.contextAgents")


def test_a_batch_is_all_or_nothing(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("completed", (QUIZ,))
    )
    headers = lrs_headers(runtime, issuer.id)
    bad = statement("b@example.org", QUIZ)
    bad["actor"] = {"name": "nobody"}
    error = refusal(
        client.post(
            "/xapi/statements", json=[statement("a@example.org", QUIZ), bad], headers=headers
        ),
        422,
    )
    assert error["message"].startswith("statements[1].actor")
    assert stored(runtime) == 0
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LmsAwardRow)) == 0


def test_put_and_conflicts(client: TestClient, runtime: Runtime, issuer: IssuerFixture) -> None:
    headers = lrs_headers(runtime, issuer.id)
    statement_id = str(uuid.uuid4())
    body = statement("a@example.org", QUIZ)
    del body["id"]
    answer = client.put(f"/xapi/statements?statementId={statement_id}", json=body, headers=headers)
    assert answer.status_code == 204, answer.text
    assert (
        client.put(
            f"/xapi/statements?statementId={statement_id}", json=body, headers=headers
        ).status_code
        == 204
    )
    other = statement("a@example.org", f"{QUIZ}/other")
    del other["id"]
    assert (
        refusal(
            client.put(f"/xapi/statements?statementId={statement_id}", json=other, headers=headers),
            409,
        )["code"]
        == "conflict"
    )
    mismatch = {**body, "id": str(uuid.uuid4())}
    assert (
        "differs from statementId"
        in refusal(
            client.put(
                f"/xapi/statements?statementId={statement_id}", json=mismatch, headers=headers
            ),
            422,
        )["message"]
    )
    twice = statement("a@example.org", QUIZ)
    assert refusal(client.post("/xapi/statements", json=[twice, twice], headers=headers), 409)[
        "message"
    ].startswith("a statement id is repeated")
    assert (
        refusal(client.post("/xapi/statements", content=b"{not json", headers=headers), 422)["code"]
        == "invalid_input"
    )
    assert stored(runtime) == 1
    # Another issuer's LRS may use the same statement id: statements are kept per issuer.
    with runtime.sessions() as session:
        row = session.get(LmsStatementRow, (issuer.id, statement_id))
        assert row is not None
        assert row.statement["authority"]["account"]["name"].startswith("lrs_")
        assert row.statement["stored"].endswith("Z")


def test_groups_and_addressless_agents_are_stored_not_awarded(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("completed", (QUIZ,))
    )
    headers = lrs_headers(runtime, issuer.id)
    group = statement("a@example.org", QUIZ)
    group["actor"] = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]}
    account = statement("a@example.org", QUIZ)
    account["actor"] = {"account": {"homePage": "https://lms.example.org", "name": "42"}}
    assert (
        client.post("/xapi/statements", json=[group, account], headers=headers).status_code == 200
    )
    assert stored(runtime) == 2
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LmsAwardRow)) == 0
