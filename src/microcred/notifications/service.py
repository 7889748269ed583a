"""E-mail to each recipient, sent by jobs, retried on failure, never twice for one credential.

A pending :class:`NotificationRow` is stored in the transaction that stores the credential, and
one ``mail.send`` job per committed group (a bulk chunk, or one API call) is queued after
commit. The job works through its group in slices of 25: it claims a slice's rows
(pending -> sending, one attempt more) in one transaction, sends each message, and records
the outcomes (sent, or back to pending after a temporary failure, or failed when permanent or
on the last attempt) in the transaction that claims the next slice, or alone after the last.
After a slice with a temporary failure it claims no more: it records that slice and raises,
so the queue retries, and the retry claims the rows put back and those never claimed. A group
of 250 costs 11 transactions instead of 500, and a stopped worker leaves at most one slice in
``sending``. :meth:`NotificationService.sweep` recovers lost work. Why a row
stuck in ``sending`` is given up rather than sent again: docs/design/notifications.md.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy.orm import Session

from microcred.errors import MailError
from microcred.notifications.branding import Image, MailBranding
from microcred.notifications.branding_repository import BrandingRepository
from microcred.notifications.mail import Mailer, Message, RawMessage, sending
from microcred.notifications.repository import MailFields, NotificationRepository
from microcred.notifications.templates import STRINGS, CredentialMail, one_line
from microcred.store.db import transaction
from microcred.store.tables import (
    AchievementRow,
    CredentialRow,
    IssuerRow,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import sessionmaker

    from microcred.issuing.recipients import RecipientService
    from microcred.jobs.queue import JobQueue
    from microcred.settings import Settings
    from microcred.urls import PublicUrls

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
GROUP_LIMIT = 250  # credentials per job: a bulk chunk's worth
# Rows claimed at a time, sent, then recorded, before the next slice is claimed: a worker lost
# mid-job leaves at most this many rows in "sending" (given up by the sweep as "delivery
# unknown"), the rest of its group pending; and a slow relay holds a claim for one slice's
# sends only, not for a whole group's, before the sweep's SENDING_TIMEOUT.
SETTLE_EVERY = 25


@dataclass(frozen=True)
class SweepReport:
    requeued: int
    abandoned: int


class _Claim(NamedTuple):
    """A row this job claimed: ``attempt`` tells whether it is still ours when recorded."""

    notification_id: str
    credential_id: str
    attempt: int


class NotificationService:
    """An :class:`~microcred.issuing.issuance.IssuanceHook`: rows in, jobs after commit."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        queue: JobQueue,
        recipients: RecipientService,
        settings: Settings,
        mailer: Mailer,
    ) -> None:
        """``settings``: the sender address and the transport (outbox or SMTP) it names."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.queue = queue
        self.recipients = recipients
        self.settings = settings
        self.mailer = mailer

    # ---- the issuance hook -----------------------------------------------------------------

    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None:
        now = self.clock()
        rows = [
            {
                "id": str(uuid.uuid4()),
                "issuer_id": credential.issuer_id,
                "credential_id": credential.id,
                "recipient": credential.recipient_email,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
                "changed_at": now,
            }
            for credential in credentials
            if credential.recipient_email
        ]
        if rows:
            NotificationRepository(session).add_pending(rows)

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None:
        self._enqueue([credential.id for credential in credentials if credential.recipient_email])

    def _enqueue(self, credential_ids: Sequence[str]) -> None:
        """One ``mail.send`` job per GROUP_LIMIT of these credentials."""
        for start in range(0, len(credential_ids), GROUP_LIMIT):
            group = credential_ids[start : start + GROUP_LIMIT]
            # The credentials are committed: a queue that is down, or (with queue_immediate) a
            # send that failed, must not fail the issuing request. The rows stay pending for
            # the sweep.
            try:
                self.queue.enqueue(SEND_JOB, *group)
            except MailError as error:
                log.warning("e-mail for %d credentials not all sent yet: %s", len(group), error)
            except Exception:
                log.exception("could not queue the e-mail for %d credentials", len(group))

    # ---- the job ---------------------------------------------------------------------------

    def send_job(self, *credential_ids: str) -> dict[str, str]:
        return self.send_many(credential_ids)

    def send(self, credential_id: str) -> str:
        """Send the credential's e-mail if it is still to be sent; returns the row's new state
        (``skipped`` when there was nothing to do). Raises :class:`MailError` to be retried."""
        return self.send_many([credential_id]).get(credential_id, "skipped")

    def send_many(self, credential_ids: Sequence[str]) -> dict[str, str]:
        """Send the e-mails of these credentials that are still to be sent; returns the new
        state of each row it claimed. Rows are claimed, sent and recorded a slice at a time;
        after a slice with a temporary error no further slice is claimed and the error is
        raised for the queue to retry (the retry claims the rows put back to pending and the
        rows never claimed)."""
        states: dict[str, str] = {}
        order = {credential_id: i for i, credential_id in enumerate(credential_ids)}
        remaining = list(credential_ids)
        composer: _Composer | None = None
        names: dict[tuple[type, str], str] = {}
        settled: Sequence[tuple[_Claim, str, str | None]] = ()
        retry: Exception | None = None
        # One SMTP session for the whole job (reconnecting after a failure), not one per message.
        with sending(self.mailer) as send:
            while remaining or settled:
                # A slice's outcomes are recorded in the transaction that claims the next
                # slice: one write transaction per slice, and still at most one slice of
                # this job in "sending" at any time. After a temporary failure nothing more
                # is claimed (the rest stays pending for the retry).
                claimed, remaining = self._claim(settled, remaining, order)
                settled = ()
                if not claimed:
                    continue
                now = self.clock()
                if composer is None:  # one per job: its headers are folded once
                    composer = _Composer(self.settings.mail_from, now)
                claims, outcomes = self._compose(claimed, now, names, composer)
                retry = self._send(send, claims, outcomes)
                if retry is not None:
                    remaining = []
                settled = outcomes
                states.update((claim.credential_id, state) for claim, state, _ in outcomes)
        if retry is not None:
            # The relay is refusing for now: the rest is left pending for the retry.
            raise retry
        return states

    @staticmethod
    def _send(
        send: Callable[[Message], None],
        claims: Sequence[tuple[_Claim, Message]],
        outcomes: list[tuple[_Claim, str, str | None]],
    ) -> Exception | None:
        """Send each claimed message and add its outcome; returns the first error that a later
        attempt may get past (the job stops claiming after this slice then)."""
        retry: Exception | None = None
        for claim, message in claims:
            try:
                send(message)
            except Exception as error:
                temporary = error.temporary if isinstance(error, MailError) else True
                final = not temporary or claim.attempt >= MAX_ATTEMPTS
                found = str(error) if isinstance(error, MailError) else type(error).__name__
                outcomes.append((claim, "failed" if final else "pending", found))
                log.warning(
                    "e-mail for credential %s, attempt %d of %d, %s: %s",
                    claim.credential_id,
                    claim.attempt,
                    MAX_ATTEMPTS,
                    "given up" if final else "will retry",
                    found,
                )
                if not final and retry is None:
                    retry = error
                continue
            outcomes.append((claim, "sent", None))
            log.info(
                "e-mail for credential %s sent (attempt %d)", claim.credential_id, claim.attempt
            )
        return retry

    def _claim(
        self,
        settled: Sequence[tuple[_Claim, str, str | None]],
        candidates: Sequence[str],
        order: dict[str, int],
    ) -> tuple[list[_Claim], list[str]]:
        """Record the outcomes of the slice before (``settled``), and claim the rows of the
        next SETTLE_EVERY candidates that are still to be sent (pending -> sending, one
        attempt more), in the group's order, in one transaction. Returns the claimed
        (notification, credential, attempt) and the candidates left for later slices.

        The transaction only records and claims: messages are composed after it commits,
        because on SQLite it holds the one write lock every other job is waiting for."""
        now = self.clock()
        later = list(candidates[SETTLE_EVERY:])
        if not settled and not candidates:
            return [], later
        with transaction(self.sessions) as session:
            notifications = NotificationRepository(session)
            self._settle(notifications, settled, now)
            if not candidates:
                return [], later
            # Compare-and-set: of two workers holding the same job, exactly one gets each row
            # (the rows are locked until commit).
            found = notifications.lock_for_credentials(candidates[:SETTLE_EVERY])
            ids = [i for i, state, tried in found if state == "pending" and tried < MAX_ATTEMPTS]
            if not ids:
                return [], later
            claimed = notifications.start_sending(ids, now)
        rows = [_Claim(i, c, attempt) for i, c, attempt in claimed]
        return sorted(rows, key=lambda row: order.get(row.credential_id, 0)), later

    def _compose(
        self,
        claimed: Sequence[_Claim],
        now: datetime,
        names: dict[tuple[type, str], str],
        composer: _Composer,
    ) -> tuple[list[tuple[_Claim, Message]], list[tuple[_Claim, str, str | None]]]:
        """The messages of the claimed rows, and the outcomes of rows whose address cannot be
        written (failed at once: retrying cannot help)."""
        claims: list[tuple[_Claim, Message]] = []
        unusable: list[tuple[_Claim, str, str | None]] = []
        with self.sessions() as session:
            notifications = NotificationRepository(session)
            credentials = notifications.mail_fields([claim.credential_id for claim in claimed])
            languages = {
                c.recipient_email: str((c.learner_settings or {}).get("language", "en"))
                for c in credentials.values()
                if c.recipient_email and c.learner_settings is not None
            }
            for claim in claimed:
                credential = credentials[claim.credential_id]  # the foreign key guarantees it
                try:
                    message = self._message(
                        notifications, credential, now, names, composer, languages
                    )
                except (ValueError, HeaderParseError) as error:
                    # An address Python's e-mail package cannot write.
                    unusable.append((claim, "failed", f"unusable address: {error}"))
                    log.warning(
                        "e-mail for credential %s has an unusable address", claim.credential_id
                    )
                    continue
                claims.append((claim, message))
        return claims, unusable

    @staticmethod
    def _settle(
        notifications: NotificationRepository,
        outcomes: Sequence[tuple[_Claim, str, str | None]],
        now: datetime,
    ) -> None:
        """Record what happened to each claimed row. The attempt number makes sure each row
        is still our claim."""
        sent = [
            (claim.notification_id, claim.attempt)
            for claim, state, _ in outcomes
            if state == "sent"
        ]
        released = [
            {
                "b_id": claim.notification_id,
                "b_attempt": claim.attempt,
                "b_state": state,
                "b_error": (error or "")[:ERROR_LIMIT],
            }
            for claim, state, error in outcomes
            if state != "sent"
        ]
        if sent:
            notifications.mark_sent(sent, now)
        if released:
            notifications.release(released, now)

    def _message(
        self,
        notifications: NotificationRepository,
        credential: MailFields,
        now: datetime,
        names: dict[tuple[type, str], str],
        composer: _Composer,
        languages: dict[str, str],
    ) -> Message:
        assert credential.recipient_email is not None  # rows exist only for these
        branding = composer.branding(notifications.session, credential.issuer_id)
        badge = composer.badge(notifications.session, credential.achievement_id)
        language = languages.get(credential.recipient_email, "en")
        if language not in STRINGS:
            language = "en"
        # Names as the credential states them, which may predate a later rename.
        content = CredentialMail(
            recipient_name=one_line(credential.recipient_name or "") or None,
            achievement_name=one_line(
                _name(credential.achievement_name)
                or _stored_name(notifications, AchievementRow, credential.achievement_id, names)
            ),
            issuer_name=one_line(
                _name(credential.issuer_name)
                or _stored_name(notifications, IssuerRow, credential.issuer_id, names)
            ),
            credential_url=self.urls.credential(credential.id),
            private_url=self.recipients.private_url(credential.id),
            language=language,
            custom=branding.templates.get(language),
            badge_cid=self._cid("badge", credential.achievement_id) if badge else None,
            logo_cid=self._cid("logo", credential.issuer_id) if branding.logo else None,
        )
        message_id = self.message_id(credential.id)
        images = [
            (content.logo_cid, branding.logo),
            (content.badge_cid, badge),
        ]
        raw = composer.compose(content, credential.recipient_email, message_id, branding, images)
        if raw is not None:
            return raw
        message = EmailMessage(policy=_POLICY)
        message["From"] = branding.sender(self.settings.mail_from)
        if branding.reply_to:
            message["Reply-To"] = branding.reply_to
        message["To"] = Address(
            display_name=content.recipient_name or "", addr_spec=credential.recipient_email
        )
        message["Subject"] = content.subject
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        text, html = content.render()
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        html_part = message.get_body(preferencelist=("html",))
        assert html_part is not None
        for cid, image in images:
            if cid and image:
                maintype, _, subtype = image.media_type.partition("/")
                html_part.add_related(
                    image.data, maintype, subtype, cid=f"<{cid}>", disposition="inline"
                )
        message["Content-Language"] = content.language
        return message

    def _cid(self, kind: str, row_id: str) -> str:
        return f"{kind}-{row_id}@{self.urls.hostname}"

    def message_id(self, credential_id: str) -> str:
        """The same for every attempt, so a duplicate could be recognised downstream."""
        return f"<{credential_id}@{self.urls.hostname}>"

    # ---- recovery --------------------------------------------------------------------------

    def sweep(self, now: datetime | None = None) -> SweepReport:
        """Give up rows stuck in ``sending`` and queue pending rows whose job was lost.

        The ``mail.sweep`` periodic job calls it every few minutes; a worker may call it too.
        """
        now = now or self.clock()
        with transaction(self.sessions) as session:
            notifications = NotificationRepository(session)
            abandoned = notifications.abandon_sending(
                since=now - SENDING_TIMEOUT, error=ABANDONED, at=now
            )
            due = notifications.pending_unchanged(since=now - PENDING_GRACE, limit=SWEEP_LIMIT)
            # Touch them so the next sweep leaves them to the jobs queued now.
            requeued = notifications.touch_pending(due, now)
        for credential_id in abandoned:
            log.warning("e-mail for credential %s: %s", credential_id, ABANDONED)
        self._enqueue(requeued)
        return SweepReport(requeued=len(requeued), abandoned=len(abandoned))

    def recover(self) -> int:
        """Queue a job for every pending row, whatever its age; returns how many rows.

        Consumers run it when they start (as they recover unfinished bulk chunks). A worker
        killed between committing credentials and queuing their e-mail job, or after taking a
        job and before claiming its rows, leaves rows pending that no job will send; without
        this they waited for the sweep's 15 minutes. Rows whose job is still queued get a
        second one, which finds them claimed or sent and does nothing."""
        with self.sessions() as session:
            pending = NotificationRepository(session).pending_credentials()
        self._enqueue(pending)
        if pending:
            log.info("queued e-mail jobs again for %d pending e-mails", len(pending))
        return len(pending)

    def sweep_job(self) -> dict[str, int]:
        report = self.sweep()
        return {"requeued": report.requeued, "abandoned": report.abandoned}


def _stored_name(
    notifications: NotificationRepository,
    table: type[IssuerRow] | type[AchievementRow],
    row_id: str,
    names: dict[tuple[type, str], str],
) -> str:
    """The row's current name, read once per job rather than once per message."""
    name = names.get((table, row_id))
    if name is None:
        name = names[(table, row_id)] = notifications.stored_name(table, row_id)
    return name


