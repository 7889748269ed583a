"""E-mail to recipients: through a real SMTP server on loopback, and into the outbox folder."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from microcred.accounts.actor import SYSTEM
from microcred.crypto.proofs import utc_now
from microcred.errors import MailError
from microcred.issuing.issuance import IssueRequest
from microcred.jobs.tasks import register_tasks
from microcred.notifications import mail
from microcred.notifications.mail import OutboxMailer, RawMessage, SmtpMailer, mailer_for
from microcred.notifications.repository import NotificationRepository
from microcred.notifications.service import (
    _PLAIN_ADDRESS,
    ABANDONED,
    MAX_ATTEMPTS,
    SETTLE_EVERY,
    SweepReport,
)
from microcred.notifications.templates import CredentialMail
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.tables import CredentialRow, NotificationRow

from .conftest import SIMPLE_ACHIEVEMENT, FakeClock, IssuerFixture, make_issuer

LATER = dt.timedelta(hours=1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse recipients on demand."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: int = 0  # refuse this many RCPT commands (-1: all) with ``refusal``
    refusal: str = "451 4.3.0 Mailbox busy, try again later"
    rcpt_commands: int = 0
    peers: list[Any] = field(default_factory=list)  # the connection each message came over

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.rcpt_commands += 1
        if self.refuse:
            self.refuse -= 1 if self.refuse > 0 else 0
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.peers.append(session.peer)
        return "250 OK accepted"


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(inbox, controller.port)
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The platform settings, pointed at the ``smtp`` server when the test uses one (else
    mail goes to the outbox folder, the default)."""
    if "smtp" not in request.fixturenames:
        return settings
    server: SmtpServer = request.getfixturevalue("smtp")
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": server.port})


class RetryingQueue:
    """The job-queue contract with its retries honoured at once (the delay is skipped)."""

    def __init__(self) -> None:
        self.tasks: dict[str, tuple[Callable[..., Any], int]] = {}
        self.runs: list[str] = []

    def register(
        self,
        name: str,
        fn: Callable[..., Any],
        *,
        retries: int = 0,
        retry_delay: int = 0,
        priority: int = 0,
    ) -> None:
        self.tasks[name] = (fn, retries)

    def on_consumer_start(self, fn: Callable[[], Any]) -> None:
        pass  # no consumer starts here

    def register_periodic(self, name: str, fn: Callable[[], Any], *, minutes: int) -> None:
        self.tasks[name] = (fn, 0)

    def enqueue(self, name: str, *args: Any) -> None:
        fn, retries = self.tasks[name]
        for attempt in range(retries + 1):
            self.runs.append(name)
            try:
                fn(*args)
                return
            except MailError:
                if attempt == retries:
                    raise


def use_retrying_queue(runtime: Runtime) -> RetryingQueue:
    queue = RetryingQueue()
    # Replaces the cached property for this runtime, before any service is handed the queue.
    assert "notifications" not in runtime.__dict__, "set the queue before the services exist"
    runtime.__dict__["queue"] = queue
    register_tasks(
        queue,  # type: ignore[arg-type]
        batches=lambda: runtime.batches,
        notifications=lambda: runtime.notifications,
        witness=lambda: runtime.witness,
    )
    return queue


def issue(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    *,
    email_address: str | None = "ada@example.org",
    name: str | None = "Ada Lovelace",
    key: str | None = "row-1",
    did: str | None = None,
) -> str:
    [row] = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [
            IssueRequest(
                achievement_id=achievement_id,
                email=email_address,
                name=name,
                idempotency_key=key,
                did=did,
            )
        ],
    )
    return row.id


def notifications(runtime: Runtime) -> list[NotificationRow]:
    with runtime.sessions() as session:
        return list(session.scalars(select(NotificationRow)).all())


def only_notification(runtime: Runtime) -> NotificationRow:
    [row] = notifications(runtime)
    return row


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


# ---- SMTP ----------------------------------------------------------------------------------


