"""The credential e-mail as the issuer makes it its own: sender name and Reply-To (the envelope
stays the server's), logo and badge image carried inline, the "Accept your badge" button, and
the issuer's wording per language, rendered in the sandbox and escaped."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import update

from microcred.accounts.actor import SYSTEM, Actor
from microcred.errors import InputError, NotFoundError, PermissionDeniedError
from microcred.notifications.branding import IssuerTemplate
from microcred.runtime import Runtime
from microcred.store.tables import LearnerRow

from .conftest import IssuerFixture
from .test_notifications import SmtpServer, bodies, issue
from .test_notifications import settings as settings  # the fixtures, reused
from .test_notifications import smtp as smtp_server
from .wallet_support import make_learner

smtp = smtp_server

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def images(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    """Content-ID (without <>) -> (media type, bytes) of the inline parts."""
    found = {}
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[cid.strip("<>")] = (part.get_content_type(), payload)
    return found


def test_the_message_carries_logo_badge_and_accept_button(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    runtime.issuers.set_logo(SYSTEM, issuer.id, PNG)
    credential_id = issue(runtime, issuer, achievement_id)

    [message] = smtp.inbox.messages
    assert message.get_content_type() == "multipart/related"
    carried = images(message)
    logo = f"logo-{issuer.id}@badges.example.org"
    badge = f"badge-{achievement_id}@badges.example.org"
    assert carried[logo] == ("image/png", PNG)
    assert carried[badge][0] == "image/svg+xml"  # the achievement's generated badge
    assert carried[badge][1].startswith(b"<svg")
    text, html = bodies(message)
    assert f'src="cid:{logo}"' in html
    assert f'src="cid:{badge}"' in html
    private = runtime.recipients.private_url(credential_id)
    assert f'<a href="{private}" style="' in html
    assert ">Accept your badge</a>" in html
    assert f"Accept your badge:\n{private}\n" in text
    assert message["Content-Language"] == "en"


def test_the_issuer_names_the_sender_and_the_reply_address(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    runtime.mail_settings.save_sender(
        SYSTEM, issuer.id, "Alpha Academy Registrar", "desk@alpha.example"
    )
    issue(runtime, issuer, achievement_id)

    [message] = smtp.inbox.messages
    assert message["From"] == "Alpha Academy Registrar <no-reply@localhost>"
    assert message["Reply-To"] == "desk@alpha.example"
    # SPF and DKIM are the server's: the envelope sender does not change.
    assert smtp.inbox.envelopes == [("no-reply@localhost", ["ada@example.org"])]


def test_a_sender_name_beyond_ascii_and_an_unusable_reply_to(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    with pytest.raises(InputError, match="Reply-To"):
        runtime.mail_settings.save_sender(SYSTEM, issuer.id, "X", "a@b.example, c@d.example")
    with pytest.raises(InputError, match="Reply-To"):
        runtime.mail_settings.save_sender(SYSTEM, issuer.id, "X", "x@y.example\r\nBcc: e@f")
    runtime.mail_settings.save_sender(SYSTEM, issuer.id, "Académie\nBcc: evil@x", None)
    issue(runtime, issuer, achievement_id)
    [message] = smtp.inbox.messages
    assert message["From"] == '"Académie Bcc: evil@x" <no-reply@localhost>'
    assert message["Bcc"] is None
    assert message["Reply-To"] is None


def test_the_issuers_wording_in_the_recipients_language_escaped(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    learner = make_learner(runtime, "ada@example.org")
    with runtime.sessions.begin() as session:
        session.execute(
            update(LearnerRow).where(LearnerRow.id == learner).values(settings={"language": "de"})
        )
    runtime.mail_settings.save_template(
        SYSTEM,
        issuer.id,
        "de",
        IssuerTemplate(
            "Glückwunsch, {{ recipient_name }}: {{ achievement_name }}",
            "Liebe(r) {{ recipient_name }},\n\nSie haben {{ achievement_name }} bestanden.",
        ),
    )
    runtime.mail_settings.save_template(
        SYSTEM, issuer.id, "fr", IssuerTemplate("Bravo", "Bravo {{ recipient_name }}")
    )
    issue(runtime, issuer, achievement_id, name="<b>Ada</b> & Co")

    [message] = smtp.inbox.messages
    assert message["Subject"] == "Glückwunsch, <b>Ada</b> & Co: Data Analysis with Python"
    assert message["Content-Language"] == "de"
    text, html = bodies(message)
    text = text.replace("\r\n", "\n")
    assert text.startswith("Liebe(r) <b>Ada</b> & Co,\n\nSie haben Data Analysis")
    assert "<p>Liebe(r) &lt;b&gt;Ada&lt;/b&gt; &amp; Co,</p>" in html
    assert "<b>Ada</b>" not in html
    assert ">Abzeichen annehmen</a>" in html  # our frame, translated
    assert '<html lang="de">' in html


def test_without_the_issuers_wording_in_a_language_ours_is_used(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    runtime.mail_settings.save_template(SYSTEM, issuer.id, "fr", IssuerTemplate("Bravo", "Bravo"))
    issue(runtime, issuer, achievement_id)  # no learner account: English
    [message] = smtp.inbox.messages
    assert message["Subject"] == "Alpha Academy issued you a credential: Data Analysis with Python"


@pytest.mark.parametrize(
    ("subject", "body", "found"),
    [
        ("Hi", "{{ recipient_name", "unexpected end of template"),
        ("Hi", "{{ password }}", "'password' is undefined"),
        ("Hi", "{{ issuer_name.__class__.__mro__ }}", "unsafe"),
        ("Hi", "{{ ''.__class__ }}", "unsafe"),
        ("", "body", "characters"),
    ],
)
def test_templates_that_cannot_be_sent_are_refused_when_saved(
    runtime: Runtime, issuer: IssuerFixture, subject: str, body: str, found: str
) -> None:
    with pytest.raises(InputError) as caught:
        runtime.mail_settings.save_template(SYSTEM, issuer.id, "en", IssuerTemplate(subject, body))
    assert found in str(caught.value.found)
    assert runtime.mail_settings.branding(SYSTEM, issuer.id).templates == {}


def test_only_owners_change_mail_settings_and_only_their_own(
    runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    viewer = Actor(issuer_id=issuer.id, name="v", role="viewer")
    with pytest.raises(PermissionDeniedError):
        runtime.mail_settings.save_sender(viewer, issuer.id, "X", None)
    with pytest.raises(PermissionDeniedError):
        runtime.mail_settings.save_template(viewer, issuer.id, "en", None)
    owner_elsewhere = Actor(issuer_id=other_issuer.id, name="o", role="owner")
    with pytest.raises(NotFoundError):  # another issuer's settings do not exist for them
        runtime.mail_settings.save_sender(owner_elsewhere, issuer.id, "X", None)
    preview = runtime.mail_settings.preview(viewer, issuer.id, "es")
    assert (
        preview.subject == "Alpha Academy le ha emitido una credencial: Data Analysis with Python"
    )
    assert "Aceptar su insignia" in preview.html
