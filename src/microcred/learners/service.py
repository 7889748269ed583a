"""Learner accounts: who is signed in, the links that sign in and add addresses, the learner's
did:key, export and deletion. See docs/design/learners.md for the reasons behind the numbers.

Links are sent by a job (``learners.send_link``): the job makes the token, stores its SHA-256
and sends the message, so the raw token exists only in that job's memory and in the e-mail,
never in the queue or the database. A retried job makes a new token; the one whose message
never left is useless to anyone.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from microcred.audit.repository import record_audit
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.sealing import Sealer
from microcred.errors import (
    ConflictError,
    EmailInUseError,
    InputError,
    LinkInvalidError,
    MailError,
    NotFoundError,
    RateLimitedError,
    short,
)
from microcred.jobs.queue import JobQueue
from microcred.learners.hooks import LearnerDataHook
from microcred.learners.mail import ADD_EMAIL, SIGN_IN, link_message
from microcred.learners.repository import LearnerRepository
from microcred.model import normalize_email
from microcred.notifications.mail import Mailer
from microcred.settings import Settings
from microcred.store.db import transaction
from microcred.store.tables import LearnerRow, LearnerSessionRow, LearnerTokenRow
from microcred.urls import PublicUrls

log = logging.getLogger(__name__)

LINK_JOB = "learners.send_link"
LINK_JOB_RETRIES = 3
LINK_JOB_RETRY_DELAY = 30
LINK_LIFETIME = timedelta(minutes=15)
# A session lasts this long after the learner was last seen, and never longer than the cap.
SESSION_IDLE = timedelta(days=30)
SESSION_MAX = timedelta(days=90)
# Last-seen is written at most this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(minutes=5)
RATE_WINDOW = timedelta(hours=1)
LINKS_PER_ADDRESS = 5
LINKS_PER_CLIENT = 20
MAX_NAME = 300
MAX_EMAIL = 320
MAX_TOKEN = 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (the token is 256 random bits, so no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def checked_email(email: str) -> str:
    """``email`` normalised, or :class:`InputError` saying what an address looks like."""
    normal = normalize_email(email) if isinstance(email, str) else ""
    if len(normal) > MAX_EMAIL or not _EMAIL.match(normal) or "." not in normal.split("@")[1]:
        raise InputError(
            "that is not an e-mail address", expected="name@example.org", found=short(email)
        )
    return normal


def _sealing_binding(learner_id: str) -> str:
    return f"microcred/learner/{learner_id}/did-key"


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie's value and where the learner goes next."""

    learner_id: str
    session_token: str
    next_path: str | None


@dataclass(frozen=True)
class LinkPreview:
    """What a link's confirmation page shows before the link is used."""

    purpose: str
    email: str


@dataclass(frozen=True)
class Account:
    """What the account page shows."""

    learner: LearnerRow
    emails: tuple[str, ...]
    sessions: int


