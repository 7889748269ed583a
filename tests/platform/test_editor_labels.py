"""Achievement editor (issue 19): every enumerated value is shown in the reader's words (no raw
CamelCase such as "MicroCredential") in en/de/fr/es while the form still posts the OB 3.0 term;
staff roles are named, not coded; "Issue" beside an achievement opens the issue form with it
chosen."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from microcred.model.achievement import ACHIEVEMENT_TYPES
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import sign_in, staff

CAMEL = re.compile(r"[a-z][A-Z]")
OPTION = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def _type_options(page: str) -> dict[str, str]:
    select = page.split('id="achievement_type"', 1)[1].split("</select>", 1)[0]
    return {value: text for value, text in OPTION.findall(select) if value}


@pytest.mark.parametrize(
    ("language", "micro", "bachelor"),
    [
        ("en", "Micro-credential", "Bachelor's degree"),
        ("de", "Microcredential", "Bachelorabschluss"),
        ("fr", "Microcertification", "Licence (bachelor)"),
        ("es", "Microcredencial", "Grado (bachelor)"),
    ],
)
def test_achievement_types_are_named_in_every_language(
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    language: str,
    micro: str,
    bachelor: str,
) -> None:
    sign_in(web, staff(runtime, issuer, "issuer"))
    for path in ("/console/achievements/new", f"/console/achievements/{achievement_id}"):
        page = web.get(path, headers={"Accept-Language": language})
        assert page.status_code == 200
        options = _type_options(page.text)
        assert set(options) == ACHIEVEMENT_TYPES  # the values posted are still OB 3.0 terms
        raw = {v: t for v, t in options.items() if CAMEL.search(t)}
        assert not raw, raw
        assert options["MicroCredential"] == micro
        assert options["BachelorDegree"] == bachelor
        if language != "en":  # every label is translated, not left in English
            english = _type_options(web.get(path, headers={"Accept-Language": "en"}).text)
            same = {v for v in options if options[v] == english[v]}
            # Words the languages share ("Badge", "Diploma", "Master", ...) may stay alike.
            assert len(same) <= 4, same


def test_roles_are_named_not_coded(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    sign_in(web, staff(runtime, issuer, "owner"))
    dashboard = web.get("/console", headers={"Accept-Language": "de"}).text
    assert "(Inhaber/in)" in dashboard
    assert "(owner)" not in dashboard
    keys = web.get("/console/api-keys", headers={"Accept-Language": "fr"}).text
    select = keys.split('id="key-role"', 1)[1].split("</select>", 1)[0]
    assert OPTION.findall(select) == [
        ("owner", "Propriétaire"),
        ("issuer", "Émetteur"),
        ("viewer", "Lecture seule"),
    ]


def test_issue_from_an_achievement_preselects_it(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    sign_in(web, staff(runtime, issuer, "issuer"))
    listing = web.get("/console/achievements").text
    link = f'href="/console/issue?achievement={achievement_id}"'
    assert link in listing
    assert link in web.get(f"/console/achievements/{achievement_id}").text
    form = web.get(f"/console/issue?achievement={achievement_id}").text
    assert f'<option value="{achievement_id}" selected>' in form
    # An unknown or foreign id selects nothing rather than failing.
    other = web.get("/console/issue?achievement=not-an-achievement")
    assert other.status_code == 200
    assert " selected>" not in other.text.split('id="achievement"', 1)[1].split("</select>")[0]
