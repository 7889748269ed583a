"""Re-verification: a periodic job checks every held credential again and tells the learner,
on the wallet's banner and by one e-mail, when one was revoked, suspended, is about to expire
or has expired.

- Imported credentials are verified again once a day (status lists and keys fetched anew);
  ours are read where they are (their state is ours, no verification needed).
- What the job finds becomes a notice, unique per (learner, credential, what): a re-run, or
  two runs at once, tell no one twice. A dismissed notice stays (so it is not told again).
- Notices are committed before their e-mail is queued; the mail job (``wallet.notify``) sends
  one message listing a learner's unmailed notices and marks them mailed. A job lost before
  it sent anything leaves them unmailed, and the next run queues them again: each change is
  mailed at least once (a crash right after sending may mail it twice).
- Everything is read in bounded keyset pages; verification (which fetches) runs outside any
  database transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from microcred.crypto.did import Fetcher, no_network
from microcred.errors import MailError
from microcred.jobs.queue import JobQueue
from microcred.notifications.mail import Mailer
from microcred.settings import Settings
from microcred.status.expiry import effective_state, is_expired
from microcred.store.db import transaction
from microcred.store.tables import WalletItemRow, WalletNoticeRow
from microcred.urls import PublicUrls
from microcred.verification.service import VerificationService
from microcred.verify import Verifier
from microcred.verify.result import VerificationResult
from microcred.wallet.mail import notice_message
from microcred.wallet.notice_repository import NoticeRepository
from microcred.wallet.states import credential_name, state_of, status_unsettled

log = logging.getLogger(__name__)

REVERIFY_JOB = "wallet.reverify"
REVERIFY_EVERY_MINUTES = 60
NOTIFY_JOB = "wallet.notify"
NOTIFY_RETRIES = 3
NOTIFY_RETRY_DELAY = 300
RECHECK_AFTER = timedelta(days=1)
"""An imported credential is verified again when its last check is older than this."""
WARN_BEFORE = timedelta(days=30)
TOLD_BY_ISSUER_MAIL = frozenset({"revoked", "suspended", "expiring"})
"""What our own credentials' mail already tells the address they were issued to (the status
mail on a revoke or suspension, the expiry reminder): a learner who holds one by that address
sees the notice in the wallet without a second e-mail about it. Held by a claim from another
address, or expired (no issuer mail says so), the wallet's mail tells them."""
"""A credential expiring within this is told of as ``expiring``."""
EXPIRED_NEWS = timedelta(days=30)
"""An expiry further back than this is old news: not told (the first run after an upgrade
would otherwise mail every learner about credentials that expired years ago)."""
BATCH = 200
MAX_RECHECKS = 2000
"""At most this many imported credentials are verified per run (each may fetch); the rest,
oldest check first, wait for the next run."""
MAX_PER_MAIL = 100
"""At most this many notices in one message; more go in the next run's message."""
TOLD = ("revoked", "suspended", "expired")
"""The states an imported credential's re-check tells of when it newly reaches them."""


@dataclass(frozen=True)
class RunReport:
    """What one run did: imported credentials verified again (and how many changed state),
    notices written, learners whose mail was queued; ``more``: the re-check cap was reached."""

    rechecked: int = 0
    changed: int = 0
    notices: int = 0
    mails_queued: int = 0
    more: bool = False


@dataclass(frozen=True)
class _Stale:
    """What a re-check needs of an imported credential, read before the session closes."""

    id: str
    learner_id: str
    data: bytes | None
    checked_at: datetime


