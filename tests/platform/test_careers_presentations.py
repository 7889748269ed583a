"""Every employer hit carries a Verifiable Presentation bound to the search's fresh challenge
and the employer's domain: it verifies with those, and fails with another search's challenge
or another employer's domain (a replay). Its holder is the learner's DID when her wallet has
one, else a key of hers per employer (two employers cannot link her through it)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.careers.contact import REQUESTS_PER_DAY
from microcred.careers.contact_repository import ContactRepository
from microcred.careers.presentations import domain_of
from microcred.errors import InputError, NotFoundError, RateLimitedError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.tables import ContactRequestRow
from microcred.wallet.presentation import JCS_SUITE
from tests.platform.careers_support import make_catalogue
from tests.platform.conftest import IssuerFixture
from tests.platform.wallet_support import make_learner


def _share(runtime: Runtime, issuer: IssuerFixture, achievement_id: str, email: str) -> str:
    """A learner with one credential, shared with employers."""
    learner = make_learner(runtime, email)
    [row] = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email=email)]
    )
    runtime.employer_search.share(learner, row.id)
    return learner


def _verify(client: TestClient, vp: Any, challenge: str, domain: str) -> dict[str, Any]:
    answer = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": vp, "options": {"challenge": challenge, "domain": domain}},
    )
    assert answer.status_code in (200, 400), answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_each_hit_is_presented_for_this_search_only(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    _share(runtime, issuer, ids["Python and SQL"], "ada@example.org")
    _, token = runtime.employer_search.create_employer("Acme Hiring", domain="hiring.acme.test")
    _, other_token = runtime.employer_search.create_employer("Beta Corp")
    headers = {"Authorization": f"Bearer {token}"}

    first = client.post("/api/v1/employers/search", json={"skills": ["Python"]}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["domain"] == "hiring.acme.test"
    [result] = body["results"]
    vp = result["presentation"]
    assert vp["proof"]["challenge"] == body["challenge"]
    assert vp["proof"]["domain"] == "hiring.acme.test"
    assert vp["proof"]["cryptosuite"] == JCS_SUITE
    # Only the credential the hit shows, as issued.
    assert [c["name"] for c in result["credentials"]] == ["Python and SQL"]
    [embedded] = vp["verifiableCredential"]
    assert embedded["credentialSubject"]["achievement"]["name"] == "Python and SQL"

    good = _verify(client, vp, body["challenge"], body["domain"])
    assert good["verified"] is True, good["errors"]

    second = client.post(
        "/api/v1/employers/search", json={"skills": ["Python"]}, headers=headers
    ).json()
    assert second["challenge"] != body["challenge"]  # fresh per search
    replayed = _verify(client, vp, second["challenge"], second["domain"])
    assert replayed["verified"] is False
    assert any("challenge" in e for e in replayed["errors"])

    other = runtime.employer_search.authenticate(other_token)
    assert other is not None
    elsewhere = _verify(client, vp, body["challenge"], domain_of(other))
    assert elsewhere["verified"] is False
    assert any("domain" in e for e in elsewhere["errors"])

    # A tampered presentation (a credential swapped out) fails its holder proof.
    tampered = {**vp, "holder": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}
    assert _verify(client, tampered, body["challenge"], body["domain"])["verified"] is False


def test_the_holder_is_the_wallet_did_or_a_key_per_employer(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    ada = _share(runtime, issuer, ids["Python and SQL"], "ada@example.org")
    _, token_a = runtime.employer_search.create_employer("Acme Hiring")
    _, token_b = runtime.employer_search.create_employer("Beta Corp")
    acme = runtime.employer_search.authenticate(token_a)
    beta = runtime.employer_search.authenticate(token_b)
    assert acme is not None
    assert beta is not None
    [at_acme] = runtime.employer_presentations.search(acme, skills=["Python"]).hits
    [at_beta] = runtime.employer_presentations.search(beta, skills=["Python"]).hits
    holder_a, holder_b = at_acme.presentation["holder"], at_beta.presentation["holder"]
    assert holder_a.startswith("did:key:")
    assert holder_a != holder_b  # not linkable across employers
    [again] = runtime.employer_presentations.search(acme, skills=["Python"]).hits
    assert again.presentation["holder"] == holder_a  # stable for one employer

    did = runtime.learners.create_did(ada)
    [own] = runtime.employer_presentations.search(acme, skills=["Python"]).hits
    assert own.presentation["holder"] == did
    assert own.presentation["proof"]["verificationMethod"].startswith(did)


def test_nothing_is_presented_for_a_learner_who_did_not_opt_in(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    """Totals and paging: the answer names no count, and learners who did not share what is
    searched for (nothing at all, or another credential) change nothing in it, at any limit."""
    ids = make_catalogue(runtime, issuer.id)
    _share(runtime, issuer, ids["Python basics"], "ada@example.org")
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    headers = {"Authorization": f"Bearer {token}"}

    def answer(limit: int) -> list[dict[str, Any]]:
        found = client.post(
            "/api/v1/employers/search", json={"skills": ["Python"], "limit": limit}, headers=headers
        )
        assert found.status_code == 200, found.text
        body: dict[str, Any] = found.json()
        assert set(body) == {"challenge", "domain", "results"}  # no total, no next page
        return [{k: v for k, v in r.items() if k != "presentation"} for r in body["results"]]

    before = {limit: answer(limit) for limit in (1, 2, 50)}
    assert all(len(b) == 1 for b in before.values())
    # Grace holds a better-matching credential and shares nothing; Linus shares another one
    # and holds a Python credential he did not share.
    make_learner(runtime, "grace@example.org")
    runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=ids["Everything data"], email="grace@example.org")],
    )
    linus = _share(runtime, issuer, ids["Tableau dashboards"], "linus@example.org")
    runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=ids["Python basics"], email="linus@example.org")],
    )
    after = {limit: answer(limit) for limit in (1, 2, 50)}
    assert after == before
    assert runtime.employer_search.found_by(linus) == []


def test_contact_requests_the_learner_answers(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    ada = _share(runtime, issuer, ids["Python and SQL"], "ada@example.org")
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    _, other_token = runtime.employer_search.create_employer("Beta Corp")
    acme = {"Authorization": f"Bearer {token}"}
    beta = {"Authorization": f"Bearer {other_token}"}
    search = client.post("/api/v1/employers/search", json={"skills": ["Python"]}, headers=acme)
    [hit] = search.json()["results"]

    ask = {"learner": hit["learner"], "message": "We have a data role; may we write to you?"}
    made = client.post("/api/v1/employers/contact-requests", json=ask, headers=acme)
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "pending"
    assert made.json()["contact"] is None
    again = client.post("/api/v1/employers/contact-requests", json=ask, headers=acme)
    assert again.status_code == 409

    # Beta never found her: Acme's handle means nothing to it, and it sees none of Acme's.
    stolen = client.post("/api/v1/employers/contact-requests", json=ask, headers=beta)
    assert stolen.status_code == 404
    assert client.get("/api/v1/employers/contact-requests", headers=beta).json() == {"requests": []}
    assert client.get("/api/v1/employers/contact-requests").status_code == 401
    nobody = {"learner": "0" * 20, "message": "hello"}
    assert (
        client.post("/api/v1/employers/contact-requests", json=nobody, headers=acme).status_code
        == 404
    )
    empty = {"learner": hit["learner"], "message": "  "}
    assert (
        client.post("/api/v1/employers/contact-requests", json=empty, headers=acme).status_code
        == 422
    )

    # Until she accepts: no contact details.
    [pending] = client.get("/api/v1/employers/contact-requests", headers=acme).json()["requests"]
    assert pending["contact"] is None
    [request] = runtime.employer_contact.requests_to(ada)
    assert request.employer == "Acme Hiring"
    assert request.status == "pending"
    with pytest.raises(InputError, match="own verified"):
        runtime.employer_contact.accept(ada, request.id, email="someone@else.org")
    runtime.employer_contact.accept(ada, request.id, email="ada@example.org", share_name=True)
    [accepted] = client.get("/api/v1/employers/contact-requests", headers=acme).json()["requests"]
    assert accepted["contact"] == {"email": "ada@example.org", "name": "Ada Lovelace"}

    # Declining later takes the details back; another learner cannot answer her request.
    grace = make_learner(runtime, "grace@example.org")
    with pytest.raises(NotFoundError):
        runtime.employer_contact.decline(grace, request.id)
    runtime.employer_contact.decline(ada, request.id)
    [declined] = client.get("/api/v1/employers/contact-requests", headers=acme).json()["requests"]
    assert declined["status"] == "declined"
    assert declined["contact"] is None

    export = runtime.learners.export(ada)
    assert export["careers"]["contact_requests"][0]["employer"] == "Acme Hiring"
    assert export["careers"]["shared_with_employers"]
    runtime.learners.delete(ada, confirmation="ada@example.org")
    assert client.get("/api/v1/employers/contact-requests", headers=acme).json() == {"requests": []}


def test_a_learner_who_withdrew_everything_cannot_be_asked(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    ada = _share(runtime, issuer, ids["Python and SQL"], "ada@example.org")
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    acme = {"Authorization": f"Bearer {token}"}
    [hit] = client.post(
        "/api/v1/employers/search", json={"skills": ["Python"]}, headers=acme
    ).json()["results"]
    for ref in runtime.employer_search.shared_refs(ada):
        runtime.employer_search.withdraw(ada, ref)
    ask = {"learner": hit["learner"], "message": "Hello"}
    assert (
        client.post("/api/v1/employers/contact-requests", json=ask, headers=acme).status_code == 404
    )


def test_contact_requests_are_rate_limited(runtime: Runtime, issuer: IssuerFixture) -> None:
    ids = make_catalogue(runtime, issuer.id)
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    acme = runtime.employer_search.authenticate(token)
    assert acme is not None
    for n in range(REQUESTS_PER_DAY + 1):
        _share(runtime, issuer, ids["Python basics"], f"learner{n}@example.org")
    hits = runtime.employer_presentations.search(acme, skills=["Python"], limit=50).hits
    assert len(hits) == REQUESTS_PER_DAY + 1
    for presented in hits[:REQUESTS_PER_DAY]:
        runtime.employer_contact.ask(acme, presented.hit.handle, "Hello")
    with pytest.raises(RateLimitedError):
        runtime.employer_contact.ask(acme, hits[-1].hit.handle, "Hello")


def test_racing_writes_are_decided_by_the_keys(runtime: Runtime, issuer: IssuerFixture) -> None:
    """Two requests (or two searches' handles) written at once: the unique keys decide, the
    second is a conflict (a 409), never a server error."""
    ids = make_catalogue(runtime, issuer.id)
    ada = _share(runtime, issuer, ids["Python basics"], "ada@example.org")
    employer_id, _ = runtime.employer_search.create_employer("Acme Hiring")
    now = runtime.clock()

    def request() -> ContactRequestRow:
        return ContactRequestRow(
            id=str(uuid.uuid4()),
            employer_id=employer_id,
            learner_id=ada,
            handle="h" * 20,
            message="Hello",
            status="pending",
            created_at=now,
        )

    with runtime.sessions.begin() as session:
        assert ContactRepository(session).add(request()) is True
    with runtime.sessions.begin() as session:
        assert ContactRepository(session).add(request()) is False
    with runtime.sessions.begin() as session:
        repo = ContactRepository(session)
        repo.remember_handles(employer_id, [("h" * 20, ada), ("h" * 20, ada)], now)
    with runtime.sessions.begin() as session:
        ContactRepository(session).remember_handles(employer_id, [("h" * 20, ada)], now)
        assert ContactRepository(session).learner_found(employer_id, "h" * 20) == ada
