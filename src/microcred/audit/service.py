"""Reading the audit log: who did what to which thing of an issuer, and when.

Services write events in the same transaction as the change they record (see
:class:`~microcred.audit.repository.AuditRepository`); this service only reads them, newest
first, for an actor with at least the viewer role.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    def names(
        self, actor: Actor, issuer_id: str, events: Sequence[AuditEventRow]
    ) -> dict[str, str]:
        """Display names for the events' actors and subjects, keyed by the stored text:
        ``staff:<email>`` and ``api-key:<prefix>`` by what they name, any other subject by its
        last path segment (a credential's URL ends in its id). What is not found (deleted, or
        the system) keeps its stored text on the page."""
        self.issuers.get(actor, issuer_id)
        texts = {e.actor for e in events} | {e.subject for e in events if e.subject}
        staff = {t.removeprefix("staff:") for t in texts if t.startswith("staff:")}
        keys = {t.removeprefix("api-key:") for t in texts if t.startswith("api-key:")}
        others = {
            t: _last_segment(t) for t in texts if not t.startswith(("staff:", "api-key:", "system"))
        }
        with self.sessions() as session:
            found = AuditRepository(session).names(
                issuer_id, sorted(set(others.values())), sorted(staff), sorted(keys)
            )
        named = {text: found[key] for text, key in others.items() if key in found}
        named |= {text: found[text] for text in texts if text in found}
        return named


def _last_segment(subject: str) -> str:
    return subject.rstrip("/").rsplit("/", 1)[-1]