class ReverificationService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        verification: VerificationService,
        queue: JobQueue,
        settings: Settings,
        urls: PublicUrls,
        fetcher: Fetcher = no_network,
        mailer: Mailer,
        batch: int = BATCH,
        max_rechecks: int = MAX_RECHECKS,
        on_change: Callable[[list[tuple[str, str, str]]], None] | None = None,
    ) -> None:
        """``fetcher``: other servers' status lists and keys (the guarded client; our own
        never reach it)."""
        self.sessions = sessions
        self.clock = clock
        self.verification = verification
        self.queue = queue
        self.settings = settings
        self.urls = urls
        self.fetcher = fetcher
        self.batch = max(1, batch)
        self.max_rechecks = max_rechecks
        # (item id, state before, state after) of re-checked imports, after their commit:
        # what is built on them (a micro-degree that counted one) follows.
        self.on_change = on_change
        self.mailer = mailer

    # ---- the periodic job ----------------------------------------------------------------------

    def run(self) -> RunReport:
        """Re-check imports, look at ours, write notices, then queue the mail."""
        now = self.clock()
        rechecked, changed, told, more = self._recheck_imports(now)
        told += self._tell_ours(now)
        told += self._tell_imports_expiring(now)
        queued = self._queue_mail()
        return RunReport(rechecked, changed, told, queued, more)

    def _recheck_imports(self, now: datetime) -> tuple[int, int, int, bool]:
        cursor: tuple[datetime, str] | None = None
        rechecked = changed = told = 0
        while rechecked < self.max_rechecks:
            limit = min(self.batch, self.max_rechecks - rechecked)
            with self.sessions() as session:
                stale = [
                    _stale(row)
                    for row in NoticeRepository(session).stale_items(
                        now - RECHECK_AFTER, cursor, limit=limit
                    )
                ]
            if not stale:
                return rechecked, changed, told, False
            # Verified outside any transaction: it may fetch status lists and keys. One
            # verifier per page: a partner's list is fetched once for all its credentials.
            verifier = self.verification.verifier(fetcher=self.fetcher)
            results = [(item, _verify(verifier, item)) for item in stale]
            moves: list[tuple[str, str, str]] = []
            with transaction(self.sessions) as session:
                repo = NoticeRepository(session)
                notices = []
                for item, result in results:
                    row = repo.item(item.id)
                    if row is None:
                        continue  # removed meanwhile
                    before = row.state
                    _record(row, result, now)
                    if row.state != before:
                        moves.append((row.id, before, row.state))
                        changed += 1
                        if row.state in TOLD:
                            notices.append(
                                _notice(row.learner_id, row.id, row.state, row.name, now)
                            )
                told += repo.add_notices(notices)
            if moves and self.on_change is not None:
                self.on_change(moves)
            rechecked += len(stale)
            cursor = (stale[-1].checked_at, stale[-1].id)
            if len(stale) < limit:
                return rechecked, changed, told, False
        return rechecked, changed, told, True

    def _tell_ours(self, now: datetime) -> int:
        """Our held credentials revoked, suspended, expiring or (recently) expired that the
        learner was not told of in that state, a page at a time."""
        cursor: tuple[str, str] | None = None
        told = 0
        while True:
            with transaction(self.sessions) as session:
                repo = NoticeRepository(session)
                page = repo.ours_to_tell(
                    now,
                    soon=now + WARN_BEFORE,
                    since=now - EXPIRED_NEWS,
                    cursor=cursor,
                    limit=self.batch,
                )
                addresses = repo.addresses({learner_id for learner_id, _ in page})
                notices = []
                for learner_id, row in page:
                    state = effective_state(row, now)
                    what = "expiring" if state == "active" else state
                    name = credential_name(dict(row.document), None)
                    mailed = what in TOLD_BY_ISSUER_MAIL and row.recipient_email in addresses.get(
                        learner_id, ()
                    )
                    notice = _notice(learner_id, row.id, what, name, now)
                    notice.mailed_at = now if mailed else None
                    notices.append(notice)
                told += repo.add_notices(notices)
            if len(page) < self.batch:
                return told
            cursor = (page[-1][0], page[-1][1].id)

    def _tell_imports_expiring(self, now: datetime) -> int:
        """Imports verified active whose validity ends within the warning time (or ended
        since the last re-check): their own ``expiring`` or ``expired`` notice."""
        cursor: str | None = None
        told = 0
        while True:
            with transaction(self.sessions) as session:
                repo = NoticeRepository(session)
                page = repo.imports_expiring(
                    now,
                    soon=now + WARN_BEFORE,
                    since=now - EXPIRED_NEWS,
                    cursor=cursor,
                    limit=self.batch,
                )
                notices = [
                    _notice(
                        row.learner_id,
                        row.id,
                        "expired" if is_expired(row.valid_until, now) else "expiring",
                        row.name,
                        now,
                    )
                    for row in page
                ]
                told += repo.add_notices(notices)
            if len(page) < self.batch:
                return told
            cursor = page[-1].id

    def _queue_mail(self) -> int:
        """One mail job per learner with unmailed notices (after the notices committed)."""
        cursor: str | None = None
        queued = 0
        while True:
            with self.sessions() as session:
                learners = NoticeRepository(session).learners_to_mail(cursor, limit=self.batch)
            for learner_id in learners:
                self.queue.enqueue(NOTIFY_JOB, learner_id)
                queued += 1
            if len(learners) < self.batch:
                return queued
            cursor = learners[-1]

    # ---- the mail job --------------------------------------------------------------------------

    def notify_job(self, learner_id: str) -> None:
        """Send the learner one message listing their unmailed notices, then mark them mailed.
        Nothing to tell (all dismissed, no verified address left, the learner gone): marked
        without a message. A temporary failure raises, so the queue tries again; a permanent
        one is logged and the notices marked (the banner still shows them)."""
        with self.sessions() as session:
            repo = NoticeRepository(session)
            learner = repo.learner(learner_id)
            if learner is None:
                return
            language = str((learner.settings or {}).get("language", "en"))
            rows = repo.unmailed(learner_id, limit=MAX_PER_MAIL)
            address = repo.first_address(learner_id)
            ids = [row.id for row in rows]
            listed = [(row.what, row.name) for row in rows if row.dismissed_at is None]
        if not ids:
            return
        if listed and address is not None:
            message = notice_message(
                language=language,
                notices=listed,
                link=self.urls.wallet(),
                to=address,
                sender=self.settings.mail_from,
            )
            try:
                self.mailer.send(message)
            except MailError as error:
                if error.temporary:
                    raise
                log.warning("wallet notices for a learner not delivered: %s", error.message)
        with transaction(self.sessions) as session:
            NoticeRepository(session).mark_mailed(ids, self.clock())


