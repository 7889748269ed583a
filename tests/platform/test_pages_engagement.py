"""Counters (claimed, shared, verified), the recipient's name choice, and the form defects
fixed with them: body cap before parsing, per-route field limits, every achievement in the
choosers, one batch per staged upload, expired credentials not counted as valid."""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime
from microcred.store.db import transaction
from microcred.store.tables import AuditEventRow, BatchRow, CredentialEventRow, CredentialRow
from microcred.web.app import create_app
from microcred.web.pages.achievements import EDITOR_MAX_FIELDS
from microcred.web.pages.core import SMALL_FORM_BYTES
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, FakeClock, IssuerFixture
from tests.platform.test_pages import HTML, csrf, issue, sign_in, staff
from tests.platform.test_pages_console import csv_file


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def events(runtime: Runtime, kind: str | None = None) -> list[CredentialEventRow]:
    """The stored count rows (one per credential, kind, channel and day)."""
    with runtime.sessions() as session:
        query = select(CredentialEventRow).order_by(
            CredentialEventRow.day, CredentialEventRow.kind, CredentialEventRow.channel
        )
        if kind:
            query = query.where(CredentialEventRow.kind == kind)
        return list(session.scalars(query))


def counted(runtime: Runtime, kind: str) -> int:
    return sum(row.count for row in events(runtime, kind))


def private_link(web: TestClient, runtime: Runtime, issuer: IssuerFixture, cid: str) -> str:
    """The recipient's link as the console shows it to the issuer role."""
    sign_in(web, staff(runtime, issuer, "issuer", email="link-holder@alpha.example"))
    detail = web.get(f"/console/credentials/{cid}").text
    found = re.search(r'id="recipient-link">([^<]+)<', detail)
    assert found
    url = urlsplit(found.group(1).replace("&amp;", "&"))
    web.post("/console/sign-out", data={"csrf_token": csrf(detail)})
    return f"{url.path}?{url.query}"


def choose(web: TestClient, link: str, show: str) -> Any:
    page = web.get(link, headers=HTML)
    token = parse_qs(urlsplit(link).query)["recipient"][0]
    cid = urlsplit(link).path.rsplit("/", 1)[1]
    return web.post(
        f"/credentials/{cid}/name",
        data={"csrf_token": csrf(page.text), "token": token, "show": show},
        follow_redirects=False,
    )


def named_everywhere(web: TestClient, cid: str, name: str) -> dict[str, bool]:
    from pypdf import PdfReader

    page = web.get(f"/credentials/{cid}", headers=HTML).text
    og = re.search(r'property="og:description" content="([^"]*)"', page)
    assert og
    pdf = web.get(f"/credentials/{cid}/certificate.pdf").content
    return {
        "page": f"Awarded to {name}" in page,
        "og": name in og.group(1),
        "embed": name in web.get(f"/credentials/{cid}/embed").text,
        "pdf": name in PdfReader(io.BytesIO(pdf)).pages[0].extract_text(),
    }


# ---- the recipient's name ------------------------------------------------------------------------


def test_name_hidden_by_default_shown_after_consent_hidden_after_withdrawal(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id, name="Ada Lovelace")
    assert named_everywhere(web, cid, "Ada Lovelace") == dict.fromkeys(
        ("page", "og", "embed", "pdf"), False
    )
    link = private_link(web, runtime, issuer, cid)
    panel = web.get(link, headers=HTML)
    assert 'id="show-name"' in panel.text
    assert panel.headers["cache-control"] == "no-store"
    assert '<meta name="robots" content="noindex">' in panel.text

    shown = choose(web, link, "yes")
    assert shown.status_code == 303
    assert "done=shown" in shown.headers["location"]
    assert named_everywhere(web, cid, "Ada Lovelace") == dict.fromkeys(
        ("page", "og", "embed", "pdf"), True
    )
    assert 'id="hide-name"' in web.get(link, headers=HTML).text

    assert choose(web, link, "no").status_code == 303
    assert named_everywhere(web, cid, "Ada Lovelace") == dict.fromkeys(
        ("page", "og", "embed", "pdf"), False
    )
    with runtime.sessions() as session:
        actions = session.scalars(
            select(AuditEventRow.action).where(AuditEventRow.subject == cid)
        ).all()
    assert "credential.name_shown" in actions
    assert "credential.name_hidden" in actions


