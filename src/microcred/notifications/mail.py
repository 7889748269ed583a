"""Sending one e-mail: the :class:`Mailer` port and its two adapters.

A message is an :class:`EmailMessage`, or a :class:`RawMessage` already written out (the bulk
path: Python's e-mail package spends milliseconds composing one message).

:class:`SmtpMailer` hands messages to an SMTP server (at scale); :class:`OutboxMailer` writes
them as ``.eml`` files into a folder (the embedded default, and for looking at what would be
sent). :func:`mailer_for` picks one from the settings. Delivery bookkeeping (claims, retries,
"never twice") is the caller's: see :mod:`microcred.notifications.service`.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from microcred.errors import MailError
from microcred.settings import Settings

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30.0
# Messages sent over one SMTP connection before it is closed and a new one opened: relays cap
# messages per connection (often at 100), and answer the one past it with an error.
MESSAGES_PER_CONNECTION = 50
# A session unused for longer is checked with a NOOP before the next message: relays close
# idle connections, some after a few seconds.
IDLE_CHECK_SECONDS = 2.0
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class RawMessage:
    """A complete message as bytes (lines end in LF), with its envelope and Message-ID."""

    sender: str
    recipient: str
    message_id: str
    data: bytes


Message = EmailMessage | RawMessage


class Mailer(Protocol):
    def send(self, message: Message) -> None:
        """Deliver ``message`` (its To header names the recipient), or raise :class:`MailError`.

        Returning means the message was accepted; nothing may fail after acceptance.
        """
        ...


class SmtpMailer:
    """Sends over SMTP with a timeout on every socket operation, optional STARTTLS and login.

    ``tls_context`` defaults to the system's trust store; tests pass one that trusts their own
    certificate.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = SMTP_TIMEOUT_SECONDS,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if username and password is None:
            raise MailError(
                "SMTP login needs a password",
                temporary=False,
                expected="MICROCRED_SMTP_PASSWORD with MICROCRED_SMTP_USERNAME",
            )
        self.host = host
        self.port = port
        self.username = username
        self._password = password  # never logged, never put into an error
        self.starttls = starttls
        self.timeout = timeout
        self.tls_context = tls_context

    def __repr__(self) -> str:  # keeps the password out of reprs in tracebacks and logs
        return f"SmtpMailer(host={self.host!r}, port={self.port}, starttls={self.starttls})"

    def send(self, message: Message) -> None:
        with self.connection() as send:
            send(message)

    @contextmanager
    def connection(self) -> Iterator[Callable[[Message], None]]:
        """A function that sends messages over one SMTP session: one connection, TLS handshake
        and login for many messages instead of one each. After a failed message the session is
        closed and the next message opens a new one, and so it is every
        MESSAGES_PER_CONNECTION messages (relays limit them)."""
        session = _SmtpSession(self)
        try:
            yield session.send
        finally:
            session.close()

    def _open(self) -> smtplib.SMTP:
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except OSError as error:
            raise MailError(
                "cannot connect to the SMTP server",
                temporary=True,
                expected=f"an SMTP server at {self.host}:{self.port}",
                found=type(error).__name__,
            ) from error
        try:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=self.tls_context or ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                assert self._password is not None  # checked in __init__
                smtp.login(self.username, self._password)
        except (smtplib.SMTPException, OSError) as error:
            _close(smtp)
            raise _mail_error(error) from error
        except BaseException:
            _close(smtp)
            raise
        return smtp


class _SmtpSession:
    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer
        self.smtp: smtplib.SMTP | None = None
        self.sent = 0
        self.used = 0.0

    def send(self, message: Message) -> None:
        if self.smtp is not None and time.monotonic() - self.used > IDLE_CHECK_SECONDS:
            self._check()
        if self.smtp is None:
            self.smtp = self.mailer._open()
            self.sent = 0
        try:
            if isinstance(message, RawMessage):  # SMTP wants CRLF; smtplib dot-stuffs
                data = message.data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                self.smtp.sendmail(message.sender, [message.recipient], data)
            else:
                self.smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            # Whatever state the session is in now, the next message starts a new one.
            self.close()
            raise _mail_error(error) from error
        except BaseException:
            self.close()
            raise
        self.sent += 1
        self.used = time.monotonic()
        if self.sent >= MESSAGES_PER_CONNECTION:
            self.close()

    def _check(self) -> None:
        """A NOOP on a session that sat idle (the job was waiting for the database): a relay
        that closed it meanwhile costs a new connection here, not a failed message."""
        assert self.smtp is not None
        try:
            code, _ = self.smtp.noop()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            self.close()

    def close(self) -> None:
        if self.smtp is not None:
            _close(self.smtp)
            self.smtp = None