def _verify(verifier: Verifier, item: _Stale) -> VerificationResult | None:
    # The verifier itself, not verify_bytes: a background re-check is nobody verifying, so
    # the issuer's "verified" counter is left alone.
    return None if item.data is None else verifier.verify(item.data)


def _stale(row: WalletItemRow) -> _Stale:
    data = row.original if row.original is not None else None
    if data is None and row.document is not None:
        data = row.document.encode()
    return _Stale(row.id, row.learner_id, data, row.checked_at)


def _record(row: WalletItemRow, result: VerificationResult | None, now: datetime) -> None:
    """The re-check's result on the row. One that could not settle the status (the list
    unreachable or stale) says nothing new of a credential whose state was known: the row
    keeps its state and result, and is tried again tomorrow."""
    row.checked_at = now
    if result is None:
        return
    if status_unsettled(result) and row.state != "unverified":
        return
    row.state = state_of(result)
    row.verification = result.to_record()


def _notice(
    learner_id: str, ref: str, what: str, name: str | None, now: datetime
) -> WalletNoticeRow:
    return WalletNoticeRow(
        id=str(uuid.uuid4()),
        learner_id=learner_id,
        ref=ref,
        what=what,
        name=name[:500] if name else None,
        created_at=now,
        mailed_at=None,
        dismissed_at=None,
    )


__all__ = [
    "NOTIFY_JOB",
    "REVERIFY_EVERY_MINUTES",
    "REVERIFY_JOB",
    "ReverificationService",
    "RunReport",
]
