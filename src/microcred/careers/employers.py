"""Employers search learners who opted in, by skill or occupation, ranked by verified evidence.

A learner opts in per credential (``share``) and withdraws at any time (``withdraw``); only
credentials shared and still active (verified, not revoked, suspended or expired) are ever
read, so a learner who did not opt in cannot be found, counted or inferred: the search reads
``skill_shares`` and nothing else. A hit names the learner by a handle of their own per
employer (an HMAC, not linkable across employers) and shows the shared credentials only.
Searches are rate limited per employer and logged; learners see the searches that found them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from microcred.careers.repository import EmployersRepository
from microcred.careers.skill_index import SkillIndex
from microcred.crypto import jose
from microcred.errors import ConflictError, InputError, MicrocredError, RateLimitedError
from microcred.skills.alignment import SkillNames, achievement_of_credential
from microcred.skills.service import SkillsService
from microcred.skills.taxonomy import Taxonomy
from microcred.store.db import transaction
from microcred.store.tables import EmployerRow, EmployerSearchRow
from microcred.wallet.service import WalletItem, WalletService

log = logging.getLogger(__name__)

SEARCHES_PER_HOUR = 60
MAX_RESULTS = 50
TOKEN_PREFIX = "mce_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True)
class SharedCredential:
    name: str
    issuer: str
    skills: tuple[str, ...]
    """The searched skills it shows (names)."""


@dataclass(frozen=True)
class Hit:
    handle: str
    score: float
    credentials: tuple[SharedCredential, ...]
    # For the presentation behind the hit (careers/presentations.py); never sent as such.
    learner_id: str = field(default="", repr=False, compare=False)
    refs: tuple[str, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Shareable:
    ref: str
    name: str
    issuer: str
    skills: tuple[str, ...]
    shared: bool


@dataclass(frozen=True)
class FoundBy:
    employer: str
    query: str
    at: datetime


def checked_domain(domain: str) -> str:
    """A host name (``hiring.example.com``), as a presentation's ``domain`` names a verifier."""
    value = domain.strip().lower()
    labels = value.split(".")
    if not (
        0 < len(value) <= 253
        and all(0 < len(label) <= 63 for label in labels)
        and all(c.isascii() and (c.isalnum() or c == "-") for c in value.replace(".", ""))
    ):
        raise InputError(
            "the employer's domain is not a host name",
            expected="letters, digits, hyphens and dots, e.g. hiring.example.com",
            found=domain[:60],
        )
    return value


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EmployerSearchService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        skills: SkillsService,
        wallet: WalletService,
        secret: bytes,
    ) -> None:
        """``secret``: keys the per-employer learner handles."""
        self.sessions = sessions
        self.clock = clock
        self.skills = skills
        self.wallet = wallet
        self._secret = secret
        # Ranks in process memory, brought up to date from the change log on every search;
        # None: the database ranks (EmployersRepository.rank_learners, the earlier path).
        self.index: SkillIndex | None = SkillIndex()
        self.warming: threading.Thread | None = None  # the start's build, while it runs

    def warm_index_in_background(self) -> None:
        """Build the search index in a thread of its own (a web process's start: building it
        reads every shared skill, seconds at 100,000 learners, which the first search would
        otherwise wait for). Searches meanwhile wait for it, as they would have."""
        index = self.index
        if index is None:
            return

        def warm() -> None:
            try:
                with self.sessions() as session:
                    index.warm(session)
            except Exception:  # a failed warm-up is a slower first search, not a failed start
                log.warning("the employers' search index was not built at start", exc_info=True)

        self.warming = threading.Thread(target=warm, name="microcred-skill-index", daemon=True)
        self.warming.start()

    # ---- employers --------------------------------------------------------------------------

    def create_employer(self, name: str, *, domain: str | None = None) -> tuple[str, str]:
        """A new employer; returns its id and its API token (shown once, stored hashed).
        ``domain``: where it verifies the presentations behind its hits (their ``domain``)."""
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise InputError("an employer needs a name", expected="1 to 200 characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = EmployerRow(
            id=str(uuid.uuid4()),
            name=name,
            token_hash=token_hash(token),
            created_at=self.clock(),
            domain=checked_domain(domain) if domain is not None else None,
        )
        with transaction(self.sessions) as session:
            EmployersRepository(session).add_employer(row)
        return row.id, token

    def authenticate(self, token: str) -> EmployerRow | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self.sessions() as session:
            row = EmployersRepository(session).employer_by_token(token_hash(token))
            if row is not None:
                session.expunge(row)
            return row

    # ---- the learner's consent ------------------------------------------------------------

    def _skills_of(self, item: WalletItem) -> frozenset[str]:
        document = item.document
        if isinstance(document, str):
            try:
                document = jose.decode_unverified(document)[1]
            except MicrocredError:
                return frozenset()
        if not isinstance(document, dict):
            return frozenset()
        return self.skills.names().of_achievement(achievement_of_credential(document))

    def share(self, learner_id: str, ref: str) -> frozenset[str]:
        """Let employers find this credential (the learner's own, active, naming a skill)."""
        item = self.wallet.get(learner_id, ref)  # another learner's: not found
        if item.state != "active":
            raise ConflictError(
                "only a verified, current credential can be shared",
                expected="an active credential",
                found=item.state,
            )
        skills = self._skills_of(item)
        if not skills:
            raise InputError(
                "this credential names no skill an employer could search for",
                expected="an achievement aligned to O*NET or ESCO skills",
            )
        with transaction(self.sessions) as session:
            EmployersRepository(session).replace_share(learner_id, ref, skills, self.clock())
        return skills

    def shareable(self, learner_id: str, *, limit: int = 200) -> list[Shareable]:
        """The learner's active credentials that name a skill, and whether each is shared."""
        shared = self.shared_refs(learner_id)
        names = self.skills.taxonomy().skills
        page, _total = self.wallet.list_credentials(learner_id, limit=limit)
        found = []
        for item in page:
            if item.state != "active":
                continue
            skills = self._skills_of(item)
            if skills:
                found.append(
                    Shareable(
                        ref=item.id,
                        name=item.name or "",
                        issuer=item.issuer_name or "",
                        skills=tuple(sorted(names[s].name for s in skills if s in names)),
                        shared=item.id in shared,
                    )
                )
        return found

    def withdraw(self, learner_id: str, ref: str) -> None:
        with transaction(self.sessions) as session:
            EmployersRepository(session).withdraw(learner_id, ref)

    def shared_refs(self, learner_id: str) -> set[str]:
        with self.sessions() as session:
            return {ref for ref, _skill in EmployersRepository(session).shares_of(learner_id)}

    def found_by(self, learner_id: str) -> list[FoundBy]:
        with self.sessions() as session:
            rows = EmployersRepository(session).searches_finding(learner_id)
        return [FoundBy(name, query, at) for name, query, at in rows]

    # ---- search -----------------------------------------------------------------------------

    def _wanted(
        self,
        skills: list[str] | None,
        occupation: str | None,
        taxonomy: Taxonomy,
        names: SkillNames,
    ) -> dict[str, float]:
        if occupation:
            found = self.skills.occupation(occupation, taxonomy)
            links = taxonomy.links.get(found.id, [])
            if not links:
                raise InputError("this occupation lists no skills to search for", found=found.title)
            return {link.skill_id: link.weight for link in links}
        wanted: dict[str, float] = {}
        unknown = []
        for name in skills or []:
            ids = names.named(name)
            if not ids:
                unknown.append(name)
            wanted.update(dict.fromkeys(ids, 1.0))
        if unknown:
            raise InputError(
                "unknown skill",
                expected="skill names or ids from /api/v1/skills/suggest",
                found=", ".join(repr(u[:60]) for u in unknown[:5]),
            )
        if not wanted:
            raise InputError("nothing to search for", expected='"skills" or "occupation"')
        return wanted

    def search(
        self,
        employer: EmployerRow,
        *,
        skills: list[str] | None = None,
        occupation: str | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        now = self.clock()
        with self.sessions() as session:
            done = EmployersRepository(session).searches_since(
                employer.id, now - timedelta(hours=1)
            )
        if done >= SEARCHES_PER_HOUR:
            raise RateLimitedError(
                "too many searches", retry_after=3600, expected=f"{SEARCHES_PER_HOUR} an hour"
            )
        taxonomy, names = self.skills.current()  # one freshness check for the whole search
        wanted = self._wanted(skills, occupation, taxonomy, names)
        size = max(1, min(limit, MAX_RESULTS))
        hits: list[tuple[Hit, str]] = []
        after: tuple[float, str] | None = None
        with self.sessions() as session:
            repo = EmployersRepository(session)
            while len(hits) < size:
                # A page of the best-evidenced learners at a time; those whose shared
                # credentials are no longer active drop out, and the next page fills their
                # places.
                if self.index is None:
                    page = repo.rank_learners(wanted, after=after, limit=size * 2)
                else:
                    page = self.index.rank_learners(session, wanted, after=after, limit=size * 2)
                if not page:
                    break
                after = (page[-1][1], page[-1][0])
                pending = [learner for learner, _score in page]
                # Only as many learners checked as places are left, in rank order: the rest
                # of the page only when some of them dropped out.
                while pending and len(hits) < size:
                    part, pending = pending[: size - len(hits)], pending[size - len(hits) :]
                    hits += self._hits(repo, employer, part, wanted, taxonomy)
        hits.sort(key=lambda pair: (-pair[0].score, pair[0].handle))
        query = f"occupation={occupation}" if occupation else "skills=" + ",".join(skills or [])
        with transaction(self.sessions) as session:
            EmployersRepository(session).log_search(
                EmployerSearchRow(
                    id=str(uuid.uuid4()), employer_id=employer.id, query=query[:500], at=now
                ),
                [learner for _hit, learner in hits],
            )
        return [hit for hit, _learner in hits]

    def _hits(
        self,
        repo: EmployersRepository,
        employer: EmployerRow,
        learners: list[str],
        wanted: dict[str, float],
        taxonomy: Taxonomy,
    ) -> list[tuple[Hit, str]]:
        """The hits of these learners, in their order (those with nothing active left: none)."""
        evidence: dict[str, dict[str, set[str]]] = {learner: {} for learner in learners}
        for learner, ref, skill in repo.shares_of_learners(learners, wanted):
            evidence[learner].setdefault(ref, set()).add(skill)
        # Whether each shared credential is still active: one wallet read for them all.
        held = self.wallet.get_many_by_learner(
            {learner: list(refs) for learner, refs in evidence.items()}
        )
        found = []
        for learner in learners:
            hit = self._hit(employer, learner, evidence[learner], held[learner], wanted, taxonomy)
            if hit is not None:
                found.append((hit, learner))
        return found

    def _hit(
        self,
        employer: EmployerRow,
        learner: str,
        refs: dict[str, set[str]],
        held: dict[str, WalletItem],
        wanted: dict[str, float],
        taxonomy: Taxonomy,
    ) -> Hit | None:
        # Only what is still active counts: a credential revoked since it was shared drops.
        active = {ref: refs[ref] for ref, item in held.items() if item.state == "active"}
        if not active:
            return None
        shown = set().union(*active.values())
        return Hit(
            handle=self._handle(employer.id, learner),
            score=round(sum(wanted[s] for s in shown), 2),
            credentials=tuple(
                SharedCredential(
                    name=held[ref].name or "",
                    issuer=held[ref].issuer_name or "",
                    skills=tuple(sorted(taxonomy.skills[s].name for s in shows)),
                )
                for ref, shows in sorted(active.items())
            ),
            learner_id=learner,
            refs=tuple(sorted(active)),
        )

    def _handle(self, employer_id: str, learner_id: str) -> str:
        digest = hmac.new(self._secret, f"{employer_id}:{learner_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:20]

    # ---- the learner's export and deletion (LearnerDataHook) --------------------------------

    def export(self, session: Session, learner_id: str) -> dict[str, object]:
        repo = EmployersRepository(session)
        return {
            "shared_with_employers": sorted({ref for ref, _ in repo.shares_of(learner_id)}),
            "found_by": [
                {"employer": name, "query": query, "at": at.isoformat()}
                for name, query, at in repo.searches_finding(learner_id, limit=10_000)
            ],
        }

    def delete(self, session: Session, learner_id: str) -> None:
        EmployersRepository(session).forget_learner(learner_id)
