"""E-mail to each recipient, sent by jobs, retried on failure, never twice for one credential.

A pending :class:`NotificationRow` is stored in the transaction that stores the credential, and
the ``mail.send`` job is queued after commit. The job claims the row (pending -> sending, one
attempt more) in a transaction of its own, sends, then marks it sent. A temporary failure puts
it back to pending and raises, so the queue retries; a permanent one, or the last attempt,
marks it failed. :meth:`NotificationService.sweep` recovers lost work. Why a row stuck in
``sending`` is given up rather than sent again: docs/design/notifications.md.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from microcred.services.mail import Mailer, MailError, mailer_for
from microcred.services.mail_templates import CredentialMail, one_line
from microcred.store.db import transaction
from microcred.store.tables import AchievementRow, CredentialRow, IssuerRow, NotificationRow

if TYPE_CHECKING:
    from microcred.jobs.queue import JobQueue
    from microcred.runtime import Runtime

log = logging.getLogger(__name__)

SEND_JOB = "mail.send"
SWEEP_JOB = "mail.sweep"
MAX_ATTEMPTS = 5
RETRY_DELAY_SECONDS = 120
# Longer than the queue's retry delay, so the sweep only picks up jobs the queue lost.
PENDING_GRACE = timedelta(minutes=15)
# Far longer than one SMTP conversation can take with its per-operation timeouts.
SENDING_TIMEOUT = timedelta(minutes=15)
SWEEP_LIMIT = 500
SWEEP_EVERY_MINUTES = 5
ERROR_LIMIT = 500
ABANDONED = "the worker stopped while sending; delivery unknown, so not sent again"


@dataclass(frozen=True)
class SweepReport:
    requeued: int
    abandoned: int


@dataclass(frozen=True)
class _Claim:
    notification_id: str
    attempt: int
    message: EmailMessage


class NotificationService:
    """An :class:`~microcred.services.issuance.IssuanceHook`: rows in, jobs after commit."""

    def __init__(self, runtime: Runtime, *, mailer: Mailer | None = None) -> None:
        self.runtime = runtime
        if mailer is not None:
            self.mailer = mailer

    @cached_property
    def mailer(self) -> Mailer:
        return mailer_for(self.runtime.settings)

    def register_jobs(self, queue: JobQueue) -> None:
        # The row's attempt counter is the real limit; the queue's retries just come back soon.
        queue.register(
            SEND_JOB, self.send, retries=MAX_ATTEMPTS - 1, retry_delay=RETRY_DELAY_SECONDS
        )
        queue.register_periodic(SWEEP_JOB, self._sweep_job, minutes=SWEEP_EVERY_MINUTES)

    # ---- the issuance hook -----------------------------------------------------------------

    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None:
        now = self.runtime.clock()
        session.add_all(
            NotificationRow(
                id=str(uuid.uuid4()),
                issuer_id=credential.issuer_id,
                credential_id=credential.id,
                recipient=credential.recipient_email,
                state="pending",
                attempts=0,
                created_at=now,
                changed_at=now,
            )
            for credential in credentials
            if credential.recipient_email
        )

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None:
        for credential in credentials:
            if credential.recipient_email:
                self._enqueue(credential.id)

    def _enqueue(self, credential_id: str) -> None:
        # The credentials are committed: a queue that is down, or (with queue_immediate) a send
        # that failed, must not fail the issuing request. The row stays pending for the sweep.
        try:
            self.runtime.queue.enqueue(SEND_JOB, credential_id)
        except MailError as error:
            log.warning("e-mail for credential %s not sent yet: %s", credential_id, error)
        except Exception:
            log.exception("could not queue the e-mail for credential %s", credential_id)

    # ---- the job ---------------------------------------------------------------------------

    def send(self, credential_id: str) -> str:
        """Send the credential's e-mail if it is still to be sent; returns the row's new state
        (``skipped`` when there was nothing to do). Raises :class:`MailError` to be retried."""
        claim = self._claim(credential_id)
        if claim is None:
            return "skipped"
        try:
            self.mailer.send(claim.message)
        except Exception as error:
            temporary = error.temporary if isinstance(error, MailError) else True
            final = not temporary or claim.attempt >= MAX_ATTEMPTS
            found = str(error) if isinstance(error, MailError) else type(error).__name__
            self._release(claim, "failed" if final else "pending", found)
            log.warning(
                "e-mail for credential %s, attempt %d of %d, %s: %s",
                credential_id,
                claim.attempt,
                MAX_ATTEMPTS,
                "given up" if final else "will retry",
                found,
            )
            if final:
                return "failed"
            raise
        self._mark_sent(claim)
        log.info("e-mail for credential %s sent (attempt %d)", credential_id, claim.attempt)
        return "sent"

    def _claim(self, credential_id: str) -> _Claim | None:
        now = self.runtime.clock()
        with transaction(self.runtime.sessions) as session:
            # Compare-and-set: of two workers holding the same job, exactly one gets the row.
            claimed = session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.credential_id == credential_id,
                    NotificationRow.state == "pending",
                    NotificationRow.attempts < MAX_ATTEMPTS,
                )
                .values(state="sending", attempts=NotificationRow.attempts + 1, changed_at=now)
                .returning(NotificationRow.id, NotificationRow.attempts)
            ).one_or_none()
            if claimed is None:
                return None
            notification_id, attempt = claimed
            credential = session.get(CredentialRow, credential_id)
            assert credential is not None  # the foreign key guarantees it
            try:
                message = self._message(session, credential, now)
            except (ValueError, HeaderParseError) as error:
                # An address Python's e-mail package cannot write: retrying cannot help.
                session.execute(
                    update(NotificationRow)
                    .where(NotificationRow.id == notification_id)
                    .values(state="failed", last_error=f"unusable address: {error}"[:ERROR_LIMIT])
                )
                log.warning("e-mail for credential %s has an unusable address", credential_id)
                return None
        return _Claim(notification_id, attempt, message)

    def _release(self, claim: _Claim, state: str, error: str) -> None:
        with transaction(self.runtime.sessions) as session:
            session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == claim.notification_id,
                    NotificationRow.state == "sending",
                    NotificationRow.attempts == claim.attempt,
                )
                .values(
                    state=state, last_error=error[:ERROR_LIMIT], changed_at=self.runtime.clock()
                )
            )

    def _mark_sent(self, claim: _Claim) -> None:
        now = self.runtime.clock()
        with transaction(self.runtime.sessions) as session:
            # "failed" too: a slow send the sweep gave up on did arrive after all. The attempt
            # number makes sure it is still our claim.
            session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == claim.notification_id,
                    NotificationRow.state.in_(("sending", "failed")),
                    NotificationRow.attempts == claim.attempt,
                )
                .values(state="sent", sent_at=now, changed_at=now)
            )

    def _message(self, session: Session, credential: CredentialRow, now: datetime) -> EmailMessage:
        issuer = session.get(IssuerRow, credential.issuer_id)
        achievement = session.get(AchievementRow, credential.achievement_id)
        assert issuer is not None  # foreign keys
        assert achievement is not None
        assert credential.recipient_email is not None  # rows exist only for these
        # Names as the credential states them, which may predate a later rename.
        document = credential.document
        subject = document.get("credentialSubject")
        issued = subject.get("achievement") if isinstance(subject, dict) else None
        content = CredentialMail(
            recipient_name=one_line(credential.recipient_name or "") or None,
            achievement_name=one_line(_name(issued) or achievement.name),
            issuer_name=one_line(_name(document.get("issuer")) or issuer.name),
            credential_url=self.runtime.issuance.credential_url(credential.id),
        )
        message = EmailMessage()
        message["From"] = self.runtime.settings.mail_from
        message["To"] = Address(
            display_name=content.recipient_name or "", addr_spec=credential.recipient_email
        )
        message["Subject"] = content.subject
        message["Date"] = format_datetime(now)
        message["Message-ID"] = self.message_id(credential.id)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        text, html = content.render()
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message

    def message_id(self, credential_id: str) -> str:
        """The same for every attempt, so a duplicate could be recognised downstream."""
        host = urlsplit(self.runtime.settings.base_url).hostname or "localhost"
        return f"<{credential_id}@{host}>"

    # ---- recovery --------------------------------------------------------------------------

    def sweep(self, now: datetime | None = None) -> SweepReport:
        """Give up rows stuck in ``sending`` and queue pending rows whose job was lost.

        The ``mail.sweep`` periodic job calls it every few minutes; a worker may call it too.
        """
        now = now or self.runtime.clock()
        with transaction(self.runtime.sessions) as session:
            abandoned = (
                session.execute(
                    update(NotificationRow)
                    .where(
                        NotificationRow.state == "sending",
                        NotificationRow.changed_at < now - SENDING_TIMEOUT,
                    )
                    .values(state="failed", last_error=ABANDONED, changed_at=now)
                    .returning(NotificationRow.credential_id)
                )
                .scalars()
                .all()
            )
            due = session.scalars(
                select(NotificationRow.id)
                .where(
                    NotificationRow.state == "pending",
                    NotificationRow.changed_at < now - PENDING_GRACE,
                )
                .order_by(NotificationRow.changed_at)
                .limit(SWEEP_LIMIT)
            ).all()
            # Touch them so the next sweep leaves them to the jobs queued now.
            requeued = (
                session.execute(
                    update(NotificationRow)
                    .where(NotificationRow.id.in_(due), NotificationRow.state == "pending")
                    .values(changed_at=now)
                    .returning(NotificationRow.credential_id)
                )
                .scalars()
                .all()
                if due
                else []
            )
        for credential_id in abandoned:
            log.warning("e-mail for credential %s: %s", credential_id, ABANDONED)
        for credential_id in requeued:
            self._enqueue(credential_id)
        return SweepReport(requeued=len(requeued), abandoned=len(abandoned))

    def _sweep_job(self) -> dict[str, int]:
        report = self.sweep()
        return {"requeued": report.requeued, "abandoned": report.abandoned}


def _name(value: Any) -> str | None:
    name = value.get("name") if isinstance(value, dict) else None
    return name if isinstance(name, str) and name.strip() else None


__all__ = ["MAX_ATTEMPTS", "NotificationService", "SweepReport"]