def _close(smtp: smtplib.SMTP) -> None:
    # After DATA was accepted the message is the server's; a failing QUIT changes nothing, so
    # it must not turn a delivery into a reported failure.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _mail_error(error: smtplib.SMTPException | OSError) -> MailError:
    """The MailError an smtplib failure means: temporary or not, and what was found."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # One recipient per message, so "refused" means that one; its code decides.
        code = min((c for c, _ in error.recipients.values()), default=550)
        return MailError(
            "the SMTP server refused the recipient", temporary=400 <= code < 500, found=f"{code}"
        )
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # A configuration problem, not the recipient's: retrying gives the operator time.
        return MailError(
            "SMTP login failed",
            temporary=True,
            expected="valid MICROCRED_SMTP_USERNAME and MICROCRED_SMTP_PASSWORD",
            found=f"{error.smtp_code}",
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return MailError(
            "the SMTP server rejected the message",
            temporary=not 500 <= error.smtp_code < 600,
            found=_reply(error.smtp_code, error.smtp_error),
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return MailError(
            "the SMTP server lacks a required extension",
            temporary=False,
            expected="STARTTLS and AUTH as configured",
            found=str(error)[:200],
        )
    # Disconnects, timeouts, TLS errors.
    return MailError("SMTP delivery was interrupted", temporary=True, found=type(error).__name__)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"[:200]


class OutboxMailer:
    """Writes each message to ``<directory>/<Message-ID>.eml`` and logs the path.

    The file appears whole or not at all (written beside it, then renamed), so a reader never
    sees half a message; one file per Message-ID means a re-sent message replaces its copy.
    It is not fsynced: like the embedded database and queue (WAL, ``synchronous=NORMAL``), the
    outbox survives a crashed process but may lose its last files in a power cut. A sync per
    message cost more than signing the credential.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._prefix = secrets.token_hex(6)
        self._written = 0

    def path_for(self, message: Message) -> Path:
        if isinstance(message, RawMessage):
            message_id = message.message_id.strip("<> ")
        else:
            message_id = str(message.get("Message-ID", "")).strip("<> ")
        if not message_id:
            raise MailError("an outbox message needs a Message-ID", temporary=False)
        return self.directory / f"{UNSAFE_FILENAME.sub('_', message_id)}.eml"

    def send(self, message: Message) -> None:
        path = self.path_for(message)
        data = message.data if isinstance(message, RawMessage) else message.as_bytes()
        try:
            try:
                self._write(path, data)
            except FileNotFoundError:  # the folder is made on first use (or was removed)
                self.directory.mkdir(parents=True, exist_ok=True)
                self._write(path, data)
        except OSError as error:
            raise MailError(
                "cannot write to the outbox",
                temporary=True,
                expected=f"a writable folder at {self.directory}",
                found=type(error).__name__,
            ) from error
        log.info("e-mail written to the outbox: %s", path)

    def _write(self, path: Path, data: bytes) -> None:
        """``data`` to a new hidden file beside ``path``, then renamed onto it. The file's
        name is this mailer's random prefix, the process and a counter: tempfile's random
        name per message was a tenth of the outbox's cost. O_EXCL refuses a name in use."""
        self._written += 1
        temporary = f"{self.directory}/.{self._prefix}-{os.getpid()}-{self._written}.tmp"
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(handle, view) :]
            finally:
                os.close(handle)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def sending(mailer: Mailer) -> AbstractContextManager[Callable[[Message], None]]:
    """A function for sending several messages: over one SMTP session where the mailer is
    :class:`SmtpMailer` (see :meth:`SmtpMailer.connection`), else the mailer's ``send``."""
    if isinstance(mailer, SmtpMailer):
        return mailer.connection()
    return nullcontext(mailer.send)


def mailer_for(settings: Settings) -> Mailer:
    """SMTP when ``smtp_host`` is set, else the outbox folder."""
    if settings.smtp_host:
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
        )
    return OutboxMailer(settings.outbox_dir)


__all__ = [
    "MailError",
    "Mailer",
    "Message",
    "OutboxMailer",
    "RawMessage",
    "SmtpMailer",
    "mailer_for",
]
