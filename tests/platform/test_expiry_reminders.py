"""The reminder before a credential expires: once per credential, with the issuer's renewal
link when it offers one, sent by the periodic job through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from microcred.accounts.actor import SYSTEM, Actor
from microcred.errors import InputError, PermissionDeniedError
from microcred.runtime import Runtime

from .conftest import FakeClock, IssuerFixture
from .test_notifications import SmtpServer, bodies, issue
from .test_notifications import settings as settings  # the fixtures, reused
from .test_notifications import smtp as smtp_server

smtp = smtp_server
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def test_one_reminder_before_expiry_with_the_renewal_link(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    smtp: SmtpServer,
    clock: FakeClock,
) -> None:
    runtime.expiry_reminders.set_renewal_url(
        SYSTEM, achievement_id, "https://alpha.example/renew?course=1"
    )
    credential_id = issue(runtime, issuer, achievement_id)  # valid for 24 months
    smtp.inbox.messages.clear()

    clock.advance(days=365)
    assert runtime.expiry_reminders.run().sent == 0  # a year left: too early
    clock.advance(days=352)  # 717 days after issue: two weeks before it expires on 2028-03-02
    report = runtime.expiry_reminders.run()
    assert (report.sent, report.failed) == (1, 0)

    [message] = smtp.inbox.messages
    assert message["Subject"] == "Your credential expires soon: Data Analysis with Python"
    assert message["To"] == "ada@example.org"
    assert message["Message-ID"].strip() == f"<expiry-{credential_id}@badges.example.org>"
    text, html = bodies(message)
    assert "expires on 2028-03-02." in text
    assert "Renew it here:\nhttps://alpha.example/renew?course=1" in text.replace("\r\n", "\n")
    assert 'href="https://alpha.example/renew?course=1"' in html
    assert f"https://badges.example.org/credentials/{credential_id}" in text

    clock.advance(days=3)
    assert runtime.expiry_reminders.run().sent == 0  # once per credential
    assert len(smtp.inbox.messages) == 1


def test_no_renewal_link_without_one_and_none_for_revoked_or_expired(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    smtp: SmtpServer,
    clock: FakeClock,
) -> None:
    kept = issue(runtime, issuer, achievement_id, key="a")
    revoked = issue(runtime, issuer, achievement_id, key="b", email_address="bo@example.org")
    runtime.lifecycle.revoke(SYSTEM, issuer.id, revoked, "issued in error")
    smtp.inbox.messages.clear()
    clock.advance(days=717)
    assert runtime.expiry_reminders.run().sent == 1
    [message] = smtp.inbox.messages
    assert message["To"] == "ada@example.org"
    text, _ = bodies(message)
    assert "Renew" not in text
    assert kept in text

    # Past expiry nobody is reminded any more.
    late = issue(runtime, issuer, achievement_id, key="c", email_address="cy@example.org")
    del late
    clock.advance(days=800)
    assert runtime.expiry_reminders.run().sent == 0


def test_a_temporary_refusal_is_retried_by_the_next_run(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    smtp: SmtpServer,
    clock: FakeClock,
) -> None:
    issue(runtime, issuer, achievement_id)
    smtp.inbox.messages.clear()
    clock.advance(days=717)
    smtp.inbox.refuse = 1
    assert runtime.expiry_reminders.run().sent == 0
    assert runtime.expiry_reminders.run().sent == 1
    assert len(smtp.inbox.messages) == 1


def test_the_renewal_link_is_checked_and_the_issuers_own(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    with pytest.raises(InputError, match="renewal"):
        runtime.expiry_reminders.set_renewal_url(SYSTEM, achievement_id, "javascript:alert(1)")
    with pytest.raises(InputError, match="renewal"):
        runtime.expiry_reminders.set_renewal_url(SYSTEM, achievement_id, "http://plain.example")
    viewer = Actor(issuer_id=issuer.id, name="v", role="viewer")
    with pytest.raises(PermissionDeniedError):
        runtime.expiry_reminders.set_renewal_url(viewer, achievement_id, "https://a.example/")
    runtime.expiry_reminders.set_renewal_url(SYSTEM, achievement_id, " https://a.example/r ")
    assert runtime.expiry_reminders.renewal_url(achievement_id) == "https://a.example/r"
    runtime.expiry_reminders.set_renewal_url(SYSTEM, achievement_id, "")
    assert runtime.expiry_reminders.renewal_url(achievement_id) is None
