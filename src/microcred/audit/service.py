"""Reading the audit log: who did what to which thing of an issuer, and when.

Services write events in the same transaction as the change they record (see
:class:`~microcred.audit.repository.AuditRepository`); this service only reads them, newest
first, for an actor with at least the viewer role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from microcred.accounts.actor import Actor
from microcred.audit.repository import AuditRepository
from microcred.errors import InputError, short
from microcred.store.tables import AuditEventRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.issuers.service import IssuerService

MAX_PAGE = 200


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEventRow]
    total: int
    offset: int
    limit: int


class AuditService:
    def __init__(self, sessions: sessionmaker[Session], *, issuers: IssuerService) -> None:
        self.sessions = sessions
        self.issuers = issuers

    def list(
        self,
        actor: Actor,
        issuer_id: str,
        *,
        action: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> AuditPage:
        """One page of the issuer's events, newest first; ``action`` filters by exact name."""
        # Checks the role and that the issuer exists (another issuer's id is "not found").
        self.issuers.get(actor, issuer_id)
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise InputError(
                "offset or limit out of range",
                expected=f"offset >= 0, 1 <= limit <= {MAX_PAGE}",
                found=f"offset={offset}, limit={limit}",
            )
        if action is not None and not action.strip():
            raise InputError("action filter is empty", found=short(action))
        with self.sessions() as session:
            events = AuditRepository(session).list(
                issuer_id, action=action, offset=offset, limit=limit
            )
            total = AuditRepository(session).count(issuer_id, action=action)
        return AuditPage(events, total, offset, limit)
