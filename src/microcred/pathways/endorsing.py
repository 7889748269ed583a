"""Endorsements of achievements and issuers by this server's issuers, and endorsements signed
elsewhere (an external organisation, by its DID) that the endorsed issuer submits.

Ours are signed like a pathway's (``endorsements.py``): an OB 3.0 ``EndorsementCredential`` by
the endorser's key, withdrawn by its revocation bit. External ones are verified by our verifier
(did:key, or did:web through the injected fetcher) before anything is stored; their status lives
on the endorser's list, so :meth:`EndorsementBook.recheck` reads it again and records the state.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor
from microcred.audit.repository import record_audit
from microcred.crypto.did import Fetcher, no_network
from microcred.errors import ConflictError, InputError, NotFoundError, short
from microcred.issuers.repository import IssuerRepository
from microcred.pathways.endorsement_signing import (
    MAX_COMMENT,
    checked_comment,
    sign_endorsement,
    withdraw_endorsement,
)
from microcred.pathways.repository import EndorsementBookRepository
from microcred.store.db import transaction
from microcred.store.tables import AchievementRow, EndorsementRow, IssuerRow
from microcred.types import JsonObject
from microcred.urls import PublicUrls
from microcred.verify.result import Outcome, Status, VerificationResult

if TYPE_CHECKING:
    from microcred.issuers.service import IssuerService
    from microcred.status.lifecycle import LifecycleService
    from microcred.verification.service import VerificationService

SUBJECTS = ("achievement", "issuer")
MAX_DOCUMENT = 256 * 1024


@dataclass(frozen=True)
class Shown:
    """One endorsement as a public page lists it."""

    endorser: str
    comment: str | None
    state: str  # verified | withdrawn | not_verified
    external: bool
    url: str
    checked_at: datetime


class EndorsementBook:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        issuers: IssuerService,
        lifecycle: Callable[[], LifecycleService],
        verification: Callable[[], VerificationService],
        status_list_length: int,
        fetcher: Fetcher = no_network,
    ) -> None:
        """``fetcher``: other servers' DID documents and status lists (the guarded client)."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.issuers = issuers
        self.lifecycle = lifecycle
        self.verification = verification
        self.status_list_length = status_list_length
        self.fetcher = fetcher

    # ---- ours ---------------------------------------------------------------------------------

    def endorse(
        self, actor: Actor, issuer_id: str, subject_type: str, subject_id: str, comment: str | None
    ) -> EndorsementRow:
        """Sign ``issuer_id``'s endorsement of an achievement or another issuer of this server."""
        actor.require(issuer_id, "issuer")
        if subject_type not in SUBJECTS:
            raise InputError(
                "unknown endorsement subject",
                expected=" | ".join(SUBJECTS),
                found=short(subject_type),
            )
        text = checked_comment(comment)
        now = self.clock().replace(microsecond=0)
        endorsement_id = str(uuid.uuid4())
        with transaction(self.sessions) as session:
            endorser = IssuerRepository(session).require(issuer_id)
            subject_url, subject_name, owner = self._subject(session, subject_type, subject_id)
            if owner.id == issuer_id:
                raise InputError(
                    "an issuer does not endorse itself or its own achievements",
                    expected="another issuer's achievement, or another issuer",
                    found=short(subject_id),
                )
            signed = sign_endorsement(
                session,
                issuers=self.issuers,
                urls=self.urls,
                endorser=endorser,
                endorsement_url=self.url(endorsement_id),
                subject_url=subject_url,
                subject_name=subject_name,
                comment=text,
                now=now,
                status_list_length=self.status_list_length,
            )
            row = EndorsementRow(
                id=endorsement_id,
                subject_type=subject_type,
                subject_id=subject_id,
                endorsed_issuer_id=owner.id,
                endorser_issuer_id=issuer_id,
                endorser=self.urls.issuer_did(endorser.slug),
                endorser_name=endorser.name,
                comment=text,
                status_list_seq=signed.status_list_seq,
                status_index=signed.status_index,
                document=signed.document,
                state="verified",
                reason=None,
                checked_at=now,
                created_at=now,
                withdrawn_at=None,
            )
            session.add(row)
            session.flush()
            record_audit(
                session,
                actor.name,
                f"{subject_type}.endorsed",
                self.url(endorsement_id),
                issuer_id=issuer_id,
                at=now,
                details={subject_type: subject_id},
            )
        return row

    def withdraw(self, actor: Actor, issuer_id: str, endorsement_id: str) -> EndorsementRow:
        """Set the revocation bit of one of ``issuer_id``'s own endorsements."""
        actor.require(issuer_id, "issuer")
        now = self.clock().replace(microsecond=0)
        with transaction(self.sessions) as session:
            row = EndorsementBookRepository(session).lock_own(issuer_id, endorsement_id)
            if row is None or row.status_list_seq is None or row.status_index is None:
                raise NotFoundError("no such endorsement", found=short(endorsement_id))
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
            row.state = "withdrawn"
            row.checked_at = now
            record_audit(
                session,
                actor.name,
                f"{row.subject_type}.endorsement_withdrawn",
                self.url(row.id),
                issuer_id=issuer_id,
                at=now,
                details={row.subject_type: row.subject_id},
            )
        return row

    # ---- external -----------------------------------------------------------------------------

    def submit(self, actor: Actor, issuer_id: str, data: bytes) -> EndorsementRow:
        """Store an EndorsementCredential signed elsewhere of ``issuer_id``, one of its
        achievements or one of its pathways, once our verifier has verified it. Anything else
        is refused with the reason (a 4xx) and nothing is stored."""
        actor.require(issuer_id, "issuer")
        document = _document(data)
        endorser, endorser_name = _endorser(document)
        if self.urls.is_ours_did(endorser) or self.urls.is_ours(endorser):
            raise InputError(
                "the endorser is an issuer of this server",
                expected="an external organisation's DID (this server's issuers endorse "
                "with POST /api/v1/issuers/{issuer}/endorsements)",
                found=short(endorser),
            )
        subject = document.get("credentialSubject")
        subject_url = subject.get("id") if isinstance(subject, dict) else None
        if not isinstance(subject_url, str):
            raise InputError(
                "the endorsement has no subject id", expected="credentialSubject.id", found=None
            )
        result = self._verify(document)
        if result.outcome != Outcome.VERIFIED:
            raise InputError(
                "the endorsement does not verify",
                expected="a credential that our verifier verifies",
                found=_failures(result),
            )
        now = self.clock().replace(microsecond=0)
        comment = subject.get("endorsementComment") if isinstance(subject, dict) else None
        with transaction(self.sessions) as session:
            issuer = IssuerRepository(session).require(issuer_id)
            subject_type, subject_id = self._own_subject(session, issuer, subject_url)
            duplicate = EndorsementBookRepository(session).standing(issuer_id, subject_id, endorser)
            if duplicate is not None:
                raise ConflictError(
                    "this organisation's endorsement of it is stored already",
                    expected="one standing endorsement per endorser and subject",
                    found=duplicate,
                )
            row = EndorsementRow(
                id=str(uuid.uuid4()),
                subject_type=subject_type,
                subject_id=subject_id,
                endorsed_issuer_id=issuer_id,
                endorser_issuer_id=None,
                endorser=endorser,
                endorser_name=endorser_name,
                comment=comment[:MAX_COMMENT] if isinstance(comment, str) else None,
                status_list_seq=None,
                status_index=None,
                document=document,
                state="verified",
                reason=None,
                checked_at=now,
                created_at=now,
                withdrawn_at=None,
            )
            session.add(row)
            session.flush()
            record_audit(
                session,
                actor.name,
                f"{subject_type}.external_endorsement_added",
                self.url(row.id),
                issuer_id=issuer_id,
                at=now,
                details={subject_type: subject_id, "endorser": endorser[:500]},
            )
        return row

    def recheck(self, endorsement_id: str) -> EndorsementRow:
        """Verify an external endorsement again and record the verdict: its status check failing
        means the endorser withdrew it; any other failure, that it no longer verifies."""
        with self.sessions() as session:
            stored = session.get(EndorsementRow, endorsement_id)
            if stored is None:
                raise NotFoundError("no such endorsement", found=short(endorsement_id))
            document = dict(stored.document)
        if stored.endorser_issuer_id is not None:
            return stored  # ours: the withdrawal is recorded when it happens
        result = self._verify(document)
        now = self.clock().replace(microsecond=0)
        status = result.check("status")
        if result.outcome == Outcome.VERIFIED:
            state, reason = "verified", None
        elif status is not None and status.status == Status.FAILED:
            state, reason = "withdrawn", status.message
        else:
            state, reason = "not_verified", _failures(result)
        with transaction(self.sessions) as session:
            row = session.get(EndorsementRow, endorsement_id, with_for_update=True)
            assert row is not None
            row.state, row.reason, row.checked_at = state, reason, now
            if state == "withdrawn" and row.withdrawn_at is None:
                row.withdrawn_at = now
        return row

    # ---- reading ------------------------------------------------------------------------------

    def get(self, endorsement_id: str) -> EndorsementRow:
        with self.sessions() as session:
            row = session.get(EndorsementRow, endorsement_id)
        if row is None:
            raise NotFoundError("no such endorsement", found=short(endorsement_id))
        return row

    def of_subject(self, subject_type: str, subject_id: str) -> list[EndorsementRow]:
        with self.sessions() as session:
            return EndorsementBookRepository(session).of_subject(subject_type, subject_id)

    def shown(self, subject_type: str, subject_id: str) -> list[Shown]:
        return [
            Shown(
                endorser=row.endorser_name,
                comment=row.comment,
                state=row.state,
                external=row.endorser_issuer_id is None,
                url=f"/endorsements/{row.id}",
                checked_at=row.checked_at,
            )
            for row in self.of_subject(subject_type, subject_id)
        ]

    def standing_documents(self, subject_type: str, subject_id: str) -> list[JsonObject]:
        """The verified, standing ones, for the subject's OB 3.0 ``endorsement`` list."""
        return [
            row.document
            for row in self.of_subject(subject_type, subject_id)
            if row.state == "verified"
        ]

    def url(self, endorsement_id: str) -> str:
        return f"{self.urls.base}/endorsements/{endorsement_id}"

    # ---- helpers ------------------------------------------------------------------------------

    def _verify(self, document: JsonObject) -> VerificationResult:
        data = json.dumps(document, ensure_ascii=False).encode()
        return self.verification().verify_bytes(data, fetcher=self.fetcher)

    def _subject(
        self, session: Session, subject_type: str, subject_id: str
    ) -> tuple[str, str, IssuerRow]:
        """(URL or DID as the credential names it, name, owning issuer) of one of ours."""
        if subject_type == "issuer":
            issuer = session.get(IssuerRow, subject_id)
            if issuer is None:
                raise NotFoundError("no such issuer", found=short(subject_id))
            return self.urls.issuer_did(issuer.slug), issuer.name, issuer
        achievement = session.get(AchievementRow, subject_id)
        if achievement is None or achievement.archived:
            raise NotFoundError("no such achievement", found=short(subject_id))
        owner = IssuerRepository(session).require(achievement.issuer_id)
        return self.urls.achievement(achievement.id), achievement.name, owner

    def _own_subject(self, session: Session, issuer: IssuerRow, url: str) -> tuple[str, str]:
        """What of ``issuer``'s an external endorsement's subject id names."""
        if url in (self.urls.issuer_did(issuer.slug), self.urls.issuer(issuer.slug)):
            return "issuer", issuer.id
        prefix = self.urls.achievement("")
        achievement_id = url.removeprefix(prefix) if url.startswith(prefix) else None
        achievement = session.get(AchievementRow, achievement_id) if achievement_id else None
        if achievement is not None and achievement.issuer_id == issuer.id:
            pathway = EndorsementBookRepository(session).pathway_awarding(achievement.id)
            if pathway is not None:
                return "pathway", pathway
            return "achievement", achievement.id
        raise InputError(
            "the endorsement's subject is not this issuer, one of its achievements or pathways",
            expected=f"{self.urls.issuer_did(issuer.slug)} or {prefix}<id> of one of its own",
            found=short(url),
        )


