"""Learner sign-in by e-mailed link: the mail through a real SMTP server, the confirmation
page, single use, expiry, purpose, rate limits, the return address, and bad links."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.errors import LinkInvalidError, RateLimitedError
from microcred.jobs.tasks import register_tasks
from microcred.learners.mail import ADD_EMAIL
from microcred.learners.service import LINK_JOB, SignedIn
from microcred.runtime import Runtime
from microcred.store.tables import (
    LearnerEmailRow,
    LearnerRateRow,
    LearnerRow,
    LearnerSessionRow,
    LearnerTokenRow,
)

from .conftest import FakeClock
from .learners_support import browser, csrf, follow, link_in, link_path, web
from .test_notifications import RetryingQueue, SmtpServer, settings, smtp

__all__ = ["settings", "smtp", "web"]  # fixtures used here


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))


def ask(client: TestClient, email: str, **headers: str) -> tuple[int, str]:
    form = client.get("/sign-in", headers=headers)
    answer = client.post(
        "/sign-in",
        data={"email": email, "next": "/account", "csrf_token": csrf(form.text)},
        headers=headers,
    )
    return answer.status_code, answer.text


def count(runtime: Runtime, table: type[object]) -> int:
    with runtime.sessions() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_mailed_link_signs_in_and_makes_the_account_once(
    runtime: Runtime, web: TestClient, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    status, page = ask(web, "Ada@Example.org")
    assert status == 200
    assert "Check your mail" in page
    [message] = smtp.inbox.messages
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Your microcred sign-in link"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "Sign in" in html.get_content()
    path = link_in(message)
    token = path.rsplit("/", 1)[1]

    # Opening the link (as a mail scanner would, twice) uses nothing: the button does.
    for _ in range(2):
        confirm = web.get(path)
        assert confirm.status_code == 200
        assert "ada@example.org" in confirm.text
        assert confirm.headers["cache-control"] == "no-store"
        assert confirm.headers["referrer-policy"] == "no-referrer"
    assert count(runtime, LearnerRow) == 0
    answer = web.post(path, data={"csrf_token": csrf(confirm.text)})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("mc_learner=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" in cookie

    account = web.get("/account")
    assert account.status_code == 200
    assert "ada@example.org" in account.text
    with runtime.sessions() as session:
        [email] = session.execute(select(LearnerEmailRow)).scalars().all()
        assert email.email == "ada@example.org"
        [row] = session.execute(select(LearnerTokenRow)).scalars().all()
        # Only the digest is stored, and the link is spent.
        assert row.token_hash != token
        assert len(row.token_hash) == 64
        assert row.used_at is not None
    # Our own logs never hold the token (the test's SMTP server and HTTP client log theirs).
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("microcred")]
    assert not any(token in line for line in ours)

    # A replayed link: a clear page, no second session, nothing changed.
    again = browser(runtime)
    with again:
        used = again.get(path)
        assert used.status_code == 400
        assert "This link does not work" in used.text
        replay = again.post(path, data={"csrf_token": csrf(used.text)})
        assert replay.status_code == 400
        assert "mc_learner" not in replay.headers.get("set-cookie", "")
    assert count(runtime, LearnerSessionRow) == 1
    assert count(runtime, LearnerRow) == 1

    # Signing in again with the same address finds the same learner.
    with browser(runtime) as laptop:
        ask(laptop, "ada@example.org")
        follow(laptop, link_in(smtp.inbox.messages[-1]))
        assert "ada@example.org" in laptop.get("/account").text
    assert count(runtime, LearnerRow) == 1
    assert count(runtime, LearnerSessionRow) == 2


def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    runtime: Runtime, web: TestClient
) -> None:
    runtime.learners.sign_in(
        link_path(runtime.learners.issue_sign_in_link("known@example.org")).split("/")[-1]
    )
    known = ask(web, "known@example.org")
    unknown = ask(web, "nobody@example.org")

    def strip(text: str) -> str:
        return text.replace(csrf(text), "")

    assert known[0] == unknown[0] == 200
    assert strip(known[1]) == strip(unknown[1])


def test_the_mail_is_in_the_visitors_language(
    runtime: Runtime, web: TestClient, smtp: SmtpServer
) -> None:
    web.cookies.set("mc_lang", "de")
    ask(web, "eva@example.org", **{"accept-language": "de"})
    [message] = smtp.inbox.messages
    assert message["Subject"] == "Ihr Anmeldelink für microcred"
    assert message["Content-Language"] == "de"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "Anmelden" in text.get_content()


def test_a_link_expires_after_15_minutes_and_serves_one_purpose(
    runtime: Runtime, web: TestClient, clock: FakeClock
) -> None:
    path = link_path(runtime.learners.issue_sign_in_link("ada@example.org"))
    clock.advance(minutes=15)
    assert web.get(path).status_code == 400
    token = path.rsplit("/", 1)[1]
    with pytest.raises(LinkInvalidError):
        runtime.learners.sign_in(token)

    # A sign-in link does not add an address, nor the other way round.
    token = link_path(runtime.learners.issue_sign_in_link("ada@example.org")).rsplit("/", 1)[1]
    assert web.get(f"/account/emails/verify/{token}").status_code == 400
    with pytest.raises(LinkInvalidError):
        runtime.learners.confirm_email(token)
    signed = runtime.learners.sign_in(token)
    add = runtime.learners._issue(ADD_EMAIL, "second@example.org", signed.learner_id, None)
    assert web.get(f"/sign-in/{add}").status_code == 400
    with pytest.raises(LinkInvalidError):
        runtime.learners.sign_in(add)


def test_two_uses_of_one_link_at_once_give_one_session(runtime: Runtime) -> None:
    token = link_path(runtime.learners.issue_sign_in_link("ada@example.org")).rsplit("/", 1)[1]
    results: list[SignedIn | Exception] = []
    start = threading.Barrier(4)

    def use() -> None:
        start.wait()
        try:
            results.append(runtime.learners.sign_in(token))
        except Exception as error:
            results.append(error)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, SignedIn) for r in results) == 1
    assert sum(isinstance(r, LinkInvalidError) for r in results) == 3
    assert count(runtime, LearnerSessionRow) == 1
    assert count(runtime, LearnerRow) == 1


@pytest.mark.parametrize("forged", ["x" * 43, "A" * 300, "..%2F..%2Fetc", "%00"])
def test_a_forged_link_is_refused_and_changes_nothing(
    runtime: Runtime, web: TestClient, forged: str
) -> None:
    runtime.learners.issue_sign_in_link("ada@example.org")
    page = web.get(f"/sign-in/{forged}")
    assert page.status_code in (400, 404)
    token_page = web.get("/sign-in")
    answer = web.post(f"/sign-in/{forged}", data={"csrf_token": csrf(token_page.text)})
    assert answer.status_code in (400, 404)
    assert count(runtime, LearnerRow) == 0
    assert count(runtime, LearnerSessionRow) == 0
    with runtime.sessions() as session:
        assert session.execute(select(LearnerTokenRow.used_at)).scalar_one() is None


def test_a_confirmation_without_the_form_token_is_refused(
    runtime: Runtime, web: TestClient
) -> None:
    path = link_path(runtime.learners.issue_sign_in_link("ada@example.org"))
    web.get(path)
    assert web.post(path, data={"csrf_token": "forged"}).status_code == 403
    assert web.post(path, data={"csrf_token": csrf(web.get(path).text)}).status_code == 303


def test_links_are_rate_limited_per_address_with_retry_after(
    runtime: Runtime, web: TestClient, clock: FakeClock
) -> None:
    for _ in range(5):
        assert ask(web, "ada@example.org")[0] == 200
    clock.advance(minutes=20)
    status, page = ask(web, "ADA@example.org")
    assert status == 429
    assert "Too many links asked for" in page
    assert "40 min" in page
    answer = web.post(
        "/sign-in",
        data={"email": "ada@example.org", "csrf_token": csrf(web.get("/sign-in").text)},
    )
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == str(40 * 60)
    # Another address is still fine; the first again once its hour is over.
    assert ask(web, "bob@example.org")[0] == 200
    clock.advance(minutes=40)
    assert ask(web, "ada@example.org")[0] == 200


def test_links_are_rate_limited_per_client_across_workers(
    runtime: Runtime, web: TestClient, clock: Callable[[], datetime]
) -> None:
    # A second runtime over the same database stands for another worker process.
    other = Runtime(runtime.settings, clock=clock)
    try:
        for n in range(20):
            service = (runtime if n % 2 else other).learners
            service.request_sign_in(f"user{n}@example.org", client="203.0.113.9", language="en")
        with pytest.raises(RateLimitedError) as raised:
            runtime.learners.request_sign_in("new@example.org", client="203.0.113.9", language="en")
        assert raised.value.retry_after == 3600
        other.learners.request_sign_in("new@example.org", client="198.51.100.1", language="en")
    finally:
        other.close()
    with runtime.sessions() as session:
        keys = session.execute(select(LearnerRateRow.key)).scalars().all()
    assert not any("example.org" in key or "203.0.113.9" in key for key in keys)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/wallet?tab=1", "/wallet?tab=1"),
        ("//evil.example/x", "/account"),
        ("https://evil.example/", "/account"),
        ("/\\evil.example", "/account"),
        ("javascript:alert(1)", "/account"),
    ],
)
def test_next_only_returns_to_a_local_path(
    runtime: Runtime, web: TestClient, target: str, expected: str
) -> None:
    form = web.get("/sign-in", params={"next": target})
    assert form.status_code == 200
    answer = web.post(
        "/sign-in",
        data={"email": "ada@example.org", "next": target, "csrf_token": csrf(form.text)},
    )
    assert answer.status_code == 200
    path = link_path(runtime.learners.issue_sign_in_link("ada@example.org", target))
    page = web.get(path)
    done = web.post(path, data={"csrf_token": csrf(page.text)})
    assert done.headers["location"] == expected


def test_a_bad_address_is_a_clear_error(runtime: Runtime, web: TestClient) -> None:
    status, page = ask(web, "not an address")
    assert status == 422
    assert "name@example.org" in page
    assert count(runtime, LearnerTokenRow) == 0


def test_a_temporary_mail_failure_is_retried_by_the_queue(
    runtime: Runtime, smtp: SmtpServer
) -> None:
    queue = RetryingQueue()
    runtime.__dict__["queue"] = queue
    register_tasks(
        queue,  # type: ignore[arg-type]
        batches=lambda: runtime.batches,
        notifications=lambda: runtime.notifications,
        witness=lambda: runtime.witness,
        learners=lambda: runtime.learners,
    )
    smtp.inbox.refuse = 1
    runtime.learners.request_sign_in("ada@example.org", client="127.0.0.1", language="en")
    assert queue.runs.count(LINK_JOB) == 2
    [message] = smtp.inbox.messages
    # The try whose message never left made a token too; only the sent one works.
    assert count(runtime, LearnerTokenRow) == 2
    signed = runtime.learners.sign_in(link_in(message).rsplit("/", 1)[1])
    assert runtime.learners.emails(signed.learner_id) == ("ada@example.org",)


def test_a_session_lasts_30_days_idle_and_never_90_days_past_sign_in(
    runtime: Runtime, web: TestClient, clock: FakeClock
) -> None:
    # docs/design/learners.md: 30 days after last seen, at most 90 after signing in.
    idle = browser(runtime)
    follow(idle, link_path(runtime.learners.issue_sign_in_link("bob@example.org")))
    follow(web, link_path(runtime.learners.issue_sign_in_link("ada@example.org")))
    assert web.get("/account").status_code == 200
    for _ in range(3):  # seen every 29 days: still signed in, until day 87
        clock.advance(days=29)
        assert web.get("/account").status_code == 200
    assert idle.get("/account").status_code == 303  # unseen for 87 days
    clock.advance(days=2, hours=23)  # day 89 and 23 hours: still in
    assert web.get("/account").status_code == 200
    clock.advance(hours=1)  # 90 days since sign-in, seen an hour ago: out all the same
    answer = web.get("/account")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in")
    idle.close()
