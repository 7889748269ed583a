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
from microcred.crypto.statuslist import status_entry
from microcred.errors import ConflictError, InputError, NotFoundError, short
from microcred.issuers.repository import IssuerRepository
from microcred.model import parse_credential
from microcred.pathways.repository import EndorsementRepository
from microcred.signing import sign_credential
from microcred.status.allocation import allocate_indices
from microcred.store.db import transaction
from microcred.store.tables import PathwayEndorsementRow, PathwayRow
from microcred.types import JsonObject
from microcred.urls import PublicUrls

if TYPE_CHECKING:
    from microcred.issuers.service import IssuerService
    from microcred.status.lifecycle import LifecycleService

MAX_COMMENT = 2000
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


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
        text = (comment or "").strip() or None
        if text is not None and len(text) > MAX_COMMENT:
            raise InputError(
                "the endorsement's comment is too long",
                expected=f"at most {MAX_COMMENT} characters",
                found=str(len(text)),
            )
        now = self.clock().replace(microsecond=0)
        endorsement_id = str(uuid.uuid4())
        with transaction(self.sessions) as session:
            pathway = session.get(PathwayRow, pathway_id)
            if pathway is None or pathway.state != "active":
                raise NotFoundError("no such pathway", found=short(pathway_id))
            issuer = IssuerRepository(session).require(issuer_id)
            ((seq, index),) = allocate_indices(
                session, issuer_id, 1, length=self.status_list_length, now=now
            )
            subject: JsonObject = {
                "id": self.urls.achievement(pathway.achievement_id),
                "type": ["EndorsementSubject"],
            }
            if text is not None:
                subject["endorsementComment"] = text
            unsigned: JsonObject = {
                "@context": CONTEXTS,
                "id": self.url(pathway_id, endorsement_id),
                "type": ["VerifiableCredential", "EndorsementCredential"],
                "name": f"{issuer.name} endorses {pathway.name}"[:500],
                "issuer": self.issuers.profile(issuer),
                "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "credentialSubject": subject,
                "credentialStatus": [
                    status_entry(
                        list_url=self.urls.status_list(issuer.slug, "revocation", seq),
                        index=index,
                        purpose="revocation",
                    )
                ],
            }
            parse_credential(unsigned)  # the model's checks, as for every credential we sign
            signed = sign_credential(
                unsigned, self.issuers.signing_key(session, issuer_id), created=now
            )
            assert isinstance(signed, dict)
            row = PathwayEndorsementRow(
                id=endorsement_id,
                pathway_id=pathway_id,
                issuer_id=issuer_id,
                comment=text,
                status_list_seq=seq,
                status_index=index,
                document=signed,
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
            if row.withdrawn_at is not None:
                raise ConflictError(
                    "the endorsement was withdrawn already", expected="a standing endorsement"
                )
            self.lifecycle().set_status_bit(
                session,
                issuer_id=issuer_id,
                seq=row.status_list_seq,
                index=row.status_index,
                purpose="revocation",
                value=True,
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
