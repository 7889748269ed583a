"""What an issuer makes its own in the credential e-mail: sender name, Reply-To, logo, badge
image, and its wording per language.

The issuer's wording is a Jinja2 template run in the sandbox (no attribute access to Python
internals, no imports), with only plain string values in scope. It is rendered twice: once as
text, once autoescaped for the HTML part, so whatever the issuer or a recipient's name holds
arrives in the HTML as text. The frame around it (logo, badge, the "Accept" button, the links)
stays ours, so an issuer cannot drop the link the recipient needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.utils import formataddr, parseaddr
from html import escape

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from microcred.achievements.images import default_badge_svg
from microcred.errors import InputError
from microcred.store.tables import (
    AchievementRow,
    IssuerMailSettingsRow,
    IssuerMailTemplateRow,
    IssuerRow,
)

LANGUAGES = ("en", "de", "fr", "es")
TEMPLATE_LIMIT = 20_000
SUBJECT_LIMIT = 300
SENDER_NAME_LIMIT = 200
# The names a template may use; anything else is an error when it is saved.
VARIABLES = ("recipient_name", "achievement_name", "issuer_name", "credential_url", "accept_url")

_text = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_html = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


@dataclass(frozen=True)
class Image:
    data: bytes
    media_type: str


@dataclass(frozen=True)
class IssuerTemplate:
    subject: str
    body: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: Markup  # paragraphs, escaped


@dataclass(frozen=True)
class MailBranding:
    issuer_name: str
    logo: Image | None = None
    sender_name: str | None = None
    reply_to: str | None = None
    templates: dict[str, IssuerTemplate] = field(default_factory=dict)

    def sender(self, mail_from: str) -> str:
        """The server's From address under the issuer's display name (if it set one)."""
        default_name, address = parseaddr(mail_from)
        return formataddr((self.sender_name or default_name, address), charset="utf-8")


def render(template: IssuerTemplate, values: dict[str, str]) -> Rendered:
    """The issuer's subject and body with ``values``; raises :class:`InputError` for a
    template that does not render (syntax, unknown name, sandbox refusal)."""
    try:
        subject = _text.from_string(template.subject).render(values)
        text = _text.from_string(template.body).render(values)
        html_body = _html.from_string(template.body).render(values)
    except TemplateError as error:
        raise InputError(
            "the e-mail template does not render",
            expected="Jinja2 text using " + ", ".join(f"{{{{ {v} }}}}" for v in VARIABLES),
            found=str(error)[:200],
        ) from error
    # Autoescaped output is safe HTML; blank lines make paragraphs, line breaks <br>.
    paragraphs = [p.strip() for p in html_body.replace("\r\n", "\n").split("\n\n") if p.strip()]
    html = Markup("").join(
        # The sandbox autoescaped every value, so the paragraphs are safe HTML already.
        Markup("<p>{}</p>\n").format(Markup(p.replace("\n", "<br>\n")))  # noqa: S704
        for p in paragraphs
    )
    return Rendered(" ".join(subject.split())[:SUBJECT_LIMIT], text.strip() + "\n", html)


SAMPLE = {
    "recipient_name": "Ada Lovelace",
    "achievement_name": "Data Analysis with Python",
    "issuer_name": "Alpha Academy",
    "credential_url": "https://example.org/credentials/sample",
    "accept_url": "https://example.org/credentials/sample?recipient=sample",
}


def check_template(template: IssuerTemplate) -> None:
    """Refuse what could not be sent: too long, or not rendering with sample values."""
    if not template.subject.strip() or len(template.subject) > SUBJECT_LIMIT:
        raise InputError(
            "the subject is empty or too long",
            expected=f"1 to {SUBJECT_LIMIT} characters",
            found=f"{len(template.subject)} characters",
        )
    if len(template.body) > TEMPLATE_LIMIT:
        raise InputError(
            "the e-mail text is too long",
            expected=f"at most {TEMPLATE_LIMIT} characters",
            found=f"{len(template.body)} characters",
        )
    render(template, SAMPLE)


def check_reply_to(value: str) -> None:
    try:
        parsed = Address(addr_spec=value)
    except (ValueError, IndexError) as error:
        raise InputError(
            "the Reply-To address is not usable", expected="name@domain", found=repr(value)[:80]
        ) from error
    if parsed.addr_spec != value or not value.isascii() or not parsed.domain:
        raise InputError(
            "the Reply-To address is not usable", expected="name@domain", found=repr(value)[:80]
        )


class BrandingRepository:
    """The issuer's mail settings and templates. Takes the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def branding(self, issuer_id: str) -> MailBranding:
        issuer = self.session.get(IssuerRow, issuer_id)
        assert issuer is not None  # foreign keys
        settings = self.session.get(IssuerMailSettingsRow, issuer_id)
        templates = {
            row.language: IssuerTemplate(row.subject, row.body)
            for row in self.session.scalars(
                select(IssuerMailTemplateRow).where(IssuerMailTemplateRow.issuer_id == issuer_id)
            )
        }
        logo = (
            Image(issuer.logo, issuer.logo_media_type)
            if issuer.logo and issuer.logo_media_type
            else None
        )
        return MailBranding(
            issuer_name=issuer.name,
            logo=logo,
            sender_name=settings.sender_name if settings else None,
            reply_to=settings.reply_to if settings else None,
            templates=templates,
        )

    def badge_image(self, achievement_id: str) -> Image | None:
        """The achievement's image, or the badge the public pages draw for it without one."""
        found = self.session.execute(
            select(
                AchievementRow.image,
                AchievementRow.image_media_type,
                AchievementRow.name,
                IssuerRow.name.label("issuer_name"),
            )
            .join(IssuerRow, IssuerRow.id == AchievementRow.issuer_id)
            .where(AchievementRow.id == achievement_id)
        ).first()
        if found is None:
            return None
        if not found.image or not found.image_media_type:
            return Image(default_badge_svg(found.name, found.issuer_name), "image/svg+xml")
        return Image(found.image, found.image_media_type)

    def save_sender(
        self, issuer_id: str, sender_name: str | None, reply_to: str | None, at: datetime
    ) -> None:
        sender_name = " ".join((sender_name or "").split()) or None
        reply_to = (reply_to or "").strip() or None
        if sender_name and len(sender_name) > SENDER_NAME_LIMIT:
            raise InputError(
                "the sender name is too long",
                expected=f"at most {SENDER_NAME_LIMIT} characters",
                found=f"{len(sender_name)} characters",
            )
        if reply_to:
            check_reply_to(reply_to)
        row = self.session.get(IssuerMailSettingsRow, issuer_id)
        if row is None:
            row = IssuerMailSettingsRow(issuer_id=issuer_id, updated_at=at)
            self.session.add(row)
        row.sender_name, row.reply_to, row.updated_at = sender_name, reply_to, at

    def save_template(
        self, issuer_id: str, language: str, template: IssuerTemplate | None, at: datetime
    ) -> None:
        """Store the issuer's wording in ``language``, or remove it (back to ours) for None."""
        if language not in LANGUAGES:
            raise InputError(
                "no e-mail template for this language",
                expected=" or ".join(LANGUAGES),
                found=repr(language)[:20],
            )
        if template is None:
            self.session.execute(
                delete(IssuerMailTemplateRow).where(
                    IssuerMailTemplateRow.issuer_id == issuer_id,
                    IssuerMailTemplateRow.language == language,
                )
            )
            return
        check_template(template)
        row = self.session.get(IssuerMailTemplateRow, (issuer_id, language))
        if row is None:
            row = IssuerMailTemplateRow(issuer_id=issuer_id, language=language, updated_at=at)
            self.session.add(row)
        row.subject, row.body, row.updated_at = template.subject, template.body, at


def escape_line(value: str) -> str:
    return escape(" ".join(value.split()))


__all__ = [
    "LANGUAGES",
    "BrandingRepository",
    "Image",
    "IssuerTemplate",
    "MailBranding",
    "Rendered",
    "check_template",
    "render",
]
