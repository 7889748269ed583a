"""Issuer organisations, their signing keys (sealed at rest), did:web documents and API keys."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import SYSTEM, Actor, Role, parse_role
from microcred.achievements.images import check_badge_image
from microcred.audit.repository import record_audit
from microcred.crypto.did import build_did_document
from microcred.crypto.keys import KeyFile, PublicKey
from microcred.crypto.sealing import Sealer
from microcred.errors import (
    ConflictError,
    InputError,
    ModelError,
    NotFoundError,
    PermissionDeniedError,
    short,
)
from microcred.issuers.keyring import new_key_row, open_key_row
from microcred.issuers.repository import ApiKeyRepository, IssuerRepository, KeyRepository
from microcred.model import Address
from microcred.store.db import transaction
from microcred.store.tables import ApiKeyRow, IssuerKeyRow, IssuerRow
from microcred.types import JsonObject
from microcred.urls import PublicUrls

DID_KEY_PURPOSE = "didkey"
"""Key purpose of an issuer's did:key signing key (not listed in its DID document)."""

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
API_KEY_PREFIX = "mc_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuerInput:
    slug: str
    name: str
    url: str | None = None
    email: str | None = None
    description: str | None = None
    address: dict[str, Any] | None = None
    country: str | None = None
    linkedin_organization_id: str | None = None
    """The issuer's LinkedIn company page id (digits): learners' add-to-profile links name it."""


def _check_issuer_input(data: IssuerInput) -> None:
    if not SLUG.match(data.slug):
        raise InputError(
            "issuer slug must be lower-case letters, digits and inner hyphens (1-64)",
            expected="for example 'example-university'",
            found=short(data.slug),
        )
    if not isinstance(data.name, str) or not data.name.strip() or len(data.name) > 300:
        raise InputError("issuer name must be 1-300 characters", found=short(data.name))
    if data.address is not None:
        _check_address(data.address)
    if data.country is not None and not COUNTRY.match(data.country):
        raise InputError(
            "country must be an ISO 3166-1 alpha-2 code",
            expected="two upper-case letters, e.g. 'DE'",
            found=short(data.country),
        )
    if data.url is not None and not data.url.startswith(("https://", "http://")):
        raise InputError("issuer url must be http(s)", found=short(data.url))
    if data.email is not None and "@" not in data.email:
        raise InputError("issuer email is not an address", found=short(data.email))
    linkedin = data.linkedin_organization_id
    if linkedin is not None and not (
        isinstance(linkedin, str)
        and linkedin.isascii()
        and linkedin.isdigit()
        and len(linkedin) <= 20
    ):
        raise InputError(
            "the LinkedIn organization id is the number in the company page's admin address",
            expected="1 to 20 digits",
            found=short(linkedin),
        )


# The Address terms the OB 3.0 context defines; any other key would be dropped when signing.
ADDRESS_FIELDS = frozenset(f.alias for f in Address.model_fields.values() if f.alias) - {"type"}


def _check_address(address: object) -> None:
    if not isinstance(address, dict):
        raise InputError("issuer address must be an object", found=short(address))
    unknown = set(address) - ADDRESS_FIELDS
    if unknown:
        raise InputError(
            "unknown issuer address fields",
            expected=", ".join(sorted(ADDRESS_FIELDS)),
            found=", ".join(sorted(map(str, unknown))),
        )
    try:
        Address(**{"type": ["Address"], **address})
    except ModelError as exc:
        raise InputError(f"issuer {exc.message}", found=exc.found) from exc


