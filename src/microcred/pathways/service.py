"""Stackable pathways: define (with co-issuers' approval), follow a learner's progress, award
the micro-degree once, and keep it in step with its parts.

Award, exactly once: the ``pathway_awards`` row's unique (pathway, learner) pair is claimed
first, and the credential is issued with the idempotency key ``pathway:<id>:<learner>``, so
two events racing (two parts issued at once, a retried job) end with one row and one
credential; whoever sets the row's credential first also stores the parts and the CLR.

See docs/design/pathways.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import SYSTEM, Actor
from microcred.audit.repository import AuditRepository, record_audit
from microcred.crypto import jose
from microcred.crypto.jcs import canonicalize
from microcred.errors import (
    ConflictError,
    InputError,
    NotConfiguredError,
    NotFoundError,
    PathwayError,
    PermissionDeniedError,
    short,
)
from microcred.issuers.repository import IssuerRepository
from microcred.issuing.issuance import IssuanceService, IssueRequest
from microcred.model import normalize_email
from microcred.model.eu import ECTS_IRI
from microcred.pathways.evaluate import (
    Held,
    HeldIndex,
    NodeProgress,
    Plan,
    evaluate,
    held_from_document,
)
from microcred.pathways.repository import PathwayRepository
from microcred.pathways.tree import Node, PartFacts, PathwayDefinition, check_satisfiable
from microcred.pathways.tree import parse_definition as parse_tree
from microcred.signing import sign_credential
from microcred.status.expiry import effective_state
from microcred.status.lifecycle import Dependent, LifecycleService, Moved
from microcred.store.db import transaction
from microcred.store.tables import (
    AchievementRow,
    CredentialRow,
    IssuerRow,
    PathwayAwardPartRow,
    PathwayAwardRow,
    PathwayIssuerRow,
    PathwayRow,
    PathwayVersionRow,
    WalletNoticeRow,
)
from microcred.types import JsonObject
from microcred.urls import PublicUrls
from microcred.wallet.notice_repository import NoticeRepository

if TYPE_CHECKING:
    from microcred.achievements.service import AchievementService
    from microcred.issuers.service import IssuerService
    from microcred.jobs.queue import JobQueue
    from microcred.wallet.service import WalletItem, WalletService

EVALUATE_JOB = "pathways.evaluate"
EVALUATE_RETRIES = 3
EVALUATE_RETRY_DELAY = 30
NOTIFY_JOB = "wallet.notify"  # the wallet's notice mail (microcred.wallet.reverify)
CASCADE_JOB = "pathways.cascade"
CASCADE_RETRIES = 3
CASCADE_RETRY_DELAY = 10
CASCADE_INLINE = 50  # a part counted by more awards than this cascades in jobs, by chunks
CASCADE_CHUNK = 250
_TARGET = {"revoke": "revoked", "suspend": "suspended", "reinstate": "active"}
MAX_HELD = 5000
CLR_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
_PART_REASON = "part "  # the state reason a cascade writes starts so (a reinstatement checks)


@dataclass(frozen=True)
class PathwayView:
    row: PathwayRow
    definition: PathwayDefinition
    issuers: tuple[tuple[str, str, datetime | None], ...]
    """(issuer id, issuer name, approved at) for the owner and each co-issuer: approved at
    means of the version awaiting approval, when one does."""
    proposed: PathwayDefinition | None = None
    """A change awaiting the co-issuers' approval (the row's ``proposed_version``)."""

    def to_json(self, urls: PublicUrls, *, public: bool = False) -> JsonObject:
        """``public``: for anyone (a change awaiting approval is its issuers' business)."""
        return {
            "id": self.row.id,
            "url": urls.pathway(self.row.id),
            "state": self.row.state,
            "issuer": self.row.issuer_id,
            "achievement": urls.achievement(self.row.achievement_id),
            "version": self.row.version,
            "issuers": [
                {
                    "id": issuer_id,
                    "name": name,
                    "approved": at is not None,
                    "approvedAt": at.isoformat() if at else None,
                }
                for issuer_id, name, at in self.issuers
            ],
            "definition": self.definition.to_json(),
            "proposed": {
                "version": self.row.proposed_version,
                "definition": self.proposed.to_json(),
            }
            if self.proposed is not None and not public
            else None,
        }


@dataclass(frozen=True)
class Progress:
    """One learner on one pathway."""

    pathway: PathwayRow
    definition: PathwayDefinition
    tree: NodeProgress
    award: PathwayAwardRow | None

    @property
    def complete(self) -> bool:
        return self.tree.done

    def to_json(
        self, urls: PublicUrls, *, shown: Callable[[Held], bool] | None = None
    ) -> JsonObject:
        """``shown``: which of the learner's credentials may be named (an issuer asking sees
        its pathway's issuers' credentials, not the rest of the learner's wallet)."""
        award = self.award
        credential = award.credential_id if award is not None else None
        return {
            "pathway": self.pathway.id,
            "name": self.definition.name,
            "url": urls.pathway(self.pathway.id),
            "version": self.pathway.version,
            "awardedVersion": award.version if award is not None else None,
            "complete": self.tree.done,
            "credits": self.tree.credits,
            "remaining": self.tree.remaining(),
            "awarded": credential is not None,
            "credential": urls.credential(credential) if credential else None,
            "clr": urls.credential_clr(credential) if credential else None,
            "failingParts": list(award.failing) if award is not None else [],
            "tree": self.tree.to_json(shown=shown),
        }


class PathwayService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        issuers: IssuerService,
        achievements: AchievementService,
        issuance: IssuanceService,
        wallet: WalletService,
        queue: JobQueue,
        lifecycle: Callable[[], LifecycleService] | None = None,
        cascade_inline: int = CASCADE_INLINE,
        cascade_chunk: int = CASCADE_CHUNK,
    ) -> None:
        """``lifecycle``: called when an imported part moves (the lifecycle service takes
        this one as a hook, so it is looked up when needed). A part of ours that more than
        ``cascade_inline`` awards counted moves their micro-degrees in jobs of
        ``cascade_chunk`` awards each, after its own move commits (one transaction over
        thousands of micro-degrees would hold the status lists' locks throughout)."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.issuers = issuers
        self.achievements = achievements
        self.issuance = issuance
        self.wallet = wallet
        self.queue = queue
        self._lifecycle = lifecycle
        self.cascade_inline = cascade_inline
        self.cascade_chunk = max(1, cascade_chunk)
        self._cache = _FactsCache()
        self._plans: dict[tuple[str, int], Plan] = {}
        self._counted_key: tuple[tuple[str, int], ...] | None = None
        self._counted_value: tuple[frozenset[str], bool] = (frozenset(), False)

    # ---- definitions -----------------------------------------------------------------------

    def parse(self, data: Any) -> PathwayDefinition:
        """``data`` read and checked as a whole: shape, ids, parts, cycles, satisfiability."""
        definition = parse_tree(data)
        with self.sessions() as session:
            check_satisfiable(definition, lambda node: self._facts(session, node))
        return definition

    def create(self, actor: Actor, issuer_id: str, data: Any) -> PathwayView:
        """A new pathway owned by ``issuer_id``, who awards its micro-degree; active at once
        without co-issuers, else pending until each of them approves."""
        actor.require(issuer_id, "issuer")
        definition = self.parse(data)
        now = self.clock().replace(microsecond=0)
        pathway_id = str(uuid.uuid4())
        with transaction(self.sessions) as session:
            IssuerRepository(session).require(issuer_id)
            others = self._co_issuers(session, issuer_id, definition)
            achievement = self.achievements.create(
                actor,
                issuer_id,
                self._award_achievement(pathway_id, definition),
                session=session,
            )
            stored = definition.to_json()
            row = PathwayRow(
                id=pathway_id,
                issuer_id=issuer_id,
                achievement_id=achievement.id,
                name=definition.name,
                definition=stored,
                policy=definition.policy,
                state="pending" if others else "active",
                version=1,
                proposed_version=None,
                archived_from=None,
                created_at=now,
                updated_at=now,
            )
            repo = PathwayRepository(session)
            repo.add(row, self._taking_part(pathway_id, issuer_id, others, 1, now, actor, {}))
            repo.add_version(
                PathwayVersionRow(
                    pathway_id=pathway_id,
                    version=1,
                    definition=stored,
                    created_at=now,
                    created_by=actor.name[:200],
                )
            )
            record_audit(
                session,
                actor.name,
                "pathway.created",
                self.urls.pathway(pathway_id),
                issuer_id=issuer_id,
                at=now,
                details={"name": definition.name, "coIssuers": others},
            )
        return self.get(pathway_id)

    def _co_issuers(
        self, session: Session, owner_id: str, definition: PathwayDefinition
    ) -> list[str]:
        """The definition's co-issuers other than the owner, each an issuer of this server."""
        issuers = IssuerRepository(session)
        others = []
        for co_issuer in definition.co_issuers:
            if co_issuer == owner_id or co_issuer in others:
                continue
            if issuers.get(co_issuer) is None:
                raise PathwayError(
                    "coIssuers names no issuer of this server",
                    node="definition",
                    reason="unknown_issuer",
                    found=short(co_issuer),
                )
            others.append(co_issuer)
        return others

    @staticmethod
    def _taking_part(
        pathway_id: str,
        owner_id: str,
        others: Sequence[str],
        version: int,
        now: datetime,
        actor: Actor,
        before: Mapping[str, PathwayIssuerRow],
    ) -> list[PathwayIssuerRow]:
        """The owner, who approves ``version`` by saving it, and the co-issuers, each keeping
        what it approved before (an earlier version: it approves this one anew)."""
        rows = [
            PathwayIssuerRow(
                pathway_id=pathway_id,
                issuer_id=owner_id,
                approved_at=now,
                approved_by=actor.name[:200],
                approved_version=version,
            )
        ]
        for other in others:
            kept = before.get(other)
            rows.append(
                PathwayIssuerRow(
                    pathway_id=pathway_id,
                    issuer_id=other,
                    approved_at=kept.approved_at if kept else None,
                    approved_by=kept.approved_by if kept else None,
                    approved_version=kept.approved_version if kept else None,
                )
            )
        return rows

    def _owned(
        self, session: Session, actor: Actor, row: PathwayRow, issuer_id: str | None
    ) -> PathwayRow:
        """The pathway, if ``issuer_id`` (the actor's issuer; None: the operator's, for the
        owner) owns it. Staff of another issuer are refused as if it did not exist; a
        co-issuer, which sees it, is told that only the owner edits it."""
        owner = issuer_id or row.issuer_id
        actor.require(owner, "issuer")
        if row.issuer_id != owner:
            if owner in {r.issuer_id for r in PathwayRepository(session).issuers(row.id)}:
                raise PermissionDeniedError(
                    "only the owning issuer edits, archives or unarchives a pathway",
                    expected="the owner's staff",
                    found="a co-issuer",
                )
            raise NotFoundError("no such pathway", found=short(row.id))
        return row

    def update(
        self, actor: Actor, pathway_id: str, data: Any, *, issuer_id: str | None = None
    ) -> PathwayView:
        """A new definition for the pathway, checked exactly as on create, saved as the next
        version. Without co-issuers it is live at once. With co-issuers, an active pathway
        keeps awarding by its live version while the change waits for each co-issuer's
        approval (``proposed_version``); a pending one, never live, is replaced and waits
        for approvals as before. Awards already made are left as they are (each names the
        version it was judged against); the same definition again changes nothing."""
        with self.sessions() as session:
            self._owned(session, actor, PathwayRepository(session).get(pathway_id), issuer_id)
        definition = self.parse(data)
        stored = definition.to_json()
        now = self.clock().replace(microsecond=0)
        with transaction(self.sessions) as session:
            repo = PathwayRepository(session)
            row = self._owned(session, actor, repo.lock(pathway_id), issuer_id)
            if row.state == "archived":
                raise ConflictError(
                    "an archived pathway is not edited",
                    expected="unarchive it first",
                    found="archived",
                )
            others = self._co_issuers(session, row.issuer_id, definition)
            proposed = repo.version(pathway_id, row.proposed_version or 0)
            before = {r.issuer_id: r for r in repo.issuers(pathway_id)}
            if stored == (proposed.definition if proposed else row.definition):
                return self._view(session, row, list(before.values()))
            if proposed is not None and stored == row.definition and row.state == "active":
                # Back to the live definition, which everyone approved: the proposal is dropped.
                row.proposed_version, row.updated_at = None, now
                self._audit(session, actor, row, "pathway.change_withdrawn", now, {})
                return self._view(session, row, repo.issuers(pathway_id))
            version = max(row.version, row.proposed_version or 0) + 1
            repo.add_version(
                PathwayVersionRow(
                    pathway_id=pathway_id,
                    version=version,
                    definition=stored,
                    created_at=now,
                    created_by=actor.name[:200],
                )
            )
            repo.set_issuers(
                pathway_id,
                self._taking_part(pathway_id, row.issuer_id, others, version, now, actor, before),
            )
            waits = bool(others) and row.state == "active"
            if waits:
                row.proposed_version = version
            else:
                self._go_live(row, version, stored, definition)
                row.state = "pending" if others else "active"
            row.updated_at = now
            self._audit(
                session,
                actor,
                row,
                "pathway.updated",
                now,
                {"version": version, "awaitingApproval": waits or bool(others)},
            )
            live_changed = not waits
        if live_changed:
            self._follow_achievement(pathway_id)
        return self.get(pathway_id)

    def _go_live(
        self, row: PathwayRow, version: int, stored: JsonObject, definition: PathwayDefinition
    ) -> None:
        row.definition, row.version = stored, version
        row.name, row.policy = definition.name, definition.policy
        row.proposed_version = None

    def _follow_achievement(self, pathway_id: str) -> None:
        """The micro-degree's achievement says what the live definition says (name,
        description, the parts named in its criteria); awarded credentials keep theirs."""
        view = self.get(pathway_id)
        self.achievements.update(
            SYSTEM,
            view.row.issuer_id,
            view.row.achievement_id,
            data=self._award_achievement(pathway_id, view.definition),
        )

    def archive(
        self, actor: Actor, pathway_id: str, *, issuer_id: str | None = None
    ) -> PathwayView:
        """No more awards, not listed to the public; awarded micro-degrees stay valid (they
        verify, and still follow their parts)."""
        now = self.clock().replace(microsecond=0)
        with transaction(self.sessions) as session:
            repo = PathwayRepository(session)
            row = self._owned(session, actor, repo.lock(pathway_id), issuer_id)
            if row.state != "archived":
                row.archived_from, row.state, row.updated_at = row.state, "archived", now
                self._audit(session, actor, row, "pathway.archived", now, {})
        return self.get(pathway_id)

    def unarchive(
        self, actor: Actor, pathway_id: str, *, issuer_id: str | None = None
    ) -> PathwayView:
        """Back to the state it was archived from (active, or pending approval)."""
        now = self.clock().replace(microsecond=0)
        with transaction(self.sessions) as session:
            repo = PathwayRepository(session)
            row = self._owned(session, actor, repo.lock(pathway_id), issuer_id)
            if row.state == "archived":
                row.state, row.archived_from = row.archived_from or "active", None
                row.updated_at = now
                self._audit(session, actor, row, "pathway.unarchived", now, {})
        return self.get(pathway_id)

    def _audit(
        self,
        session: Session,
        actor: Actor,
        row: PathwayRow,
        action: str,
        now: datetime,
        details: JsonObject,
    ) -> None:
        record_audit(
            session,
            actor.name,
            action,
            self.urls.pathway(row.id),
            issuer_id=row.issuer_id,
            at=now,
            details={"name": row.name, **details},
        )

    def awaited_version(self, row: PathwayRow) -> int | None:
        """The version approvals are gathered for: a proposed change, or a pending pathway's
        own; None when nothing waits."""
        if row.proposed_version is not None:
            return row.proposed_version
        return row.version if row.state == "pending" else None

    def approve(
        self, actor: Actor, pathway_id: str, issuer_id: str, *, version: int | None = None
    ) -> PathwayView:
        """A co-issuer agrees to the version awaiting approval (``version``, when given, must
        be that one: nobody approves a definition other than the one they read). Once every
        issuer has, a pending pathway opens, or a proposed change goes live."""
        actor.require(issuer_id, "issuer")
        now = self.clock().replace(microsecond=0)
        went_live = False
        with transaction(self.sessions) as session:
            repo = PathwayRepository(session)
            row = repo.lock(pathway_id)
            taking_part = {r.issuer_id: r for r in repo.issuers(pathway_id)}
            mine = taking_part.get(issuer_id)
            if mine is None:
                raise NotFoundError("no such pathway", found=short(pathway_id))
            awaited = self.awaited_version(row)
            if version is not None and version != (awaited or row.version):
                raise ConflictError(
                    "that version is not the one awaiting approval",
                    expected=str(awaited or row.version),
                    found=str(version),
                )
            if awaited is not None and mine.approved_version != awaited:
                mine.approved_at, mine.approved_by = now, actor.name
                mine.approved_version = awaited
                record_audit(
                    session,
                    actor.name,
                    "pathway.approved",
                    self.urls.pathway(pathway_id),
                    issuer_id=issuer_id,
                    at=now,
                    details={"version": awaited},
                )
            if awaited is not None and all(
                r.approved_version == awaited for r in taking_part.values()
            ):
                if row.proposed_version is not None:
                    proposal = repo.version(pathway_id, row.proposed_version)
                    assert proposal is not None
                    definition = parse_tree(proposal.definition)
                    self._go_live(row, proposal.version, proposal.definition, definition)
                    went_live = True
                if row.state == "pending":
                    row.state = "active"
                row.updated_at = now
        if went_live:
            self._follow_achievement(pathway_id)
        return self.get(pathway_id)

    def versions(self, actor: Actor, pathway_id: str, issuer_id: str) -> list[JsonObject]:
        """Every definition the pathway has had or has proposed, for its issuers."""
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            repo = PathwayRepository(session)
            row = repo.get(pathway_id)
            if issuer_id not in {r.issuer_id for r in repo.issuers(pathway_id)}:
                raise NotFoundError("no such pathway", found=short(pathway_id))
            return [
                {
                    "version": v.version,
                    "live": v.version == row.version,
                    "proposed": v.version == row.proposed_version,
                    "createdAt": v.created_at.isoformat(),
                    "createdBy": v.created_by,
                    "definition": v.definition,
                }
                for v in repo.versions(pathway_id)
            ]

    def get(self, pathway_id: str) -> PathwayView:
        with self.sessions() as session:
            repo = PathwayRepository(session)
            row = repo.get(pathway_id)
            return self._view(session, row, repo.issuers(pathway_id))

    def all(self, *, issuer_id: str | None = None, state: str | None = None) -> list[PathwayView]:
        with self.sessions() as session:
            repo = PathwayRepository(session)
            rows = repo.of_issuer(issuer_id) if issuer_id else repo.all(state=state)
            if issuer_id and state:
                rows = [row for row in rows if row.state == state]
            return [self._view(session, row, repo.issuers(row.id)) for row in rows]

    def _view(
        self, session: Session, row: PathwayRow, taking_part: Sequence[PathwayIssuerRow]
    ) -> PathwayView:
        awaited = self.awaited_version(row)
        names = {
            r.issuer_id: (
                session.get(IssuerRow, r.issuer_id),
                # Approved means: the version that waits, when one does.
                r.approved_at if awaited is None or r.approved_version == awaited else None,
            )
            for r in taking_part
        }
        ordered = sorted(names.items(), key=lambda item: item[0] != row.issuer_id)
        proposal = PathwayRepository(session).version(row.id, row.proposed_version or 0)
        return PathwayView(
            row=row,
            definition=parse_tree(row.definition),
            issuers=tuple(
                (issuer_id, issuer.name if issuer else issuer_id, at)
                for issuer_id, (issuer, at) in ordered
            ),
            proposed=parse_tree(proposal.definition) if proposal is not None else None,
        )

    def find_parts(self, actor: Actor, issuer_id: str, text: str) -> list[JsonObject]:
        """Achievements of this server a pathway of ``issuer_id`` may name as parts, by a
        piece of their name (the console's part chooser): the id the definition takes, the
        name and the issuer's name."""
        actor.require(issuer_id, "issuer")
        text = text.strip()[:100]
        if not text:
            return []
        with self.sessions() as session:
            found = PathwayRepository(session).achievement_matches(text, 20)
        return [
            {"id": ref, "name": name, "issuer": issuer_name, "ours": owner == issuer_id}
            for ref, name, owner, issuer_name in found
        ]

    def part_names(self, references: Sequence[str]) -> dict[str, str]:
        """Our achievements' names by the references parts use (ids or URLs); another
        server's, or none, are left out."""
        refs = {ref: self._local_achievement_id(ref) for ref in references}
        with self.sessions() as session:
            names = PathwayRepository(session).achievement_names(
                [local for local in refs.values() if local]
            )
        return {ref: names[local] for ref, local in refs.items() if local and local in names}

    def titles(self, definition: PathwayDefinition) -> dict[str, str]:
        """What a person reads for each node: its label, else our achievement's name, else
        the node's own description (another issuer's achievement id, the skill's URI)."""
        found = {node.id: node.label for node in definition.root.walk() if node.label}
        with self.sessions() as session:
            for part in definition.root.parts():
                if part.id in found or not part.achievement:
                    continue
                local = self._local_achievement_id(part.achievement)
                row = session.get(AchievementRow, local) if local else None
                if row is not None:
                    found[part.id] = row.name
        return found

    def _facts(self, session: Session, node: Node) -> PartFacts:
        """What is known of a part before anyone earns it; an unknown achievement of ours is
        refused (another issuer's is taken at its word)."""
        if node.type != "achievement":
            return PartFacts(credits=node.credits, eqf=node.eqf)
        assert node.achievement is not None
        local = self._local_achievement_id(node.achievement)
        if local is None:
            if ":" not in node.achievement:
                raise PathwayError(
                    "names no achievement",
                    node=node.id,
                    reason="unknown_part",
                    expected="this server's achievement id or URL, or another issuer's IRI",
                    found=short(node.achievement),
                )
            return PartFacts(credits=node.credits, eqf=node.eqf)
        row = session.get(AchievementRow, local)
        if row is None:
            raise PathwayError(
                "names no achievement of this server",
                node=node.id,
                reason="unknown_part",
                found=short(node.achievement),
            )
        credits = row.definition.get("creditsAvailable")
        level = str(row.definition.get("eqfLevel") or "").rsplit("/", 1)[-1]
        return PartFacts(
            credits=float(credits) if isinstance(credits, int | float) else node.credits,
            eqf=int(level) if level.isdigit() else node.eqf,
        )

    def _local_achievement_id(self, ref: str) -> str | None:
        prefix = self.urls.achievement("")
        if ref.startswith(prefix):
            return ref[len(prefix) :] or None
        try:
            return str(uuid.UUID(ref)) if len(ref) == 36 else None
        except ValueError:
            return None

    def _resolve(self, definition: PathwayDefinition) -> dict[str, str]:
        """Bare ids of our achievements -> the URL their credentials carry."""
        found = {}
        for part in definition.root.parts():
            if part.achievement:
                local = self._local_achievement_id(part.achievement)
                if local is not None:
                    found[part.achievement] = self.urls.achievement(local)
        return found

    def _award_achievement(self, pathway_id: str, definition: PathwayDefinition) -> JsonObject:
        """The micro-degree's achievement as stored; each award lays the EU elements of the
        parts actually earned over it."""
        award = dict(definition.award)
        titles = self.titles(definition)
        parts = "; ".join(titles.get(node.id, node.title()) for node in definition.root.parts())
        data: JsonObject = {
            "name": definition.name,
            "description": definition.description,
            "achievementType": "MicroCredential",
            "criteria": {
                "id": self.urls.pathway(pathway_id),
                "narrative": f"Earned by completing the pathway's requirements, from: {parts}.",
            },
        }
        for key in ("achievementType", "tag", "fieldOfStudy", "inLanguage", "humanCode"):
            if key in award:
                data[key] = award[key]
        return data

    # ---- progress ----------------------------------------------------------------------------

    def held(self, email: str) -> tuple[str, list[Held]]:
        """The learner's key and what they hold that a pathway may count: the wallet's (our
        credentials by verified address or claim, and imports with their stored
        verification) when an account has the address, else our credentials to it.

        Documents never change once held, only their state does: each credential's facts are
        read once per process and kept (:class:`_FactsCache`); each call reads the states."""
        address = normalize_email(email)
        now = self.clock()
        with self.sessions() as session:
            repo = PathwayRepository(session)
            learner_id = repo.learner_of(address)
            if learner_id is None:
                states = [("ours", ref, state) for ref, state in repo.ours_states(address, now)]
        if learner_id is not None:
            return self._held_by_learner(learner_id)
        return f"email:{address}", self._with_facts(states, learner_id=None)

    def _held_by_learner(self, learner_id: str) -> tuple[str, list[Held]]:
        states = self.wallet.holding_states(learner_id)
        return f"learner:{learner_id}", self._with_facts(states, learner_id=learner_id)

    def _with_facts(
        self, states: Sequence[tuple[str, str, str]], *, learner_id: str | None
    ) -> list[Held]:
        """Each held credential's facts (read once, then kept) in its current state."""
        now = self.clock()
        missing = [ref for kind, ref, _state in states if self._cache.get(kind, ref) is None]
        if missing and learner_id is not None:
            for ref, item in self.wallet.get_many(learner_id, missing).items():
                self._cache.put(item.kind, ref, _held_item(item))
        elif missing:
            with self.sessions() as session:
                for row in PathwayRepository(session).credentials(missing):
                    self._cache.put("ours", row.id, _held_ours(row, now))
        held = []
        for kind, ref, state in states:
            facts = self._cache.get(kind, ref)
            if facts is not None:
                held.append(replace(facts, counts=state == "active", state=state))
        return held

    def _plan(self, row: PathwayRow) -> Plan:
        """The pathway's definition, parsed and planned once per version."""
        key = (row.id, row.version)
        plan = self._plans.get(key)
        if plan is None:
            definition = parse_tree(row.definition)
            plan = self._plans[key] = Plan(definition, self._resolve(definition))
        return plan

    def progress(self, email: str, *, pathway_id: str | None = None) -> list[Progress]:
        """Progress on every active pathway (or one), read-only."""
        key, held = self.held(email)
        return self._progress(key, HeldIndex(held), pathway_id=pathway_id)

    def learner_progress(self, learner_id: str, *, pathway_id: str | None = None) -> list[Progress]:
        """A signed-in learner's progress: everything in their wallet counts."""
        key, held = self._held_by_learner(learner_id)
        return self._progress(key, HeldIndex(held), pathway_id=pathway_id)

    def _progress(
        self, key: str, index: HeldIndex, *, pathway_id: str | None = None
    ) -> list[Progress]:
        now = self.clock()
        with self.sessions() as session:
            repo = PathwayRepository(session)
            awards = {a.pathway_id: a for a in repo.awards_for([key])}
            if pathway_id:
                rows = [repo.get(pathway_id)]
            else:
                # Active ones, and archived ones the learner was awarded (their wallet keeps
                # showing what the micro-degree was for).
                rows = [
                    row
                    for row in repo.all()
                    if row.state == "active" or (row.state == "archived" and row.id in awards)
                ]
        result = []
        for row in rows:
            plan = self._plan(row)
            tree = evaluate(plan, index, now)
            result.append(Progress(row, plan.definition, tree, awards.get(row.id)))
        return result

    def evaluate_job(self, subject: str) -> list[str]:
        """The job after a credential lands (``subject``: its recipient's address) or a
        wallet changed (``learner:<id>``): award every pathway now complete; the awarded
        credentials' ids."""
        if subject.startswith("learner:"):
            awarded = self.evaluate_learner_id(subject.removeprefix("learner:"))
        else:
            awarded = self.evaluate_learner(subject)
        return [row.credential_id for row in awarded if row.credential_id]

    def evaluate_learner(self, email: str) -> list[PathwayAwardRow]:
        """Award each active pathway the learner completes and has no award for yet."""
        key, held = self.held(email)
        return self._award_complete(key, held, normalize_email(email))

    def evaluate_learner_id(self, learner_id: str) -> list[PathwayAwardRow]:
        """The same for a learner account; the award goes to its first verified address."""
        with self.sessions() as session:
            email = PathwayRepository(session).first_email(learner_id)
        if email is None:
            return []  # no address to award to (the account is gone, or has none verified)
        key, held = self._held_by_learner(learner_id)
        return self._award_complete(key, held, email)

    def _award_complete(self, key: str, held: list[Held], email: str) -> list[PathwayAwardRow]:
        awarded = []
        for progress in self._progress(key, HeldIndex(held)):
            if progress.pathway.state != "active" or not progress.complete:
                continue
            if progress.award is not None and progress.award.credential_id is not None:
                continue
            awarded.append(self._award(progress, key, email))
        return awarded

    # ---- award -------------------------------------------------------------------------------

    def _award(self, progress: Progress, key: str, email: str) -> PathwayAwardRow:
        pathway = progress.pathway
        now = self.clock().replace(microsecond=0)
        with transaction(self.sessions) as session:
            repo = PathwayRepository(session)
            claim = PathwayAwardRow(
                id=str(uuid.uuid4()),
                pathway_id=pathway.id,
                learner_key=key,
                email=email,
                credential_id=None,
                clr=None,
                failing=[],
                version=pathway.version,  # the definition this learner was judged by
                created_at=now,
            )
            if not repo.claim_award(claim):
                existing = repo.award(pathway.id, key)
                assert existing is not None
                claim = existing
        award_id = claim.id
        used = progress.tree.used()
        digests = {held.ref: _digest(held.document) for held in used}
        request = IssueRequest(
            achievement_id=pathway.achievement_id,
            email=email,
            idempotency_key=f"pathway:{pathway.id}:{key}",
            evidence=tuple(
                {
                    "id": held.url or f"urn:microcred:held:{held.ref}",
                    "type": ["Evidence"],
                    "name": held.name or "Part credential",
                    "genre": "Part credential",
                    "digestSRI": digests[held.ref],
                }
                for held in used
            ),
            achievement_extra=derived_elements(progress.definition, progress.tree, used),
        )
        (credential,) = self.issuance.issue(SYSTEM, pathway.issuer_id, [request])
        # The credential that was stored first (another worker's, maybe) decides the parts.
        listed = {e.get("id") for e in credential.document.get("evidence", [])}
        parts = [held for held in used if (held.url or f"urn:microcred:held:{held.ref}") in listed]
        clr = self._clr(pathway, credential, parts, now)
        with transaction(self.sessions) as session:
            repo = PathwayRepository(session)
            row = repo.lock_award(award_id)
            if row.credential_id is None:
                row.credential_id, row.clr = credential.id, clr
                repo.add_parts(
                    [
                        PathwayAwardPartRow(
                            award_id=award_id,
                            part_ref=held.ref,
                            kind=held.kind,
                            url=(held.url or "")[:2000] or None,
                            name=(held.name or "")[:500] or None,
                            digest=digests[held.ref],
                        )
                        for held in parts
                    ]
                )
                record_audit(
                    session,
                    "system",
                    "pathway.awarded",
                    self.urls.credential(credential.id),
                    issuer_id=pathway.issuer_id,
                    at=now,
                    details={
                        "pathway": pathway.id,
                        "parts": len(parts),
                        "version": pathway.version,
                    },
                )
            session.flush()
            session.expunge(row)
        return row

    def _clr(
        self,
        pathway: PathwayRow,
        credential: CredentialRow,
        parts: Sequence[Held],
        now: datetime,
    ) -> JsonObject:
        """A CLR 2.0 ClrCredential by the awarding issuer: the part credentials verbatim, the
        achievements they award and the micro-degree's, associated parent to child."""
        document = credential.document
        subject = document["credentialSubject"]
        degree = subject["achievement"]
        achievements: list[Any] = [degree]
        seen = {degree.get("id")}
        associations = []
        for held in parts:
            achievement = held.achievement
            if achievement.get("id") and achievement.get("id") not in seen:
                seen.add(achievement.get("id"))
                achievements.append(dict(achievement))
            if achievement.get("id"):
                associations.append(
                    {
                        "type": "Association",
                        "associationType": "isParentOf",
                        "sourceId": degree["id"],
                        "targetId": achievement["id"],
                    }
                )
        clr_subject: JsonObject = {"type": ["ClrSubject"]}
        for field_name in ("id", "identifier"):
            if field_name in subject:
                clr_subject[field_name] = subject[field_name]
        clr_subject["achievement"] = achievements
        clr_subject["verifiableCredential"] = [held.document for held in parts]
        if associations:
            clr_subject["association"] = associations
        # The EU extension's context too, when the achievements carry its elements.
        extra = [c for c in document["@context"] if c not in CLR_CONTEXTS and "ob/v3p0" not in c]
        unsigned: JsonObject = {
            "@context": CLR_CONTEXTS + extra,
            "id": self.urls.credential_clr(credential.id),
            "type": ["VerifiableCredential", "ClrCredential"],
            "issuer": document["issuer"],
            "name": f"{pathway.name}: record of its parts",
            "validFrom": document["validFrom"],
            "credentialSubject": clr_subject,
        }
        with self.sessions() as session:
            key_file = self.issuers.signing_key(session, pathway.issuer_id)
        signed = sign_credential(unsigned, key_file, created=now)
        assert isinstance(signed, dict)
        return signed

    def clr(self, credential_id: str) -> JsonObject:
        """The signed CLR of a micro-degree, or not found (no such award, not awarded)."""
        with self.sessions() as session:
            award = PathwayRepository(session).award_of_credential(credential_id)
            if award is None or award.clr is None:
                raise NotFoundError("no CLR for this credential", found=short(credential_id))
            return dict(award.clr)

    def award_of(self, credential_id: str) -> tuple[PathwayAwardRow, list[PathwayAwardPartRow]]:
        """A micro-degree's award and the parts it counted (for its page)."""
        with self.sessions() as session:
            repo = PathwayRepository(session)
            award = repo.award_of_credential(credential_id)
            if award is None:
                raise NotFoundError("not a micro-degree", found=short(credential_id))
            return award, repo.parts(award.id)

    def failing_parts(self, credential_url: Any) -> list[JsonObject]:
        """For one of our micro-degrees (by its URL): the parts that are revoked or suspended
        now, by name and address (the verifier names them beside its result)."""
        credential_id = (
            self.urls.credential_id(credential_url) if isinstance(credential_url, str) else None
        )
        if credential_id is None:
            return []
        with self.sessions() as session:
            repo = PathwayRepository(session)
            award = repo.award_of_credential(credential_id)
            if award is None or not award.failing:
                return []
            failing = set(award.failing)
            return [
                {"name": part.name, "url": part.url}
                for part in repo.parts(award.id)
                if part.part_ref in failing
            ]

    # ---- issuance and lifecycle hooks --------------------------------------------------------

    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None:
        """Nothing lands with a new credential; the evaluation runs as a job after it."""

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None:
        """Credentials landed: re-evaluate their recipients' pathways in a job each, for the
        credentials an active pathway may count (a bulk batch of another achievement queues
        nothing: one small query per chunk decides)."""
        achievements, any_skill = self._counted()
        emails = {
            row.recipient_email
            for row in credentials
            if row.recipient_email
            and (
                any_skill
                or (
                    row.achievement_id is not None  # VC-API credentials name none of ours
                    and self.urls.achievement(row.achievement_id) in achievements
                )
            )
        }
        for email in sorted(emails):
            self.queue.enqueue(EVALUATE_JOB, email)

    def _counted(self) -> tuple[frozenset[str], bool]:
        """The achievement ids active pathways name, and whether one has a skill part (then
        any credential may count); worked out again only when the active set changes."""
        with self.sessions() as session:
            repo = PathwayRepository(session)
            versions = tuple(repo.active_versions())
            if versions == self._counted_key:
                return self._counted_value
            plans = [self._plan(row) for row in repo.all(state="active")]
        achievements: set[str] = set()
        any_skill = False
        for plan in plans:
            for part in plan.definition.root.parts():
                if part.achievement:
                    achievements.add(plan.resolve.get(part.achievement, part.achievement))
                else:
                    any_skill = True
        self._counted_key, self._counted_value = versions, (frozenset(achievements), any_skill)
        return self._counted_value

    def on_move(self, session: Session, moved: Moved, now: datetime) -> list[Dependent]:
        """A part moved: per pathway policy, its micro-degrees follow (suspend, revoke) or
        are only flagged; the issuer's audit log and the learner's wallet hear of it. The
        awards' micro-degrees are read in one query, the events and notices written in one
        statement each (a chunk of a cascade is 250 of them)."""
        repo = PathwayRepository(session)
        dependents: list[Dependent] = []
        if moved.scope is None and self._chunked(repo, moved.ref):
            return dependents  # too many for this transaction: after_moves queues the chunks
        awards = repo.awards_with_part(moved.ref, moved.scope)
        if not awards:
            return dependents
        degrees = {row.id: row for row in repo.credentials([a.credential_id or "" for a in awards])}
        pathways: dict[str, PathwayRow] = {}
        events: list[JsonObject] = []
        notices: list[WalletNoticeRow] = []
        reason = f"{_PART_REASON}{moved.title} ({moved.url}) was {moved.action}"
        for award in awards:
            pathway = pathways.get(award.pathway_id)
            if pathway is None:
                pathway = pathways[award.pathway_id] = repo.get(award.pathway_id)
            before = sorted(award.failing or [])
            failing = set(before)
            if moved.action in ("revoked", "suspended"):
                failing.add(moved.ref)
            else:
                failing.discard(moved.ref)
            if sorted(failing) != before:
                award.failing = sorted(failing)
            degree = degrees.get(award.credential_id or "")
            if degree is None:
                continue
            move = _cascade(pathway.policy, moved.action, failing, degree)
            if move is not None:
                dependents.append(Dependent(pathway.issuer_id, degree.id, move, reason))
            if sorted(failing) == before and (move is None or degree.state == _TARGET[move]):
                continue  # a chunk run again (a retried job): done and told already
            events.append(
                {
                    "issuer_id": pathway.issuer_id,
                    "actor": "system",
                    "action": f"pathway.part_{moved.action}",
                    "subject": self.urls.credential(degree.id),
                    "details": {"part": moved.url, "policy": pathway.policy},
                    "at": now,
                }
            )
            if move in ("suspend", "revoke") and award.learner_key.startswith("learner:"):
                # The wallet's own notice rows (the banner and its mail); told once per state.
                notices.append(
                    WalletNoticeRow(
                        id=str(uuid.uuid4()),
                        learner_id=award.learner_key.removeprefix("learner:"),
                        ref=degree.id,
                        what="revoked" if move == "revoke" else "suspended",
                        name=_credential_title(degree)[:500],
                        created_at=now,
                        mailed_at=None,
                        dismissed_at=None,
                    )
                )
        if events:
            AuditRepository(session).record_many(events)
        NoticeRepository(session).add_notices(notices)
        return dependents

    def depended_on(self, session: Session, refs: Sequence[str]) -> set[str]:
        """Which of these credentials (micro-degrees that just moved) an award counted as a
        part: only those can move anything further."""
        return PathwayRepository(session).counted_parts(refs)

    def lifecycle(self) -> LifecycleService:
        if self._lifecycle is None:
            raise NotConfiguredError("pathways were built without the lifecycle service")
        return self._lifecycle()

    def imports_changed(self, changes: Sequence[tuple[str, str, str]]) -> None:
        """The wallet's re-verification found imported credentials in a new state ((item
        id, before, after), after its commit): micro-degrees that counted them follow."""
        for ref, before, after in changes:
            if after in ("revoked", "suspended"):
                action = after
            elif after == "active" and before in ("revoked", "suspended"):
                action = "reinstated"
            else:
                continue  # expiry or a failed check: the part was earned; nothing moves
            with self.sessions() as session:
                parts = PathwayRepository(session).part_rows(ref)
            if not parts:
                continue
            title = parts[0].name or parts[0].url or ref
            self.lifecycle().followed(Moved(ref, action, title, parts[0].url or ref))

    def _chunked(self, repo: PathwayRepository, ref: str) -> bool:
        """Whether a move of ``ref`` cascades in jobs: one of our credentials that more than
        ``cascade_inline`` awards counted (an import is one learner's: a few awards)."""
        if repo.award_count_with_part(ref) <= self.cascade_inline:
            return False
        return repo.credential(ref) is not None

    def cascade_job(self, ref: str, award_ids: list[str]) -> int:
        """One chunk of a large cascade: these awards' micro-degrees follow the part's state
        as it is now (not as it was when queued: a later move's chunks may have run first),
        in one transaction. Idempotent: run again, it moves and tells nothing twice."""
        with self.sessions() as session:
            part = session.get(CredentialRow, ref)
            if part is None:
                return 0
            action = {"revoked": "revoked", "suspended": "suspended"}.get(part.state, "reinstated")
            title = _credential_title(part)
        self.lifecycle().followed(
            Moved(ref, action, title, self.urls.credential(ref), scope=tuple(award_ids))
        )
        return len(award_ids)

    def after_moves(self, moved: Sequence[tuple[CredentialRow, str]]) -> None:
        """Credentials moved (a part, and the micro-degrees that followed it): a part with
        many awards has its cascade queued by chunks; a micro-degree moved because of a part
        has its learner mailed their wallet notices (once per learner)."""
        refs = [row.id for row, _action in moved]
        failed = [row.id for row, action in moved if action in ("revoked", "suspended")]
        with self.sessions() as session:
            repo = PathwayRepository(session)
            many = [
                ref
                for ref, count in repo.award_counts_with_parts(refs).items()
                if count > self.cascade_inline
            ]
            chunks = {ref: repo.award_ids_with_part(ref) for ref in many}
            learners = repo.learner_keys_of_credentials(failed)
        for ref in refs:
            ids = chunks.get(ref, [])
            for start in range(0, len(ids), self.cascade_chunk):
                self.queue.enqueue(CASCADE_JOB, ref, ids[start : start + self.cascade_chunk])
        for key in sorted(set(learners)):
            if key.startswith("learner:"):
                self.queue.enqueue(NOTIFY_JOB, key.removeprefix("learner:"))


