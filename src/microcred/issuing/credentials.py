"""Reading issued credentials: the issuer's scoped view and the public one."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor
from microcred.issuing.repository import (
    CredentialFilter,
    CredentialRepository,
    PageState,
    page_state_on,
)
from microcred.store.stamps import ChangeStamps
from microcred.store.tables import CredentialRow


class CredentialService:
    def __init__(self, sessions: sessionmaker[Session], engine: Engine | None = None) -> None:
        self.sessions = sessions
        self.engine = engine

    def get(self, actor: Actor, issuer_id: str, credential_id: str) -> CredentialRow:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return CredentialRepository(session).require(issuer_id, credential_id)

    def get_public(self, credential_id: str) -> CredentialRow:
        with self.sessions() as session:
            return CredentialRepository(session).require_public(credential_id)

    def page_state(
        self, credential_id: str, stamps: ChangeStamps
    ) -> tuple[Mapping[str, int], PageState | None]:
        """The change stamps, then the mutable part of a credential's row (None: no such
        credential), in one transaction."""
        if self.engine is None:
            with self.sessions() as session:
                reading = stamps.read_on(session.connection())
                return reading, CredentialRepository(session).page_state(credential_id)
        # Asked on every view of a kept page: a Core connection and a prepared statement, not
        # an ORM session (which cost half the answer).
        with self.engine.connect() as connection:
            reading = stamps.read_on(connection)
            return reading, page_state_on(connection, credential_id)

    def list(
        self,
        actor: Actor,
        issuer_id: str,
        where: CredentialFilter,
        *,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[CredentialRow], int]:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return CredentialRepository(session).list(issuer_id, where, offset=offset, limit=limit)