def test_name_is_escaped_when_shown(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id, name="Ada <Lovelace>")
    runtime.recipients.set_name_public(cid, runtime.recipients.token(cid), public=True)
    page = web.get(f"/credentials/{cid}", headers=HTML).text
    assert "Awarded to Ada &lt;Lovelace&gt;" in page
    assert "<Lovelace>" not in page


def test_nobody_without_the_token_can_change_the_choice(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id, name="Ada Lovelace")
    app = create_app(runtime)
    with TestClient(app, base_url="https://testserver") as stranger:
        page = stranger.get(f"/credentials/{cid}", headers=HTML)
        assert 'id="show-name"' not in page.text  # no controls on the public page
        form = {"csrf_token": csrf(page.text), "show": "yes"}
        for token in ("", "A" * 32, runtime.recipients.token("another-id")):
            answer = stranger.post(f"/credentials/{cid}/name", data={**form, "token": token})
            assert answer.status_code == 403
            assert "text/html" in answer.headers["content-type"]
        # A wrong token in the page URL opens no controls either.
        wrong = stranger.get(f"/credentials/{cid}?recipient={'A' * 32}", headers=HTML)
        assert 'id="show-name"' not in wrong.text
        # The right token without the form's CSRF token is refused too.
        token = runtime.recipients.token(cid)
        forged = stranger.post(f"/credentials/{cid}/name", data={"token": token, "show": "yes"})
        assert forged.status_code == 403
    assert runtime.credentials.get_public(cid).name_public is False
    assert events(runtime, "claimed") == []


def test_choice_needs_yes_or_no(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id)
    link = private_link(web, runtime, issuer, cid)
    answer = choose(web, link, "maybe")
    assert answer.status_code == 422
    assert "yes or no" in answer.text


def test_private_link_is_shown_to_issuers_only_and_staff_act_as_themselves(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id, name="Ada Lovelace")
    sign_in(web, staff(runtime, issuer, "viewer"))
    detail = web.get(f"/console/credentials/{cid}").text
    assert 'id="public-link"' in detail
    assert 'id="recipient-link"' not in detail
    assert runtime.recipients.token(cid) not in detail
    web.post("/console/sign-out", data={"csrf_token": csrf(detail)})
    for role in ("issuer", "owner"):
        sign_in(web, staff(runtime, issuer, role))
        detail = web.get(f"/console/credentials/{cid}").text
        assert f'id="recipient-link">{runtime.recipients.private_url(cid)}<' in detail.replace(
            "&amp;", "&"
        )
        web.post("/console/sign-out", data={"csrf_token": csrf(detail)})

    # An issuer who opens the link while signed in is not the recipient: no claim is
    # counted, and the audit names them for the choice they make.
    link = private_link(web, runtime, issuer, cid)
    sign_in(web, "issuer@alpha.example")
    assert choose(web, link, "yes").status_code == 303
    assert runtime.credentials.get_public(cid).name_public is True
    assert events(runtime, "claimed") == []
    web.post("/console/sign-out", data={"csrf_token": csrf(web.get("/console").text)})
    # The recipient themselves (nobody signed in) is named as the recipient.
    assert choose(web, link, "no").status_code == 303
    assert len(events(runtime, "claimed")) == 1
    with runtime.sessions() as session:
        audited = session.execute(
            select(AuditEventRow.actor, AuditEventRow.action)
            .where(AuditEventRow.subject == cid, AuditEventRow.action.like("credential.name_%"))
            .order_by(AuditEventRow.id)
        ).all()
    assert [tuple(row) for row in audited] == [
        ("staff:issuer@alpha.example", "credential.name_shown"),
        ("recipient", "credential.name_hidden"),
    ]


# ---- counters ------------------------------------------------------------------------------------


