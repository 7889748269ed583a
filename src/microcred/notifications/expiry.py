"""Reminding a recipient before their credential expires, with the issuer's renewal link.

A periodic job finds active credentials that expire within REMIND_BEFORE and were not reminded
yet, and sends each one message. The reminder's row is written (and committed) before the
message goes: its primary key makes "once per credential" hold when two workers run the job
at the same time. A temporary mail failure removes the row again, so the next run retries; a
worker lost between the commit and the send loses that reminder rather than risking two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from microcred.accounts.actor import Actor
from microcred.errors import InputError, MailError, NotFoundError
from microcred.notifications.branding_repository import BrandingRepository
from microcred.notifications.compose import two_part_message
from microcred.notifications.expiry_repository import ExpiryRepository
from microcred.notifications.mail import Mailer
from microcred.notifications.repository import NotificationRepository
from microcred.notifications.templates import one_line
from microcred.store.db import transaction
from microcred.store.tables import (
    CredentialRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.settings import Settings
    from microcred.urls import PublicUrls

log = logging.getLogger(__name__)

EXPIRY_JOB = "mail.expiry"
EXPIRY_EVERY_MINUTES = 60
REMIND_BEFORE = timedelta(days=30)
RUN_LIMIT = 500  # reminders per run; the next run takes the rest
URL_LIMIT = 2000


@dataclass(frozen=True)
class _Strings:
    subject: str  # {achievement}
    said: str  # {issuer} {achievement} {date}
    renew: str
    view: str


_TEXTS = {
    "en": _Strings(
        "Your credential expires soon: {achievement}",
        "Your credential “{achievement}” from {issuer} expires on {date}.",
        "Renew it here",
        "The credential's page",
    ),
    "de": _Strings(
        "Ihr Nachweis läuft bald ab: {achievement}",
        "Ihr Nachweis „{achievement}“ von {issuer} läuft am {date} ab.",
        "Hier erneuern",
        "Seite des Nachweises",
    ),
    "fr": _Strings(
        "Votre justificatif expire bientôt : {achievement}",
        "Votre justificatif « {achievement} » délivré par {issuer} expire le {date}.",
        "Le renouveler ici",
        "Page du justificatif",
    ),
    "es": _Strings(
        "Su credencial caduca pronto: {achievement}",
        "Su credencial «{achievement}» de {issuer} caduca el {date}.",
        "Renuévela aquí",
        "Página de la credencial",
    ),
}


@dataclass(frozen=True)
class ExpiryReport:
    sent: int
    failed: int


def check_renewal_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or len(url) > URL_LIMIT or not url.isprintable():
        raise InputError(
            "the renewal address is not usable",
            expected=f"an https:// URL of at most {URL_LIMIT} characters",
            found=repr(url)[:80],
        )
    return url


class ExpiryReminderService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        settings: Settings,
        mailer: Mailer,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.settings = settings
        self.mailer = mailer

    # ---- the issuer's renewal link ---------------------------------------------------------

    def set_renewal_url(self, actor: Actor, achievement_id: str, url: str | None) -> None:
        """Where recipients renew credentials of this achievement (None: nowhere)."""
        checked = check_renewal_url(url) if url and url.strip() else None
        with transaction(self.sessions) as session:
            repo = ExpiryRepository(session)
            issuer_id = repo.achievement_issuer(achievement_id)
            if issuer_id is None:
                raise NotFoundError("no such achievement", found=achievement_id)
            actor.require(issuer_id, "issuer")
            repo.set_renewal(achievement_id, checked)

    def renewal_url(self, achievement_id: str) -> str | None:
        with self.sessions() as session:
            return ExpiryRepository(session).renewal(achievement_id)

    # ---- the job ---------------------------------------------------------------------------

    def run(self) -> ExpiryReport:
        now = self.clock()
        with self.sessions() as session:
            due = ExpiryRepository(session).due(now, now + REMIND_BEFORE, RUN_LIMIT)
        sent = failed = 0
        for credential_id in due:
            outcome = self.remind(credential_id, now)
            sent += outcome == "sent"
            failed += outcome == "failed"
        return ExpiryReport(sent=sent, failed=failed)

    def run_job(self) -> dict[str, int]:
        report = self.run()
        return {"sent": report.sent, "failed": report.failed}

    def remind(self, credential_id: str, now: datetime) -> str:
        """``sent``, ``skipped`` (reminded already), ``failed`` or ``retry``."""
        with transaction(self.sessions) as session:
            if not ExpiryRepository(session).claim(credential_id, now):
                return "skipped"  # another run has it
        with self.sessions() as session:
            message = self._message(session, credential_id)
        try:
            self.mailer.send(message)
        except MailError as error:
            if error.temporary:
                with transaction(self.sessions) as session:
                    ExpiryRepository(session).release(credential_id)
                log.warning("expiry reminder for %s: will retry: %s", credential_id, error)
                return "retry"
            log.warning("expiry reminder for %s not delivered: %s", credential_id, error)
            return "failed"
        return "sent"

    def _message(self, session: Session, credential_id: str) -> EmailMessage:
        row = session.get(CredentialRow, credential_id)
        assert row is not None  # the job found it
        assert row.recipient_email
        assert row.valid_until
        branding = BrandingRepository(session).branding(row.issuer_id)
        renewal = (
            ExpiryRepository(session).renewal(row.achievement_id) if row.achievement_id else None
        )
        subject_doc = row.document.get("credentialSubject")
        achievement_doc = subject_doc.get("achievement") if isinstance(subject_doc, dict) else None
        name = achievement_doc.get("name") if isinstance(achievement_doc, dict) else None
        achievement = one_line(name if isinstance(name, str) else "") or "—"
        language = NotificationRepository(session).learner_language(row.recipient_email) or "en"
        strings = _TEXTS.get(language) or _TEXTS["en"]
        lang = language if language in _TEXTS else "en"
        date = row.valid_until.date().isoformat()
        said = strings.said.format(
            issuer=one_line(branding.issuer_name), achievement=achievement, date=date
        )
        link = self.urls.credential(credential_id)
        text = f"{said}\n\n"
        body = f"<p>{escape(said)}</p>\n"
        if renewal is not None:
            text += f"{strings.renew}:\n{renewal}\n\n"
            body += f'<p><a href="{escape(renewal)}">{escape(strings.renew)}</a></p>\n'
        text += f"{strings.view}:\n{link}\n"
        body += f'<p><a href="{escape(link)}">{escape(strings.view)}</a></p>\n'
        message = two_part_message(
            subject=strings.subject.format(achievement=achievement)[:200],
            sender=branding.sender(self.settings.mail_from),
            to=row.recipient_email,
            language=lang,
            text=text,
            body_html=body,
        )
        message.replace_header("Message-ID", f"<expiry-{credential_id}@{self.urls.hostname}>")
        if branding.reply_to:
            message["Reply-To"] = branding.reply_to
        message["Auto-Submitted"] = "auto-generated"
        return message


__all__ = [
    "EXPIRY_EVERY_MINUTES",
    "EXPIRY_JOB",
    "ExpiryReminderService",
    "ExpiryReport",
    "check_renewal_url",
]
