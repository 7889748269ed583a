"""Re-verification of the wallet: the periodic job finds held credentials revoked, suspended,
expiring or expired, leaves one notice each and mails the learner once, through a real SMTP
server on loopback; imports are verified again against a status list served by a local fake."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from microcred.accounts.actor import SYSTEM
from microcred.crypto import proofs
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.statuslist import BitstringStatusList, status_entry, status_list_credential
from microcred.errors import FetchError, MailError, NotFoundError
from microcred.issuing.issuance import IssueRequest
from microcred.jobs.tasks import register_tasks
from microcred.runtime import Runtime
from microcred.samples import sample_credential
from microcred.store.tables import CredentialRow, LearnerRow, WalletItemRow, WalletNoticeRow
from microcred.wallet.mail import LANGUAGES, notice_message
from microcred.wallet.reverify import NOTIFY_JOB, REVERIFY_JOB, ReverificationService
from tests.platform.conftest import FakeClock, IssuerFixture
from tests.platform.wallet_support import make_learner

from .test_notifications import RetryingQueue, SmtpServer, settings, smtp

__all__ = ["settings", "smtp"]  # fixtures used here

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FOREIGN = KeyFile.for_did_key(SigningKey.generate())
LIST_URL = "https://partner.example/status/1"
ADA = "ada@example.org"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


class StatusServer:
    """A partner's status list, served to the verifier by a fake fetcher (no network)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.revoked: set[int] = set()
        self.down = False
        self.requests: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.requests.append(url)
        if self.down or url != LIST_URL:
            raise FetchError("the partner's server does not answer", found=url)
        bits = BitstringStatusList()
        for index in self.revoked:
            bits.set(index, True)
        unsigned = status_list_credential(
            id=LIST_URL,
            issuer=FOREIGN.controller,
            status_purpose="revocation",
            status_list=bits,
            valid_from=self.clock() - timedelta(hours=1),
        )
        signed = proofs.sign(unsigned, FOREIGN.key, verification_method=FOREIGN.verification_method)
        return json.dumps(signed).encode()


@pytest.fixture
def partner(clock: FakeClock) -> StatusServer:
    return StatusServer(clock)


@pytest.fixture
def service(runtime: Runtime, partner: StatusServer) -> ReverificationService:
    """The runtime's service with the fake partner as its fetcher (the mail job the queue runs
    finds this one too)."""
    made = ReverificationService(
        runtime.sessions,
        clock=runtime.clock,
        verification=runtime.verification,
        queue=runtime.queue,
        settings=runtime.settings,
        urls=runtime.urls,
        mailer=runtime.mailer,
        fetcher=partner,
        batch=2,  # several pages in every test
    )
    runtime.__dict__["reverification"] = made
    return made


@dataclass(frozen=True)
class Revoked:
    learner: str  # Ada's learner id
    credential: str  # issued to her address, then revoked by its issuer


@pytest.fixture
def revoked(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, request: pytest.FixtureRequest
) -> Revoked:
    """Ada's account and a credential issued to her old address, claimed into her wallet and
    revoked (so the wallet's mail, to her account's address, is the news there); when the test
    uses the SMTP server, its inbox is emptied of the issuance and status mail."""
    learner = make_learner(runtime, ADA)
    credential = issue(runtime, issuer, achievement_id, "ada@old-school.example")
    runtime.wallet.claim(learner, credential, runtime.recipients.token(credential))
    runtime.lifecycle.revoke(SYSTEM, issuer.id, credential, "x")
    if "smtp" in request.fixturenames:
        smtp: SmtpServer = request.getfixturevalue("smtp")
        smtp.inbox.messages.clear()
    return Revoked(learner, credential)


def issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str, email: str) -> str:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email=email, name="Ada")]
    )
    return row.id


def valid_until(runtime: Runtime, credential_id: str) -> datetime:
    with runtime.sessions() as session:
        row = session.get(CredentialRow, credential_id)
        assert row is not None
        assert row.valid_until is not None
        return row.valid_until


def partner_credential(index: int, *, valid_until: datetime | None = None) -> bytes:
    document = sample_credential(
        issuer_id=FOREIGN.controller,
        status=status_entry(list_url=LIST_URL, index=index, purpose="revocation"),
        valid_from=START - timedelta(days=30),
    )
    if valid_until is not None:
        document["validUntil"] = valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    signed = proofs.sign(document, FOREIGN.key, verification_method=FOREIGN.verification_method)
    return json.dumps(signed).encode()


