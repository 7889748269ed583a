"""The kept public credential page (web/pages/page_cache.py) and the change stamps under it
(store/stamps.py): a kept page is served again, and every change it shows is seen at once,
also by another process with caches of its own; a private view is never kept or shared."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.stamps import ChangeStamps, StampedCache
from microcred.web.app import create_app
from microcred.web.pages.core import get_pages
from tests.platform.conftest import IssuerFixture

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> str:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id, email="ada@example.org", name="Ada")]
    )
    return row.id


def hits(client: TestClient) -> int:
    app = client.app
    return get_pages(_Request(app)).credential_pages.hits  # type: ignore[arg-type]


class _Request:
    """Enough of a request for get_pages: the app's state."""

    def __init__(self, app: object) -> None:
        self.app = app


def state_of(page: str) -> str:
    found = re.search(r'data-state="([a-z]+)"', page)
    assert found, "the page names no state"
    return found.group(1)


def test_a_kept_page_is_served_again_and_revocation_shows_at_once(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    first = web.get(f"/credentials/{credential_id}", headers=HTML)
    assert state_of(first.text) == "active"
    before = hits(web)
    again = web.get(f"/credentials/{credential_id}", headers=HTML)
    assert hits(web) == before + 1  # from the cache
    assert again.text == first.text  # same browser, same token: the same page
    assert again.headers["content-language"] == first.headers["content-language"]
    assert "no-cache" in again.headers["cache-control"]
    assert "Cookie" in again.headers["vary"]

    runtime.lifecycle.suspend(SYSTEM, issuer.id, credential_id, "under review")
    page = web.get(f"/credentials/{credential_id}", headers=HTML).text
    assert state_of(page) == "suspended"
    assert "under review" in page
    runtime.lifecycle.reinstate(SYSTEM, issuer.id, credential_id)
    assert state_of(web.get(f"/credentials/{credential_id}", headers=HTML).text) == "active"
    runtime.lifecycle.revoke(SYSTEM, issuer.id, credential_id, "issued in error")
    page = web.get(f"/credentials/{credential_id}", headers=HTML).text
    assert state_of(page) == "revoked"
    assert "issued in error" in page


def test_an_issuer_profile_change_shows_at_once(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    assert "Alpha Academy" in web.get(f"/credentials/{credential_id}", headers=HTML).text
    web.get(f"/credentials/{credential_id}", headers=HTML)  # kept
    runtime.issuers.update(SYSTEM, issuer.id, {"description": "Now with a description line"})
    # The issuer row changed (not the signed credential): the page is rendered again.
    before = hits(web)
    web.get(f"/credentials/{credential_id}", headers=HTML)
    assert hits(web) == before


def test_each_language_is_kept_apart(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    for _ in range(2):
        for language in ("en", "de", "fr"):
            page = web.get(
                f"/credentials/{credential_id}", headers={**HTML, "Accept-Language": language}
            )
            assert page.headers["content-language"] == language
            assert f'<html lang="{language}"' in page.text


def test_the_private_view_is_never_kept_nor_shared(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    private = runtime.recipients.private_url(credential_id).removeprefix(runtime.settings.base_url)
    token = private.split("=", 1)[1]
    # The recipient first: their page is not kept, and a stranger after them never sees it.
    mine = web.get(private, headers=HTML)
    assert mine.headers["cache-control"] == "no-store"
    assert token in mine.text
    with TestClient(create_app(runtime), base_url="https://testserver") as stranger:
        for _ in range(2):
            public = stranger.get(f"/credentials/{credential_id}", headers=HTML)
            assert token not in public.text
            assert "no-store" not in public.headers["cache-control"]
    # With the anonymous page kept, the recipient still gets their own view.
    web.get(f"/credentials/{credential_id}", headers=HTML)
    again = web.get(private, headers=HTML)
    assert token in again.text
    assert again.headers["cache-control"] == "no-store"


def test_signed_in_and_learner_requests_are_rendered_not_kept(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    web.get(f"/credentials/{credential_id}", headers=HTML)  # kept
    before = hits(web)
    for cookie in ("mc_session", "mc_learner"):
        web.cookies.set(cookie, "whatever")
        web.get(f"/credentials/{credential_id}", headers=HTML)
        web.cookies.delete(cookie)
    web.get(f"/credentials/{credential_id}?done=1", headers=HTML)
    assert hits(web) == before


def test_each_visitor_gets_their_own_csrf_token_that_works(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    app = create_app(runtime)
    tokens = []
    for _ in range(2):
        with TestClient(app, base_url="https://testserver") as browser:
            page = browser.get(f"/credentials/{credential_id}", headers=HTML)
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert found
            tokens.append(found.group(1))
            switched = browser.post(
                "/language",
                data={"lang": "de", "csrf_token": found.group(1), "next": "/"},
                follow_redirects=False,
            )
            assert switched.status_code == 303, switched.text
    assert tokens[0] != tokens[1]
    assert get_pages(_Request(app)).credential_pages.hits >= 1  # type: ignore[arg-type]


def test_revalidation_of_an_unchanged_page_is_304(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    first = web.get(f"/credentials/{credential_id}", headers=HTML)
    etag = first.headers["etag"]
    same = web.get(f"/credentials/{credential_id}", headers={**HTML, "If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    runtime.lifecycle.revoke(SYSTEM, issuer.id, credential_id, "issued in error")
    changed = web.get(f"/credentials/{credential_id}", headers={**HTML, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert state_of(changed.text) == "revoked"


# ---- another process ---------------------------------------------------------------------------

REVOKE = """
import sys
from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime
from microcred.settings import Settings
runtime = Runtime(Settings())  # MICROCRED_* from the environment: the test's database
runtime.lifecycle.revoke(SYSTEM, sys.argv[2], sys.argv[3], "revoked elsewhere")
runtime.close()
"""


def test_a_revocation_in_another_process_shows_at_once(
    web: TestClient,
    runtime: Runtime,
    settings: Settings,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    data = json.dumps({"credential": runtime.credentials.get_public(credential_id).document})
    web.get(f"/credentials/{credential_id}", headers=HTML)
    web.get(f"/credentials/{credential_id}", headers=HTML)  # kept in this process
    assert web.post("/api/v1/verify", content=data).json()["verified"] is True
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "MICROCRED_DATA_DIR": str(settings.data_dir),
        "MICROCRED_DATABASE_URL": settings.sqlalchemy_url,
        "MICROCRED_PUBLIC_URL": settings.public_url,
        "MICROCRED_MASTER_SECRET": settings.master_secret.get_secret_value(),
    }
    subprocess.run(
        [sys.executable, "-c", REVOKE, "", issuer.id, credential_id],
        check=True,
        env=environment,
        timeout=120,
    )
    page = web.get(f"/credentials/{credential_id}", headers=HTML).text
    assert state_of(page) == "revoked"
    assert "revoked elsewhere" in page
    answer = web.post("/api/v1/verify", content=data).json()
    assert answer["verified"] is False
    assert answer["statusReason"] == "revoked elsewhere"


# ---- the stamps themselves ----------------------------------------------------------------------


def test_a_commit_renews_the_stamps_of_the_tables_it_wrote_and_a_rollback_none(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    stamps = ChangeStamps(runtime.engine)
    before = stamps.read()
    runtime.issuers.update(SYSTEM, issuer.id, {"description": "changed"})
    after = stamps.read()
    assert after["issuers"] != before.get("issuers", 0)
    assert after.get("achievements") == before.get("achievements")
    with runtime.sessions() as session:
        session.execute(text("UPDATE achievements SET name = name"))
        session.rollback()
    assert stamps.read().get("achievements") == before.get("achievements")
    # Counting a verification writes only an unstamped table: the caches stay.
    runtime.events.record(issue_for(runtime, issuer), "verified")
    assert stamps.read().get("credential_events") is None


def issue_for(runtime: Runtime, issuer: IssuerFixture) -> str:
    achievement = runtime.achievements.create(
        SYSTEM, issuer.id, {"name": "N", "description": "d", "criteria": {"narrative": "n"}}
    )
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement.id, email="b@example.org")]
    )
    return row.id


def test_a_stamped_cache_computes_again_only_after_a_write(runtime: Runtime) -> None:
    stamps = ChangeStamps(runtime.engine)
    cache: StampedCache[str, int] = StampedCache(stamps, ("instance_settings",))
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("k", compute) == 1
    assert cache.get("k", compute) == 1
    with runtime.sessions() as session, session.begin():
        session.execute(text("UPDATE instance_settings SET value = value"))
    assert cache.get("k", compute) == 2
    assert cache.get("k", compute) == 2
    assert cache.get("z", compute, lifetime=lambda _value: 0) == 3  # kept for no time
    assert cache.get("z", compute) == 4


def test_a_server_writes_verification_counts_together(
    settings: Settings, issuer: IssuerFixture, achievement_id: str, runtime: Runtime
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    served = Runtime(settings.model_copy(update={"queue_immediate": False}))
    try:
        assert served.events.defer_verified
        served.events.flush_seconds = 3600  # only the explicit flush below writes
        url = served.urls.credential(credential_id)
        for _ in range(3):
            served.events.verified(url)
        assert runtime.events.of_credential(SYSTEM, issuer.id, credential_id)["verified"][0] == 0
        # Its own reads see its counts; so does any process once they are written.
        assert served.events.of_credential(SYSTEM, issuer.id, credential_id)["verified"][0] == 3
        served.events.verified(url)
    finally:
        served.close()  # writes what is left
    assert runtime.events.of_credential(SYSTEM, issuer.id, credential_id)["verified"][0] == 4
