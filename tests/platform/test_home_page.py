"""Issue 19, "home page": the public start page says what the server is, lists its issuers
and their achievements, and verifies a credential from its address."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture, make_issuer
from tests.platform.test_pages import HTML, csrf
from tests.platform.test_pages_console import SVG


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def test_an_empty_server_says_so(web: TestClient) -> None:
    page = web.get("/")
    assert page.status_code == 200
    assert "No issuer is set up on this server yet." in page.text
    assert 'id="home-verify"' in page.text


def test_issuers_and_their_achievements_are_listed_escaped_archived_left_out(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    beta = make_issuer(runtime, "beta")
    runtime.issuers.update(SYSTEM, beta.id, {"name": "Beta <script>alert(1)</script> College"})
    old = runtime.achievements.create(SYSTEM, issuer.id, {**SIMPLE_ACHIEVEMENT, "name": "Old"})
    runtime.achievements.update(SYSTEM, issuer.id, old.id, archived=True)
    page = web.get("/").text
    entries = page.split('<li class="issuer-entry">')[1:]
    names = [entry.split("</h3>", 1)[0].removeprefix("\n      <h3>").strip() for entry in entries]
    assert "Alpha Academy" in names
    assert "Beta &lt;script&gt;alert(1)&lt;/script&gt; College" in names
    assert "<script>alert(1)" not in page
    alpha = entries[names.index("Alpha Academy")]
    assert f'src="/achievements/{achievement_id}/image"' in alpha
    assert "Data Analysis with Python" in alpha
    assert " Old</li>" not in alpha  # archived
    assert f'href="{runtime.urls.issuer(issuer.slug)}"' in alpha
    assert web.get(f"/achievements/{achievement_id}/image").status_code == 200


def test_an_issuers_logo_is_shown_when_it_has_one(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    assert 'class="issuer-logo"' not in web.get("/").text
    runtime.issuers.set_logo(SYSTEM, issuer.id, SVG)
    page = web.get("/").text
    logo = re.search(r'<img src="([^"]+)" alt="" width="40" height="40" class="issuer-logo">', page)
    assert logo is not None
    assert logo.group(1) == f"/issuers/{issuer.slug}/logo"
    assert web.get(logo.group(1)).status_code == 200


def test_the_verify_box_verifies_a_credential_by_its_address(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id, email="ada@example.org", name="Ada")]
    )
    page = web.get("/")
    answer = web.post(
        "/verify", data={"url": runtime.urls.credential(row.id), "csrf_token": csrf(page.text)}
    )
    assert answer.status_code == 200
    assert 'data-verified="true"' in answer.text


def test_the_start_page_is_in_the_readers_language(web: TestClient, issuer: IssuerFixture) -> None:
    page = web.get("/", headers={**HTML, "Accept-Language": "de"})
    assert '<html lang="de">' in page.text
    assert "Aussteller auf diesem Server" in page.text