def notice_rows(runtime: Runtime) -> list[WalletNoticeRow]:
    with runtime.sessions() as session:
        return list(session.scalars(select(WalletNoticeRow).order_by(WalletNoticeRow.what)))


def plain(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


def set_language(runtime: Runtime, learner_id: str, language: str) -> None:
    with runtime.sessions.begin() as session:
        row = session.get(LearnerRow, learner_id)
        assert row is not None
        row.settings = {"language": language}


# ---- our own credentials -----------------------------------------------------------------------


def test_a_revoked_credential_is_told_once_with_one_email(
    runtime: Runtime,
    service: ReverificationService,
    smtp: SmtpServer,
    issuer: IssuerFixture,
    achievement_id: str,
    clock: FakeClock,
) -> None:
    """Held by the address it was issued to: the issuer's status mail tells her, once; the
    wallet shows the notice and sends no second message about it."""
    ada = make_learner(runtime, ADA)
    revoked = issue(runtime, issuer, achievement_id, ADA)
    suspended = issue(runtime, issuer, achievement_id, ADA)
    issue(runtime, issuer, achievement_id, ADA)  # stays active, far from expiry
    smtp.inbox.messages.clear()  # the issuance e-mails
    runtime.lifecycle.revoke(SYSTEM, issuer.id, revoked, "issued in error")
    runtime.lifecycle.suspend(SYSTEM, issuer.id, suspended, "under review")
    status_mail = list(smtp.inbox.messages)
    assert len(status_mail) == 2
    assert all(message["To"] == ADA for message in status_mail)

    report = service.run()
    assert (report.notices, report.mails_queued) == (2, 0)
    assert [(n.ref, n.what) for n in notice_rows(runtime)] == [
        (revoked, "revoked"),
        (suspended, "suspended"),
    ]
    assert smtp.inbox.messages == status_mail  # nothing more
    assert all(row.mailed_at == clock.now for row in notice_rows(runtime))
    shown = runtime.wallet_notices.notices(ada)
    assert {(n.ref, n.what, n.name) for n in shown} == {
        (revoked, "revoked", "Data Analysis with Python"),
        (suspended, "suspended", "Data Analysis with Python"),
    }

    clock.advance(hours=1)
    again = service.run()
    assert (again.notices, again.mails_queued) == (0, 0)
    assert smtp.inbox.messages == status_mail
    assert len(notice_rows(runtime)) == 2


def test_the_wallets_mail_lists_what_it_found(
    runtime: Runtime,
    service: ReverificationService,
    smtp: SmtpServer,
    revoked: Revoked,
    issuer: IssuerFixture,
    achievement_id: str,
    clock: FakeClock,
) -> None:
    suspended = issue(runtime, issuer, achievement_id, "ada@old-school.example")
    runtime.wallet.claim(revoked.learner, suspended, runtime.recipients.token(suspended))
    runtime.lifecycle.suspend(SYSTEM, issuer.id, suspended, "under review")
    smtp.inbox.messages.clear()

    report = service.run()
    assert (report.notices, report.mails_queued) == (2, 1)
    [message] = smtp.inbox.messages
    assert message["To"] == ADA
    assert message["Content-Language"] == "en"
    text = plain(message)
    assert "Data Analysis with Python: revoked by its issuer" in text
    assert "Data Analysis with Python: suspended by its issuer" in text
    assert "https://badges.example.org/wallet" in text
    assert all(row.mailed_at == clock.now for row in notice_rows(runtime))


def test_the_mail_is_in_the_learners_language(
    runtime: Runtime, service: ReverificationService, smtp: SmtpServer, revoked: Revoked
) -> None:
    set_language(runtime, revoked.learner, "de")
    service.run()
    [message] = smtp.inbox.messages
    assert message["Content-Language"] == "de"
    assert message["Subject"] == "Neuigkeiten zu Nachweisen in Ihrer microcred-Wallet"
    assert "Data Analysis with Python: vom Aussteller widerrufen" in plain(message)


def test_a_claimed_credential_is_told_to_the_learner_who_claimed_it(
    runtime: Runtime,
    service: ReverificationService,
    smtp: SmtpServer,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    ada = make_learner(runtime, ADA)
    credential = issue(runtime, issuer, achievement_id, "ada@old-school.example")
    runtime.wallet.claim(ada, credential, runtime.recipients.token(credential))
    runtime.lifecycle.revoke(SYSTEM, issuer.id, credential, "x")
    smtp.inbox.messages.clear()
    service.run()
    assert [(n.ref, n.what) for n in runtime.wallet_notices.notices(ada)] == [
        (credential, "revoked")
    ]
    [message] = smtp.inbox.messages
    assert message["To"] == ADA  # the learner's own address, not the one issued to


def test_expiring_within_30_days_then_expired_each_told_once(
    runtime: Runtime,
    service: ReverificationService,
    smtp: SmtpServer,
    issuer: IssuerFixture,
    achievement_id: str,
    clock: FakeClock,
) -> None:
    ada = make_learner(runtime, ADA)
    credential = issue(runtime, issuer, achievement_id, ADA)
    smtp.inbox.messages.clear()
    until = valid_until(runtime, credential)
    clock.now = until - timedelta(days=31)
    assert service.run().notices == 0

    clock.now = until - timedelta(days=10)
    assert service.run().notices == 1
    [notice] = runtime.wallet_notices.notices(ada)
    assert (notice.ref, notice.what, notice.created_at) == (credential, "expiring", clock.now)
    assert smtp.inbox.messages == []  # the issuer's expiry reminder tells her address
    clock.advance(days=1)
    assert service.run().notices == 0

    clock.now = until + timedelta(days=1)
    assert service.run().notices == 1
    assert [n.what for n in runtime.wallet_notices.notices(ada)] == [
        "expired",
        "expiring",
    ]  # newest first
    [message] = smtp.inbox.messages  # no issuer mail says "expired": the wallet's does
    assert "has expired" in plain(message)


def test_an_expiry_long_past_is_not_news(
    runtime: Runtime,
    service: ReverificationService,
    issuer: IssuerFixture,
    achievement_id: str,
    clock: FakeClock,
) -> None:
    ada = make_learner(runtime, ADA)
    credential = issue(runtime, issuer, achievement_id, ADA)
    clock.now = valid_until(runtime, credential) + timedelta(days=90)
    assert service.run().notices == 0
    assert runtime.wallet_notices.notices(ada) == []


def test_dismissing_hides_a_notice_and_only_its_learner_may(
    runtime: Runtime,
    service: ReverificationService,
    issuer: IssuerFixture,
    achievement_id: str,
    clock: FakeClock,
) -> None:
    ada = make_learner(runtime, ADA)
    bob = make_learner(runtime, "bob@example.org")
    credential = issue(runtime, issuer, achievement_id, ADA)
    clock.now = valid_until(runtime, credential) - timedelta(days=10)
    service.run()
    [notice] = runtime.wallet_notices.notices(ada)
    with pytest.raises(NotFoundError):
        runtime.wallet_notices.dismiss(bob, notice.id)
    assert runtime.wallet_notices.notices(ada) == [notice]
    with pytest.raises(NotFoundError):
        runtime.wallet_notices.dismiss(ada, "no-such-notice")
    runtime.wallet_notices.dismiss(ada, notice.id)
    assert runtime.wallet_notices.notices(ada) == []
    runtime.wallet_notices.dismiss(ada, notice.id)  # again: nothing changes
    clock.advance(days=1)
    assert service.run().notices == 0  # dismissed is still told: not again


def test_a_temporary_mail_failure_leaves_the_notice_for_the_next_run(
    runtime: Runtime,
    service: ReverificationService,
    smtp: SmtpServer,
    revoked: Revoked,
    clock: FakeClock,
) -> None:
    smtp.inbox.refuse = -1
    # The queue runs jobs in the caller here, so the mail job's error reaches the run; the
    # notice was committed before the job was queued.
    with pytest.raises(MailError) as failed:
        service.run()
    assert failed.value.temporary
    [row] = notice_rows(runtime)
    assert row.mailed_at is None
    assert smtp.inbox.messages == []

    smtp.inbox.refuse = 0
    clock.advance(hours=1)
    report = service.run()
    assert (report.notices, report.mails_queued) == (0, 1)
    [message] = smtp.inbox.messages
    assert "revoked by its issuer" in plain(message)
    [row] = notice_rows(runtime)
    assert row.mailed_at == clock.now
    service.run()
    assert len(smtp.inbox.messages) == 1


def test_a_permanent_mail_failure_is_logged_and_not_tried_again(
    runtime: Runtime,
    service: ReverificationService,
    smtp: SmtpServer,
    revoked: Revoked,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp.inbox.refuse, smtp.inbox.refusal = -1, "550 5.1.1 No such mailbox"
    service.run()
    assert "not delivered" in caplog.text
    [row] = notice_rows(runtime)
    assert row.mailed_at is not None
    assert service.run().mails_queued == 0
    assert len(runtime.wallet_notices.notices(revoked.learner)) == 1  # the banner still tells


def test_a_notice_dismissed_before_its_mail_is_not_mailed(
    runtime: Runtime, service: ReverificationService, smtp: SmtpServer, revoked: Revoked
) -> None:
    smtp.inbox.refuse = -1
    with pytest.raises(MailError):
        service.run()
    [notice] = runtime.wallet_notices.notices(revoked.learner)
    runtime.wallet_notices.dismiss(revoked.learner, notice.id)
    smtp.inbox.refuse = 0
    assert service.run().mails_queued == 1
    assert smtp.inbox.messages == []
    assert notice_rows(runtime)[0].mailed_at is not None


def test_many_credentials_and_learners_are_read_in_pages_and_each_learner_mailed_once(
    runtime: Runtime,
    service: ReverificationService,
    smtp: SmtpServer,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    learners = {}
    for name in ("ada", "bob", "cy"):
        address = f"{name}@example.org"
        learners[address] = make_learner(runtime, address)
        for _ in range(3):  # issued to a school address, claimed: the wallet's mail tells
            credential = issue(runtime, issuer, achievement_id, f"{name}@school.example")
            runtime.wallet.claim(
                learners[address], credential, runtime.recipients.token(credential)
            )
            runtime.lifecycle.revoke(SYSTEM, issuer.id, credential, "x")
    smtp.inbox.messages.clear()
    report = service.run()  # pages of 2: several pages of credentials and of learners
    assert (report.notices, report.mails_queued) == (9, 3)
    assert sorted(m["To"] for m in smtp.inbox.messages) == sorted(learners)
    assert all(plain(m).count("revoked by its issuer") == 3 for m in smtp.inbox.messages)
    for learner_id in learners.values():
        assert len(runtime.wallet_notices.notices(learner_id)) == 3


# ---- imported credentials ----------------------------------------------------------------------


def test_an_import_whose_status_list_now_says_revoked_becomes_revoked(
    runtime: Runtime,
    service: ReverificationService,
    smtp: SmtpServer,
    partner: StatusServer,
    clock: FakeClock,
) -> None:
    ada = make_learner(runtime, ADA)
    item = runtime.wallet.import_bytes(ada, partner_credential(7), source="upload", fetcher=partner)
    other = runtime.wallet.import_bytes(
        ada, partner_credential(8), source="upload", fetcher=partner
    )
    assert item.state == other.state == "active"

    partner.revoked.add(7)
    clock.advance(hours=3)
    assert service.run().rechecked == 0  # checked less than a day ago
    assert runtime.wallet.get(ada, item.id).state == "active"

    clock.advance(days=1)
    partner.requests.clear()
    report = service.run()
    assert (report.rechecked, report.changed, report.notices) == (2, 1, 1)
    assert partner.requests == [LIST_URL]  # one fetch for the page, not one per credential
    held = runtime.wallet.get(ada, item.id)
    assert held.state == "revoked"
    assert held.verification is not None
    [status] = [c for c in held.verification["checks"] if c["name"] == "status"]
    assert status["status"] == "failed"
    assert runtime.wallet.get(ada, other.id).state == "active"
    [notice] = runtime.wallet_notices.notices(ada)
    assert (notice.ref, notice.what, notice.name) == (item.id, "revoked", held.name)
    [message] = smtp.inbox.messages
    assert f"{held.name}: revoked by its issuer" in plain(message)
    with runtime.sessions() as session:
        row = session.get(WalletItemRow, item.id)
        assert row is not None
        assert row.checked_at == clock.now

    clock.advance(days=2)
    again = service.run()
    assert (again.rechecked, again.changed, again.notices) == (2, 0, 0)
    assert len(smtp.inbox.messages) == 1


def test_an_unreachable_status_list_changes_nothing(
    runtime: Runtime, service: ReverificationService, partner: StatusServer, clock: FakeClock
) -> None:
    ada = make_learner(runtime, ADA)
    item = runtime.wallet.import_bytes(ada, partner_credential(3), source="upload", fetcher=partner)
    before = runtime.wallet.get(ada, item.id).verification
    partner.down = True
    clock.advance(days=2)
    report = service.run()
    assert (report.rechecked, report.changed, report.notices) == (1, 0, 0)
    held = runtime.wallet.get(ada, item.id)
    assert (held.state, held.verification) == ("active", before)


def test_an_import_expiring_soon_is_told(
    runtime: Runtime, service: ReverificationService, partner: StatusServer, clock: FakeClock
) -> None:
    ada = make_learner(runtime, ADA)
    item = runtime.wallet.import_bytes(
        ada,
        partner_credential(4, valid_until=START + timedelta(days=10)),
        source="upload",
        fetcher=partner,
    )
    assert service.run().notices == 1
    [notice] = runtime.wallet_notices.notices(ada)
    assert (notice.ref, notice.what) == (item.id, "expiring")
    clock.advance(days=11)  # now expired: the re-check says so, and it is told once
    report = service.run()
    assert (report.changed, report.notices) == (1, 1)
    assert [n.what for n in runtime.wallet_notices.notices(ada)] == ["expired", "expiring"]
    assert runtime.wallet.get(ada, item.id).state == "expired"


def test_re_checks_per_run_are_capped_oldest_first(
    runtime: Runtime, partner: StatusServer, clock: FakeClock
) -> None:
    ada = make_learner(runtime, ADA)
    for index in range(5):
        runtime.wallet.import_bytes(
            ada, partner_credential(index), source="upload", fetcher=partner
        )
        clock.advance(minutes=1)
    capped = ReverificationService(
        runtime.sessions,
        clock=runtime.clock,
        verification=runtime.verification,
        queue=runtime.queue,
        settings=runtime.settings,
        urls=runtime.urls,
        mailer=runtime.mailer,
        fetcher=partner,
        batch=2,
        max_rechecks=3,
    )
    clock.advance(days=2)
    first = capped.run()
    assert (first.rechecked, first.more) == (3, True)
    second = capped.run()
    assert (second.rechecked, second.more) == (2, False)
    assert capped.run().rechecked == 0


# ---- the learner's export and deletion, the jobs, the message ---------------------------------


def test_notices_are_exported_and_deleted_with_the_learner(
    runtime: Runtime, service: ReverificationService, revoked: Revoked
) -> None:
    service.run()
    exported = runtime.learners.export(revoked.learner)
    [notice] = exported["wallet"]["notices"]
    assert (notice["credential"], notice["what"]) == (revoked.credential, "revoked")
    runtime.learners.delete(revoked.learner, confirmation=ADA)
    assert notice_rows(runtime) == []


def test_the_jobs_are_registered_and_the_periodic_one_runs_the_service(
    runtime: Runtime, service: ReverificationService, revoked: Revoked
) -> None:
    queue = RetryingQueue()
    register_tasks(
        queue,  # type: ignore[arg-type]
        batches=lambda: runtime.batches,
        notifications=lambda: runtime.notifications,
        witness=lambda: runtime.witness,
        reverification=lambda: service,
    )
    assert {REVERIFY_JOB, NOTIFY_JOB} <= set(queue.tasks)
    run, _retries = queue.tasks[REVERIFY_JOB]
    run()
    assert len(runtime.wallet_notices.notices(revoked.learner)) == 1
    assert runtime.reverification is service


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_line_and_names_are_escaped(language: str) -> None:
    notices: list[tuple[str, str | None]] = [
        ("revoked", "<b>Welding</b>\nLevel 2"),
        ("suspended", None),
        ("expiring", "Python"),
        ("expired", "SQL"),
    ]
    message = notice_message(
        language=language,
        notices=notices,
        link="https://badges.example.org/wallet",
        to=ADA,
        sender="microcred <badges@example.org>",
    )
    text = plain(message)
    assert text.count("\n- ") == 4
    assert "<b>Welding</b> Level 2" in text  # one line, whatever the name carried
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    content: Any = html.get_content()
    assert "&lt;b&gt;Welding&lt;/b&gt;" in content
    assert "<b>Welding" not in content
    assert message["Content-Language"] == language


def test_an_unknown_language_gets_english() -> None:
    message = notice_message(
        language="xx", notices=[("revoked", "SQL")], link="https://x/wallet", to=ADA, sender=ADA
    )
    assert message["Content-Language"] == "en"
    assert "SQL: revoked by its issuer" in plain(message)
