"""Exporting our credentials as sealed European Digital Credentials.

The server only seals what it issued: the credential is read from the store (by id, or found
by the id inside a file, which must then be the document as issued), mapped by
:func:`microcred.europass.export.build_edc`, checked against the Commission's shapes (an export
that would not conform is refused, never handed out), and sealed with the issuing issuer's
current key (:mod:`microcred.europass.seal`). Nothing is stored: an export is a view.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor
from microcred.achievements.service import AchievementService
from microcred.errors import InputError, NotFoundError, short
from microcred.europass.export import Learner, build_edc
from microcred.europass.repository import LegalIdentifierRepository
from microcred.europass.seal import seal, seal_certificate
from microcred.issuers.service import IssuerService
from microcred.issuing.credentials import CredentialService
from microcred.store.db import transaction
from microcred.store.tables import CredentialRow
from microcred.types import JsonObject
from microcred.urls import PublicUrls
from microcred.verify.shacl import check_edc

LEGAL_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./:_-]{1,62}[A-Za-z0-9]$")


class EuropassService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        issuers: IssuerService,
        credentials: CredentialService,
        achievements: AchievementService,
        urls: PublicUrls,
        clock: Callable[[], datetime],
        parts_of: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        """``parts_of(credential_id)``: the part credentials (ids issued here) a micro-degree was
        awarded for, exported as its sub-achievements when the caller names none."""
        self.sessions = sessions
        self.issuers = issuers
        self.credentials = credentials
        self.achievements = achievements
        self.urls = urls
        self.clock = clock
        self.parts_of = parts_of

    # ---- the awarding body's legal identifier ----------------------------------------------

    def set_legal_identifier(self, actor: Actor, issuer_id: str, notation: str) -> None:
        actor.require(issuer_id, "owner")
        notation = notation.strip()
        if not LEGAL_IDENTIFIER.match(notation):
            raise InputError(
                "not a legal identifier",
                expected="3-64 letters, digits, spaces or . / : _ - (e.g. a VAT number IE1234567T)",
                found=short(notation),
            )
        self.issuers.get_public(issuer_id)  # the issuer exists
        with transaction(self.sessions) as session:
            LegalIdentifierRepository(session).put(issuer_id, notation, self.clock())

    def legal_identifier(self, issuer_id: str) -> str | None:
        with self.sessions() as session:
            return LegalIdentifierRepository(session).get(issuer_id)

    # ---- exports -----------------------------------------------------------------------------

    def export(
        self, actor: Actor, issuer_id: str, credential_id: str, *, parts: Sequence[str] = ()
    ) -> JsonObject:
        """The issuer's credential (console, API): the actor must see the issuer's credentials."""
        return self._export(self.credentials.get(actor, issuer_id, credential_id), parts)

    def export_issued(self, credential_id: str, *, parts: Sequence[str] = ()) -> JsonObject:
        """A credential issued here, by id, for a caller that has already checked who may have
        it (the operator's CLI, the learner's wallet holding it)."""
        return self._export(self.credentials.get_public(credential_id), parts)

    def export_document(
        self, document: Mapping[str, Any], *, parts: Sequence[str] = ()
    ) -> JsonObject:
        """A credential given as a file: it must be one issued here, exactly as issued."""
        url = document.get("id")
        local = self.urls.credential_id(url) if isinstance(url, str) else None
        if local is None:
            raise InputError(
                "only a credential issued on this server can be exported and sealed here",
                expected=f"a credential whose id is under {self.urls.base}",
                found=short(url),
            )
        row = self.credentials.get_public(local)
        if _canonical(row.document) != _canonical(document):
            raise InputError(
                "the file is not the credential as issued",
                expected=f"the signed document of {local}",
                found="a document that differs from it",
            )
        return self._export(row, parts)

    def _export(self, row: CredentialRow, part_ids: Sequence[str]) -> JsonObject:
        if not part_ids and self.parts_of is not None:
            part_ids = self.parts_of(row.id)  # a micro-degree carries its parts
        if len(set(part_ids)) != len(part_ids):
            raise InputError("a part is named twice", found=", ".join(part_ids)[:200])
        parts = []
        for part_id in part_ids:
            try:
                part = self.credentials.get_public(part_id)
            except NotFoundError as exc:
                raise InputError("no such part credential", found=short(part_id)) from exc
            if not _same_learner(row, part):
                raise InputError(
                    "a part is about another learner",
                    expected="parts issued to the same e-mail address or DID",
                    found=short(part_id),
                )
            parts.append(part.document)
        notation = self.legal_identifier(row.issuer_id)
        issuer = self.issuers.get_public(row.issuer_id)
        if notation is None:
            raise InputError(
                f"the issuer {issuer.slug} has no legal identifier, which a European Digital "
                "Credential's issuer must carry",
                expected="one set by an owner (microcred europass legal-id SLUG NOTATION)",
            )
        if not issuer.country:
            raise InputError(
                f"the issuer {issuer.slug} has no country",
                expected="the issuer's ISO 3166-1 alpha-2 country",
            )
        if row.achievement_id is None:
            raise InputError(
                "a credential issued through the VC-API has no achievement defined here, so its "
                "EU elements are unknown",
                expected="a credential issued from one of this server's achievements",
                found=short(row.id),
            )
        now = self.clock()
        badge = self.achievements.get_public(row.achievement_id)
        edc = build_edc(
            row.document,
            legal_identifier=notation,
            learner=Learner(name=row.recipient_name),
            issued=now,
            # The badge as the display's page image when it is a PNG (else a drawn card).
            image_png=badge.image if badge.image_media_type == "image/png" else None,
            parts=parts,
        )
        violations = check_edc(edc)
        if violations:
            raise InputError(
                "this credential cannot be exported as a conforming European Digital Credential",
                expected="a credential whose elements satisfy the EDC shapes",
                found="; ".join(str(v) for v in violations[:3]),
            )
        with self.sessions() as session:
            key_file = self.issuers.signing_key(session, row.issuer_id)
        certificate = seal_certificate(
            key_file.key,
            organisation=issuer.name,
            country=issuer.country,
            legal_identifier=notation,
            did=key_file.controller,
            now=now,
        )
        return seal(edc, key_file.key, certificate, now=now)


def _same_learner(a: CredentialRow, b: CredentialRow) -> bool:
    if a.recipient_did and a.recipient_did == b.recipient_did:
        return True
    return (
        bool(a.recipient_email)
        and (a.recipient_email or "").lower() == (b.recipient_email or "").lower()
    )


def _canonical(document: Any) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


__all__ = ["EuropassService"]
