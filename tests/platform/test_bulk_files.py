"""Issue 19, "bulk": the CSV template to download, and a checked upload's rejected rows as a
CSV that, corrected, uploads again (its problem column ignored)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.issuing.repository import CredentialFilter
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture, make_issuer
from tests.platform.test_pages import csrf, sign_in, staff

FILE = (
    "Email;Full name;Student ID;Department\r\n"
    "ada@example.org;Ada Lovelace;S1;Maths\r\n"
    "not-an-address;=cmd|' /C calc'!A0;S2;Maths\r\n"
    "bob@example.org;Bob;S3;Physics\r\n"
    "\r\n"
    "bob@example.org;Bob again;S3;Physics\r\n"
)


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def check(web: TestClient, achievement_id: str, data: bytes, name: str = "people.csv") -> str:
    page = web.get("/console/bulk")
    answer = web.post(
        "/console/bulk",
        data={"csrf_token": csrf(page.text), "achievement": achievement_id, "encoding": ""},
        files={"file": (name, data, "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def rows_of(answer_text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer_text.lstrip("\ufeff"))))


def test_the_template_has_the_columns_the_upload_reads(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    sign_in(web, staff(runtime, issuer, "issuer"))
    assert 'href="/console/bulk/template.csv"' in web.get("/console/bulk").text
    answer = web.get("/console/bulk/template.csv")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        'attachment; filename="recipients-template.csv"'
    )
    assert rows_of(answer.text) == [["email", "name", "id", "did"]]
    # Filled in, it uploads with nothing ignored.
    filled = answer.content + b"ada@example.org,Ada,S1,\r\n"
    page = check(web, achievement_id, filled)
    assert 'data-good="1"' in page
    assert "Ignored columns" not in page


def test_rejected_rows_come_back_as_written_with_the_problem_and_upload_again(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    sign_in(web, staff(runtime, issuer, "issuer"))
    page = check(web, achievement_id, FILE.encode(), name="my people (1).csv")
    assert 'data-bad="2"' in page
    link = re.search(r'id="rejected-csv" href="([^"]+)"', page)
    assert link is not None
    answer = web.get(link.group(1))
    assert answer.status_code == 200
    assert (
        answer.headers["content-disposition"] == 'attachment; filename="my_people_1-rejected.csv"'
    )
    header, bad_address, repeated = rows_of(answer.text)
    assert header == ["Email", "Full name", "Student ID", "Department", "problem"]
    # The formula a name carried is neutralised; the other cells are as written.
    assert bad_address[:4] == ["not-an-address", "'=cmd|' /C calc'!A0", "S2", "Maths"]
    assert bad_address[4].startswith("line 3: ")
    assert repeated[:4] == ["bob@example.org", "Bob again", "S3", "Physics"]
    assert repeated[4].startswith("line 6: the same recipient as line 4")

    # Corrected (the address), the file uploads again: one good row, the problem ignored.
    fixed = answer.text.lstrip("\ufeff").replace("not-an-address", "cy@example.org")
    fixed_lines = fixed.split("\r\n")
    fixed = "\r\n".join(fixed_lines[:2]) + "\r\n"  # the repeat stays out
    again = check(web, achievement_id, fixed.encode())
    assert 'data-good="1"' in again
    assert 'data-bad="0"' in again
    assert "problem" in again  # listed among the ignored columns


def test_rejected_rows_are_gone_once_started_and_are_the_issuers_own(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    sign_in(web, staff(runtime, issuer, "issuer"))
    page = check(web, achievement_id, FILE.encode())
    link = re.search(r'id="rejected-csv" href="([^"]+)"', page)
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert link is not None
    assert token is not None

    stranger = TestClient(create_app(runtime), base_url="https://testserver")
    other = make_issuer(runtime, "beta")
    sign_in(stranger, staff(runtime, other, "owner", email="owner@beta.example"))
    assert stranger.get(link.group(1)).status_code == 404
    stranger.close()

    started = web.post(
        "/console/bulk/start",
        data={"csrf_token": csrf(page), "token": token.group(1)},
        follow_redirects=False,
    )
    assert started.status_code == 303
    assert runtime.credentials.list(SYSTEM, issuer.id, CredentialFilter(), limit=10)[1] == 2
    gone = web.get(link.group(1))
    assert gone.status_code == 404
    assert "upload the file again" in gone.text


def test_the_bulk_files_need_the_issuer_role(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    sign_in(web, staff(runtime, issuer, "viewer"))
    assert web.get("/console/bulk/template.csv").status_code == 403
    assert web.get(f"/console/bulk/check/{'x' * 24}/rejected.csv").status_code == 403
