"""Issue 19: the issuer's public page at its profile address for browsers (name, logo,
description, achievements, DID and keys), the Profile JSON there for programs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import HTML


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def test_a_browser_gets_the_page_with_achievements_and_keys(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.issuers.update(
        SYSTEM, issuer.id, {"description": "We teach <script>alert(1)</script> data."}
    )
    page = web.get("/issuers/alpha", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["vary"] == "Accept"
    assert "Alpha Academy</h1>" in page.text
    assert "We teach &lt;script&gt;alert(1)&lt;/script&gt; data." in page.text
    assert f'href="/achievements/{achievement_id}">Data Analysis with Python</a>' in page.text
    assert f"<code>{issuer.did}</code>" in page.text
    document = runtime.issuers.did_document("alpha")
    [method] = document["verificationMethod"]  # type: ignore[misc]
    assert f"<code>{method['publicKeyMultibase']}</code>" in page.text
    assert 'href="/issuers/alpha/did.json"' in page.text


def test_programs_still_get_the_profile_json(web: TestClient, issuer: IssuerFixture) -> None:
    for headers in ({}, {"Accept": "application/ld+json"}, {"Accept": "*/*"}):
        answer = web.get("/issuers/alpha", headers=headers)
        assert answer.headers["content-type"].startswith("application/ld+json")
        assert answer.json()["id"] == issuer.did
    forced = web.get("/issuers/alpha?format=json", headers=HTML)
    assert forced.json()["id"] == issuer.did


def test_the_page_is_translated_and_an_unknown_issuer_is_a_404(
    web: TestClient, issuer: IssuerFixture
) -> None:
    page = web.get("/issuers/alpha", headers={**HTML, "Accept-Language": "de"})
    assert "Signaturschlüssel" in page.text
    missing = web.get("/issuers/nobody", headers=HTML)
    assert missing.status_code == 404
