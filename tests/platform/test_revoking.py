"""Issue 19, "revoking": the console asks for a reason and a confirmation, the recipient is
told by e-mail (revoke, suspend, reinstate; through a real SMTP server on loopback), the
verifier's headline says "Revoked" with the reason, and a revoked public page offers nothing
to download or share."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.notifications.status_mail import LANGUAGES, MOVES, status_message
from microcred.runtime import Runtime
from microcred.store.tables import LearnerRow
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_notifications import SmtpServer, settings, smtp
from tests.platform.test_pages import HTML, csrf, sign_in, staff
from tests.platform.wallet_support import make_learner

__all__ = ["settings", "smtp"]  # fixtures used here

ADA = "ada@example.org"


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def give(runtime: Runtime, issuer: IssuerFixture, achievement_id: str, **recipient: str) -> str:
    recipient = recipient or {"email": ADA, "name": "Ada"}
    (row,) = runtime.issuance.issue(SYSTEM, issuer.id, [IssueRequest(achievement_id, **recipient)])  # type: ignore[arg-type]
    return row.id


def plain(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


def html_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    text: str = body.get_content()
    return text


# ---- the recipient's e-mail ----------------------------------------------------------------------


def test_revoking_tells_the_recipient_once_with_the_reason(
    runtime: Runtime, smtp: SmtpServer, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential = give(runtime, issuer, achievement_id)
    smtp.inbox.messages.clear()  # the issuance e-mail
    runtime.lifecycle.revoke(SYSTEM, issuer.id, credential, "Assessment plagiarised")
    [message] = smtp.inbox.messages
    assert message["To"] == ADA
    assert message["Subject"] == "Your credential was revoked: Data Analysis with Python"
    assert message["Content-Language"] == "en"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith(f"<status-revoked-{credential}-")
    text = plain(message)
    assert "Alpha Academy has revoked your credential “Data Analysis with Python”." in text
    assert "The reason given: Assessment plagiarised" in text
    assert runtime.urls.credential(credential) in text
    assert "Assessment plagiarised" in html_part(message)


def test_suspending_and_reinstating_are_each_told(
    runtime: Runtime, smtp: SmtpServer, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential = give(runtime, issuer, achievement_id)
    smtp.inbox.messages.clear()
    runtime.lifecycle.suspend(SYSTEM, issuer.id, credential, "under review")
    runtime.lifecycle.reinstate(SYSTEM, issuer.id, credential)
    suspended, reinstated = smtp.inbox.messages
    assert suspended["Subject"] == "Your credential was suspended: Data Analysis with Python"
    assert "The reason given: under review" in plain(suspended)
    assert reinstated["Subject"] == "Your credential is valid again: Data Analysis with Python"
    assert "under review" not in plain(reinstated)  # the suspension's reason is over
    assert suspended["Message-ID"] != reinstated["Message-ID"]


def test_the_mail_is_in_the_language_of_the_learner_holding_the_address(
    runtime: Runtime, smtp: SmtpServer, issuer: IssuerFixture, achievement_id: str
) -> None:
    learner = make_learner(runtime, ADA)
    with runtime.sessions.begin() as session:
        row = session.get(LearnerRow, learner)
        assert row is not None
        row.settings = {"language": "de"}
    credential = give(runtime, issuer, achievement_id)
    smtp.inbox.messages.clear()
    runtime.lifecycle.revoke(SYSTEM, issuer.id, credential, "Fehler")
    [message] = smtp.inbox.messages
    assert message["Content-Language"] == "de"
    assert message["Subject"] == "Ihr Nachweis wurde widerrufen: Data Analysis with Python"
    assert "Angegebener Grund: Fehler" in plain(message)


def test_a_recipient_without_an_address_is_not_mailed_and_the_move_stands(
    runtime: Runtime, smtp: SmtpServer, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential = give(runtime, issuer, achievement_id, did="did:example:ada")
    smtp.inbox.messages.clear()
    assert runtime.lifecycle.revoke(SYSTEM, issuer.id, credential, "x").state == "revoked"
    assert smtp.inbox.messages == []


def test_a_mail_server_that_refuses_does_not_undo_the_revocation(
    runtime: Runtime,
    smtp: SmtpServer,
    issuer: IssuerFixture,
    achievement_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    credential = give(runtime, issuer, achievement_id)
    smtp.inbox.messages.clear()
    smtp.inbox.refuse, smtp.inbox.refusal = -1, "550 5.1.1 No such mailbox"
    runtime.lifecycle.revoke(SYSTEM, issuer.id, credential, "x")
    assert runtime.credentials.get(SYSTEM, issuer.id, credential).state == "revoked"
    assert smtp.inbox.messages == []
    assert "status e-mail for a credential not delivered" in caplog.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("move", MOVES)
def test_every_language_tells_every_move_and_escapes_names(language: str, move: str) -> None:
    message = status_message(
        move=move,
        language=language,
        issuer="Alpha <i>Academy</i>",
        achievement="<b>Welding</b>\nLevel 2",
        reason="<script>x</script>",
        link="https://badges.example.org/credentials/1",
        to=ADA,
        sender="microcred <badges@example.org>",
    )
    assert message["Content-Language"] == language
    assert "\n" not in message["Subject"]
    assert "<b>Welding</b> Level 2" in message["Subject"]
    html = html_part(message)
    assert "&lt;b&gt;Welding&lt;/b&gt; Level 2" in html
    assert "<b>Welding" not in html
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    if language != "en":  # the words are the language's own, not English left in
        english = status_message(
            move=move,
            language="en",
            issuer="Alpha <i>Academy</i>",
            achievement="<b>Welding</b>\nLevel 2",
            reason=None,
            link="https://x",
            to=ADA,
            sender=ADA,
        )
        assert message["Subject"] != english["Subject"]


# ---- the console -------------------------------------------------------------------------------


def test_the_console_asks_to_confirm_a_revocation(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential = give(runtime, issuer, achievement_id)
    sign_in(web, staff(runtime, issuer, "issuer"))
    page = web.get(f"/console/credentials/{credential}")
    assert re.search(
        r'id="confirm-revoke" name="confirm" type="checkbox" value="yes" required', page.text
    )
    token = csrf(page.text)
    unconfirmed = web.post(
        f"/console/credentials/{credential}/revoke", data={"reason": "x", "csrf_token": token}
    )
    assert unconfirmed.status_code == 422
    assert "confirm that revoking is final" in unconfirmed.text
    assert runtime.credentials.get(SYSTEM, issuer.id, credential).state == "active"
    no_reason = web.post(
        f"/console/credentials/{credential}/revoke",
        data={"reason": " ", "confirm": "yes", "csrf_token": token},
    )
    assert no_reason.status_code == 422
    assert "a reason is required" in no_reason.text
    done = web.post(
        f"/console/credentials/{credential}/revoke",
        data={"reason": "issued in error", "confirm": "yes", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert runtime.credentials.get(SYSTEM, issuer.id, credential).state == "revoked"
    # Suspending needs no confirmation: it can be lifted.
    other = give(runtime, issuer, achievement_id)
    suspended = web.post(
        f"/console/credentials/{other}/suspend",
        data={"reason": "check", "csrf_token": token},
        follow_redirects=False,
    )
    assert suspended.status_code == 303


# ---- the verifier and the public page ------------------------------------------------------------


def verdict(web: TestClient, runtime: Runtime, credential: str) -> str:
    """The verify page's headline (its attributes, then its text) for the credential."""
    document = runtime.credentials.get_public(credential).document
    form = web.get("/verify")
    answer = web.post("/verify", data={"text": json.dumps(document), "csrf_token": csrf(form.text)})
    assert answer.status_code == 200
    found = re.search(r'<h2 id="verdict"([^>]*)>([^<]+)</h2>', answer.text)
    assert found is not None
    return f"{found.group(1).strip()} {found.group(2)}"


