"""The issuer's side of its e-mails: sender name, Reply-To, templates, and a preview.

Owners change them; anyone on the issuer's staff may read them and preview a message. The
preview is the message a recipient would get, built by the same code, with sample names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor
from microcred.notifications.branding import (
    LANGUAGES,
    SAMPLE,
    BrandingRepository,
    IssuerTemplate,
    MailBranding,
)
from microcred.notifications.templates import CredentialMail
from microcred.store.db import transaction


@dataclass(frozen=True)
class Preview:
    sender: str
    reply_to: str | None
    subject: str
    text: str
    html: str


class MailSettingsService:
    def __init__(
        self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime], mail_from: str
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.mail_from = mail_from

    def branding(self, actor: Actor, issuer_id: str) -> MailBranding:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return BrandingRepository(session).branding(issuer_id)

    def save_sender(
        self, actor: Actor, issuer_id: str, sender_name: str | None, reply_to: str | None
    ) -> None:
        actor.require(issuer_id, "owner")
        with transaction(self.sessions) as session:
            BrandingRepository(session).save_sender(issuer_id, sender_name, reply_to, self.clock())

    def save_template(
        self, actor: Actor, issuer_id: str, language: str, template: IssuerTemplate | None
    ) -> None:
        actor.require(issuer_id, "owner")
        with transaction(self.sessions) as session:
            BrandingRepository(session).save_template(issuer_id, language, template, self.clock())

    def preview(
        self,
        actor: Actor,
        issuer_id: str,
        language: str,
        template: IssuerTemplate | None = None,
    ) -> Preview:
        """The message in ``language`` with sample names: with ``template`` (a draft, checked
        first) or else the stored one. Images are shown as their alt text (no cid: here)."""
        branding = self.branding(actor, issuer_id)
        lang = language if language in LANGUAGES else "en"
        custom = template if template is not None else branding.templates.get(lang)
        mail = CredentialMail(
            recipient_name=SAMPLE["recipient_name"],
            achievement_name=SAMPLE["achievement_name"],
            issuer_name=branding.issuer_name,
            credential_url=SAMPLE["credential_url"],
            private_url=SAMPLE["accept_url"],
            language=lang,
            custom=custom,
        )
        text, html = mail.render()
        return Preview(
            sender=branding.sender(self.mail_from),
            reply_to=branding.reply_to,
            subject=mail.subject,
            text=text,
            html=html,
        )


__all__ = ["MailSettingsService", "Preview"]
