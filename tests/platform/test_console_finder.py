"""Issue 19, "finding a recipient": the console's credential finder (search by name, e-mail
and id; filters by achievement, status and issue date; sorting; paging), its CSV export with
formula cells neutralised, and the audit log naming things instead of showing their ids."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.web.app import create_app
from microcred.web.pages.spreadsheet import safe_cell
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, FakeClock, IssuerFixture, make_issuer
from tests.platform.test_pages import sign_in, staff

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def give(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, name: str | None, email: str
) -> str:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id, email=email, name=name)]
    )
    return row.id


def ids(page: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', page)


@pytest.fixture
def people(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, clock: FakeClock
) -> dict[str, str]:
    """Four credentials a day apart: Ada (Python), Bob (Welding, revoked), Cy (Python,
    suspended), and one named "=HYPERLINK(...)" (Welding)."""
    welding = runtime.achievements.create(
        SYSTEM, issuer.id, {**SIMPLE_ACHIEVEMENT, "name": "Welding"}
    ).id
    made = {}
    for key, name, email, achievement in (
        ("ada", "Ada Lovelace", "ada@example.org", achievement_id),
        ("bob", "Bob Builder", "bob@works.example", welding),
        ("cy", "Cy Young", "cy@example.org", achievement_id),
        ("evil", '=HYPERLINK("https://evil.example","x")', "-evil@example.org", welding),
    ):
        made[key] = give(runtime, issuer, achievement, name, email)
        clock.advance(days=1)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, made["bob"], "issued in error")
    runtime.lifecycle.suspend(SYSTEM, issuer.id, made["cy"], "under review")
    made["welding"] = welding
    return made


def test_search_by_name_email_or_id(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, people: dict[str, str]
) -> None:
    sign_in(web, staff(runtime, issuer, "viewer"))
    assert ids(web.get("/console/credentials?q=lovelace").text) == [people["ada"]]
    assert ids(web.get("/console/credentials?q=WORKS.example").text) == [people["bob"]]
    assert ids(web.get(f"/console/credentials?q={people['cy']}").text) == [people["cy"]]
    # A LIKE wildcard is a character to look for, not "anything".
    assert ids(web.get("/console/credentials?q=%25").text) == []
    page = web.get("/console/credentials")
    assert page.status_code == 200
    assert 'data-total="4"' in page.text
    # Newest first by default.
    assert ids(page.text) == [people["evil"], people["cy"], people["bob"], people["ada"]]


def test_filters_by_achievement_status_and_issue_date(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, people: dict[str, str]
) -> None:
    sign_in(web, staff(runtime, issuer, "viewer"))
    welding = web.get(f"/console/credentials?achievement={people['welding']}&sort=oldest")
    assert ids(welding.text) == [people["bob"], people["evil"]]
    assert ids(web.get("/console/credentials?state=revoked").text) == [people["bob"]]
    assert ids(web.get("/console/credentials?state=suspended").text) == [people["cy"]]
    valid = ids(web.get("/console/credentials?state=active&sort=oldest").text)
    assert valid == [people["ada"], people["evil"]]
    day = START.date()
    # From the second day to the third, both included.
    one_two = web.get(
        f"/console/credentials?from={day + timedelta(days=1)}&to={day + timedelta(days=2)}"
        "&sort=oldest"
    )
    assert ids(one_two.text) == [people["bob"], people["cy"]]
    wrong = web.get("/console/credentials?from=04/05/2026")
    assert wrong.status_code == 422
    assert "YYYY-MM-DD" in wrong.text
    assert "04/05/2026" in wrong.text


def test_expired_is_its_own_filter(
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    people: dict[str, str],
    clock: FakeClock,
) -> None:
    clock.advance(days=2 * 366)  # the achievement lasts 24 months; Welding has no expiry
    sign_in(web, staff(runtime, issuer, "viewer"))
    assert ids(web.get("/console/credentials?state=expired").text) == [people["ada"]]
    assert ids(web.get("/console/credentials?state=active").text) == [people["evil"]]


def test_sorting_by_recipient_both_ways(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, people: dict[str, str]
) -> None:
    sign_in(web, staff(runtime, issuer, "viewer"))
    up = ids(web.get("/console/credentials?sort=recipient").text)
    assert up == [people["evil"], people["ada"], people["bob"], people["cy"]]  # "=" sorts first
    down = ids(web.get("/console/credentials?sort=recipient-desc").text)
    assert down == list(reversed(up))


def test_pages_of_fifty_each_credential_once_and_the_links_keep_the_search(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    requests = [
        IssueRequest(achievement_id, email=f"p{i}@example.org", name=f"Person {i:03}")
        for i in range(120)
    ]
    runtime.issuance.issue(SYSTEM, issuer.id, requests)
    give(runtime, issuer, achievement_id, "Someone Else", "else@example.org")
    sign_in(web, staff(runtime, issuer, "viewer"))
    seen: list[str] = []
    for number in (1, 2, 3):
        page = web.get(f"/console/credentials?q=person&sort=recipient&page={number}")
        assert f"Page {number} of 3" in page.text
        seen += ids(page.text)
    assert len(seen) == len(set(seen)) == 120
    first = web.get("/console/credentials?q=person&sort=recipient")
    assert 'href="/console/credentials?q=person&amp;sort=recipient&amp;page=2"' in first.text
    assert 'rel="prev"' not in first.text
    last = web.get("/console/credentials?q=person&sort=recipient&page=3")
    assert len(ids(last.text)) == 20
    assert 'rel="next"' not in last.text


def test_the_csv_export_has_the_selection_with_formulas_neutralised(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, people: dict[str, str]
) -> None:
    sign_in(web, staff(runtime, issuer, "viewer"))
    page = web.get(f"/console/credentials?achievement={people['welding']}&sort=oldest")
    link = re.search(r'id="export" href="([^"]+)"', page.text)
    assert link is not None
    answer = web.get(link.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        answer.headers["content-disposition"] == 'attachment; filename="credentials-2026-05-08.csv"'
    )
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "recipient_name", "recipient_email", "recipient_did"]
    bob, evil = rows[1:]
    assert bob[0] == people["bob"]
    assert (bob[4], bob[7], bob[8]) == ("Welding", "revoked", "issued in error")
    assert bob[9] == runtime.urls.credential(people["bob"])
    assert evil[1] == '\'=HYPERLINK("https://evil.example","x")'
    assert evil[2] == "'-evil@example.org"
    assert len(rows) == 3


def test_every_formula_start_is_neutralised_and_nothing_else() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell("Ada = Lovelace") == "Ada = Lovelace"
    assert safe_cell(None) == ""
    assert safe_cell(12) == "12"


def test_the_export_is_streamed_past_one_read_page(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    requests = [
        IssueRequest(achievement_id, email=f"p{i}@example.org", name=f"P{i}") for i in range(1201)
    ]
    for start in range(0, len(requests), 400):
        runtime.issuance.issue(SYSTEM, issuer.id, requests[start : start + 400])
    sign_in(web, staff(runtime, issuer, "viewer"))
    rows = list(csv.reader(io.StringIO(web.get("/console/credentials.csv").text.lstrip("\ufeff"))))
    assert len(rows) == 1202
    assert len({row[0] for row in rows[1:]}) == 1201


def test_the_finder_and_export_need_a_signed_in_viewer_of_this_issuer(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, people: dict[str, str]
) -> None:
    for path in ("/console/credentials", "/console/credentials.csv"):
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/sign-in")
    other = make_issuer(runtime, "beta")
    sign_in(web, staff(runtime, other, "owner", email="owner@beta.example"))
    assert ids(web.get("/console/credentials").text) == []
    assert ids(web.get(f"/console/credentials?q={people['ada']}").text) == []
    exported = web.get("/console/credentials.csv").text.lstrip("\ufeff")
    assert exported.strip().count("\n") == 0  # the header only


def test_the_audit_log_names_credentials_achievements_keys_and_staff(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, people: dict[str, str]
) -> None:
    runtime.issuers.create_api_key(SYSTEM, issuer.id, "Moodle connector")
    email = staff(runtime, issuer, "owner")
    sign_in(web, email)
    log = web.get("/console/audit").text
    assert "Bob Builder: Welding" in log  # the revocation's subject, a credential URL
    assert f"<code>{runtime.urls.credential(people['bob'])}</code>" not in log
    assert f'title="{runtime.urls.credential(people["bob"])}"' in log
    assert ">Welding</span>" in log  # achievement.created
    assert ">Moodle connector</span>" in log
    assert people["bob"] not in re.sub(r'(title|data-subject)="[^"]*"', "", log)