def test_claimed_once_when_the_recipient_opens_the_private_link(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id)
    web.get(f"/credentials/{cid}", headers=HTML)  # the public page is not a claim
    assert events(runtime) == []
    link = private_link(web, runtime, issuer, cid)
    web.get(link, headers=HTML)
    web.get(link, headers=HTML)
    (claimed,) = events(runtime, "claimed")
    assert (claimed.credential_id, claimed.issuer_id, claimed.achievement_id) == (
        cid,
        issuer.id,
        achievement_id,
    )
    assert claimed.first_at == runtime.clock()
    assert claimed.count == 1
    # The service refuses a second claim on its own, too.
    assert runtime.events.record(cid, "claimed") is False
    assert runtime.events.record("no-such-credential", "shared") is False
    assert len(events(runtime)) == 1


def test_console_credential_page_shows_its_counters(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id)
    sign_in(web, staff(runtime, issuer, "viewer"))
    before = web.get(f"/console/credentials/{cid}").text
    assert re.search(r'id="claimed">Not yet<', before)
    runtime.events.record(cid, "claimed")
    runtime.events.record(cid, "shared", channel="linkedin-share")
    for _ in range(2):
        runtime.events.record(cid, "verified")
    after = web.get(f"/console/credentials/{cid}").text
    assert not re.search(r'id="claimed">Not yet<', after)
    assert 'data-shared="1" data-verified="2"' in after
    assert "1 shared, 2 verified" in after


def test_a_count_does_not_wait_for_a_long_writer(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id)
    held, release = threading.Event(), threading.Event()

    def writer() -> None:  # a bulk chunk, say: it holds the lock a count needs
        with transaction(runtime.sessions) as session:
            session.execute(
                select(CredentialRow.id).where(CredentialRow.id == cid).with_for_update()
            )
            held.set()
            release.wait(timeout=20)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert held.wait(timeout=10)
        # Gives up after LOCK_WAIT_MS instead of waiting for the writer (which waits for us).
        assert runtime.events.record(cid, "shared") is False
    finally:
        release.set()
        thread.join(timeout=30)
    assert runtime.events.record(cid, "shared") is True
    assert counted(runtime, "shared") == 1


def test_share_links_count_and_redirect_only_to_what_we_built(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id)
    page = web.get(f"/credentials/{cid}", headers=HTML).text
    assert "https://www.linkedin.com" not in page  # every share link goes through us
    add = web.get(f"/credentials/{cid}/share/linkedin-add", follow_redirects=False)
    share = web.get(
        f"/credentials/{cid}/share/linkedin-share?url=https://evil.example",
        follow_redirects=False,
    )
    assert add.status_code == share.status_code == 303
    assert add.headers["location"].startswith("https://www.linkedin.com/profile/add?")
    assert share.headers["location"] == (
        "https://www.linkedin.com/sharing/share-offsite/?url="
        f"https%3A%2F%2Fbadges.example.org%2Fcredentials%2F{cid}"
    )
    for bad in ("evil", "https:%2F%2Fevil.example", "linkedin-add.evil"):
        assert web.get(f"/credentials/{cid}/share/{bad}", follow_redirects=False).status_code in (
            404,
            405,
        )
    assert web.get("/credentials/nope/share/linkedin-add").status_code == 404
    shared = events(runtime, "shared")
    assert [(e.credential_id, e.channel) for e in shared] == [
        (cid, "linkedin-add"),
        (cid, "linkedin-share"),
    ]


def test_verified_counts_our_credentials_only(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id)
    document = runtime.credentials.get_public(cid).document
    answer = web.post("/api/v1/verify", json={"credential": document})
    assert answer.status_code == 200
    assert answer.json()["verified"] is True
    (verified,) = events(runtime, "verified")
    assert (verified.credential_id, verified.count) == (cid, 1)
    # A credential that is not ours records nothing.
    web.post("/api/v1/verify", json={"credential": {**document, "id": "urn:uuid:1"}})
    assert counted(runtime, "verified") == 1
    # Nor does a forgery carrying our credential's id: proof removed, or the name changed
    # under the proof.
    subject = {**document["credentialSubject"], "name": "Mallory"}
    forgeries = [
        {k: v for k, v in document.items() if k != "proof"},
        {**document, "credentialSubject": subject},
    ]
    for forged in forgeries:
        assert forged["id"] == document["id"]
        answer = web.post("/api/v1/verify", json={"credential": forged})
        assert answer.status_code == 200
        assert answer.json()["verified"] is False
    assert counted(runtime, "verified") == 1
    # A revoked credential's genuine proof still counts (an employer checked it).
    runtime.lifecycle.revoke(SYSTEM, issuer.id, cid, "issued in error")
    answer = web.post("/api/v1/verify", json={"credential": document})
    assert answer.json()["verified"] is False
    assert counted(runtime, "verified") == 2


