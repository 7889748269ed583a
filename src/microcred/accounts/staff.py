"""Console staff: people who sign in for one issuer with an e-mail address and a password.

Passwords are kept as argon2id hashes. After ``MAX_FAILED_LOGINS`` wrong passwords in a row the
account is locked for ``LOCKOUT``; a correct password during the lock is refused too, so a
guesser learns nothing from trying on. Wrong e-mail and wrong password give the same error.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor, Role, parse_role
from microcred.accounts.repository import StaffRepository
from microcred.audit.repository import record_audit
from microcred.errors import (
    AccountLockedError,
    ConflictError,
    InputError,
    SignInError,
    short,
)
from microcred.issuers.repository import IssuerRepository
from microcred.model import normalize_email
from microcred.store.db import transaction
from microcred.store.tables import StaffUserRow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
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

    def authenticate(self, email: str, password: str) -> StaffUserRow:
        """The staff user, or SignInError / AccountLockedError. Counts failures, locks.

        The slow argon2 check runs outside any transaction, so a burst of guesses never holds
        the database's write lock; only the outcome is written, in a short transaction.
        """
        email = normalize_email(email)
        now = self.clock()
        with self.sessions() as session:
            found = StaffRepository(session).by_email(email)
        if found is None or len(password) > MAX_PASSWORD_LENGTH:
            _verify(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])  # same time as a real check
            raise SignInError("wrong e-mail or password")
        if found.locked_until is not None and found.locked_until > now:
            raise AccountLockedError(found.locked_until)
        correct = _verify(found.password_hash, password)
        rehashed = (
            _hasher.hash(password)
            if correct and _hasher.check_needs_rehash(found.password_hash)
            else None
        )
        error: SignInError | None = None
        with transaction(self.sessions) as session:
            row = StaffRepository(session).lock(found.id)
            if row is None:
                raise SignInError("wrong e-mail or password")
            if row.locked_until is not None and row.locked_until > now:
                raise AccountLockedError(row.locked_until)  # locked by a concurrent attempt
            if correct and row.password_hash == found.password_hash:
                row.failed_logins = 0
                row.locked_until = None
                if rehashed is not None:
                    row.password_hash = rehashed
                _audit(session, row, "staff.signed_in", now)
            else:
                # The count must be committed, so the error is raised after the transaction.
                row.failed_logins = (row.failed_logins or 0) + 1
                error = SignInError("wrong e-mail or password")
                if row.failed_logins >= MAX_FAILED_LOGINS:
                    row.locked_until = now + LOCKOUT
                    row.failed_logins = 0
                    _audit(session, row, "staff.locked", now)
                    error = AccountLockedError(row.locked_until)
        if error is not None:
            raise error
        return row

    def get(self, user_id: str) -> StaffUserRow | None:
        """The user a session names, or None when it was deleted (the session then ends)."""
        with self.sessions() as session:
            return StaffRepository(session).get(user_id)

    def list(self, actor: Actor, issuer_id: str) -> list[StaffUserRow]:
        actor.require(issuer_id, "owner")
        with self.sessions() as session:
            return StaffRepository(session).for_issuer(issuer_id)


def actor_for(user: StaffUserRow) -> Actor:
    return Actor(issuer_id=user.issuer_id, name=f"staff:{user.email}", role=parse_role(user.role))


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


def _audit(session: Session, row: StaffUserRow, action: str, at: datetime) -> None:
    record_audit(session, f"staff:{row.email}", action, None, issuer_id=row.issuer_id, at=at)


__all__ = [
    "LOCKOUT",
    "MAX_FAILED_LOGINS",
    "AccountLockedError",
    "SignInError",
    "StaffService",
    "actor_for",
]
