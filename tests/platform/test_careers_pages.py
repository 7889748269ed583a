"""The wallet's careers page: a goal to matches, an occupation to the learner's own gap and
path (their credentials counted, nobody else's), charts, translations and bad input."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from tests.platform.careers_support import DATA_SCIENTISTS, make_catalogue
from tests.platform.conftest import IssuerFixture
from tests.platform.learners_support import csrf, sign_in, web

__all__ = ["web"]  # a fixture used here


def test_the_page_needs_a_signed_in_learner(web: TestClient) -> None:
    answer = web.get("/wallet/careers")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in")


def test_goal_matches_then_the_learners_own_plan(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=ids["Python basics"], email="ada@example.org")],
    )
    sign_in(runtime, web, "ada@example.org")
    page = web.get("/wallet/careers", params={"goal": "data scientist"})
    assert page.status_code == 200
    assert "Data Scientists" in page.text
    assert f"occupation={DATA_SCIENTISTS}" in page.text
    page = web.get("/wallet/careers", params={"occupation": DATA_SCIENTISTS})
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Your path to: Data Scientists" in text
    assert "Already shown by your credentials: 1." in text
    steps = text[text.index('id="steps"') :]
    assert "SQL basics" in steps
    assert "Tableau dashboards" in steps
    assert "Python basics" not in steps[: steps.index("</ol>")]  # already held
    assert text.count('class="career-chart"') == 2
    assert text.index("Structured query language SQL") < text.index("Apache Spark")
    assert "Apache Spark" in text[text.index('id="uncovered"') :]
    assert "USDOL/ETA" in text


def test_the_page_in_german_and_bad_input(web: TestClient, runtime: Runtime) -> None:
    sign_in(runtime, web, "ada@example.org")
    page = web.get(
        "/wallet/careers", params={"goal": "x" * 10_000}, headers={"Accept-Language": "de"}
    )
    assert page.status_code == 422
    assert "Berufsziele" in page.text
    assert "Dieses Ziel konnten wir nicht lesen" in html.unescape(page.text)
    page = web.get("/wallet/careers", params={"goal": "хочу стать электриком"})
    assert page.status_code == 422
    page = web.get("/wallet/careers", params={"occupation": "99-9999.99"})
    assert page.status_code == 404
    assert "no such occupation" in html.unescape(page.text)
    page = web.get("/wallet/careers", params={"goal": "<script>alert(1)</script> electrician"})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text


def test_the_learner_shares_a_credential_with_employers_and_withdraws_it(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    [row] = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=ids["SQL basics"], email="ada@example.org")]
    )
    sign_in(runtime, web, "ada@example.org")
    page = web.get("/wallet/careers")
    assert f'data-ref="{row.id}" data-shared="no"' in page.text
    token = csrf(page.text)
    answer = web.post(
        "/wallet/careers/share", data={"ref": row.id, "action": "share", "csrf_token": token}
    )
    assert answer.status_code == 303
    _, employer_token = runtime.employer_search.create_employer("Acme Hiring")
    employer = runtime.employer_search.authenticate(employer_token)
    assert employer is not None
    assert (
        len(runtime.employer_search.search(employer, skills=["Structured query language SQL"])) == 1
    )
    page = web.get("/wallet/careers")
    assert f'data-ref="{row.id}" data-shared="yes"' in page.text
    assert "Acme Hiring" in page.text[page.text.index('id="found-by"') :]
    answer = web.post(
        "/wallet/careers/share", data={"ref": row.id, "action": "withdraw", "csrf_token": token}
    )
    assert answer.status_code == 303
    assert runtime.employer_search.search(employer, skills=["Structured query language SQL"]) == []
    # Without the form token nothing changes; another learner's credential is not found.
    refused = web.post("/wallet/careers/share", data={"ref": row.id, "action": "share"})
    assert refused.status_code == 403
    other = web.post(
        "/wallet/careers/share", data={"ref": "not-hers", "action": "share", "csrf_token": token}
    )
    assert other.status_code == 404
