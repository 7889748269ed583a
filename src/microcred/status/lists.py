"""Signed ``BitstringStatusListCredential``s, published by the server at stable URLs.

A list is signed on demand with the issuer's current key and the result is kept in its row.
The kept copy is served until the bits change (lifecycle clears it), the issuer's key rotates,
or it is ``status_list_max_age_seconds`` old; caches may keep a response only for what is left
of that age, and the credential's ``validUntil`` adds a small clock-skew allowance on top. So a
change reaches every verifier within the max age, and a replayed old list soon stops verifying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from microcred.crypto import proofs
from microcred.crypto.statuslist import (
    BitstringStatusList,
    StatusPurpose,
    status_list_credential,
)
from microcred.errors import NotFoundError, short
from microcred.issuers.repository import IssuerRepository
from microcred.status.allocation import PURPOSES
from microcred.status.repository import StatusListRepository
from microcred.store.db import transaction
from microcred.types import JsonObject

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import sessionmaker

    from microcred.crypto.keys import KeyFile
    from microcred.issuers.service import IssuerService
    from microcred.urls import PublicUrls

SKEW = timedelta(minutes=2)
"""How far past the re-signing time a list stays valid: verifiers' clocks differ a little."""


@dataclass(frozen=True)
class PublishedList:
    """A signed list and how many more seconds a cache may keep it."""

    document: JsonObject
    signed_at: datetime
    fresh_for: int


@dataclass(frozen=True)
class _Snapshot:
    row_id: str
    issuer_did: str
    bits: bytes
    changed_at: datetime
    signed: JsonObject | None
    signed_at: datetime | None


class StatusListService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        issuers: IssuerService,
        max_age_seconds: int,
    ) -> None:
        """``max_age_seconds``: how long a served list may be cached (negative: 0)."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.issuers = issuers
        self.max_age = max(0, max_age_seconds)

    def signed_list(self, slug: str, purpose: str, seq: int) -> JsonObject:
        """The current signed list credential; NotFoundError for a list that does not exist."""
        return self.published(slug, purpose, seq).document

    def published(self, slug: str, purpose: str, seq: int) -> PublishedList:
        """Like :meth:`signed_list`, with the signing time and the seconds left to cache it."""
        if purpose not in PURPOSES:
            raise NotFoundError(
                "no such status list purpose", expected=" | ".join(PURPOSES), found=short(purpose)
            )
        now = self.clock().replace(microsecond=0)
        with self.sessions() as session:
            snapshot, key_file = self._load(session, slug, purpose, seq)
        kept = self._kept(snapshot, key_file, now)
        if kept is not None:
            return kept
        document = self._sign(slug, purpose, seq, snapshot, key_file, now)
        with transaction(self.sessions) as session:
            row = StatusListRepository(session).lock_by_id(snapshot.row_id)
            # Keep it only if no status changed while we signed; else the next request re-signs.
            if row is not None and row.bits == snapshot.bits:
                row.signed, row.signed_at = document, now
        return PublishedList(document, now, self.max_age)

    def _load(
        self, session: Session, slug: str, purpose: str, seq: int
    ) -> tuple[_Snapshot, KeyFile]:
        where = f"{slug}/{purpose}/{seq}"
        status_lists = StatusListRepository(session)
        # An unknown issuer is "no such status list" too.
        issuer = status_lists.found(IssuerRepository(session).by_slug(slug), where)
        row = status_lists.found(status_lists.get(issuer.id, purpose, seq), where)
        key_file = self.issuers.signing_key(session, issuer.id)
        snapshot = _Snapshot(
            row_id=row.id,
            issuer_did=self.urls.issuer_did(slug),
            bits=row.bits,
            changed_at=row.changed_at,
            signed=row.signed,
            signed_at=row.signed_at,
        )
        return snapshot, key_file

    def _kept(self, snapshot: _Snapshot, key_file: KeyFile, now: datetime) -> PublishedList | None:
        """The kept signed list if it may still be served, else None."""
        signed, signed_at = snapshot.signed, snapshot.signed_at
        if signed is None or signed_at is None:
            return None
        proof = signed.get("proof")
        method = proof.get("verificationMethod") if isinstance(proof, dict) else None
        age = int((now - signed_at).total_seconds())
        if (
            snapshot.changed_at <= signed_at <= now
            and age < self.max_age
            and method == key_file.verification_method  # re-sign after a key rotation
        ):
            return PublishedList(signed, signed_at, self.max_age - age)
        return None

    def _sign(
        self,
        slug: str,
        purpose: str,
        seq: int,
        snapshot: _Snapshot,
        key_file: KeyFile,
        now: datetime,
    ) -> JsonObject:
        status_purpose: StatusPurpose = "revocation" if purpose == "revocation" else "suspension"
        document = status_list_credential(
            id=self.urls.status_list(slug, purpose, seq),
            issuer=snapshot.issuer_did,
            status_purpose=status_purpose,
            status_list=BitstringStatusList.from_bytes(snapshot.bits),
            # The bits have said this since they last changed: a verifier whose clock lags a
            # little behind ours still accepts a list signed a moment ago.
            valid_from=min(snapshot.changed_at, now).replace(microsecond=0),
            valid_until=now + timedelta(seconds=self.max_age) + SKEW,
        )
        return proofs.sign(
            document, key_file.key, verification_method=key_file.verification_method, created=now
        )


__all__ = ["PublishedList", "StatusListService"]