def test_counts_are_one_row_per_credential_kind_channel_and_day(
    runtime: Runtime, clock: FakeClock, issuer: IssuerFixture, achievement_id: str
) -> None:
    cid = issue(runtime, issuer, achievement_id)
    url = f"https://badges.example.org/credentials/{cid}"
    for _ in range(50):
        runtime.events.verified(url)
        assert runtime.events.record(cid, "shared", channel="linkedin-add") is True
    runtime.events.record(cid, "shared", channel="linkedin-share")
    first_time = runtime.clock()
    clock.advance(hours=1)
    runtime.events.verified(url)
    runtime.events.record(cid, "claimed")
    assert runtime.events.record(cid, "claimed") is False
    clock.advance(days=1)
    runtime.events.verified(url)
    assert runtime.events.record(cid, "claimed") is False  # once per credential, any day
    rows = [(r.kind, r.channel, r.day.isoformat(), r.count) for r in events(runtime)]
    assert rows == [
        ("claimed", "", "2026-11-25", 1),
        ("shared", "linkedin-add", "2026-11-25", 50),
        ("shared", "linkedin-share", "2026-11-25", 1),
        ("verified", "", "2026-11-25", 51),
        ("verified", "", "2026-11-26", 1),
    ]
    assert events(runtime, "verified")[0].first_at == first_time
    # The console's credential page and the charts read the sums.
    found = runtime.events.of_credential(SYSTEM, issuer.id, cid)
    assert found["verified"] == (52, first_time)
    assert found["shared"] == (51, first_time)
    assert found["claimed"] == (1, first_time + timedelta(hours=1))
    day = datetime(2026, 11, 25, tzinfo=UTC)
    totals = runtime.events.counts(
        SYSTEM,
        issuer.id,
        [(day, day + timedelta(days=1)), (day + timedelta(days=1), day + timedelta(days=2))],
    )
    assert totals.per_period == {"claimed": [1, 0], "shared": [51, 0], "verified": [51, 1]}
    assert totals.per_achievement["verified"] == {achievement_id: 52}


