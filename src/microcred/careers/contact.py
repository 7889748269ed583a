"""Employers ask to contact a learner their search found; the learner accepts or declines.

An employer names the learner by the handle its own search showed (so only a learner who
shared something, and whom this employer found, can be asked; any other handle is "not found",
whether it exists for another employer or not at all). Until the learner accepts, the employer
sees the request's state and nothing else; accepting gives the one address she picks (one of
her verified ones) and, if she wishes, her name. She can decline later too, which takes them
back. One request per employer and learner; requests are rate limited per employer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from microcred.careers.contact_repository import ContactRepository
from microcred.errors import ConflictError, InputError, NotFoundError, RateLimitedError
from microcred.learners.service import LearnerService
from microcred.store.db import transaction
from microcred.store.tables import ContactRequestRow, EmployerRow

REQUESTS_PER_DAY = 20
MAX_MESSAGE = 1000
STATES = ("pending", "accepted", "declined")


@dataclass(frozen=True)
class EmployersRequest:
    """A request as its employer sees it: contact details only once accepted."""

    id: str
    learner: str
    message: str
    status: str
    created_at: datetime
    answered_at: datetime | None
    email: str | None
    name: str | None
    asked_by: str | None = None


@dataclass(frozen=True)
class LearnersRequest:
    """A request as the learner sees it."""

    id: str
    employer: str
    message: str
    status: str
    created_at: datetime
    email: str | None
    name: str | None


class ContactService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        learners: Callable[[], LearnerService],
    ) -> None:
        """``learners``: the learners' service, asked for when needed (it has this one among
        its data hooks)."""
        self.sessions = sessions
        self.clock = clock
        self._learners = learners

    def employer(self, employer_id: str) -> EmployerRow | None:
        """The employer a console session names (its token's hash checked by the caller)."""
        with self.sessions() as session:
            row = ContactRepository(session).employer(employer_id)
            if row is not None:
                session.expunge(row)
            return row

    # ---- the employer's side ------------------------------------------------------------------

    def ask(
        self, employer: EmployerRow, handle: str, message: str, *, asked_by: str | None = None
    ) -> EmployersRequest:
        """``asked_by``: the staff member's name (None: the organisation's token)."""
        message = message.strip()
        if not message or len(message) > MAX_MESSAGE:
            raise InputError(
                "a contact request needs a message",
                expected=f"1 to {MAX_MESSAGE} characters",
                found=f"{len(message)} characters",
            )
        now = self.clock()
        with transaction(self.sessions) as session:
            repo = ContactRepository(session)
            if repo.made_since(employer.id, now - timedelta(days=1)) >= REQUESTS_PER_DAY:
                raise RateLimitedError(
                    "too many contact requests",
                    retry_after=24 * 3600,
                    expected=f"{REQUESTS_PER_DAY} a day",
                )
            learner_id = repo.learner_found(employer.id, handle) if len(handle) <= 40 else None
            if learner_id is None:
                raise NotFoundError(
                    "no learner your searches found has this handle",
                    expected="a handle from one of your search results",
                    found=handle[:40],
                )
            if repo.between(employer.id, learner_id) is not None:
                raise ConflictError(
                    "you have already asked this learner", expected="one request per learner"
                )
            row = ContactRequestRow(
                id=str(uuid.uuid4()),
                employer_id=employer.id,
                learner_id=learner_id,
                handle=handle,
                message=message,
                status="pending",
                created_at=now,
                asked_by=asked_by,
            )
            if not repo.add(row):
                raise ConflictError(
                    "you have already asked this learner", expected="one request per learner"
                )
            return _employers(row)

    def requests_of(self, employer: EmployerRow, *, limit: int = 200) -> list[EmployersRequest]:
        with self.sessions() as session:
            return [
                _employers(r)
                for r in ContactRepository(session).of_employer(employer.id, limit=limit)
            ]

    # ---- the learner's side -------------------------------------------------------------------

    def requests_to(self, learner_id: str, *, limit: int = 100) -> list[LearnersRequest]:
        with self.sessions() as session:
            rows = ContactRepository(session).of_learner(learner_id, limit=limit)
            return [
                LearnersRequest(
                    r.id, name, r.message, r.status, r.created_at, r.contact_email, r.contact_name
                )
                for r, name in rows
            ]

    def accept(
        self, learner_id: str, request_id: str, *, email: str, share_name: bool = False
    ) -> None:
        """Give the employer ``email`` (one of her verified addresses) and, if asked, her name."""
        addresses = self._learners().emails(learner_id)
        chosen = email.strip().lower()
        if chosen not in {a.lower() for a in addresses}:
            raise InputError(
                "give one of your own verified addresses",
                expected="an address of your account",
                found=email[:80],
            )
        name = self._learners().account(learner_id).learner.display_name if share_name else None
        with transaction(self.sessions) as session:
            row = ContactRepository(session).learners_request(learner_id, request_id)
            row.status = "accepted"
            row.answered_at = self.clock()
            row.contact_email = chosen
            row.contact_name = name

    def decline(self, learner_id: str, request_id: str) -> None:
        """Say no, or take back what an accepted request gave."""
        with transaction(self.sessions) as session:
            row = ContactRepository(session).learners_request(learner_id, request_id)
            row.status = "declined"
            row.answered_at = self.clock()
            row.contact_email = None
            row.contact_name = None

    # ---- the learner's export and deletion (LearnerDataHook) ----------------------------------

    def export(self, session: Session, learner_id: str) -> dict[str, object]:
        rows = ContactRepository(session).of_learner(learner_id, limit=10_000)
        return {
            "contact_requests": [
                {
                    "employer": name,
                    "message": r.message,
                    "status": r.status,
                    "at": r.created_at.isoformat(),
                    "gave": r.contact_email,
                }
                for r, name in rows
            ]
        }

    def delete(self, session: Session, learner_id: str) -> None:
        ContactRepository(session).forget_learner(learner_id)


def _employers(row: ContactRequestRow) -> EmployersRequest:
    accepted = row.status == "accepted"
    return EmployersRequest(
        id=row.id,
        learner=row.handle,
        message=row.message,
        status=row.status,
        created_at=row.created_at,
        answered_at=row.answered_at,
        email=row.contact_email if accepted else None,
        name=row.contact_name if accepted else None,
        asked_by=row.asked_by,
    )


__all__ = ["REQUESTS_PER_DAY", "ContactService", "EmployersRequest", "LearnersRequest"]
