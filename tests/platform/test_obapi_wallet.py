"""The Open Badges API over the real wallet: a credential this server issued, pushed by an app
with ``credential.upsert`` (the wallet verifies it), read back with ``credential.readonly``,
and the ``since`` filter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from tests.platform.conftest import FakeClock, IssuerFixture
from tests.platform.learners_support import web
from tests.platform.obapi_support import register, sign_in

__all__ = ["web"]  # the fixture, imported

START = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def test_an_app_pushes_and_reads_a_credential_in_the_real_wallet(
    runtime: Runtime, web: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    sign_in(runtime, web, "ada@example.org")
    (issued,) = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement_id, email="ada@example.org", name="Ada")],
    )
    app = register(web)
    token = app.tokens()["access_token"]
    pushed = app.api("POST", "credentials", token, json=issued.document)
    assert pushed.status_code in (200, 201), pushed.text
    assert pushed.json() == issued.document
    listed = app.api("GET", "credentials", token)
    assert listed.status_code == 200, listed.text
    assert issued.document["id"] in [c["id"] for c in listed.json().get("credential", [])]
    total = listed.headers["x-total-count"]
    refused = app.api("POST", "credentials", token, json={"type": ["NotACredential"]})
    assert refused.status_code == 400
    assert (
        refused.json()["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        == "invalid_data"
    )
    assert app.api("GET", "credentials", token).headers["x-total-count"] == total


def test_since_lists_only_what_came_after_and_keeps_it_in_the_paging_links(
    runtime: Runtime,
    web: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
    clock: FakeClock,
) -> None:
    sign_in(runtime, web, "ada@example.org")
    request = IssueRequest(achievement_id=achievement_id, email="ada@example.org", name="Ada")
    (older,) = runtime.issuance.issue(SYSTEM, issuer.id, [request])
    clock.advance(hours=1)
    moment = clock()
    clock.advance(minutes=1)
    newer = runtime.issuance.issue(SYSTEM, issuer.id, [request, request])
    app = register(web)
    token = app.tokens()["access_token"]

    listed = app.api(
        "GET", "credentials", token, params={"since": moment.isoformat(), "limit": "1"}
    )
    assert listed.status_code == 200, listed.text
    assert listed.headers["x-total-count"] == "2"
    (shown,) = listed.json()["credential"]
    assert shown["id"] in {row.document["id"] for row in newer}
    assert "since=" in listed.headers["link"]
    everything = app.api("GET", "credentials", token)
    assert everything.headers["x-total-count"] == "3"
    assert older.document["id"] in [c["id"] for c in everything.json()["credential"]]

    for bad in ("yesterday", "2026-05-04T10:00:00"):  # no time zone: ambiguous
        refused = app.api("GET", "credentials", token, params={"since": bad})
        assert refused.status_code == 400
        minor = refused.json()["imsx_codeMinor"]["imsx_codeMinorField"][0]
        assert minor["imsx_codeMinorFieldValue"] == "invalid_query_parameter"
