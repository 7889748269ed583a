"""A Verifiable Presentation behind every hit of an employer's search.

Each search gets a fresh challenge (random, never reused); every hit's shared credentials, as
issued, go into a presentation whose holder proof carries that challenge and the employer's
domain, so the employer's browser can check that what it shows was presented for this very
search: a presentation copied from another search (another challenge) or made for another
employer (another domain) fails.

The holder is the learner's own DID when her wallet has one (its key, sealed on this server,
signs: the wallet's presentations are made the same way). Otherwise the server signs on her
behalf with a key of her own per employer, derived from the server's secret, so two employers
cannot link her through the holder. Either way the proof is ``eddsa-jcs-2022``: a browser can
check it with WebCrypto alone (canonical JSON, no RDF), and the VC-API's
``/presentations/verify`` checks it and the credentials inside (issuer proofs, status).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy.orm import Session, sessionmaker

from microcred.careers.catalogue import Catalogue
from microcred.careers.contact_repository import ContactRepository
from microcred.careers.employers import EmployerSearchService, Hit
from microcred.crypto.keys import KeyFile, PublicKey, SigningKey
from microcred.errors import InputError
from microcred.learners.service import LearnerService
from microcred.store.db import transaction
from microcred.store.tables import EmployerRow
from microcred.types import JsonObject
from microcred.wallet.presentation import JCS_SUITE, present
from microcred.wallet.service import WalletService


@dataclass(frozen=True)
class PresentedHit:
    hit: Hit
    presentation: JsonObject


@dataclass(frozen=True)
class PresentedSearch:
    """What an employer's search answers: the challenge and domain every presentation is
    bound to, and the hits, best first."""

    challenge: str
    domain: str
    hits: tuple[PresentedHit, ...]


def domain_of(employer: EmployerRow) -> str:
    """The domain the employer's presentations are bound to."""
    return employer.domain or f"urn:uuid:{employer.id}"


class PresentationService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        search: EmployerSearchService,
        wallet: WalletService,
        learners: LearnerService,
        catalogue: Callable[[], Catalogue],
        secret: bytes,
    ) -> None:
        """``secret``: derives the holder keys the server signs with on a learner's behalf."""
        self.sessions = sessions
        self.clock = clock
        self.search_service = search
        self.wallet = wallet
        self.learners = learners
        self.catalogue = catalogue
        self._secret = secret

    def search(
        self,
        employer: EmployerRow,
        *,
        skills: list[str] | None = None,
        occupation: str | None = None,
        credential: str | None = None,
        limit: int = 20,
    ) -> PresentedSearch:
        """The consented search (rate limited and logged there), each hit presented.
        ``credential``: an achievement's name; its skills are searched and only learners who
        shared a credential of that name are kept."""
        wanted = _folded(credential or "")
        if wanted:
            skills = self._skills_of_achievement(wanted)
        hits = self.search_service.search(
            employer, skills=skills, occupation=occupation, limit=limit
        )
        if wanted:
            hits = [h for h in hits if any(_folded(c.name) == wanted for c in h.credentials)]
        challenge = secrets.token_urlsafe(24)
        domain = domain_of(employer)
        presented = []
        for hit in hits:
            vp = self.present(employer, hit, challenge=challenge, domain=domain)
            if vp is not None:  # None: gone from the wallet since the search read it
                presented.append(PresentedHit(hit, vp))
        with transaction(self.sessions) as session:
            ContactRepository(session).remember_handles(
                employer.id, [(p.hit.handle, p.hit.learner_id) for p in presented], self.clock()
            )
        return PresentedSearch(challenge, domain, tuple(presented))

    def _skills_of_achievement(self, name: str) -> list[str]:
        skills = {
            skill
            for entry in self.catalogue().entries
            if _folded(entry.name) == name
            for skill in entry.skills
        }
        if not skills:
            raise InputError(
                "no achievement on this server has this name and names a skill",
                expected="the name of an achievement, as its credentials show it",
                found=name[:80],
            )
        return sorted(skills)

    def present(
        self, employer: EmployerRow, hit: Hit, *, challenge: str, domain: str
    ) -> JsonObject | None:
        """The hit's credentials (those it shows, as issued) in a presentation bound to the
        challenge and domain; None if none of them is held any more."""
        held = self.wallet.get_many(hit.learner_id, list(hit.refs))
        documents = [held[ref].document for ref in hit.refs if ref in held]
        chosen = [d for d in documents if d is not None]
        if not chosen:
            return None
        return present(
            chosen,
            self._holder_key(employer, hit.learner_id),
            challenge=challenge,
            domain=domain,
            clock=self.clock,
            suite=JCS_SUITE,
        )

    def _holder_key(self, employer: EmployerRow, learner_id: str) -> KeyFile:
        if self.learners.get(learner_id).did is not None:
            return self.learners.signing_key(learner_id)
        seed = hmac.new(
            self._secret, f"{employer.id}:{learner_id}".encode(), hashlib.sha256
        ).digest()
        secret = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
        return KeyFile.for_did_key(SigningKey(PublicKey("Ed25519", secret.public_key()), secret))


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


__all__ = ["PresentationService", "PresentedHit", "PresentedSearch", "domain_of"]