def test_the_verdict_headline_says_revoked_or_suspended_with_the_reason(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    revoked = give(runtime, issuer, achievement_id)
    suspended = give(runtime, issuer, achievement_id)
    valid = give(runtime, issuer, achievement_id)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, revoked, "Assessment plagiarised")
    runtime.lifecycle.suspend(SYSTEM, issuer.id, suspended, "under review")
    assert verdict(web, runtime, revoked) == (
        'data-withdrawn="revoked" Revoked by its issuer: Assessment plagiarised'
    )
    assert verdict(web, runtime, suspended) == (
        'data-withdrawn="suspended" Suspended by its issuer: under review'
    )
    assert verdict(web, runtime, valid) == " This credential is verified."


def test_a_revoked_public_page_offers_no_download_or_linkedin(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    revoked = give(runtime, issuer, achievement_id)
    valid = give(runtime, issuer, achievement_id)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, revoked, "issued in error")
    shown = web.get(f"/credentials/{valid}", headers=HTML).text
    gone = web.get(f"/credentials/{revoked}", headers=HTML).text
    for marker in ('id="linkedin-add"', 'id="linkedin-share"', "/badge.png", 'id="certificate"'):
        assert marker in shown
        assert marker not in gone
    assert 'id="withdrawn-share"' in gone
    assert "issued in error" in gone