def test_dashboard_charts_show_every_series_for_the_issuer_only(
    web: TestClient,
    runtime: Runtime,
    clock: FakeClock,
    issuer: IssuerFixture,
    other_issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    first, second = issue(runtime, issuer, achievement_id), issue(runtime, issuer, achievement_id)
    runtime.events.record(first, "claimed")
    runtime.events.record(first, "shared", channel="linkedin-add")
    runtime.events.record(second, "shared", channel="linkedin-share")
    for _ in range(3):
        runtime.events.verified(f"https://badges.example.org/credentials/{second}")
    clock.advance(weeks=1)
    runtime.events.record(second, "claimed")
    theirs = runtime.achievements.create(SYSTEM, other_issuer.id, SIMPLE_ACHIEVEMENT)
    foreign = issue(runtime, other_issuer, theirs.id)
    for _ in range(5):
        runtime.events.record(foreign, "shared", channel="linkedin-add")

    sign_in(web, staff(runtime, issuer, "viewer"))
    page = web.get("/console").text

    def week(start: datetime) -> dict[str, str]:
        row = re.search(rf'<tr data-week="{start.date().isoformat()}">(.*?)</tr>', page)
        assert row
        return dict(re.findall(r'data-series="(\w+)">([^<]*)<', row.group(1)))

    this_monday = datetime(2026, 11, 30, tzinfo=UTC)
    assert week(this_monday - timedelta(weeks=1)) == {
        "issued": "2",
        "claimed": "1",
        "shared": "2",
        "verified": "3",
    }
    assert week(this_monday) == {"issued": "0", "claimed": "1", "shared": "0", "verified": "0"}
    by_achievement = re.search(
        r"<td>Data Analysis with Python</td>(.*?)</tr>", page.split('id="by-achievement-h"')[1]
    )
    assert by_achievement
    assert dict(re.findall(r'data-series="(\w+)">([^<]*)<', by_achievement.group(1))) == {
        "issued": "2",
        "claimed": "2",
        "shared": "2",
        "verified": "3",
    }


# ---- defects: expired is not valid ---------------------------------------------------------------


def test_valid_filter_and_charts_leave_out_expired_credentials(
    web: TestClient, runtime: Runtime, clock: FakeClock, issuer: IssuerFixture
) -> None:
    short_lived = runtime.achievements.create(
        SYSTEM, issuer.id, {**SIMPLE_ACHIEVEMENT, "name": "Short"}, validity_months=1
    ).id
    lasting = runtime.achievements.create(SYSTEM, issuer.id, {**SIMPLE_ACHIEVEMENT}).id
    expiring = issue(runtime, issuer, short_lived, name="Expiring")
    valid = issue(runtime, issuer, lasting, name="Lasting")
    clock.advance(days=40)
    sign_in(web, staff(runtime, issuer, "viewer"))
    active = web.get("/console?state=active").text
    assert f"/console/credentials/{valid}" in active
    assert f"/console/credentials/{expiring}" not in active
    expired = web.get("/console?state=expired").text
    assert f"/console/credentials/{expiring}" in expired
    assert f"/console/credentials/{valid}" not in expired
    stats = web.get("/console/stats").text
    assert re.search(r'data-state="active"><td>Valid</td><td>1</td>', stats)
    assert re.search(r'data-state="expired"><td>Expired</td><td>1</td>', stats)


# ---- defects: every achievement in the choosers --------------------------------------------------


def test_issue_and_bulk_forms_list_every_achievement(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = [
        runtime.achievements.create(
            SYSTEM, issuer.id, {**SIMPLE_ACHIEVEMENT, "name": f"Course {i:02d}"}
        ).id
        for i in range(55)
    ]
    sign_in(web, staff(runtime, issuer, "issuer"))
    for path in ("/console/issue", "/console/bulk"):
        page = web.get(path).text
        assert all(f'value="{i}"' in page for i in ids), path
        assert "Course 54" in page


def test_choosers_read_only_achievement_ids_and_names(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    from sqlalchemy import event

    created = runtime.achievements.create(SYSTEM, issuer.id, {**SIMPLE_ACHIEVEMENT, "name": "Art"})
    sign_in(web, staff(runtime, issuer, "issuer"))
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(runtime.engine, "before_cursor_execute", seen)
    try:
        pages = {
            path: web.get(path).text for path in ("/console/issue", "/console/bulk", "/console")
        }
    finally:
        event.remove(runtime.engine, "before_cursor_execute", seen)
    for path, page in pages.items():
        assert f'{created.id}">Art<' in page, path
    reads = [s for s in statements if re.search(r"FROM achievements\b", s)]
    assert reads
    # Never the image (up to 1 MB) nor the whole definition: of it only its language, extracted
    # by the database (SQLite's JSON_EXTRACT, PostgreSQL's ->>).
    one_key = r"JSON_EXTRACT\(achievements\.definition, \?\)|achievements\.definition ->> %\(\w+\)s"
    for statement in reads:
        assert "achievements.image" not in statement
        assert "achievements.definition" not in re.sub(one_key, "", statement), statement


# ---- defects: one CSRF mechanism, body capped before parsing -------------------------------------


def test_an_oversized_form_is_refused_before_it_is_parsed(
    web: TestClient, runtime: Runtime
) -> None:
    page = web.get("/verify")
    token = csrf(page.text)
    big = b"a" * (SMALL_FORM_BYTES + 1)
    declared = web.post(
        "/language",
        content=b"csrf_token=" + token.encode() + b"&lang=de&next=" + big,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert declared.status_code == 413
    assert "text/html" in declared.headers["content-type"]
    assert f"at most {SMALL_FORM_BYTES} bytes" in declared.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: the count stops it
        yield b"csrf_token=" + token.encode() + b"&next="
        for _ in range(100):
            yield b"b" * 4096

    chunked = web.post(
        "/language",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413
    assert "mc_lang" not in chunked.headers.get("set-cookie", "")
    # Without the CSRF cookie the body is not even looked at.
    with TestClient(create_app(runtime), base_url="https://testserver") as fresh:
        answer = fresh.post(
            "/language",
            content=b"lang=de&next=" + big,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 403


def test_field_limits_are_per_route(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    sign_in(web, staff(runtime, issuer, "issuer"))
    token = csrf(web.get("/console/issue").text)
    many = {f"f{i}": "x" for i in range(30)}
    empty = {"file": ("", b"", "application/octet-stream")}  # multipart, as browsers send
    answer = web.post("/console/issue", data={"csrf_token": token, **many}, files=empty)
    assert answer.status_code == 400
    # The editor takes more fields (its limit) through the same mechanism.
    editor = {f"alignment_name_{i}": "" for i in range(20)}
    answer = web.post(
        "/console/achievements/new",
        data={"csrf_token": token, "name": "Thirty fields", **editor},
        files={"image": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )
    assert answer.status_code != 400
    too_many = {f"f{i}": "x" for i in range(EDITOR_MAX_FIELDS + 1)}
    assert (
        web.post(
            "/console/achievements/new",
            data={"csrf_token": token, **too_many},
            files={"image": ("", b"", "application/octet-stream")},
        ).status_code
        == 400
    )


# ---- defects: a staged upload starts one batch ---------------------------------------------------


def test_two_concurrent_starts_create_one_batch(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(runtime)
    with TestClient(app, base_url="https://testserver") as web:
        sign_in(web, staff(runtime, issuer, "issuer"))
        page = web.get("/console/bulk")
        check = web.post(
            "/console/bulk",
            data={"csrf_token": csrf(page.text), "achievement": achievement_id, "encoding": ""},
            files={"file": ("people.csv", csv_file(3), "text/csv")},
        )
        token = re.search(r'name="token" value="([^"]+)"', check.text)
        assert token
        form = {"csrf_token": csrf(check.text), "token": token.group(1)}
        cookies = dict(web.cookies)

    # Both requests are inside batch creation at the same time, as two quick clicks can be.
    create = runtime.batches.create
    barrier = threading.Barrier(2, timeout=2)

    def slow_create(*args: Any, **kwargs: Any) -> Any:
        # A broken barrier: the other request never got this far, the claim stopped it.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return create(*args, **kwargs)

    monkeypatch.setattr(runtime.batches, "create", slow_create)
    answers: list[int] = []

    def start() -> None:
        # Without the lifespan: two threads must not start the app's consumers twice.
        client = TestClient(app, base_url="https://testserver", cookies=cookies)
        answer = client.post("/console/bulk/start", data=form, follow_redirects=False)
        answers.append(answer.status_code)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers) in ([303, 409], [303, 303])
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BatchRow)) == 1


def test_a_start_that_fails_unexpectedly_can_be_retried(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(runtime)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as web:
        sign_in(web, staff(runtime, issuer, "issuer"))
        page = web.get("/console/bulk")
        check = web.post(
            "/console/bulk",
            data={"csrf_token": csrf(page.text), "achievement": achievement_id, "encoding": ""},
            files={"file": ("people.csv", csv_file(3), "text/csv")},
        )
        token = re.search(r'name="token" value="([^"]+)"', check.text)
        assert token
        form = {"csrf_token": csrf(check.text), "token": token.group(1)}
        create = runtime.batches.create

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the database went away")

        monkeypatch.setattr(runtime.batches, "create", broken)
        failed = web.post("/console/bulk/start", data=form, follow_redirects=False)
        assert failed.status_code == 500
        monkeypatch.setattr(runtime.batches, "create", create)
        retried = web.post("/console/bulk/start", data=form, follow_redirects=False)
        assert retried.status_code == 303
        batch_id = retried.headers["location"].rsplit("/", 1)[1]
        # Started now: a repeated start finds the batch instead of making another.
        again = web.post("/console/bulk/start", data=form, follow_redirects=False)
        assert again.status_code == 303
        assert again.headers["location"].endswith(f"/console/bulk/{batch_id}")
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BatchRow)) == 1