class IssuerService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        sealer: Sealer,
        urls: PublicUrls,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.sealer = sealer
        self.urls = urls
        self.clock = clock
        self._key_cache: dict[str, KeyFile] = {}

    # ---- identities ------------------------------------------------------------------------

    # ---- issuers ---------------------------------------------------------------------------

    def create(self, actor: Actor, data: IssuerInput) -> IssuerRow:
        if actor.issuer_id is not None:
            raise PermissionDeniedError("only the operator creates issuers", found=actor.name)
        _check_issuer_input(data)
        now = self.clock()
        with transaction(self.sessions) as session:
            issuers = IssuerRepository(session)
            if issuers.by_slug(data.slug) is not None:
                raise ConflictError("an issuer with this slug exists", found=data.slug)
            row = IssuerRow(
                id=str(uuid.uuid4()),
                slug=data.slug,
                name=data.name,
                url=data.url,
                email=data.email,
                description=data.description,
                address=data.address,
                country=data.country,
                linkedin_organization_id=data.linkedin_organization_id,
                created_at=now,
                updated_at=now,
            )
            issuers.add(row)
            self._new_key(session, row, now)
            record_audit(
                session,
                actor.name,
                "issuer.created",
                self.urls.issuer_did(row.slug),
                issuer_id=row.id,
                at=now,
                details={"slug": row.slug, "name": row.name},
            )
        return row

    def update(self, actor: Actor, issuer_id: str, changes: dict[str, Any]) -> IssuerRow:
        actor.require(issuer_id, "owner")
        allowed = {
            "name",
            "url",
            "email",
            "description",
            "address",
            "country",
            "linkedin_organization_id",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise InputError(
                "unknown issuer fields", expected=", ".join(sorted(allowed)), found=str(unknown)
            )
        with transaction(self.sessions) as session:
            row = self._get(session, issuer_id)
            merged = IssuerInput(
                slug=row.slug,
                **{f: changes.get(f, getattr(row, f)) for f in sorted(allowed)},
            )
            _check_issuer_input(merged)
            for field, value in changes.items():
                setattr(row, field, value)
            row.updated_at = self.clock()
            record_audit(
                session,
                actor.name,
                "settings.changed",
                self.urls.issuer_did(row.slug),
                issuer_id=issuer_id,
                at=row.updated_at,
                details={"fields": sorted(changes)},
            )
        return row

    def get(self, actor: Actor, issuer_id: str) -> IssuerRow:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return self._get(session, issuer_id)

    def by_slug(self, slug: str) -> IssuerRow:
        with self.sessions() as session:
            return IssuerRepository(session).require_by_slug(slug)

    def get_public(self, issuer_id: str) -> IssuerRow:
        """For public pages: an issuer's public fields, whoever asks."""
        with self.sessions() as session:
            return self._get(session, issuer_id)

    def all(self) -> list[IssuerRow]:
        with self.sessions() as session:
            return IssuerRepository(session).list()

    def set_logo(self, actor: Actor, issuer_id: str, image: bytes) -> None:
        """A PNG or SVG logo (SVG sanitised), checked like a badge image."""
        actor.require(issuer_id, "owner")
        image, media_type = check_badge_image(image)
        with transaction(self.sessions) as session:
            row = self._get(session, issuer_id)
            row.logo, row.logo_media_type = image, media_type
            row.updated_at = self.clock()
            record_audit(
                session,
                actor.name,
                "settings.changed",
                self.urls.issuer_did(row.slug),
                issuer_id=issuer_id,
                at=row.updated_at,
                details={"fields": ["logo"]},
            )

    @staticmethod
    def _get(session: Session, issuer_id: str) -> IssuerRow:
        return IssuerRepository(session).require(issuer_id)

    # ---- keys ------------------------------------------------------------------------------

    def _new_key(self, session: Session, issuer: IssuerRow, now: datetime) -> IssuerKeyRow:
        row, _key = new_key_row(
            self.sealer, issuer_id=issuer.id, purpose="assertion", fragment_prefix="", now=now
        )
        KeyRepository(session).add(row)
        return row

    def rotate_key(self, actor: Actor, issuer_id: str) -> str:
        """Retire the current signing key and make a new one; returns its verification method.

        The retired key stays in the DID document, so credentials it signed keep verifying.
        """
        actor.require(issuer_id, "owner")
        now = self.clock()
        with transaction(self.sessions) as session:
            issuer = self._get(session, issuer_id)
            KeyRepository(session).retire_current(issuer_id, "assertion", now)
            row = self._new_key(session, issuer, now)
            method = f"{self.urls.issuer_did(issuer.slug)}{row.fragment}"
            record_audit(
                session,
                actor.name,
                "key.rotated",
                method,
                issuer_id=issuer_id,
                at=now,
                details={"algorithm": row.algorithm},
            )
        self._key_cache.pop(issuer_id, None)
        return method

    def signing_key(self, session: Session, issuer_id: str) -> KeyFile:
        """The issuer's current key, unsealed (cached per process until the next rotation)."""
        cached = self._key_cache.get(issuer_id)
        current = KeyRepository(session).current(issuer_id, "assertion")
        if current is None:
            raise NotFoundError("issuer has no signing key", found=issuer_id)
        issuer = self._get(session, issuer_id)
        did = self.urls.issuer_did(issuer.slug)
        method = f"{did}{current.fragment}"
        if cached is not None and cached.verification_method == method:
            return cached
        key_file = KeyFile(open_key_row(self.sealer, current), did, method)
        self._key_cache[issuer_id] = key_file
        return key_file

    def did_key_signing_key(self, session: Session, issuer_id: str) -> KeyFile:
        """The issuer's did:key signing key (purpose ``didkey``), made on first use.

        It is a key of its own, sealed like the others but never listed in the issuer's DID
        document: a credential it signs names the bare ``did:key`` as its issuer, so nothing
        ties that credential to the institution (the VC-API's did:key option, for verifiers
        that resolve did:key only). The caller's transaction stores a new key."""
        repository = KeyRepository(session)
        current = repository.current(issuer_id, DID_KEY_PURPOSE)
        if current is None:
            current, key = new_key_row(
                self.sealer,
                issuer_id=self._get(session, issuer_id).id,
                purpose=DID_KEY_PURPOSE,
                fragment_prefix="",
                now=self.clock(),
            )
            repository.add(current)
        else:
            key = open_key_row(self.sealer, current)
        return KeyFile.for_did_key(key)

    def did_key(self, issuer_id: str) -> str:
        """The DID of the issuer's did:key signing key (made now if it has none)."""
        with transaction(self.sessions) as session:
            return self.did_key_signing_key(session, issuer_id).controller

    def open_current_keys(self, limit: int) -> int:
        """Unseal up to ``limit`` signing keys in use (readiness: does the master secret open
        them?); raises :class:`SealingError` at the first that does not open."""
        with self.sessions() as session:
            rows = KeyRepository(session).newest_current("assertion", limit)
        for row in rows:
            open_key_row(self.sealer, row)
        return len(rows)

    def did_document(self, slug: str) -> JsonObject:
        """The issuer's did:web document: current key first, retired keys after."""
        with self.sessions() as session:
            issuer = IssuerRepository(session).require_by_slug(slug)
            keys = KeyRepository(session).for_issuer(issuer.id, "assertion")
        keys.sort(key=lambda k: (k.retired_at is not None, -k.created_at.timestamp()))
        did = self.urls.issuer_did(slug)
        return build_did_document(
            did,
            [(k.fragment, PublicKey.from_multibase(k.public_multibase)) for k in keys],
        )

    def profile(self, issuer: IssuerRow) -> JsonObject:
        """The issuer's OB 3.0 Profile, as embedded in its credentials and served at its URL."""
        profile: JsonObject = {
            "id": self.urls.issuer_did(issuer.slug),
            "type": ["Profile"],
            "name": issuer.name,
        }
        if issuer.url:
            profile["url"] = issuer.url
        if issuer.email:
            profile["email"] = issuer.email
        if issuer.description:
            profile["description"] = issuer.description
        if issuer.logo:
            profile["image"] = {
                "id": f"{self.urls.issuer(issuer.slug)}/logo",
                "type": "Image",
                "caption": f"{issuer.name} logo",
            }
        address = dict(issuer.address or {})
        if issuer.country:
            address.setdefault("addressCountryCode", issuer.country)
        if address:
            profile["address"] = {"type": ["Address"], **address}
        return profile

    # ---- API keys --------------------------------------------------------------------------

    def create_api_key(
        self, actor: Actor, issuer_id: str, name: str, role: Role = "issuer"
    ) -> tuple[ApiKeyRow, str]:
        """A new key and its token; the token is shown once and only its hash is kept."""
        actor.require(issuer_id, "owner")
        role = parse_role(role)
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        row = ApiKeyRow(
            id=str(uuid.uuid4()),
            issuer_id=issuer_id,
            name=name,
            role=role,
            prefix=prefix,
            secret_hash=_hash_secret(secret),
            created_at=now,
            created_by=actor.user_id,
        )
        with transaction(self.sessions) as session:
            self._get(session, issuer_id)
            ApiKeyRepository(session).add(row)
            record_audit(
                session,
                actor.name,
                "apikey.created",
                f"api-key:{prefix}",
                issuer_id=issuer_id,
                at=now,
                details={"name": name, "role": role},
            )
        return row, f"{API_KEY_PREFIX}{prefix}_{secret}"

    def revoke_api_key(self, actor: Actor, issuer_id: str, key_id: str) -> None:
        actor.require(issuer_id, "owner")
        now = self.clock()
        with transaction(self.sessions) as session:
            row = ApiKeyRepository(session).require(issuer_id, key_id)
            row.revoked_at = now
            record_audit(
                session,
                actor.name,
                "apikey.revoked",
                f"api-key:{row.prefix}",
                issuer_id=issuer_id,
                at=now,
            )

    def list_api_keys(self, actor: Actor, issuer_id: str) -> list[ApiKeyRow]:
        actor.require(issuer_id, "owner")
        with self.sessions() as session:
            return ApiKeyRepository(session).for_issuer(issuer_id)

    def authenticate(self, token: str) -> Actor | None:
        """The actor an API token stands for, or None (unknown, malformed or revoked)."""
        if not token.startswith(API_KEY_PREFIX):
            return None
        prefix, _, secret = token.removeprefix(API_KEY_PREFIX).partition("_")
        if not prefix or not secret:
            return None
        with self.sessions() as session:
            row = ApiKeyRepository(session).by_prefix(prefix)
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_hash, _hash_secret(secret)):
            return None
        now = self.clock()
        # Only a stale "last used" is written: a write per request would serialise every API
        # call behind SQLite's single writer.
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            with transaction(self.sessions) as session:
                ApiKeyRepository(session).mark_used(row.id, now)
        return Actor(issuer_id=row.issuer_id, name=f"api-key:{prefix}", role=parse_role(row.role))


def _hash_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough; passwords get argon2 instead.
    return hashlib.sha256(secret.encode()).hexdigest()


__all__ = ["SYSTEM", "IssuerInput", "IssuerService"]