class _FactsCache:
    """Held credentials' facts by (kind, id), the most recent ``limit`` kept. The states in
    them are stale by design: :meth:`PathwayService.held` lays the current state over."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[str, str], Held | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, kind: str, ref: str) -> Held | None:
        with self._lock:
            found = self._items.get((kind, ref))
            if found is not None:
                self._items.move_to_end((kind, ref))
            return found

    def put(self, kind: str, ref: str, facts: Held | None) -> None:
        if facts is None:
            return  # an unreadable import: asked again next time, and ignored again
        with self._lock:
            self._items[(kind, ref)] = facts
            while len(self._items) > self.limit:
                self._items.popitem(last=False)


def _cascade(policy: str, action: str, failing: set[str], degree: CredentialRow) -> Any:
    if policy == "flag":
        return None
    if action == "revoked":
        return "revoke" if policy == "revoke" else "suspend"
    if action == "suspended":
        return "suspend"
    # Only a suspension a part caused is lifted by the part (not one the issuer made).
    caused = (degree.state_reason or "").startswith(_PART_REASON)
    if not failing and degree.state == "suspended" and caused:
        return "reinstate"
    return None


# ---- deriving the micro-degree's elements -------------------------------------------------------


def derived_elements(
    definition: PathwayDefinition, tree: NodeProgress, used: Sequence[Held]
) -> JsonObject:
    """The micro-degree's credits (summed), EQF level (by the pathway's rule) and learning
    outcomes (collected), and, when the parts are EU micro-credentials, the rest of the
    mandatory EU set (assessment types and quality assurance united, the form of
    participation shared or blended)."""
    extra: JsonObject = {}
    credits = tree.credits
    if credits > 0:
        extra["creditsAvailable"] = int(credits) if float(credits).is_integer() else credits
    levels = [h.eqf for h in used if h.eqf is not None]
    rule = definition.eqf_rule
    level = rule if isinstance(rule, int) else (max if rule == "max" else min)(levels, default=0)
    outcomes: list[Any] = []
    seen: set[str] = set()
    assessments: list[str] = []
    assurance: list[str] = []
    forms: set[str] = set()
    for held in used:
        achievement = held.achievement
        for outcome in achievement.get("learningOutcome") or []:
            marker = json.dumps(outcome, sort_keys=True)
            if isinstance(outcome, Mapping) and marker not in seen:
                seen.add(marker)
                outcomes.append(dict(outcome))
        for kind in achievement.get("assessmentType") or []:
            if kind not in assessments:
                assessments.append(kind)
        for kind in achievement.get("qualityAssurance") or []:
            if kind not in assurance:
                assurance.append(kind)
        if isinstance(achievement.get("participationForm"), str):
            forms.add(achievement["participationForm"])
    award = definition.award
    assessments = assessments or list(award.get("assessmentType") or [])
    assurance = assurance or list(award.get("qualityAssurance") or [])
    form = next(iter(forms)) if len(forms) == 1 else ("blended" if forms else None)
    form = form or award.get("participationForm")
    if outcomes and assessments and assurance and form and (credits > 0):
        extra.update(
            {
                "creditSystem": ECTS_IRI,
                "learningOutcome": outcomes,
                "assessmentType": assessments,
                "qualityAssurance": assurance,
                "participationForm": form,
            }
        )
        if level:
            extra["eqfLevel"] = f"http://data.europa.eu/snb/eqf/{level}"
    return extra


# ---- reading held credentials -------------------------------------------------------------------


def _held_ours(row: CredentialRow, now: datetime) -> Held:
    state = effective_state(row, now)
    return held_from_document(
        row.document,
        ref=row.id,
        kind="ours",
        counts=state == "active",
        state=state,
        added_at=row.issued_at,
    )


def _held_item(item: WalletItem) -> Held | None:
    document = item.document
    raw: Any = document
    if isinstance(document, str):
        document = _jwt_credential(document)
    if not isinstance(document, dict):
        return None
    return held_from_document(
        document,
        ref=item.id,
        kind=item.kind,
        # Ours: the store's state now; imports: the wallet's stored verification (re-checked
        # daily) with expiry applied now. Only those that verify count.
        counts=item.state == "active",
        state=item.state,
        added_at=item.added_at,
        raw=raw,
    )


def _jwt_credential(token: str) -> JsonObject | None:
    if not jose.looks_like_jwt(token):
        return None
    try:
        payload = token.split(".")[1]
        data: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, IndexError):
        return None
    if isinstance(data, dict) and isinstance(data.get("vc"), dict):
        data = data["vc"]
    return data if isinstance(data, dict) else None


def _digest(document: Any) -> str:
    """The part as held, as an SRI digest: SHA-256 of its JCS form (a JWT: of its text)."""
    data = document.encode() if isinstance(document, str) else canonicalize(document)
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()


def _credential_title(row: CredentialRow) -> str:
    subject = row.document.get("credentialSubject") or {}
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = achievement.get("name") if isinstance(achievement, dict) else None
    return str(name or row.document.get("name") or row.id)


def check_email(email: Any) -> str:
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise InputError("an e-mail address is needed", expected="name@domain", found=short(email))
    return normalize_email(email)


__all__ = [
    "CASCADE_JOB",
    "EVALUATE_JOB",
    "PathwayService",
    "PathwayView",
    "Progress",
    "derived_elements",
]