class _Headers(HeaderRegistry):
    """The standard header registry, remembering the class it makes for each header name.

    The stock registry builds a new class on every header it is asked for, which was most of
    the cost of writing a message; the classes and so the output are the same.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_POLICY = policy.default.clone(header_factory=_Headers())
# RFC 5322 dot-atoms on both sides of the "@": what the e-mail package reads as exactly this
# one address and writes back unchanged, so such an address skips the parse (50 us a message).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*\Z")


class _Composer:
    """Writes the credential e-mail straight to bytes: multipart/alternative, both bodies
    base64 UTF-8. The headers all messages of a job share are folded once by the e-mail
    package; the recipient's name is encoded by ``formataddr`` (quoted, or RFC 2047 when not
    ASCII). About fifty times faster than composing an ``EmailMessage``, which stays the path
    for addresses that are not ASCII."""

    def __init__(self, mail_from: str, now: datetime) -> None:
        self.mail_from = mail_from
        self.sender = parseaddr(mail_from)[1]
        self.common = (
            _POLICY.fold("Date", format_datetime(now))
            + "Auto-Submitted: auto-generated\n"  # RFC 3834: no auto-replies, please
            + "MIME-Version: 1.0\n"
        )
        self._subjects: dict[str, str] = {}
        self._brandings: dict[str, MailBranding] = {}
        self._badges: dict[str, Image | None] = {}
        self._senders: dict[str, str] = {}
        self._images: dict[str, str] = {}

    def branding(self, session: Session, issuer_id: str) -> MailBranding:
        """The issuer's mail settings, read once per job."""
        found = self._brandings.get(issuer_id)
        if found is None:
            found = self._brandings[issuer_id] = BrandingRepository(session).branding(issuer_id)
        return found

    def badge(self, session: Session, achievement_id: str) -> Image | None:
        if achievement_id not in self._badges:
            self._badges[achievement_id] = BrandingRepository(session).badge_image(achievement_id)
        return self._badges[achievement_id]

    def _sender_headers(self, branding: MailBranding) -> str:
        key = f"{branding.sender_name}\0{branding.reply_to}"
        folded = self._senders.get(key)
        if folded is None:
            folded = _POLICY.fold("From", branding.sender(self.mail_from))
            if branding.reply_to:
                folded += _POLICY.fold("Reply-To", branding.reply_to)
            self._senders[key] = folded
        return folded

    def _image_part(self, boundary: str, cid: str, image: Image) -> str:
        """An inline image part; its base64 is written once per job."""
        encoded = self._images.get(cid)
        if encoded is None:
            encoded = self._images[cid] = base64.encodebytes(image.data).decode("ascii")
        extension = image.media_type.rpartition("/")[2].split("+")[0]
        name = cid.split("-")[0]  # "badge" or "logo"
        return (
            f"--{boundary}\n"
            f"Content-Type: {image.media_type}\n"
            "Content-Transfer-Encoding: base64\n"
            f"Content-ID: <{cid}>\n"
            f'Content-Disposition: inline; filename="{name}.{extension}"\n\n'
            f"{encoded}"
        )

    def compose(
        self,
        content: CredentialMail,
        address: str,
        message_id: str,
        branding: MailBranding,
        images: Sequence[tuple[str | None, Image | None]] = (),
    ) -> RawMessage | None:
        if not (address.isascii() and self.sender):
            return None
        # The fast path writes the address as given, so it must be exactly one address as the
        # e-mail package reads it: "a,b@x.yz" would be two recipients to a mail client, and
        # "a(b)@x.yz" a different one. Raises ValueError (the caller fails the row) otherwise.
        if not _PLAIN_ADDRESS.match(address) and Address(addr_spec=address).addr_spec != address:
            raise ValueError("not written as one plain address")
        subject = self._subjects.get(content.subject)
        if subject is None:
            subject = self._subjects[content.subject] = _POLICY.fold("Subject", content.subject)
        # The random boundary has "=" and "_", which base64 lines never contain.
        boundary = f"=_{secrets.token_hex(16)}"
        to = formataddr((content.recipient_name or "", address), charset="utf-8")
        text, html = content.render()
        alternative = "".join(
            (
                _part(boundary, "plain", text),
                _part(boundary, "html", html),
                f"--{boundary}--\n",
            )
        )
        carried = [(cid, image) for cid, image in images if cid and image]
        if carried:
            # multipart/related: the HTML and the images its cid: addresses name.
            outer = f"=_r{boundary[2:]}"
            body = "".join(
                (
                    f'Content-Type: multipart/related; boundary="{outer}"; '
                    'type="multipart/alternative"\n\n',
                    f"--{outer}\n",
                    f'Content-Type: multipart/alternative; boundary="{boundary}"\n\n',
                    alternative,
                    *(self._image_part(outer, cid, image) for cid, image in carried),
                    f"--{outer}--\n",
                )
            )
        else:
            body = f'Content-Type: multipart/alternative; boundary="{boundary}"\n\n' + alternative
        data = "".join(
            (
                f"To: {to}\n",
                subject,
                self._sender_headers(branding),
                self.common,
                f"Message-ID: {message_id}\n",
                f"Content-Language: {content.language}\n",
                body,
            )
        )
        if not data.isascii():  # a header the fold left as UTF-8: the e-mail package's path
            return None
        return RawMessage(self.sender, address, message_id, data.encode("ascii"))


def _part(boundary: str, subtype: str, body: str) -> str:
    encoded = base64.encodebytes(body.encode("utf-8")).decode("ascii")
    return (
        f"--{boundary}\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\n'
        "Content-Transfer-Encoding: base64\n\n"
        f"{encoded}"
    )


def _name(name: object) -> str | None:
    return name if isinstance(name, str) and name.strip() else None


__all__ = ["MAX_ATTEMPTS", "NotificationService", "SweepReport"]
