"""The employers' console (TestClient): sign in with the token, search by skill, occupation or
credential, each hit with its presentation for the browser to check, ask to contact; the
learner accepts in her wallet; an employer sees only its own requests; translations."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.careers.employers import SEARCHES_PER_HOUR
from microcred.errors import NotFoundError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from tests.platform.careers_support import DATA_SCIENTISTS, make_catalogue
from tests.platform.conftest import IssuerFixture
from tests.platform.learners_support import browser, csrf, sign_in, web
from tests.platform.wallet_support import make_learner

__all__ = ["web"]  # a fixture used here


def _sign_in_employer(client: TestClient, token: str) -> None:
    page = client.get("/employers/sign-in")
    assert page.status_code == 200
    answer = client.post("/employers/sign-in", data={"token": token, "csrf_token": csrf(page.text)})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/employers/search"


def _share(runtime: Runtime, issuer: IssuerFixture, achievement_id: str, email: str) -> str:
    [row] = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email=email)]
    )
    return str(row.id)


def _search(client: TestClient, **fields: str) -> tuple[int, str]:
    form = client.get("/employers/search")
    assert form.status_code == 200, form.text
    answer = client.post("/employers/search", data={**fields, "csrf_token": csrf(form.text)})
    return answer.status_code, answer.text


def test_pages_need_an_employer_session_and_refuse_a_wrong_token(
    web: TestClient, runtime: Runtime
) -> None:
    for path in ("/employers/search", "/employers/requests"):
        answer = web.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/employers/sign-in"
    page = web.get("/employers/sign-in")
    wrong = web.post(
        "/employers/sign-in", data={"token": "mce_nope", "csrf_token": csrf(page.text)}
    )
    assert wrong.status_code == 401
    assert "not a valid employer token" in wrong.text
    # Without the form token: refused before anything else.
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    assert web.post("/employers/sign-in", data={"token": token}).status_code == 403
    # An issuer's staff session or a learner's is not an employer's.
    sign_in(runtime, web, "ada@example.org")
    assert web.get("/employers/search").status_code == 303


def test_search_contact_and_the_learners_answer(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    ada_web = browser(runtime)
    sign_in(runtime, ada_web, "ada@example.org")
    ref = _share(runtime, issuer, ids["Python and SQL"], "ada@example.org")
    page = ada_web.get("/wallet/careers")
    ada_web.post(
        "/wallet/careers/share", data={"ref": ref, "action": "share", "csrf_token": csrf(page.text)}
    )
    runtime.issuance.issue(  # Grace holds one too, and shares nothing
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=ids["Python and SQL"], email="g@example.org")],
    )
    _, token = runtime.employer_search.create_employer("Acme Hiring", domain="hiring.acme.test")
    _sign_in_employer(web, token)

    for fields in (
        {"skills": "Python, Tableau"},
        {"occupation": DATA_SCIENTISTS},
        {"credential": "python and sql"},
    ):
        status, text = _search(web, **fields)
        assert status == 200, text
        assert text.count('class="employer-hit"') == 1, fields
        assert 'data-domain="hiring.acme.test"' in text
        challenge = re.search(r'data-challenge="([^"]+)"', text)
        assert challenge is not None
        block = re.search(r'<script type="application/json" data-vp>(.*?)</script>', text, re.S)
        assert block is not None
        vp = json.loads(block.group(1))
        assert vp["proof"]["challenge"] == challenge.group(1)
        assert "/static/employer-verify.js" in text
    status, text = _search(web, credential="Tableau dashboards")  # nobody shared one
    assert status == 200
    assert 'id="no-results"' in text
    status, text = _search(web, credential="No such badge")
    assert status == 422
    status, text = _search(web)
    assert status == 422
    status, text = _search(web, skills="<script>alert(1)</script>")
    assert status == 422
    assert "<script>alert(1)" not in text

    status, text = _search(web, skills="Python")
    handle = re.search(r'data-learner="([^"]+)"', text)
    assert handle is not None
    answer = web.post(
        "/employers/contact",
        data={"learner": handle.group(1), "message": "A data role?", "csrf_token": csrf(text)},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/employers/requests?done=asked"
    requests = web.get("/employers/requests")
    assert 'data-status="pending"' in requests.text
    assert "ada@example.org" not in requests.text

    # Another employer's console sees none of it, and cannot ask with Acme's handle.
    beta = browser(runtime)
    _, beta_token = runtime.employer_search.create_employer("Beta Corp")
    _sign_in_employer(beta, beta_token)
    assert handle.group(1) not in beta.get("/employers/requests").text
    page = beta.get("/employers/search")
    refused = beta.post(
        "/employers/contact",
        data={"learner": handle.group(1), "message": "Hi", "csrf_token": csrf(page.text)},
    )
    assert refused.headers["location"] == "/employers/requests?done=refused"
    assert 'id="requests"' not in beta.get("/employers/requests").text

    # Ada sees the request and accepts it with her address.
    page = ada_web.get("/wallet/careers")
    assert "Acme Hiring" in page.text[page.text.index('id="contact-requests"') :]
    assert "A data role?" in page.text
    ada = runtime.learners.learner_for_email("ada@example.org")
    assert ada is not None
    [request] = runtime.employer_contact.requests_to(ada)
    answer = ada_web.post(
        "/wallet/careers/contact",
        data={
            "request": request.id,
            "action": "accept",
            "email": "ada@example.org",
            "share_name": "yes",
            "csrf_token": csrf(page.text),
        },
    )
    assert answer.status_code == 303, answer.text
    requests = web.get("/employers/requests")
    assert 'data-status="accepted"' in requests.text
    assert "ada@example.org" in requests.text
    answer = ada_web.post(
        "/wallet/careers/contact",
        data={"request": request.id, "action": "decline", "csrf_token": csrf(page.text)},
    )
    assert answer.status_code == 303
    requests = web.get("/employers/requests")
    assert 'data-status="declined"' in requests.text
    assert "ada@example.org" not in requests.text
    # Beta's console cannot reach Ada's answer form; nobody else can answer her request.
    assert beta.post("/wallet/careers/contact", data={"request": request.id}).status_code == 403
    beta.close()
    ada_web.close()


def test_the_console_speaks_german(web: TestClient, runtime: Runtime) -> None:
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    page = web.get("/employers/sign-in", headers={"Accept-Language": "de"})
    assert "Anmeldung für Arbeitgeber" in html.unescape(page.text)
    _sign_in_employer(web, token)
    page = web.get("/employers/search", headers={"Accept-Language": "fr"})
    assert "Trouver des compétences vérifiées" in html.unescape(page.text)
    page = web.get("/employers/requests", headers={"Accept-Language": "es"})
    assert "Solicitudes de contacto" in html.unescape(page.text)


def test_console_searches_are_rate_limited(web: TestClient, runtime: Runtime) -> None:
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    employer = runtime.employer_search.authenticate(token)
    assert employer is not None
    for _ in range(SEARCHES_PER_HOUR):
        runtime.employer_search.search(employer, skills=["Python"])
    _sign_in_employer(web, token)
    status, text = _search(web, skills="Python")
    assert status == 429
    assert "too many searches" in text


def test_staff_tokens_act_for_their_employer_only_until_revoked(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    learner = make_learner(runtime, "ada@example.org")
    [row] = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=ids["Python basics"], email="ada@example.org")],
    )
    runtime.employer_search.share(learner, row.id)
    acme_id, _ = runtime.employer_search.create_employer("Acme Hiring")
    beta_id, _ = runtime.employer_search.create_employer("Beta Corp")
    ines_id, ines = runtime.employer_staff.add(acme_id, "Ines Recruiter")
    _, bob = runtime.employer_staff.add(beta_id, "Bob")
    with pytest.raises(NotFoundError):
        runtime.employer_staff.add("no-such-employer", "Eve")
    with pytest.raises(NotFoundError):
        runtime.employer_staff.revoke(beta_id, ines_id)  # not Beta's to revoke

    # The API takes a staff token for its employer; what she asks carries her name.
    headers = {"Authorization": f"Bearer {ines}"}
    found = web.post("/api/v1/employers/search", json={"skills": ["Python"]}, headers=headers)
    assert found.status_code == 200, found.text
    [hit] = found.json()["results"]
    made = web.post(
        "/api/v1/employers/contact-requests",
        json={"learner": hit["learner"], "message": "Hello"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["asked_by"] == "Ines Recruiter"
    bobs = {"Authorization": f"Bearer {bob}"}
    assert web.get("/api/v1/employers/contact-requests", headers=bobs).json() == {"requests": []}

    # In the console too, until her token is revoked: then the session ends at once.
    _sign_in_employer(web, ines)
    page = web.get("/employers/requests")
    assert "Ines Recruiter, Acme Hiring" in page.text
    assert 'data-status="pending"' in page.text
    signed_out = web.post("/employers/sign-out", data={"csrf_token": csrf(page.text)})
    assert signed_out.status_code == 303
    assert web.get("/employers/requests").status_code == 303
    _sign_in_employer(web, ines)
    runtime.employer_staff.revoke(acme_id, ines_id)
    assert web.get("/employers/requests").status_code == 303
    gone = web.get("/api/v1/employers/contact-requests", headers=headers)
    assert gone.status_code == 401
    assert [s.revoked_at is not None for s in runtime.employer_staff.staff(acme_id)] == [True]


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(
    web: TestClient, runtime: Runtime
) -> None:
    # Issue 20's defect 7, in the employers' console: the session is kept on the server, so a
    # cookie copied before signing out (another tab, a stolen copy) no longer signs in.
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    _sign_in_employer(web, token)
    copied = web.cookies.get("mc_employer", path="/employers")
    assert copied
    page = web.get("/employers/search")
    assert page.status_code == 200
    thief = browser(runtime)
    thief.cookies.set("mc_employer", copied, path="/employers")
    assert thief.get("/employers/search").status_code == 200  # the copy works while signed in

    assert web.post("/employers/sign-out", data={"csrf_token": csrf(page.text)}).status_code == 303
    assert thief.get("/employers/search").status_code == 303  # and not after signing out
    assert thief.get("/employers/search").headers["location"] == "/employers/sign-in"
    # Signing in again opens a new session; the old cookie stays dead.
    _sign_in_employer(web, token)
    assert web.get("/employers/search").status_code == 200
    assert thief.get("/employers/search").status_code == 303