def test_issuing_sends_one_email_with_the_credential_link(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)

    [message] = smtp.inbox.messages
    assert smtp.inbox.envelopes == [("no-reply@localhost", ["ada@example.org"])]
    assert message["To"] == "Ada Lovelace <ada@example.org>"
    assert message["From"] == "microcred <no-reply@localhost>"
    assert message["Subject"] == (
        "Alpha Academy issued you a credential: Data Analysis with Python"
    )
    assert message["Message-ID"].strip() == f"<{credential_id}@badges.example.org>"
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = bodies(message)
    url = f"https://badges.example.org/credentials/{credential_id}"
    private = runtime.recipients.private_url(credential_id)
    assert private.startswith(f"{url}?recipient=")
    assert runtime.recipients.is_recipient(credential_id, private.rsplit("=", 1)[1])
    # The recipient's own link (their name choice, the claim count) and the public one to share.
    assert f"{private}\n" in text
    assert f"{url}\n" in text
    assert f'href="{private}"' in html
    assert f"give its public address: {url}</p>" in html
    assert "Hello Ada Lovelace," in text

    row = only_notification(runtime)
    assert (row.state, row.attempts, row.recipient) == ("sent", 1, "ada@example.org")
    assert row.sent_at is not None
    assert row.credential_id == credential_id


