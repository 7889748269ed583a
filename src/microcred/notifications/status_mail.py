"""Telling a recipient by e-mail that their credential was revoked, suspended or reinstated.

The lifecycle service calls :meth:`StatusMailService.changed` after its transaction commits;
that queues one job, which reads the credential as it is then and sends one message to the
address it was issued to, in the language of the learner account holding that address (else
English), with the reason the issuer gave and a link to the public page. The Message-ID is
made from the credential, the move and its time, so a retried job's message is recognisably
the same one downstream. A move that a later one overtook before the job ran (suspended, then
reinstated at once) is still told as it happened.

Strings live here per language, like the learner account's mails (jobs run below the web
layer). Names and reasons are the issuer's text: one line each, escaped in the HTML part.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from html import escape
from typing import TYPE_CHECKING

from microcred.errors import MailError
from microcred.notifications.branding_repository import BrandingRepository
from microcred.notifications.compose import two_part_message
from microcred.notifications.mail import Mailer
from microcred.notifications.repository import NotificationRepository
from microcred.notifications.templates import one_line
from microcred.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.jobs.queue import JobQueue
    from microcred.urls import PublicUrls

log = logging.getLogger(__name__)

STATUS_MAIL_JOB = "mail.status"
STATUS_MAIL_RETRIES = 4
MOVES = ("revoked", "suspended", "reinstated")
LANGUAGES = ("en", "de", "fr", "es")


@dataclass(frozen=True)
class _Strings:
    subject: dict[str, str]  # per move, with {achievement}
    said: dict[str, str]  # per move, with {issuer} and {achievement}
    reason: str
    link: str
    why: dict[str, str]  # per move: what it means for the recipient


_TEXTS: dict[str, _Strings] = {
    "en": _Strings(
        {
            "revoked": "Your credential was revoked: {achievement}",
            "suspended": "Your credential was suspended: {achievement}",
            "reinstated": "Your credential is valid again: {achievement}",
        },
        {
            "revoked": "{issuer} has revoked your credential “{achievement}”.",
            "suspended": "{issuer} has suspended your credential “{achievement}”.",
            "reinstated": "{issuer} has lifted the suspension of your credential “{achievement}”.",
        },
        "The reason given",
        "The credential's public page",
        {
            "revoked": "Anyone who verifies it is told that it was revoked. This cannot be undone.",
            "suspended": "Until the issuer reinstates it, anyone who verifies it is told that it "
            "is suspended.",
            "reinstated": "It verifies as valid again.",
        },
    ),
    "de": _Strings(
        {
            "revoked": "Ihr Nachweis wurde widerrufen: {achievement}",
            "suspended": "Ihr Nachweis wurde ausgesetzt: {achievement}",
            "reinstated": "Ihr Nachweis ist wieder gültig: {achievement}",
        },
        {
            "revoked": "{issuer} hat Ihren Nachweis „{achievement}“ widerrufen.",
            "suspended": "{issuer} hat Ihren Nachweis „{achievement}“ ausgesetzt.",
            "reinstated": "{issuer} hat die Aussetzung Ihres Nachweises „{achievement}“ "
            "aufgehoben.",
        },
        "Angegebener Grund",
        "Öffentliche Seite des Nachweises",
        {
            "revoked": "Wer ihn prüft, erfährt, dass er widerrufen wurde. Das lässt sich nicht "
            "rückgängig machen.",
            "suspended": "Bis der Aussteller ihn wieder in Kraft setzt, erfährt jeder Prüfende, "
            "dass er ausgesetzt ist.",
            "reinstated": "Er wird wieder als gültig geprüft.",
        },
    ),
    "fr": _Strings(
        {
            "revoked": "Votre justificatif a été révoqué : {achievement}",
            "suspended": "Votre justificatif a été suspendu : {achievement}",
            "reinstated": "Votre justificatif est de nouveau valide : {achievement}",
        },
        {
            "revoked": "{issuer} a révoqué votre justificatif « {achievement} ».",
            "suspended": "{issuer} a suspendu votre justificatif « {achievement} ».",
            "reinstated": "{issuer} a levé la suspension de votre justificatif « {achievement} ».",
        },
        "Motif indiqué",
        "Page publique du justificatif",
        {
            "revoked": "Quiconque le vérifie apprend qu’il a été révoqué. C’est définitif.",
            "suspended": "Tant que l’émetteur ne l’a pas rétabli, quiconque le vérifie apprend "
            "qu’il est suspendu.",
            "reinstated": "Il est de nouveau vérifié comme valide.",
        },
    ),
    "es": _Strings(
        {
            "revoked": "Su credencial ha sido revocada: {achievement}",
            "suspended": "Su credencial ha sido suspendida: {achievement}",
            "reinstated": "Su credencial vuelve a ser válida: {achievement}",
        },
        {
            "revoked": "{issuer} ha revocado su credencial «{achievement}».",
            "suspended": "{issuer} ha suspendido su credencial «{achievement}».",
            "reinstated": "{issuer} ha levantado la suspensión de su credencial «{achievement}».",
        },
        "Motivo indicado",
        "Página pública de la credencial",
        {
            "revoked": "Quien la verifique sabrá que fue revocada. No se puede deshacer.",
            "suspended": "Hasta que el emisor la restablezca, quien la verifique sabrá que está "
            "suspendida.",
            "reinstated": "Vuelve a verificarse como válida.",
        },
    ),
}


def status_message(
    *,
    move: str,
    language: str,
    issuer: str,
    achievement: str,
    reason: str | None,
    link: str,
    to: str,
    sender: str,
) -> EmailMessage:
    """The message telling ``to`` of ``move`` (English when the language is not offered)."""
    lang = language if language in LANGUAGES else "en"
    strings = _TEXTS[lang]
    issuer, achievement = one_line(issuer), one_line(achievement)
    said = strings.said[move].format(issuer=issuer, achievement=achievement)
    why = strings.why[move]
    told_reason = one_line(reason) if reason else ""
    text = f"{said}\n\n"
    body_html = f"<p>{escape(said)}</p>\n"
    if told_reason:
        text += f"{strings.reason}: {told_reason}\n\n"
        body_html += f"<p><strong>{escape(strings.reason)}:</strong> {escape(told_reason)}</p>\n"
    text += f"{why}\n\n{strings.link}:\n{link}\n"
    body_html += (
        f'<p>{escape(why)}</p>\n<p><a href="{escape(link)}">{escape(strings.link)}</a></p>\n'
    )
    subject = strings.subject[move].format(achievement=achievement)[:200]
    return two_part_message(
        subject=subject, sender=sender, to=to, language=lang, text=text, body_html=body_html
    )


class StatusMailService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        queue: JobQueue,
        urls: PublicUrls,
        settings: Settings,
        mailer: Mailer,
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.urls = urls
        self.settings = settings
        self.mailer = mailer

    def changed(self, credential_id: str, move: str, at: datetime) -> None:
        """After a move committed: queue its message. The move stands whatever happens here
        (a queue that is down, or an immediate send that failed, is logged)."""
        try:
            self.queue.enqueue(STATUS_MAIL_JOB, credential_id, move, at.isoformat())
        except MailError as error:
            log.warning("status e-mail for a credential not sent yet: %s", error.message)
        except Exception:
            log.exception("could not queue the status e-mail for a credential")

    def send_job(self, credential_id: str, move: str, at: str) -> str:
        """Send the message; ``sent``, or ``skipped`` (no address, credential gone). A
        temporary failure raises for the queue to retry; a permanent one is logged."""
        if move not in MOVES:
            return "skipped"
        with self.sessions() as session:
            repo = NotificationRepository(session)
            found = repo.status_mail_fields(credential_id)
            if found is None:
                return "skipped"
            row, achievement, issuer = found
            address = row.recipient_email
            if not address:
                return "skipped"
            language = repo.learner_language(address) or "en"
            reason = row.state_reason if move != "reinstated" else None
            branding = BrandingRepository(session).branding(row.issuer_id)
        message = status_message(
            move=move,
            language=language,
            issuer=issuer,
            achievement=achievement,
            reason=reason,
            link=self.urls.credential(credential_id),
            to=address,
            sender=branding.sender(self.settings.mail_from),
        )
        if branding.reply_to:
            message["Reply-To"] = branding.reply_to
        stamp = datetime.fromisoformat(at).strftime("%Y%m%dT%H%M%S")
        message.replace_header(
            "Message-ID", f"<status-{move}-{credential_id}-{stamp}@{self.urls.hostname}>"
        )
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        try:
            self.mailer.send(message)
        except MailError as error:
            if error.temporary:
                raise
            log.warning("status e-mail for a credential not delivered: %s", error.message)
            return "failed"
        return "sent"


__all__ = ["MOVES", "STATUS_MAIL_JOB", "StatusMailService", "status_message"]
