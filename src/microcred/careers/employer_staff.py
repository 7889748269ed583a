"""People at an employer, each with a token of their own (``mces_...``, shown once, kept as
SHA-256): the API and the console take it as they take the organisation's, for that
organisation only, and what they ask is signed with their name. Revoking one ends it at once
(console sessions are bound to the token's hash). Console sessions are kept on the server
(only their id's SHA-256): signing out ends one, whoever holds a copy of the cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from microcred.careers.contact_repository import (
    ContactRepository,
    EmployerSessionRepository,
    EmployerStaffRepository,
)
from microcred.careers.employers import EmployerSearchService, token_hash
from microcred.errors import InputError
from microcred.store.db import transaction
from microcred.store.tables import EmployerRow, EmployerSessionRow, EmployerStaffRow

STAFF_TOKEN_PREFIX = "mces_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True)
class StaffMember:
    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class SignedInStaff:
    """Who acts: the employer, and the staff member (None: the organisation's own token)."""

    employer: EmployerRow
    staff_id: str | None
    staff_name: str | None
    token_hash: str


class EmployerStaffService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        employers: EmployerSearchService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.employers = employers

    def add(self, employer_id: str, name: str) -> tuple[str, str]:
        """A staff member of ``employer_id``; returns the id and the token (shown once)."""
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise InputError("a staff member needs a name", expected="1 to 200 characters")
        token = STAFF_TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = EmployerStaffRow(
            id=str(uuid.uuid4()),
            employer_id=employer_id,
            name=name,
            token_hash=token_hash(token),
            created_at=self.clock(),
        )
        with transaction(self.sessions) as session:
            owner = ContactRepository(session)
            owner.found(owner.employer(employer_id), employer_id, noun="employer")
            EmployerStaffRepository(session).add(row)
        return row.id, token

    def revoke(self, employer_id: str, staff_id: str) -> None:
        with transaction(self.sessions) as session:
            row = EmployerStaffRepository(session).get(employer_id, staff_id)
            if row.revoked_at is None:
                row.revoked_at = self.clock()

    def staff(self, employer_id: str) -> list[StaffMember]:
        with self.sessions() as session:
            rows = EmployerStaffRepository(session).of_employer(employer_id)
            return [StaffMember(r.id, r.name, r.created_at, r.revoked_at) for r in rows]

    def who(self, token: str) -> SignedInStaff | None:
        """Whoever the token is: a current staff member, or the organisation's own token."""
        if token.startswith(STAFF_TOKEN_PREFIX):
            return self.authenticate(token)
        employer = self.employers.authenticate(token) if len(token) <= 200 else None
        return SignedInStaff(employer, None, None, employer.token_hash) if employer else None

    def open_session(self, who: SignedInStaff, session_id: str, lifetime: timedelta) -> None:
        """Record a console session the web layer put in a cookie (only the id's digest is
        kept); sessions past their time are cleared on the way."""
        now = self.clock()
        row = EmployerSessionRow(
            id_hash=_digest(session_id),
            employer_id=who.employer.id,
            staff_id=who.staff_id,
            created_at=now,
            expires_at=now + lifetime,
        )
        with transaction(self.sessions) as session:
            sessions = EmployerSessionRepository(session)
            sessions.remove_expired(now)
            sessions.add(row)

    def end_session(self, session_id: str) -> None:
        with transaction(self.sessions) as session:
            EmployerSessionRepository(session).remove(_digest(session_id))

    def session_of(
        self, session_id: str, employer_id: str, staff_id: str | None, hash_part: str
    ) -> SignedInStaff | None:
        """Who a console session names, if it is still open on the server (not signed out,
        not expired) and its token still stands (its hash begins with ``hash_part``): a revoked
        staff token or a replaced organisation token ends it."""
        with self.sessions() as session:
            kept = EmployerSessionRepository(session).live(_digest(session_id), self.clock())
            if kept is None or kept.employer_id != employer_id or kept.staff_id != staff_id:
                return None
            employer = ContactRepository(session).employer(employer_id)
            if employer is None:
                return None
            if staff_id is None:
                current = employer.token_hash
                name = None
            else:
                staff = EmployerStaffRepository(session).current(employer_id, staff_id)
                if staff is None:
                    return None
                current, name = staff.token_hash, staff.name
            if not hmac.compare_digest(current[: len(hash_part)], hash_part) or len(hash_part) < 16:
                return None
            session.expunge(employer)
            return SignedInStaff(employer, staff_id, name, current)

    def authenticate(self, token: str) -> SignedInStaff | None:
        """A current staff member's token: who they are and for which employer."""
        if not token.startswith(STAFF_TOKEN_PREFIX) or len(token) > 200:
            return None
        with self.sessions() as session:
            found = EmployerStaffRepository(session).by_token(token_hash(token))
            if found is None:
                return None
            staff, employer = found
            session.expunge(employer)
            return SignedInStaff(employer, staff.id, staff.name, staff.token_hash)


__all__ = ["STAFF_TOKEN_PREFIX", "EmployerStaffService", "SignedInStaff", "StaffMember"]


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