def test_no_second_email_for_the_same_credential(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    credential_id = issue(runtime, issuer, achievement_id, key="same")
    assert issue(runtime, issuer, achievement_id, key="same") == credential_id

    runtime.queue.enqueue("mail.send", credential_id)  # the job delivered twice
    assert runtime.notifications.send(credential_id) == "skipped"
    report = runtime.notifications.sweep(runtime.clock() + LATER)

    assert (report.requeued, report.abandoned) == (0, 0)
    assert len(smtp.inbox.messages) == 1
    assert only_notification(runtime).attempts == 1


def test_each_new_credential_gets_its_own_email(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    first = issue(runtime, issuer, achievement_id, key="a")
    second = issue(runtime, issuer, achievement_id, key="b")

    ids = sorted(str(m["Message-ID"]).strip() for m in smtp.inbox.messages)
    assert ids == sorted(f"<{c}@badges.example.org>" for c in (first, second))


def test_a_recipient_without_email_gets_no_notification(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    issue(runtime, issuer, achievement_id, email_address=None, did="did:example:ada")

    assert notifications(runtime) == []
    assert smtp.inbox.messages == []


def test_a_temporary_refusal_is_retried(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    queue = use_retrying_queue(runtime)
    smtp.inbox.refuse = 1

    issue(runtime, issuer, achievement_id)

    assert queue.runs == ["mail.send", "mail.send"]
    assert smtp.inbox.rcpt_commands == 2
    assert len(smtp.inbox.messages) == 1
    row = only_notification(runtime)
    assert (row.state, row.attempts) == ("sent", 2)
    assert row.last_error is not None
    assert "451" in row.last_error


def test_one_job_per_group_and_its_retry_sends_only_what_failed(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    queue = use_retrying_queue(runtime)
    smtp.inbox.refuse = 1  # the group's first recipient, once
    addresses = [f"learner{i}@example.org" for i in range(3)]

    issued = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [
            IssueRequest(achievement_id=achievement_id, email=a, idempotency_key=a)
            for a in addresses
        ],
    )

    assert queue.runs == ["mail.send", "mail.send"]  # one job for the group, one retry
    assert smtp.inbox.rcpt_commands == 4
    assert sorted(to for _sender, [to] in smtp.inbox.envelopes) == addresses
    rows = {row.credential_id: row for row in notifications(runtime)}
    assert {row.state for row in rows.values()} == {"sent"}
    assert [rows[c.id].attempts for c in issued] == [2, 1, 1]


def issue_many(runtime: Runtime, issuer: IssuerFixture, achievement_id: str, count: int) -> None:
    """``count`` credentials in one call: one e-mail job for all of them."""
    runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [
            IssueRequest(achievement_id=achievement_id, email=f"learner{i}@example.org")
            for i in range(count)
        ],
    )


def connections(inbox: Inbox) -> list[int]:
    """How many messages came over each connection, in the order the connections opened."""
    counts: dict[Any, int] = {}
    for peer in inbox.peers:
        counts[peer] = counts.get(peer, 0) + 1
    return list(counts.values())


def test_a_job_sends_its_messages_over_one_smtp_connection(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    issue_many(runtime, issuer, achievement_id, 30)
    assert len(smtp.inbox.messages) == 30
    assert connections(smtp.inbox) == [30]


def test_a_connection_carries_a_bounded_number_of_messages(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mail, "MESSAGES_PER_CONNECTION", 12)
    issue_many(runtime, issuer, achievement_id, 30)
    assert connections(smtp.inbox) == [12, 12, 6]


def test_after_a_refused_message_the_next_ones_go_over_a_new_connection(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    use_retrying_queue(runtime)
    smtp.inbox.refuse = 1
    smtp.inbox.refusal = "550 5.1.1 No such mailbox"  # permanent: that row fails at once
    issue_many(runtime, issuer, achievement_id, 10)
    assert len(smtp.inbox.messages) == 9
    assert connections(smtp.inbox) == [9]  # the refusal's connection closed with no message
    states = sorted(row.state for row in notifications(runtime))
    assert states == ["failed"] + ["sent"] * 9


def test_a_dropped_connection_fails_only_its_message_for_now(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    """The server goes away after the third message: that message is retried by a later
    attempt, the job reconnects for the ones after it, and nothing is sent twice."""
    queue = use_retrying_queue(runtime)
    original = smtp.inbox.handle_DATA
    calls = 0

    async def drop_once(server: Any, session: Any, envelope: Any) -> str:
        nonlocal calls
        calls += 1
        if calls == 3:
            server.transport.close()  # before answering: delivery unknown to the sender
            return "250 OK"
        return await original(server, session, envelope)

    smtp.inbox.handle_DATA = drop_once  # type: ignore[method-assign]
    issue_many(runtime, issuer, achievement_id, 5)
    assert queue.runs == ["mail.send", "mail.send"]  # the job, then its retry
    rows = notifications(runtime)
    assert sorted(row.state for row in rows) == ["sent"] * 5
    assert sorted(row.attempts for row in rows) == [1, 1, 1, 1, 2]
    addresses = [to for _sender, [to] in smtp.inbox.envelopes]
    assert sorted(addresses) == sorted(f"learner{i}@example.org" for i in range(5))


def test_a_session_the_relay_closed_while_idle_is_reopened_without_a_failure(
    smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relays close idle connections; the next message must not fail for it."""
    monkeypatch.setattr(mail, "IDLE_CHECK_SECONDS", 0.0)
    original = smtp.inbox.handle_DATA

    async def accept_then_hang_up(server: Any, session: Any, envelope: Any) -> str:
        answer = await original(server, session, envelope)
        asyncio.get_running_loop().call_later(0.05, server.transport.close)  # after replying
        return answer

    smtp.inbox.handle_DATA = accept_then_hang_up  # type: ignore[method-assign]
    mailer = SmtpMailer("127.0.0.1", smtp.port, timeout=5)
    messages = [
        RawMessage("badges@example.org", f"p{i}@example.org", f"<{i}@x>", b"Subject: s\n\nb\n")
        for i in range(3)
    ]
    with mailer.connection() as send:
        for message in messages:
            send(message)  # raises if the closed session were used
            time.sleep(0.2)  # idle: the relay hangs up meanwhile
    assert [to for _sender, [to] in smtp.inbox.envelopes] == [f"p{i}@example.org" for i in range(3)]
    assert connections(smtp.inbox) == [1, 1, 1]


def test_a_worker_lost_mid_group_leaves_only_its_open_slice_in_sending(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """Rows are claimed SETTLE_EVERY at a time, so a job that dies (SIGKILL or SIGTERM, here a
    BaseException from the mailer) leaves its open slice in "sending" and the rest of its
    group pending: those are sent later, the open slice is given up, nothing goes out twice."""
    sent: list[str] = []

    class DyingMailer:
        def send(self, message: object) -> None:
            if len(sent) == SETTLE_EVERY + 4:
                raise SystemExit("the worker is gone")
            assert isinstance(message, RawMessage)
            sent.append(message.recipient)

    runtime.notifications.mailer = DyingMailer()
    count = 2 * SETTLE_EVERY + 10
    addresses = [f"p{i}@example.org" for i in range(count)]
    requests = [IssueRequest(achievement_id=achievement_id, email=a) for a in addresses]
    with pytest.raises(SystemExit):
        runtime.issuance.issue(SYSTEM, issuer.id, requests)

    assert sent == addresses[: SETTLE_EVERY + 4]
    by_address = {row.recipient: row for row in notifications(runtime)}
    # The first slice recorded; the second claimed (4 of them sent but unrecorded, 1 being
    # sent, the rest not yet): "sending"; the last 10 never claimed, so never attempted.
    first, second, rest = (
        addresses[:SETTLE_EVERY],
        addresses[SETTLE_EVERY : 2 * SETTLE_EVERY],
        addresses[2 * SETTLE_EVERY :],
    )
    assert {(by_address[a].state, by_address[a].attempts) for a in first} == {("sent", 1)}
    assert {(by_address[a].state, by_address[a].attempts) for a in second} == {("sending", 1)}
    assert {(by_address[a].state, by_address[a].attempts) for a in rest} == {("pending", 0)}

    class Relay:
        def send(self, message: object) -> None:
            assert isinstance(message, RawMessage)
            sent.append(message.recipient)

    runtime.notifications.mailer = Relay()
    report = runtime.notifications.sweep(runtime.clock() + LATER)

    # The open slice is given up (delivery unknown), the never-claimed rows are sent once.
    assert (report.abandoned, report.requeued) == (SETTLE_EVERY, len(rest))
    assert sent == addresses[: SETTLE_EVERY + 4] + rest
    by_address = {row.recipient: row for row in notifications(runtime)}
    assert {(by_address[a].state, by_address[a].last_error) for a in second} == {
        ("failed", ABANDONED)
    }
    assert {(by_address[a].state, by_address[a].attempts) for a in rest} == {("sent", 1)}


def test_a_slow_group_outlasting_the_sweep_timeout_still_retries_later_refusals(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """A relay taking a minute per message runs a group past SENDING_TIMEOUT. The sweep in
    the middle must not give up rows the live job still holds: a refusal after it is a
    temporary failure like any other, retried, and nothing fails after one attempt."""
    clock = FakeClock(utc_now())
    runtime.clock = clock
    queue = use_retrying_queue(runtime)
    count = SETTLE_EVERY + 15
    refuse_from = SETTLE_EVERY + 5  # the relay sends 30, then the sweep runs, then 451s
    delivered: list[str] = []
    reports: list[SweepReport] = []
    calls = 0

    class SlowRelay:
        def send(self, message: object) -> None:
            nonlocal calls
            assert isinstance(message, RawMessage)
            calls += 1
            clock.advance(minutes=1)
            if calls == refuse_from + 1:
                reports.append(runtime.notifications.sweep())
            if refuse_from < calls <= count:
                raise MailError("451 4.3.0 Mailbox busy, try again later", temporary=True)
            delivered.append(message.recipient)

    runtime.notifications.mailer = SlowRelay()
    addresses = [f"slow{i}@example.org" for i in range(count)]
    runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement_id, email=a) for a in addresses],
    )

    # The sweep ran 30 minutes into the group and found nothing stuck.
    assert reports == [SweepReport(requeued=0, abandoned=0)]
    assert queue.runs == ["mail.send", "mail.send"]  # the group, then its retry
    assert sorted(delivered) == sorted(addresses)  # each once
    by_address = {row.recipient: row for row in notifications(runtime)}
    assert {by_address[a].state for a in addresses} == {"sent"}
    assert [by_address[a].attempts for a in addresses] == [1] * refuse_from + [2] * (
        count - refuse_from
    )


def test_addresses_that_would_name_other_recipients_are_never_sent(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """Addresses stored before issuing refused them (or written another way) are failed with
    a reason when the job composes their message, not sent to what a mail client reads."""
    sent: list[RawMessage | EmailMessage] = []

    class Relay:
        def send(self, message: RawMessage | EmailMessage) -> None:
            sent.append(message)

    runtime.notifications.mailer = Relay()
    hostile = ["a,b@x.yz", "a>b@x.yz", "a;b@x.yz", "a(b)@x.yz"]
    ids = {
        address: issue(runtime, issuer, achievement_id, email_address=f"ok{i}@x.yz", key=address)
        for i, address in enumerate(hostile)
    }
    sent.clear()
    with runtime.sessions() as session, session.begin():
        for address, credential_id in ids.items():
            session.execute(
                update(CredentialRow)
                .where(CredentialRow.id == credential_id)
                .values(recipient_email=address)
            )
        session.execute(update(NotificationRow).values(state="pending", attempts=0))

    runtime.notifications.send_many(list(ids.values()))

    assert sent == []
    for row in notifications(runtime):
        assert row.state == "failed"
        assert row.last_error is not None
        assert row.last_error.startswith("unusable address: ")
    # An ordinary address still takes the fast path.
    ordinary = issue(runtime, issuer, achievement_id, email_address="o'neil+x@x-y.yz", key="ok")
    [message] = sent
    assert isinstance(message, RawMessage)
    assert message.recipient == "o'neil+x@x-y.yz"
    assert b"\nTo: Ada Lovelace <o'neil+x@x-y.yz>\n" in b"\n" + message.data
    assert runtime.notifications.send(ordinary) == "skipped"


@pytest.mark.parametrize("address", ["a,b@x.yz", "a>b@x.yz", "a;b@x.yz", "a(b)@x.yz"])
def test_issuing_refuses_addresses_with_header_delimiters(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str, address: str
) -> None:
    response = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        headers=issuer.headers,
        json={"achievementId": achievement_id, "recipient": {"email": address}},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["message"], error["found"]) == (
        "recipient e-mail is not an address",
        repr(address),
    )

    csv = f'email\nada@example.org\n"{address}"\n'.encode()
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement_id, csv)
    report = runtime.batches.get(SYSTEM, issuer.id, batch.id)
    assert (report.valid_rows, report.invalid_rows) == (1, 1)
    [row] = report.report
    assert (row["line"], row["reason"]) == (3, "recipient e-mail is not an address")
    assert [n.recipient for n in notifications(runtime)] == ["ada@example.org"]


def test_retries_stop_at_the_limit_and_the_row_fails(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    use_retrying_queue(runtime)
    smtp.inbox.refuse = -1

    credential_id = issue(runtime, issuer, achievement_id)

    assert smtp.inbox.rcpt_commands == MAX_ATTEMPTS
    row = only_notification(runtime)
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS)
    # Neither a late job nor the sweep tries a failed row again.
    smtp.inbox.refuse = 0
    assert runtime.notifications.send(credential_id) == "skipped"
    assert runtime.notifications.sweep(runtime.clock() + LATER).requeued == 0
    assert smtp.inbox.messages == []


def test_a_permanent_refusal_fails_at_once(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    queue = use_retrying_queue(runtime)
    smtp.inbox.refuse = -1
    smtp.inbox.refusal = "550 5.1.1 No such mailbox"

    issue(runtime, issuer, achievement_id)

    assert queue.runs == ["mail.send"]
    row = only_notification(runtime)
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error is not None
    assert "550" in row.last_error


def test_the_sweep_requeues_a_pending_row_whose_job_was_lost(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    smtp.inbox.refuse = -1  # the queued attempt fails; its retry is "lost"

    issue(runtime, issuer, achievement_id)  # the request itself succeeds
    row = only_notification(runtime)
    assert row.state == "pending"
    assert row.attempts >= 1

    smtp.inbox.refuse = 0
    assert runtime.notifications.sweep().requeued == 0  # too soon: the queue retries first
    report = runtime.notifications.sweep(runtime.clock() + LATER)

    assert report.requeued == 1
    assert len(smtp.inbox.messages) == 1
    assert only_notification(runtime).state == "sent"


def test_a_starting_consumer_queues_pending_rows_whose_job_was_never_queued(
    settings: Settings, smtp: SmtpServer
) -> None:
    """A worker killed between committing credentials and queuing their e-mail job: the next
    consumer to start queues the job, rather than the sweep 15 minutes later."""
    runtime = Runtime(settings.model_copy(update={"queue_immediate": False}))
    try:
        issuer = make_issuer(runtime, "starter")
        achievement = runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT).id
        issue_many(runtime, issuer, achievement, 3)
        runtime.queue.huey.flush()  # the job was lost with its worker
        assert {row.state for row in notifications(runtime)} == {"pending"}

        runtime.queue.run_startup()  # what `microcred worker` and serve do first
        while (task := runtime.queue.huey.dequeue()) is not None:
            runtime.queue.huey.execute(task)

        assert {row.state for row in notifications(runtime)} == {"sent"}
        assert len(smtp.inbox.messages) == 3
        runtime.queue.run_startup()  # nothing pending any more: nothing queued
        assert runtime.queue.pending() == 0
    finally:
        runtime.close()


def test_a_row_stuck_in_sending_is_given_up_not_sent_again(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    smtp.inbox.refuse = -1
    credential_id = issue(runtime, issuer, achievement_id)
    smtp.inbox.refuse = 0
    # A worker claimed the row and died before recording the outcome.
    with runtime.sessions() as session, session.begin():
        session.execute(update(NotificationRow).values(state="sending"))

    assert runtime.notifications.sweep().abandoned == 0  # it may still be sending
    report = runtime.notifications.sweep(runtime.clock() + LATER)

    assert (report.abandoned, report.requeued) == (1, 0)
    row = only_notification(runtime)
    assert (row.state, row.last_error) == ("failed", ABANDONED)
    assert runtime.notifications.send(credential_id) == "skipped"
    assert smtp.inbox.messages == []


def test_hostile_names_are_escaped_and_cannot_add_headers(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    runtime.issuers.update(SYSTEM, issuer.id, {"name": "<img src=x onerror=alert(1)> & Co"})
    hostile_achievement = runtime.achievements.create(
        SYSTEM, issuer.id, {**SIMPLE_ACHIEVEMENT, "name": "Safety <b>first</b>"}
    ).id
    hostile = "<script>alert('x')</script>\r\nBcc: victim@example.org"

    issue(runtime, issuer, hostile_achievement, name=hostile)

    [message] = smtp.inbox.messages
    assert smtp.inbox.envelopes[0][1] == ["ada@example.org"]
    assert message["Bcc"] is None
    assert "\n" not in str(message["Subject"])
    text, html = bodies(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<img src=x" not in html  # only our own images (cid:) remain
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; Co" in html
    assert "Safety &lt;b&gt;first&lt;/b&gt;" in html
    assert "<b>first" not in html
    # Plain text is not HTML: the name appears as written, on one line.
    assert "Hello <script>alert('x')</script> Bcc: victim@example.org," in text


def test_names_beyond_ascii_arrive_intact(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, smtp: SmtpServer
) -> None:
    runtime.issuers.update(SYSTEM, issuer.id, {"name": 'Université d’Été, "Zürich"'})
    name = 'Łukasz Żółć-Ñúñez (李雷), "the Third"'

    credential_id = issue(runtime, issuer, achievement_id, name=name)

    [message] = smtp.inbox.messages
    assert smtp.inbox.envelopes == [("no-reply@localhost", ["ada@example.org"])]
    assert message["To"].addresses[0].display_name == name
    assert message["To"].addresses[0].addr_spec == "ada@example.org"
    assert message["Subject"] == (
        'Université d’Été, "Zürich" issued you a credential: Data Analysis with Python'
    )
    assert message["Message-ID"].strip() == f"<{credential_id}@badges.example.org>"
    text, html = bodies(message)
    assert f"Hello {name}," in text
    assert "Łukasz Żółć-Ñúñez (李雷), &#34;the Third&#34;" in html
    assert message.defects == []
    assert all(part.defects == [] for part in message.walk())


# ---- the outbox (embedded default) ---------------------------------------------------------


def test_without_smtp_the_email_is_written_to_the_outbox(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert isinstance(runtime.notifications.mailer, OutboxMailer)
    with caplog.at_level(logging.INFO, logger="microcred.notifications.mail"):
        credential_id = issue(runtime, issuer, achievement_id)

    [path] = sorted(settings.outbox_dir.iterdir())  # no temporary file left beside it
    assert path.name == f"{credential_id}_badges.example.org.eml"
    assert str(path) in caplog.text
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "Ada Lovelace <ada@example.org>"
    text, _html = bodies(message)
    assert f"https://badges.example.org/credentials/{credential_id}" in text
    assert only_notification(runtime).state == "sent"


def test_outbox_write_failure_is_temporary(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox should be")
    message = EmailMessage()
    message["Message-ID"] = "<x@example.org>"

    with pytest.raises(MailError) as raised:
        OutboxMailer(blocker).send(message)
    assert raised.value.temporary


# ---- the SMTP adapter ----------------------------------------------------------------------


def test_mailer_follows_the_settings(tmp_path: Path) -> None:
    outbox = mailer_for(Settings(data_dir=tmp_path))
    assert isinstance(outbox, OutboxMailer)
    assert outbox.directory == tmp_path / "outbox"
    smtp_mailer = mailer_for(
        Settings(data_dir=tmp_path, smtp_host="mail.example", smtp_password="hunter2-secret")
    )
    assert isinstance(smtp_mailer, SmtpMailer)
    assert "hunter2" not in repr(smtp_mailer)


def test_an_unreachable_server_is_a_temporary_error() -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["To"] = "b@example.org"
    message.set_content("hello")

    with pytest.raises(MailError) as raised:
        SmtpMailer("127.0.0.1", free_port(), timeout=5).send(message)
    assert raised.value.temporary
    assert raised.value.expected is not None


@dataclass
class TlsFiles:
    cert: Path
    key: Path


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(tmp_path / "cert.pem", tmp_path / "key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def test_starttls_and_login(tls_files: TlsFiles) -> None:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(tls_files.cert, tls_files.key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        ok = (data.login, data.password) == (b"mailer", b"s3cret-password")
        # handled=False: the server itself answers 535 to a failed login.
        return AuthResult(success=ok, handled=False)

    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="localhost",
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        client_tls = ssl.create_default_context(cafile=str(tls_files.cert))
        client_tls.check_hostname = False  # we connect by IP; the chain is still verified
        message = EmailMessage()
        message["From"] = "no-reply@example.org"
        message["To"] = "ada@example.org"
        message["Subject"] = "hello"
        message.set_content("hello")

        SmtpMailer(
            "127.0.0.1",
            controller.port,
            username="mailer",
            password="s3cret-password",
            starttls=True,
            tls_context=client_tls,
        ).send(message)
        with pytest.raises(MailError) as raised:
            SmtpMailer(
                "127.0.0.1",
                controller.port,
                username="mailer",
                password="wrong-password",
                starttls=True,
                tls_context=client_tls,
            ).send(message)
    finally:
        controller.stop()

    assert len(inbox.messages) == 1
    assert logins[0] == (b"mailer", b"s3cret-password")
    assert "wrong-password" not in str(raised.value)


# ---- composing fast, as the slow path would -----------------------------------------------


def test_the_names_a_credential_states_are_read_from_its_document_when_they_are_text(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """The e-mail reads the two names from the stored document in SQL, as JSON (SQLite's
    json_extract, PostgreSQL's #>): a string comes back as written, anything else as it is
    (a language map, a number), and the message uses the stored name for whatever is not
    a string."""
    stated = issue(runtime, issuer, achievement_id, key="stated")
    odd = issue(runtime, issuer, achievement_id, key="odd")
    with runtime.sessions() as session:
        document = session.scalar(select(CredentialRow.document).where(CredentialRow.id == odd))
    assert document is not None
    document["issuer"]["name"] = {"en": "A map", "de": "Eine Karte"}
    document["credentialSubject"]["achievement"]["name"] = 42
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(CredentialRow).where(CredentialRow.id == odd).values(document=document)
        )

    with runtime.sessions() as session:
        fields = NotificationRepository(session).mail_fields([stated, odd])
    assert (fields[stated].achievement_name, fields[stated].issuer_name) == (
        SIMPLE_ACHIEVEMENT["name"],
        "Alpha Academy",
    )
    assert (fields[odd].achievement_name, fields[odd].issuer_name) == (
        42,
        {"en": "A map", "de": "Eine Karte"},
    )


@pytest.mark.parametrize(
    "recipient",
    [None, "Ada Lovelace", "<b>Ada</b> & \"Co\" 'x'", "Łukasz {0} {{ x }} %s", "mcslot"],
)
@pytest.mark.parametrize("images", [(None, None), ("badge-1@x.org", "logo-1@x.org")])
@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "xx"])
def test_a_message_filled_into_its_frame_is_what_jinja_renders(
    recipient: str | None, images: tuple[str | None, str | None], language: str
) -> None:
    """The bodies are rendered once per kind of message with markers for the greeting and the
    links, and filled in per recipient: byte for byte what rendering the templates gives."""
    mail = CredentialMail(
        recipient_name=recipient,
        achievement_name="Safety <b>first</b> & more",
        issuer_name='Université "Zürich" <img src=x>',
        credential_url="https://badges.example.org/credentials/1?a=1&b=<2>",
        private_url="https://badges.example.org/credentials/1?t=\"x\"&u='y'",
        language=language,
        badge_cid=images[0],
        logo_cid=images[1],
    )
    assert mail.render() == mail.render_templates()
    assert mail.render() == mail.render_templates()  # the second time from the kept frame


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.org",
        "a.b+c@x.y",
        "o'neil@example.org",
        "{}|~!#$%&*/=?^_`-@x.org",
        "a..b@x.org",
        ".a@x.org",
        "a.@x.org",
        "a@b..c",
    ],
)
def test_the_plain_address_shortcut_agrees_with_the_email_package(address: str) -> None:
    """Addresses matching the dot-atom pattern skip the e-mail package's parse; those that
    match it are exactly the ones the package reads and writes back unchanged."""
    try:
        parsed = Address(addr_spec=address).addr_spec == address
    except (ValueError, HeaderParseError):
        parsed = False
    if _PLAIN_ADDRESS.match(address):
        assert parsed
