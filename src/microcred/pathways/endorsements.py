"""Endorsements of pathways: an issuer of this server vouches for a pathway with a signed OB 3.0
``EndorsementCredential``, and may withdraw it (its revocation bit, on the endorser's own
status list, so any verifier sees the withdrawal).

The subject is the pathway's micro-degree achievement (what the pathway awards); the
endorsement is served at the pathway's address + ``/endorsements/<id>`` and listed on its page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor
from microcred.audit.repository import record_audit
from microcred.errors import NotFoundError, short
from microcred.issuers.repository import IssuerRepository
from microcred.pathways.endorsement_signing import (
    checked_comment,
    sign_endorsement,
    withdraw_endorsement,
)
from microcred.pathways.repository import EndorsementRepository
from microcred.store.db import transaction
from microcred.store.tables import PathwayEndorsementRow, PathwayRow
from microcred.urls import PublicUrls

if TYPE_CHECKING:
    from microcred.issuers.service import IssuerService
    from microcred.status.lifecycle import LifecycleService


class EndorsementService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        issuers: IssuerService,
        lifecycle: Callable[[], LifecycleService],
        status_list_length: int,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.issuers = issuers
        self.lifecycle = lifecycle
        self.status_list_length = status_list_length

    def endorse(
        self, actor: Actor, issuer_id: str, pathway_id: str, comment: str | None
    ) -> PathwayEndorsementRow:
        """Sign the issuer's endorsement of an active pathway (the index on its revocation
        list is allocated, the credential signed and stored in one transaction)."""
        actor.require(issuer_id, "issuer")
        text = checked_comment(comment)
        now = self.clock().replace(microsecond=0)
        endorsement_id = str(uuid.uuid4())
        with transaction(self.sessions) as session:
            pathway = session.get(PathwayRow, pathway_id)
            if pathway is None or pathway.state != "active":
                raise NotFoundError("no such pathway", found=short(pathway_id))
            signed = sign_endorsement(
                session,
                issuers=self.issuers,
                urls=self.urls,
                endorser=IssuerRepository(session).require(issuer_id),
                endorsement_url=self.url(pathway_id, endorsement_id),
                subject_url=self.urls.achievement(pathway.achievement_id),
                subject_name=pathway.name,
                comment=text,
                now=now,
                status_list_length=self.status_list_length,
            )
            row = PathwayEndorsementRow(
                id=endorsement_id,
                pathway_id=pathway_id,
                issuer_id=issuer_id,
                comment=text,
                status_list_seq=signed.status_list_seq,
                status_index=signed.status_index,
                document=signed.document,
                created_at=now,
                withdrawn_at=None,
            )
            EndorsementRepository(session).add(row)
            record_audit(
                session,
                actor.name,
                "pathway.endorsed",
                self.url(pathway_id, endorsement_id),
                issuer_id=issuer_id,
                at=now,
                details={"pathway": pathway_id},
            )
        return row

    def withdraw(self, actor: Actor, issuer_id: str, endorsement_id: str) -> PathwayEndorsementRow:
        """Set its revocation bit; withdrawing twice is a conflict."""
        actor.require(issuer_id, "issuer")
        now = self.clock().replace(microsecond=0)
        with transaction(self.sessions) as session:
            row = EndorsementRepository(session).lock(issuer_id, endorsement_id)
            withdraw_endorsement(
                session,
                self.lifecycle,
                issuer_id=issuer_id,
                status_list_seq=row.status_list_seq,
                status_index=row.status_index,
                withdrawn_at=row.withdrawn_at,
                now=now,
            )
            row.withdrawn_at = now
            record_audit(
                session,
                actor.name,
                "pathway.endorsement_withdrawn",
                self.url(row.pathway_id, row.id),
                issuer_id=issuer_id,
                at=now,
                details={"pathway": row.pathway_id},
            )
        return row

    def of_pathway(self, pathway_id: str) -> list[PathwayEndorsementRow]:
        with self.sessions() as session:
            return EndorsementRepository(session).of_pathway(pathway_id)

    def own(self, issuer_id: str, endorsement_id: str) -> PathwayEndorsementRow:
        """One of ``issuer_id``'s endorsements of a pathway; another issuer's is not found."""
        with self.sessions() as session:
            return EndorsementRepository(session).lock(issuer_id, endorsement_id)

    def get(self, pathway_id: str, endorsement_id: str) -> PathwayEndorsementRow:
        with self.sessions() as session:
            return EndorsementRepository(session).get(pathway_id, endorsement_id)

    def url(self, pathway_id: str, endorsement_id: str) -> str:
        return f"{self.urls.pathway(pathway_id)}/endorsements/{endorsement_id}"


__all__ = ["EndorsementService"]
