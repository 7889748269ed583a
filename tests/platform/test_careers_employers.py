"""Employers' search: only credentials a learner shared, still active, are found; withdrawing
or revocation removes them; handles differ per employer; searches are logged for the learner,
rate limited, and need an employer's token."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from microcred.accounts.actor import SYSTEM
from microcred.careers.employers import SEARCHES_PER_HOUR
from microcred.careers.repository import EmployersRepository
from microcred.errors import ConflictError, InputError, NotFoundError, RateLimitedError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.db import transaction
from microcred.store.tables import WalletItemRow
from tests.platform.careers_support import DATA_SCIENTISTS, make_catalogue
from tests.platform.conftest import IssuerFixture
from tests.platform.wallet_support import make_learner


def _issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str, email: str) -> str:
    [row] = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email=email)]
    )
    return row.id


def test_only_shared_active_credentials_are_found(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    ada = make_learner(runtime, "ada@example.org")
    make_learner(runtime, "grace@example.org")
    shared = _issue(runtime, issuer, ids["Python and SQL"], "ada@example.org")
    _issue(runtime, issuer, ids["Tableau dashboards"], "ada@example.org")  # not shared
    _issue(runtime, issuer, ids["Everything data"], "grace@example.org")  # Grace shares nothing
    employer_id, token = runtime.employer_search.create_employer("Acme Hiring")
    employer = runtime.employer_search.authenticate(token)
    assert employer is not None
    assert employer.id == employer_id

    search = runtime.employer_search.search
    assert search(employer, skills=["Python"]) == []  # nobody opted in: nothing, not even a count
    assert runtime.employer_search.share(ada, shared) == {
        "onet:python",
        "onet:structured query language sql",
    }
    [hit] = search(employer, skills=["Python", "Tableau"])
    assert [c.name for c in hit.credentials] == [
        "Python and SQL"
    ]  # the Tableau badge is not shared
    assert hit.credentials[0].skills == ("Python",)
    [hit] = search(employer, occupation=DATA_SCIENTISTS)
    assert hit.credentials[0].skills == ("Python", "Structured query language SQL")

    # Another employer sees another handle for the same learner.
    _, other_token = runtime.employer_search.create_employer("Beta Corp")
    other = runtime.employer_search.authenticate(other_token)
    assert other is not None
    [other_hit] = search(other, skills=["Python"])
    assert other_hit.handle != hit.handle

    # The learner sees who found her.
    found = runtime.employer_search.found_by(ada)
    assert {f.employer for f in found} == {"Acme Hiring", "Beta Corp"}

    # Revoked: gone, although still shared. Withdrawn: gone.
    runtime.lifecycle.revoke(SYSTEM, issuer.id, shared, "issued in error")
    assert search(employer, skills=["Python"]) == []
    fresh = _issue(runtime, issuer, ids["Python basics"], "ada@example.org")
    runtime.employer_search.share(ada, fresh)
    assert len(search(employer, skills=["Python"])) == 1
    runtime.employer_search.withdraw(ada, fresh)
    assert search(employer, skills=["Python"]) == []


def test_sharing_refuses_what_is_not_ones_own_or_not_current(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    ada = make_learner(runtime, "ada@example.org")
    grace = make_learner(runtime, "grace@example.org")
    graces = _issue(runtime, issuer, ids["Python basics"], "grace@example.org")
    with pytest.raises(NotFoundError):
        runtime.employer_search.share(ada, graces)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, graces, "withdrawn")
    with pytest.raises(ConflictError, match="verified, current"):
        runtime.employer_search.share(grace, graces)


def test_search_input_rate_limit_and_tokens(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/v1/employers/search", json={"skills": ["Python"]}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"] == []
    assert client.post("/api/v1/employers/search", json={"skills": ["Python"]}).status_code == 401
    issuer_key = client.post(
        "/api/v1/employers/search", json={"skills": ["Python"]}, headers=issuer.headers
    )
    assert issuer_key.status_code == 401
    unknown = client.post("/api/v1/employers/search", json={"skills": ["Klingon"]}, headers=headers)
    assert unknown.status_code == 422
    assert "unknown skill" in unknown.text
    assert client.post("/api/v1/employers/search", json={}, headers=headers).status_code == 422
    missing = client.post(
        "/api/v1/employers/search", json={"occupation": "00-0000.00"}, headers=headers
    )
    assert missing.status_code == 404
    employer = runtime.employer_search.authenticate(token)
    assert employer is not None
    for _ in range(SEARCHES_PER_HOUR - 1):
        runtime.employer_search.search(employer, skills=["Python"])
    with pytest.raises(RateLimitedError):
        runtime.employer_search.search(employer, skills=["Python"])
    limited = client.post("/api/v1/employers/search", json={"skills": ["Python"]}, headers=headers)
    assert limited.status_code == 429
    with pytest.raises(InputError):
        runtime.employer_search.create_employer("  ")


def test_a_deleted_learner_leaves_no_share_behind(runtime: Runtime, issuer: IssuerFixture) -> None:
    ids = make_catalogue(runtime, issuer.id)
    ada = make_learner(runtime, "ada@example.org")
    runtime.employer_search.share(
        ada, _issue(runtime, issuer, ids["Python basics"], "ada@example.org")
    )
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    employer = runtime.employer_search.authenticate(token)
    assert employer is not None
    assert len(runtime.employer_search.search(employer, skills=["Python"])) == 1
    export = runtime.learners.export(ada)
    assert export["careers"]["shared_with_employers"]
    runtime.learners.delete(ada, confirmation="ada@example.org")
    assert runtime.employer_search.search(employer, skills=["Python"]) == []


def test_learners_are_ranked_by_the_evidence_they_shared(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    ada = make_learner(runtime, "ada@example.org")
    grace = make_learner(runtime, "grace@example.org")
    runtime.employer_search.share(
        ada, _issue(runtime, issuer, ids["Python basics"], "ada@example.org")
    )
    runtime.employer_search.share(
        grace, _issue(runtime, issuer, ids["Everything data"], "grace@example.org")
    )
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    employer = runtime.employer_search.authenticate(token)
    assert employer is not None
    hits = runtime.employer_search.search(
        employer, skills=["Python", "Tableau", "Structured query language SQL"]
    )
    assert [h.score for h in hits] == [3.0, 1.0]
    assert [c.name for c in hits[0].credentials] == ["Everything data"]
    # One result asked for: the best one; pages past revoked learners fill the places.
    [best] = runtime.employer_search.search(employer, skills=["Python", "Tableau"], limit=1)
    assert best.credentials[0].name == "Everything data"


def test_another_process_sees_a_share_and_a_withdrawal_at_once(
    runtime: Runtime, settings: Settings, issuer: IssuerFixture
) -> None:
    """Two runtimes on one database stand for two server processes, each with its own
    in-memory index: what one commits, the other's next search answers with; an imported
    credential that expired since it was shared drops out."""
    ids = make_catalogue(runtime, issuer.id)
    ada = make_learner(runtime, "ada@example.org")
    grace = make_learner(runtime, "grace@example.org")
    with transaction(runtime.sessions) as session:
        # The log's head row as migrated (the emptied PostgreSQL test database has none).
        EmployersRepository(session).rebuild_skill_learners()
    other = Runtime(settings)
    try:
        _, token = runtime.employer_search.create_employer("Acme Hiring")
        here, there = runtime.employer_search, other.employer_search
        employer = here.authenticate(token)
        assert employer is not None
        assert here.search(employer, skills=["Python"]) == []
        assert there.search(employer, skills=["Python"]) == []  # both indexes built, empty
        ours = _issue(runtime, issuer, ids["Python basics"], "ada@example.org")
        here.share(ada, ours)
        [hit] = there.search(employer, skills=["Python"])
        assert [c.name for c in hit.credentials] == ["Python basics"]
        there.withdraw(ada, ours)
        assert here.search(employer, skills=["Python"]) == []
        [row] = runtime.issuance.issue(
            SYSTEM,
            issuer.id,
            [IssueRequest(achievement_id=ids["Python basics"], email="ada@example.org")],
        )
        imported = runtime.wallet.import_bytes(
            grace, json.dumps(row.document).encode(), source="upload"
        )
        there.share(grace, imported.id)
        assert len(here.search(employer, skills=["Python"])) == 1
        with transaction(runtime.sessions) as session:
            session.execute(
                update(WalletItemRow)
                .where(WalletItemRow.id == imported.id)
                .values(valid_until=datetime(2000, 1, 1, tzinfo=UTC))
            )
        assert here.search(employer, skills=["Python"]) == []
        assert there.search(employer, skills=["Python"]) == []
        assert (here.index and here.index.builds, there.index and there.index.builds) == (1, 1)
    finally:
        other.close()
