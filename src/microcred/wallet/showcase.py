"""What a learner shows: which held credentials are public (none until the learner says so),
collections of them, and the public profile page at ``/learners/<slug>`` that lists only those.

A public collection shows only its public members: making a collection public never makes a
private credential visible (its page tells the learner how many stay hidden).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from microcred.errors import ConflictError, InputError, NotFoundError, short
from microcred.store.db import transaction
from microcred.store.tables import WalletCollectionRow
from microcred.wallet.repository import WalletRepository
from microcred.wallet.service import WalletItem, WalletService

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
"""A profile address: 3 to 40 lower-case letters, digits and inner hyphens."""
RESERVED_SLUGS = frozenset({"new", "me", "admin", "api", "static", "wallet", "sign-in"})
MAX_COLLECTIONS = 100
MAX_NAME = 200
MAX_DESCRIPTION = 2000


@dataclass(frozen=True)
class Collection:
    id: str
    name: str
    description: str | None
    public: bool
    refs: tuple[str, ...]


@dataclass(frozen=True)
class PublicCollection:
    collection: Collection
    items: list[WalletItem]


@dataclass(frozen=True)
class PublicProfile:
    slug: str
    name: str | None
    items: list[WalletItem]
    collections: list[PublicCollection]


class ShowcaseService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        wallet: WalletService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.wallet = wallet

    # ---- visibility --------------------------------------------------------------------------

    def public_refs(self, learner_id: str) -> set[str]:
        with self.sessions() as session:
            return set(WalletRepository(session).shares(learner_id))

    def set_public(self, learner_id: str, ref: str, *, public: bool) -> str:
        """Show or hide one held credential; the learner's profile address is made on the
        first credential shown (returned, so the page can name it)."""
        item = self.wallet.get(learner_id, ref)  # not held: NotFoundError
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            if public:
                repo.share(learner_id, item.id, item.kind, self.clock())
            else:
                repo.unshare(learner_id, item.id)
            learner = repo.learner(learner_id)
            slug = learner.profile_slug
            if slug is None and public:
                slug = self._free_slug(repo, learner.display_name)
                repo.set_slug(learner_id, slug)
            return slug or ""

    # ---- collections -------------------------------------------------------------------------

    def collections(self, learner_id: str) -> list[Collection]:
        with self.sessions() as session:
            repo = WalletRepository(session)
            rows = repo.collections(learner_id)
            members: dict[str, list[str]] = {row.id: [] for row in rows}
            for entry in repo.entries(list(members)):
                members[entry.collection_id].append(entry.ref)
            return [_collection(row, members[row.id]) for row in rows]

    def collection(
        self, learner_id: str, collection_id: str
    ) -> tuple[Collection, list[WalletItem]]:
        """A collection and its held members, in the order they were added."""
        with self.sessions() as session:
            repo = WalletRepository(session)
            row = repo.collection(learner_id, collection_id)
            refs = [entry.ref for entry in repo.entries([row.id])]
            collection = _collection(row, refs)
        held = self.wallet.get_many(learner_id, refs)
        return collection, [held[ref] for ref in refs if ref in held]

    def create_collection(self, learner_id: str, name: str, description: str = "") -> str:
        name, text = _checked_name(name), _checked_description(description)
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            if len(repo.collections(learner_id)) >= MAX_COLLECTIONS:
                raise ConflictError(
                    "you have as many collections as a wallet keeps",
                    expected=f"at most {MAX_COLLECTIONS}",
                    found=str(MAX_COLLECTIONS),
                )
            row = WalletCollectionRow(
                id=str(uuid.uuid4()),
                learner_id=learner_id,
                name=name,
                description=text,
                public=False,
                created_at=self.clock(),
            )
            repo.add_collection(row)
            return row.id

    def update_collection(
        self, learner_id: str, collection_id: str, *, name: str, description: str, public: bool
    ) -> None:
        name, text = _checked_name(name), _checked_description(description)
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            row = repo.collection(learner_id, collection_id)
            row.name, row.description, row.public = name, text, public
            if public and repo.learner(learner_id).profile_slug is None:
                learner = repo.learner(learner_id)
                repo.set_slug(learner_id, self._free_slug(repo, learner.display_name))

    def delete_collection(self, learner_id: str, collection_id: str) -> None:
        """The collection goes; the credentials in it stay in the wallet."""
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            repo.collection(learner_id, collection_id)
            repo.delete_collection(collection_id)

    def add_to_collection(self, learner_id: str, collection_id: str, ref: str) -> bool:
        item = self.wallet.get(learner_id, ref)
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            repo.collection(learner_id, collection_id)
            return repo.add_entry(collection_id, item.id, item.kind, self.clock())

    def remove_from_collection(self, learner_id: str, collection_id: str, ref: str) -> None:
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            repo.collection(learner_id, collection_id)
            repo.remove_entry(collection_id, ref)

    # ---- the profile -------------------------------------------------------------------------

    def profile_slug(self, learner_id: str) -> str | None:
        with self.sessions() as session:
            return WalletRepository(session).learner(learner_id).profile_slug

    def set_profile_slug(self, learner_id: str, slug: str) -> str:
        """Choose the profile's address; taken or reserved: ConflictError, nothing changed."""
        wanted = slug.strip().lower() if isinstance(slug, str) else ""
        if not SLUG.match(wanted):
            raise InputError(
                "that cannot be a profile address",
                expected="3 to 40 lower-case letters, digits or inner hyphens",
                found=short(wanted) or "nothing",
            )
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            owner = repo.learner_by_slug(wanted)
            if owner is not None and owner.id == learner_id:
                return wanted
            if owner is not None or wanted in RESERVED_SLUGS:
                raise ConflictError(
                    "that profile address is taken", expected="another address", found=wanted
                )
            repo.set_slug(learner_id, wanted)
            return wanted

    def public_profile(self, slug: str) -> PublicProfile:
        """What anyone sees at ``/learners/<slug>``: public credentials, newest first, and
        public collections with their public members; no such profile: NotFoundError."""
        with self.sessions() as session:
            repo = WalletRepository(session)
            learner = repo.learner_by_slug(slug) if isinstance(slug, str) else None
            if learner is None:
                raise NotFoundError("no such profile", found=short(str(slug)))
            learner_id, name = learner.id, learner.display_name
            shared = repo.shares(learner_id)
            rows = [row for row in repo.collections(learner_id) if row.public]
            members: dict[str, list[str]] = {row.id: [] for row in rows}
            for entry in repo.entries(list(members)):
                if entry.ref in shared:
                    members[entry.collection_id].append(entry.ref)
        held = self.wallet.get_many(learner_id, list(shared))
        items = sorted(held.values(), key=_newest_first)
        collections = [
            PublicCollection(
                _collection(row, members[row.id]),
                [held[ref] for ref in members[row.id] if ref in held],
            )
            for row in rows
        ]
        return PublicProfile(slug=slug, name=name, items=items, collections=collections)

    def public_item(self, slug: str, ref: str) -> tuple[PublicProfile, WalletItem]:
        profile = self.public_profile(slug)
        for item in profile.items:
            if item.id == ref:
                return profile, item
        raise NotFoundError("no such public credential", found=short(ref))

    # ---- helpers -----------------------------------------------------------------------------

    def _free_slug(self, repo: WalletRepository, name: str | None) -> str:
        """An unused address from the learner's name (``ada-lovelace``), else random."""
        base = re.sub(r"[^a-z0-9]+", "-", (name or "").lower()).strip("-")[:30].strip("-")
        if len(base) >= 3 and base not in RESERVED_SLUGS and not repo.slug_taken(base):
            return base
        while True:
            candidate = f"{base}-{secrets.token_hex(3)}" if len(base) >= 3 else secrets.token_hex(5)
            if not repo.slug_taken(candidate):
                return candidate


_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


def _newest_first(item: WalletItem) -> tuple[float, str]:
    return (-(item.added_at or _LONG_AGO).timestamp(), item.id)


def _collection(row: WalletCollectionRow, refs: list[str]) -> Collection:
    return Collection(row.id, row.name, row.description, row.public, tuple(refs))


def _checked_name(name: str) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > MAX_NAME:
        raise InputError(
            "a collection needs a name",
            expected=f"1 to {MAX_NAME} characters",
            found=f"{len(text)} characters",
        )
    return text


def _checked_description(description: str) -> str | None:
    text = description.strip() if isinstance(description, str) else ""
    if len(text) > MAX_DESCRIPTION:
        raise InputError(
            "the description is too long",
            expected=f"at most {MAX_DESCRIPTION} characters",
            found=f"{len(text)} characters",
        )
    return text or None


__all__ = ["Collection", "PublicCollection", "PublicProfile", "ShowcaseService"]