class LearnerService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        queue: JobQueue,
        sealer: Sealer,
        settings: Settings,
        hooks: Sequence[LearnerDataHook] = (),
        mailer: Mailer,
        links_per_address: int = LINKS_PER_ADDRESS,
        links_per_client: int = LINKS_PER_CLIENT,
    ) -> None:
        """``hooks``: every other feature's part of a learner's export and deletion."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.queue = queue
        self.sealer = sealer
        self.settings = settings
        self.hooks = tuple(hooks)
        self.links_per_address = links_per_address
        self.links_per_client = links_per_client
        self.mailer = mailer

    # ---- reading --------------------------------------------------------------------------------

    def get(self, learner_id: str) -> LearnerRow:
        with self.sessions() as session:
            row = LearnerRepository(session).require(learner_id)
            session.expunge(row)
            return row

    def account(self, learner_id: str) -> Account:
        with self.sessions() as session:
            repo = LearnerRepository(session)
            learner = repo.require(learner_id)
            emails = tuple(row.email for row in repo.emails(learner_id))
            count = repo.count_sessions(learner_id, self.clock())
            session.expunge(learner)
        return Account(learner, emails, count)

    def emails(self, learner_id: str) -> tuple[str, ...]:
        """The learner's verified addresses (credentials issued to any of them are theirs)."""
        with self.sessions() as session:
            return tuple(row.email for row in LearnerRepository(session).emails(learner_id))

    def learner_for_email(self, email: str) -> str | None:
        """The id of the learner who verified ``email``, if any."""
        with self.sessions() as session:
            return LearnerRepository(session).owner_of(checked_email(email))

    def learner_for_session(self, session_token: str | None) -> LearnerRow | None:
        """The learner a session cookie belongs to, or None (unknown, expired, signed out)."""
        if not session_token or len(session_token) > MAX_TOKEN:
            return None
        digest = token_digest(session_token)
        now = self.clock()
        with self.sessions() as session:
            repo = LearnerRepository(session)
            live = repo.live_session(digest, now)
            if live is None:
                return None
            learner = repo.get(live.learner_id)
            if learner is None:
                return None
            session.expunge(learner)
            last_seen = live.last_seen_at
            created = live.created_at
        if now - last_seen >= TOUCH_EVERY:
            with transaction(self.sessions) as session:
                LearnerRepository(session).touch_session(
                    digest, now, min(now + SESSION_IDLE, created + SESSION_MAX)
                )
        return learner

    # ---- asking for a link ----------------------------------------------------------------------

    def request_sign_in(
        self, email: str, *, client: str, language: str, next_path: str | None = None
    ) -> None:
        """Send a sign-in link to ``email`` (rate limited per address and per client). The
        caller answers the same whether or not the address has an account."""
        address = checked_email(email)
        with transaction(self.sessions) as session:
            self._count(session, address, client)
        self._enqueue(SIGN_IN, address, None, language, next_path)

    def request_email(self, learner_id: str, email: str, *, client: str, language: str) -> None:
        """Send a verification link to ``email``, which becomes the learner's once followed.
        An address another learner verified is refused here (and again when it is followed)."""
        address = checked_email(email)
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            repo.require(learner_id)
            owner = repo.owner_of(address)
            if owner == learner_id:
                raise ConflictError("this address is already one of yours", found=address)
            if owner is not None:
                raise EmailInUseError("this address is already in use by another account")
            self._count(session, address, client)
        self._enqueue(ADD_EMAIL, address, learner_id, language, None)

    def _count(self, session: Session, address: str, client: str) -> None:
        now = self.clock()
        repo = LearnerRepository(session)
        repo.delete_ended_windows(now)
        limits = (
            (f"address:{token_digest(address)}", self.links_per_address, "per address"),
            (f"client:{token_digest(client)}", self.links_per_client, "per device or network"),
        )
        for key, limit, scope in limits:
            count, ends = repo.hit(key, now, RATE_WINDOW)
            if count > limit:
                raise RateLimitedError(
                    "too many sign-in links were asked for; try again later",
                    retry_after=max(1, math.ceil((ends - now).total_seconds())),
                    expected=f"at most {limit} links an hour {scope}",
                )

    def _enqueue(
        self,
        purpose: str,
        address: str,
        learner_id: str | None,
        language: str,
        next_path: str | None,
    ) -> None:
        # With the queue running in the caller (queue_immediate), a failed send must not turn
        # into an error page that tells the visitor more than "check your mail" does.
        try:
            self.queue.enqueue(LINK_JOB, purpose, address, learner_id, language, next_path)
        except MailError as error:
            log.warning("a %s link was not sent yet: %s", purpose, error.message)

    def send_link_job(
        self,
        purpose: str,
        address: str,
        learner_id: str | None,
        language: str,
        next_path: str | None,
    ) -> None:
        """The job: make the link and mail it. A temporary failure raises, so the queue tries
        again (with a new token); a permanent one is logged and dropped."""
        token = self._issue(purpose, address, learner_id, next_path)
        link = (
            self.urls.learner_sign_in_link(token)
            if purpose == SIGN_IN
            else self.urls.learner_email_link(token)
        )
        message = link_message(
            purpose=purpose,
            language=language,
            link=link,
            to=address,
            sender=self.settings.mail_from,
        )
        try:
            self.mailer.send(message)
        except MailError as error:
            if error.temporary:
                raise
            log.warning("a %s link could not be delivered: %s", purpose, error.message)

    def issue_sign_in_link(self, email: str, next_path: str | None = None) -> str:
        """A sign-in link for ``email``, returned instead of mailed (the demo, tests)."""
        token = self._issue(SIGN_IN, checked_email(email), None, next_path)
        return self.urls.learner_sign_in_link(token)

    def _issue(
        self, purpose: str, address: str, learner_id: str | None, next_path: str | None
    ) -> str:
        if purpose not in (SIGN_IN, ADD_EMAIL):
            raise InputError("unknown link purpose", expected="sign_in or add_email", found=purpose)
        now = self.clock()
        token = new_token()
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            repo.delete_expired_tokens(now)
            repo.add_token(
                LearnerTokenRow(
                    token_hash=token_digest(token),
                    purpose=purpose,
                    email=address,
                    learner_id=learner_id,
                    next_path=next_path,
                    created_at=now,
                    expires_at=now + LINK_LIFETIME,
                    used_at=None,
                )
            )
        return token

    # ---- following a link -----------------------------------------------------------------------

    def preview(self, token: str, purpose: str) -> LinkPreview:
        """What the link is for, without using it; :class:`LinkInvalidError` if it is unusable."""
        with self.sessions() as session:
            row = (
                LearnerRepository(session).token(token_digest(token)) if _plausible(token) else None
            )
            if (
                row is None
                or row.purpose != purpose
                or row.used_at is not None
                or row.expires_at <= self.clock()
            ):
                raise _invalid_link()
            return LinkPreview(row.purpose, row.email)

    def sign_in(self, token: str, *, replacing: str | None = None) -> SignedIn:
        """Use a sign-in link: its address's learner (made now on first use, the address
        verified) gets a new session; ``replacing`` (the browser's old session) ends."""
        now = self.clock()
        if not _plausible(token):
            raise _invalid_link()
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            row = repo.consume_token(token_digest(token), SIGN_IN, now)
            if row is None:
                raise _invalid_link()
            learner_id = repo.owner_of(row.email)
            if learner_id is None:
                learner_id = str(uuid.uuid4())
                repo.add(
                    LearnerRow(
                        id=learner_id,
                        display_name=None,
                        profile_slug=None,
                        did=None,
                        did_key_sealed=None,
                        settings={},
                        created_at=now,
                    )
                )
                if not repo.add_email(learner_id, row.email, now):
                    # Another sign-in with this address made the account a moment ago.
                    raise ConflictError("this address was just signed in elsewhere; try again")
            next_path = row.next_path
            session_token = self.open_session(session, learner_id, now, replacing)
        return SignedIn(learner_id, session_token, next_path)

    def confirm_email(self, token: str) -> tuple[str, str]:
        """Use an address-verification link: the address becomes the learner's. The learner
        and the address, or :class:`EmailInUseError` if another learner verified it first."""
        now = self.clock()
        if not _plausible(token):
            raise _invalid_link()
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            row = repo.consume_token(token_digest(token), ADD_EMAIL, now)
            if row is None or row.learner_id is None or repo.get(row.learner_id) is None:
                raise _invalid_link()
            if not repo.add_email(row.learner_id, row.email, now):
                raise EmailInUseError("this address is already in use by another account")
            return row.learner_id, row.email

    # ---- sessions -------------------------------------------------------------------------------

    def open_session(
        self, session: Session, learner_id: str, now: datetime, replacing: str | None
    ) -> str:
        """A new session in the caller's transaction; the browser's previous one
        (``replacing``, its cookie) ends, so signing in always rotates the token."""
        repo = LearnerRepository(session)
        if replacing and len(replacing) <= MAX_TOKEN:
            repo.delete_session(token_digest(replacing))
        repo.delete_expired_sessions(now)
        token = new_token()
        repo.add_session(
            LearnerSessionRow(
                token_hash=token_digest(token),
                learner_id=learner_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + SESSION_IDLE,
            )
        )
        return token

    def sign_out(self, session_token: str | None) -> None:
        """End this browser's session (nothing happens for an unknown one)."""
        if not session_token or len(session_token) > MAX_TOKEN:
            return
        with transaction(self.sessions) as session:
            LearnerRepository(session).delete_session(token_digest(session_token))

    def sign_out_everywhere(self, learner_id: str) -> int:
        """End every session of the learner, this one included; how many there were."""
        with transaction(self.sessions) as session:
            return LearnerRepository(session).delete_sessions(learner_id)

    # ---- the profile ----------------------------------------------------------------------------

    def set_name(self, learner_id: str, name: str) -> None:
        clean = " ".join(name.split()) if isinstance(name, str) else ""
        if len(clean) > MAX_NAME:
            raise InputError(
                "the name is too long",
                expected=f"at most {MAX_NAME} characters",
                found=f"{len(clean)}",
            )
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            repo.require(learner_id)
            repo.set_display_name(learner_id, clean or None)

    def remove_email(self, learner_id: str, email: str) -> None:
        """Remove one of the learner's addresses; never the last (they could not sign in)."""
        address = normalize_email(email) if isinstance(email, str) else ""
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            repo.lock(learner_id)  # two removals at once cannot both see "one left over"
            emails = [row.email for row in repo.emails(learner_id)]
            if address not in emails:
                raise NotFoundError("no such address on this account", found=short(email))
            if len(emails) == 1:
                raise ConflictError(
                    "the last address cannot be removed",
                    expected="another verified address first",
                    found=address,
                )
            repo.remove_email(learner_id, address)

    # ---- the learner's DID ----------------------------------------------------------------------

    def create_did(self, learner_id: str) -> str:
        """Give the learner a did:key (Ed25519) unless they have one; the DID."""
        key = SigningKey.generate("Ed25519")
        did = str(key.public.did_key)
        sealed = self.sealer.seal(
            key.secret_multibase.encode(), bound_to=_sealing_binding(learner_id)
        )
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            learner = repo.lock(learner_id)
            if learner.did is not None:
                return learner.did
            repo.set_did(learner_id, did, sealed)
        return did

    def signing_key(self, learner_id: str) -> KeyFile:
        """The learner's did:key with its private key and verification method id, for signing
        their presentations; :class:`NotFoundError` if they have no DID yet."""
        with self.sessions() as session:
            learner = LearnerRepository(session).require(learner_id)
            did, sealed = learner.did, learner.did_key_sealed
        if did is None or sealed is None:
            raise NotFoundError("this learner has no DID yet", expected="a DID made on request")
        secret = self.sealer.open(sealed, bound_to=_sealing_binding(learner_id)).decode()
        key = KeyFile.for_did_key(SigningKey.from_multibase(secret))
        if key.controller != did:
            raise ConflictError("the sealed key is not the learner's DID", expected=did)
        return key

    # ---- export and deletion --------------------------------------------------------------------

    def export(self, learner_id: str) -> dict[str, Any]:
        """Everything held about the learner: profile, settings, addresses, the DID's public
        part, every credential this server issued to their addresses as issued, and each other
        feature's section."""
        with self.sessions() as session:
            repo = LearnerRepository(session)
            learner = repo.require(learner_id)
            emails = repo.emails(learner_id)
            credentials = repo.credentials_to([row.email for row in emails])
            data: dict[str, Any] = {
                "exportedAt": self.clock().isoformat(),
                "profile": {
                    "id": learner.id,
                    "displayName": learner.display_name,
                    "profileSlug": learner.profile_slug,
                    "createdAt": learner.created_at.isoformat(),
                },
                "settings": dict(learner.settings or {}),
                "emails": [
                    {"email": row.email, "verifiedAt": row.verified_at.isoformat()}
                    for row in emails
                ],
                "did": (
                    {"id": learner.did, "verificationMethod": f"{learner.did}#{learner.did[8:]}"}
                    if learner.did
                    else None
                ),
                "passkeys": [
                    {
                        "credentialId": row.credential_id,
                        "createdAt": row.created_at.isoformat(),
                        "lastUsedAt": row.last_used_at.isoformat() if row.last_used_at else None,
                    }
                    for row in repo.passkeys(learner_id)
                ],
                "credentials": [row.document for row in credentials],
            }
            for hook in self.hooks:
                # Two hooks of one feature (careers: shares, contact requests) share its section.
                section = data.setdefault(_section(hook), {})
                section.update(hook.export(session, learner_id))
        return data

    def delete(self, learner_id: str, *, confirmation: str) -> None:
        """Delete the account in one transaction: every other feature's rows, then the
        learner's own. ``confirmation`` must be one of the learner's addresses (typed by them).
        Issued credentials are the issuers' records and stay; the audit event names no one."""
        typed = normalize_email(confirmation) if isinstance(confirmation, str) else ""
        now = self.clock()
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            repo.lock(learner_id)
            emails = [row.email for row in repo.emails(learner_id)]
            if typed not in emails:
                raise InputError(
                    "type one of your e-mail addresses to confirm the deletion",
                    expected="one of this account's addresses",
                    found="another text" if typed else "nothing",
                )
            for hook in self.hooks:
                hook.delete(session, learner_id)
            repo.delete_learner(learner_id)
            record_audit(
                session,
                "learner",
                "learner.deleted",
                None,
                issuer_id=None,
                at=now,
                details={"addresses": len(emails), "hooks": len(self.hooks)},
            )


def _plausible(token: str) -> bool:
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN


def _invalid_link() -> LinkInvalidError:
    return LinkInvalidError(
        "this link is not valid: it was already used, has expired, or is not one of ours",
        expected=f"a link from the last {int(LINK_LIFETIME.total_seconds() // 60)} minutes, unused",
    )


def _section(hook: LearnerDataHook) -> str:
    """The hook's section in the export: its feature package's name."""
    parts = type(hook).__module__.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "microcred" else type(hook).__name__


__all__ = [
    "LINK_JOB",
    "Account",
    "LearnerService",
    "LinkPreview",
    "SignedIn",
    "checked_email",
    "new_token",
    "token_digest",
]