def _document(data: bytes) -> JsonObject:
    if len(data) > MAX_DOCUMENT:
        raise InputError(
            "the endorsement is too large",
            expected=f"at most {MAX_DOCUMENT} bytes",
            found=str(len(data)),
        )
    try:
        document: Any = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            "the endorsement is not JSON",
            expected="an EndorsementCredential (JSON-LD)",
            found=str(exc)[:100],
        ) from exc
    if not isinstance(document, dict):
        raise InputError("the endorsement must be a JSON object", found=type(document).__name__)
    types = document.get("type")
    if not isinstance(types, list) or "EndorsementCredential" not in types:
        raise InputError(
            "not an endorsement",
            expected='type ["VerifiableCredential", "EndorsementCredential"]',
            found=short(json.dumps(types)),
        )
    return document


def _endorser(document: JsonObject) -> tuple[str, str]:
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        raise InputError("the endorsement names no issuer", expected="issuer (a DID)", found=None)
    name = issuer.get("name") if isinstance(issuer, dict) else None
    return issuer_id, (name if isinstance(name, str) and name.strip() else issuer_id)[:500]


def _failures(result: VerificationResult) -> str:
    failed = [f"{c.name}: {c.message}" for c in result.checks if c.status == Status.FAILED]
    return "; ".join(failed)[:500] or str(result.outcome)


__all__ = ["EndorsementBook", "Shown"]
