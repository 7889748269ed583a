"""Console staff: people who sign in for one issuer with an e-mail address and a password.

Passwords are kept as argon2id hashes. Failed sign-ins are counted per client address (issue 20,
defect 7): after ``MAX_FAILED_LOGINS`` failures on one account from one client, that client is
refused for that account for ``LOCKOUT`` (a correct password too, so a guesser learns nothing from
trying on), while the staff member signs in from anywhere else; after ``MAX_FAILED_PER_CLIENT``
failures on any accounts, known or not, the client is refused altogether for the window. So no
stranger can lock a staff member out, and none can spray guesses over many accounts. Wrong e-mail
and wrong password give the same error.

Console sessions are kept here too (their ids' digests): signing out ends a session on the
server, so a copied cookie stops working with it.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import RANK, Actor, Role, parse_role
from microcred.accounts.repository import StaffRepository, StaffSessionRepository
from microcred.audit.repository import record_audit
from microcred.errors import (
    AccountLockedError,
    ConflictError,
    InputError,
    NotFoundError,
    RateLimitedError,
    SignInError,
    short,
)
from microcred.issuers.repository import ApiKeyRepository, IssuerRepository
from microcred.model import normalize_email
from microcred.store.db import transaction
from microcred.store.tables import ApiKeyRow, StaffUserRow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MAX_FAILED_PER_CLIENT = 20  # failed sign-ins from one client address per LOCKOUT, any accounts
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes anything, but hashing megabytes is a cheap DoS

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("microcred-dummy-password")


class StaffService:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def create(
        self,
        actor: Actor,
        issuer_id: str,
        *,
        email: str,
        name: str,
        role: Role,
        password: str,
    ) -> StaffUserRow:
        actor.require(issuer_id, "owner")
        email = normalize_email(email)
        if "@" not in email or len(email) > 320:
            raise InputError("staff e-mail is not an address", found=short(email))
        role = parse_role(role)
        if not name.strip() or len(name) > 300:
            raise InputError("staff name must be 1-300 characters", found=short(name))
        check_password(password)
        now = self.clock()
        row = StaffUserRow(
            id=str(uuid.uuid4()),
            issuer_id=issuer_id,
            email=email,
            name=name.strip(),
            role=role,
            password_hash=_hasher.hash(password),
            failed_logins=0,
            locked_until=None,
            created_at=now,
        )
        with transaction(self.sessions) as session:
            IssuerRepository(session).require(issuer_id)
            staff = StaffRepository(session)
            if staff.by_email(email) is not None:
                raise ConflictError("a staff user with this e-mail exists", found=short(email))
            staff.add(row)
            record_audit(
                session,
                actor.name,
                "staff.created",
                f"staff:{email}",
                issuer_id=issuer_id,
                at=now,
                details={"role": role},
            )
        return row

    def authenticate(self, email: str, password: str, *, client: str = "unknown") -> StaffUserRow:
        """The staff user, or SignInError / AccountLockedError (this client, this account) /
        RateLimitedError (this client, any account). Counts failures per client.

        The slow argon2 check runs outside any transaction, so a burst of guesses never holds
        the database's write lock; only the outcome is written, in a short transaction.
        """
        email = normalize_email(email)
        now = self.clock()
        client_key = f"client:{_digest(client)}"
        pair_key = f"account:{_digest(email)}:{_digest(client)}"
        with self.sessions() as session:
            limits = StaffSessionRepository(session)
            client_failures, client_ends = limits.failures(client_key, now)
            pair_failures, pair_ends = limits.failures(pair_key, now)
            found = StaffRepository(session).by_email(email)
        if client_failures >= MAX_FAILED_PER_CLIENT and client_ends is not None:
            raise _client_limited(client_ends, now)
        if pair_failures >= MAX_FAILED_LOGINS and pair_ends is not None:
            raise AccountLockedError(pair_ends)
        if found is None or len(password) > MAX_PASSWORD_LENGTH:
            _verify(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])  # same time as a real check
            correct = False
        else:
            correct = _verify(found.password_hash, password)
        rehashed = (
            _hasher.hash(password)
            if correct and found is not None and _hasher.check_needs_rehash(found.password_hash)
            else None
        )
        error: SignInError | None = None
        with transaction(self.sessions) as session:
            limits = StaffSessionRepository(session)
            row = StaffRepository(session).lock(found.id) if found is not None else None
            if row is not None and found is not None and correct:
                correct = row.password_hash == found.password_hash  # not changed meanwhile
            if row is not None and correct:
                limits.clear(pair_key)
                if rehashed is not None:
                    row.password_hash = rehashed
                _audit(session, row, "staff.signed_in", now)
            else:
                # The counts must be committed, so the error is raised after the transaction.
                limits.fail(client_key, now, LOCKOUT)
                failures, ends = limits.fail(pair_key, now, LOCKOUT)
                error = SignInError("wrong e-mail or password")
                if failures >= MAX_FAILED_LOGINS:
                    error = AccountLockedError(ends)
                    if row is not None and failures == MAX_FAILED_LOGINS:
                        _audit(session, row, "staff.locked", now)  # for one client only
        if error is not None or row is None:
            raise error or SignInError("wrong e-mail or password")
        return row

    # ---- console sessions ---------------------------------------------------------------------

    def open_session(self, user_id: str, session_id: str, lifetime: timedelta) -> None:
        """Record a session the web layer put in a cookie (only the id's digest is kept)."""
        now = self.clock()
        with transaction(self.sessions) as session:
            StaffSessionRepository(session).add(_digest(session_id), user_id, now, now + lifetime)

    def session_user(self, user_id: str, session_id: str) -> StaffUserRow | None:
        """The user of a live session, or None (signed out, expired, user gone)."""
        with self.sessions() as session:
            user = StaffSessionRepository(session).user_of(_digest(session_id), self.clock())
        return user if user is not None and user.id == user_id else None

    def end_session(self, session_id: str) -> None:
        with transaction(self.sessions) as session:
            StaffSessionRepository(session).remove(_digest(session_id))

    def get(self, user_id: str) -> StaffUserRow | None:
        """The user a session names, or None when it was deleted (the session then ends)."""
        with self.sessions() as session:
            return StaffRepository(session).get(user_id)

    def set_role(self, actor: Actor, issuer_id: str, user_id: str, role: str) -> StaffUserRow:
        """Give a staff user of this issuer another role. The issuer keeps at least one owner.
        Signed-in sessions act with the new role from their next request (it is read live); API
        keys the person made with a role above the new one are revoked, so a demoted person
        keeps no way in with their old rights."""
        actor.require(issuer_id, "owner")
        new_role = parse_role(role)
        with transaction(self.sessions) as session:
            staff = StaffRepository(session)
            row = _member(staff, issuer_id, user_id)
            if row.role == "owner" and new_role != "owner":
                _keep_an_owner(staff, issuer_id, row, "demoted")
            now = self.clock()
            keys = _revoke_keys(session, actor, issuer_id, row.id, now, above=new_role)
            revoked = [key.prefix for key in keys]
            old, row.role = row.role, new_role
            record_audit(
                session,
                actor.name,
                "staff.role_changed",
                f"staff:{row.email}",
                issuer_id=issuer_id,
                at=now,
                details={"from": old, "to": new_role, "revoked_api_keys": revoked},
            )
            session.flush()
            session.expunge(row)
        return row

    def remove(self, actor: Actor, issuer_id: str, user_id: str) -> StaffUserRow:
        """Take a person off this issuer's staff, at once: their console sessions end and the
        API keys they made are revoked, in the same transaction. The last owner stays."""
        actor.require(issuer_id, "owner")
        with transaction(self.sessions) as session:
            staff = StaffRepository(session)
            row = _member(staff, issuer_id, user_id)
            if row.role == "owner":
                _keep_an_owner(staff, issuer_id, row, "removed")
            now = self.clock()
            revoked = [key.prefix for key in _revoke_keys(session, actor, issuer_id, row.id, now)]
            ended = StaffSessionRepository(session).remove_all_of(row.id)
            staff.delete(row)
            record_audit(
                session,
                actor.name,
                "staff.removed",
                f"staff:{row.email}",
                issuer_id=issuer_id,
                at=now,
                details={
                    "name": row.name,
                    "role": row.role,
                    "sessions_ended": ended,
                    "revoked_api_keys": revoked,
                },
            )
            session.expunge(row)
        return row

    def keys_made_by(self, actor: Actor, issuer_id: str, user_id: str) -> list[ApiKeyRow]:
        """The live API keys this staff user made (what removing them would revoke)."""
        actor.require(issuer_id, "owner")
        with self.sessions() as session:
            return ApiKeyRepository(session).live_of_creator(issuer_id, user_id)

    def list(self, actor: Actor, issuer_id: str) -> list[StaffUserRow]:
        actor.require(issuer_id, "owner")
        with self.sessions() as session:
            return StaffRepository(session).for_issuer(issuer_id)


def actor_for(user: StaffUserRow) -> Actor:
    return Actor(
        issuer_id=user.issuer_id,
        name=f"staff:{user.email}",
        role=parse_role(user.role),
        user_id=user.id,
    )


def _member(staff: StaffRepository, issuer_id: str, user_id: str) -> StaffUserRow:
    """The staff user, row-locked, if they belong to this issuer (else not found)."""
    row = staff.lock(user_id)
    if row is None or row.issuer_id != issuer_id:
        raise NotFoundError("no such staff user", found=short(user_id))
    return row


def _keep_an_owner(staff: StaffRepository, issuer_id: str, row: StaffUserRow, verb: str) -> None:
    owners = [u for u in staff.for_issuer(issuer_id) if u.role == "owner"]
    if len(owners) <= 1:
        raise ConflictError(
            f"the issuer needs at least one owner, so its only owner cannot be {verb}",
            expected="another owner first",
            found=f"{row.email} is the only owner",
        )


def _revoke_keys(
    session: Session,
    actor: Actor,
    issuer_id: str,
    user_id: str,
    now: datetime,
    *,
    above: Role | None = None,
) -> list[ApiKeyRow]:
    """Revoke the live keys this person made (only those with a role above ``above`` when it
    is given) and return them, each audited as revoked."""
    keys = [
        key
        for key in ApiKeyRepository(session).live_of_creator(issuer_id, user_id)
        if above is None or RANK.get(key.role, 2) > RANK[above]
    ]
    for key in keys:
        key.revoked_at = now
        record_audit(
            session,
            actor.name,
            "apikey.revoked",
            f"api-key:{key.prefix}",
            issuer_id=issuer_id,
            at=now,
            details={"reason": "maker removed" if above is None else "maker demoted"},
        )
    return keys


def check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InputError(
            "password length is out of range",
            expected=f"{MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters",
            found=f"{len(password)} characters",
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _client_limited(ends: datetime, now: datetime) -> RateLimitedError:
    return RateLimitedError(
        "too many failed sign-ins from this device or network; try again later",
        retry_after=max(1, math.ceil((ends - now).total_seconds())),
        expected=f"at most {MAX_FAILED_PER_CLIENT} failed sign-ins per "
        f"{int(LOCKOUT.total_seconds() // 60)} minutes",
    )


def _audit(session: Session, row: StaffUserRow, action: str, at: datetime) -> None:
    record_audit(session, f"staff:{row.email}", action, None, issuer_id=row.issuer_id, at=at)


__all__ = [
    "LOCKOUT",
    "MAX_FAILED_LOGINS",
    "MAX_FAILED_PER_CLIENT",
    "AccountLockedError",
    "SignInError",
    "StaffService",
    "actor_for",
]
