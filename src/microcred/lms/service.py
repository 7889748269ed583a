"""Award rules, the learning records that feed them, and the awards they make.

An event (an xAPI statement, an LTI launch) is judged in the transaction that stores it:
the learner's row is locked, their progress in the event's activity is updated (completed,
launched, best score), and every rule of the issuer that names the activity is judged on the
learner's whole progress. A rule met inserts an award, once per rule and learner (a unique
constraint: the same event twice, or two events racing, make one award). After commit the
``lms.award`` job issues each award's credential through the issuance service, with an
idempotency key made from the award, so a retried job issues nothing twice; the credential
carries the rule and the event as OB 3.0 evidence, and the audit log records both. The
``lms.sweep`` job re-queues awards whose job was lost.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from microcred.accounts.actor import Actor
from microcred.achievements.repository import AchievementRepository
from microcred.audit.repository import AuditRepository, record_audit
from microcred.errors import (
    ConflictError,
    InputError,
    MicrocredError,
    ModelError,
    NotFoundError,
    UnauthenticatedError,
    short,
)
from microcred.issuing.issuance import IssuanceService, IssueRequest
from microcred.lms.repository import LmsRepository
from microcred.lms.rules import Progress, RuleSpec, activity_key, describe, met
from microcred.lms.xapi import LearningEvent, Statement, Version, parse_statement
from microcred.store.db import transaction
from microcred.store.tables import LmsAwardRow, LmsRuleRow, LrsKeyRow
from microcred.webhooks.repository import after_commit

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

    from microcred.jobs.queue import JobQueue
    from microcred.urls import PublicUrls

log = logging.getLogger(__name__)

AWARD_JOB = "lms.award"
LMS_SWEEP_JOB = "lms.sweep"
LMS_SWEEP_MINUTES = 5
AWARD_GROUP = 100  # awards per job
MAX_BATCH = 500  # statements per request
LRS_KEY_PREFIX = "lrs_"
STALE_AWARD = timedelta(minutes=2)
_GENRE = {"xapi": "xAPI statement", "lti": "LTI launch", "lti-ags": "LTI result"}


@dataclass(frozen=True)
class LrsIdentity:
    key_id: str
    issuer_id: str
    key: str


@dataclass(frozen=True)
class Intake:
    """What a statements request did: the ids (in order) and the awards it made."""

    ids: list[str]
    stored: int
    awards: list[str]


def _hash_secret(secret: str) -> str:
    # 256 random bits: a fast hash is enough (passwords get argon2).
    return hashlib.sha256(secret.encode()).hexdigest()


def _spec(row: LmsRuleRow) -> RuleSpec:
    return RuleSpec(row.kind, tuple(row.activities), row.min_score)  # type: ignore[arg-type]


class LmsService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        queue: JobQueue,
        issuance: IssuanceService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.queue = queue
        self.issuance = issuance

    # ---- rules -------------------------------------------------------------------------------

    def add_rule(
        self,
        actor: Actor,
        issuer_id: str,
        *,
        achievement_id: str,
        spec: RuleSpec,
        name: str | None = None,
    ) -> LmsRuleRow:
        """A rule awarding one of the issuer's own achievements (another issuer's, an
        unknown or an archived one is refused)."""
        actor.require(issuer_id, "issuer")
        spec = spec.checked()
        now = self.clock()
        with transaction(self.sessions) as session:
            try:
                achievement = AchievementRepository(session).require(issuer_id, achievement_id)
            except NotFoundError as exc:
                raise ModelError(
                    "the rule's achievement is not one of this issuer's",
                    field="achievementId",
                    expected="an achievement id of this issuer",
                    found=short(achievement_id, 64),
                ) from exc
            if achievement.archived:
                raise ModelError(
                    "the achievement is archived", field="achievementId", found=achievement_id
                )
            label = (name or "").strip() or f"{achievement.name}: {describe(spec)}"
            row = LmsRuleRow(
                id=str(uuid.uuid4()),
                issuer_id=issuer_id,
                achievement_id=achievement_id,
                name=label[:300],
                kind=spec.kind,
                activities=list(spec.activities),
                min_score=spec.min_score,
                enabled=True,
                created_at=now,
            )
            LmsRepository(session).add(row)
            record_audit(
                session,
                actor.name,
                "lms.rule_added",
                self.urls.achievement(achievement_id),
                issuer_id=issuer_id,
                at=now,
                details={
                    "rule": row.id,
                    "kind": spec.kind,
                    "activities": list(spec.activities),
                    "minScore": spec.min_score,
                },
            )
        return row

    def rules(self, actor: Actor, issuer_id: str) -> list[LmsRuleRow]:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return LmsRepository(session).rules(issuer_id)

    def remove_rule(self, actor: Actor, issuer_id: str, rule_id: str) -> str:
        """Delete a rule that awarded nothing; one that did is disabled (its awards keep
        naming it). Returns ``deleted`` or ``disabled``."""
        actor.require(issuer_id, "issuer")
        with transaction(self.sessions) as session:
            repository = LmsRepository(session)
            row = repository.rule(issuer_id, rule_id)
            outcome = "disabled" if repository.has_awards(rule_id) else "deleted"
            if outcome == "deleted":
                repository.delete(row)
            else:
                row.enabled = False
            record_audit(
                session,
                actor.name,
                f"lms.rule_{outcome}",
                None,
                issuer_id=issuer_id,
                at=self.clock(),
                details={"rule": rule_id},
            )
        return outcome

    # ---- LRS keys ----------------------------------------------------------------------------

    def create_lrs_key(self, actor: Actor, issuer_id: str, name: str) -> tuple[LrsKeyRow, str]:
        """A key for an LMS or LRS to send statements with; the secret is returned once."""
        actor.require(issuer_id, "owner")
        label = name.strip()
        if not 1 <= len(label) <= 200:
            raise InputError(
                "an LRS key needs a name", expected="1-200 characters", found=str(len(label))
            )
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        row = LrsKeyRow(
            id=str(uuid.uuid4()),
            issuer_id=issuer_id,
            name=label,
            key=LRS_KEY_PREFIX + secrets.token_hex(12),
            secret_hash=_hash_secret(secret),
            created_at=now,
        )
        with transaction(self.sessions) as session:
            LmsRepository(session).add(row)
            record_audit(
                session,
                actor.name,
                "lms.lrs_key_created",
                row.key,
                issuer_id=issuer_id,
                at=now,
                details={"name": label},
            )
        return row, secret

    def lrs_keys(self, actor: Actor, issuer_id: str) -> list[LrsKeyRow]:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return LmsRepository(session).lrs_keys(issuer_id)

    def revoke_lrs_key(self, actor: Actor, issuer_id: str, key_id: str) -> None:
        actor.require(issuer_id, "owner")
        now = self.clock()
        with transaction(self.sessions) as session:
            row = LmsRepository(session).lrs_key_of(issuer_id, key_id)
            if row.revoked_at is None:
                row.revoked_at = now
            record_audit(
                session,
                actor.name,
                "lms.lrs_key_revoked",
                row.key,
                issuer_id=issuer_id,
                at=now,
                details={},
            )

    def authenticate_lrs(self, authorization: str | None) -> LrsIdentity:
        """The LRS key an ``Authorization: Basic`` header names, or UnauthenticatedError."""
        scheme, _, encoded = (authorization or "").partition(" ")
        refused = UnauthenticatedError(
            "statements need an LRS key",
            expected="Authorization: Basic base64(key:secret)",
            found="no valid key",
        )
        if scheme.lower() != "basic" or not encoded:
            raise refused
        try:
            key, _, secret = (
                base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise refused from exc
        if not key.startswith(LRS_KEY_PREFIX) or not secret:
            raise refused
        with self.sessions() as session:
            row = LmsRepository(session).lrs_key(key)
        if (
            row is None
            or row.revoked_at is not None
            or not hmac.compare_digest(row.secret_hash, _hash_secret(secret))
        ):
            raise refused
        return LrsIdentity(row.id, row.issuer_id, row.key)

    # ---- statements --------------------------------------------------------------------------

    def receive_statements(
        self,
        identity: LrsIdentity,
        version: Version,
        body: Any,
        *,
        statement_id: str | None = None,
    ) -> Intake:
        """Store a statement (``body`` an object) or a batch (an array), all or none, and
        judge the rules on them. A statement id already stored with the same content is
        accepted again (nothing is judged twice); with other content it is a conflict."""
        items = body if isinstance(body, list) else [body]
        if isinstance(body, list) and statement_id is not None:
            raise ModelError("PUT takes one statement", field="statement", found="an array")
        if not items:
            raise ModelError(
                "no statements", field="statements", expected="at least one", found="an empty array"
            )
        if len(items) > MAX_BATCH:
            raise ModelError(
                "too many statements in one request",
                field="statements",
                expected=f"at most {MAX_BATCH}",
                found=str(len(items)),
            )
        parsed: list[Statement] = []
        for i, item in enumerate(items):
            try:
                parsed.append(parse_statement(item, version, statement_id=statement_id))
            except ModelError as exc:
                if len(items) == 1:
                    raise
                raise ModelError(
                    exc.message.split(": ", 1)[-1],
                    field=f"statements[{i}].{exc.field.removeprefix('statement.')}",
                    expected=exc.expected,
                    found=exc.found,
                ) from exc
        ids = [s.id for s in parsed]
        if len(set(ids)) != len(ids):
            raise ConflictError(
                "a statement id is repeated within the request",
                found=next(i for i in ids if ids.count(i) > 1),
            )
        with transaction(self.sessions) as session:
            stored, awards = self.store_statements(session, identity, version, parsed)
        return Intake(ids, stored, awards)

    def store_statements(
        self,
        session: Session,
        identity: LrsIdentity,
        version: Version,
        parsed: Sequence[Statement],
        *,
        skip_changed: bool = False,
    ) -> tuple[int, list[str]]:
        """Store the statements not stored before and judge the rules on them, in the
        caller's transaction; returns how many were new and the awards made. An id stored
        before with other content is a conflict, or (``skip_changed``, a pull) skipped."""
        now = self.clock()
        stamp = now.isoformat().replace("+00:00", "Z")
        authority = {
            "objectType": "Agent",
            "account": {"homePage": self.urls.base, "name": identity.key},
        }
        repository = LmsRepository(session)
        existing = repository.statements(identity.issuer_id, [s.id for s in parsed])
        fresh = []
        for statement in parsed:
            old = existing.get(statement.id)
            if old is None:
                fresh.append(statement)
            elif _without_lrs_fields(old) != _without_lrs_fields(statement.document):
                if not skip_changed:
                    raise ConflictError(
                        "a different statement with this id is stored", found=statement.id
                    )
                log.warning(
                    "statement %s changed since it was stored; kept as it was", statement.id
                )
        repository.add_statements(
            [
                {
                    "issuer_id": identity.issuer_id,
                    "id": s.id,
                    "lrs_key_id": identity.key_id,
                    "version": version,
                    "learner": s.event.learner,
                    "verb": s.verb,
                    "activity_id": s.event.activity_id,
                    "statement": {
                        **s.document,
                        "stored": stamp,
                        "authority": authority,
                        "version": s.document.get("version", version),
                    },
                    "stored_at": now,
                }
                for s in fresh
            ]
        )
        awards = self.judge(session, identity.issuer_id, [s.event for s in fresh])
        return len(fresh), awards

    # ---- judging -----------------------------------------------------------------------------

    def judge(self, session: Session, issuer_id: str, events: Sequence[LearningEvent]) -> list[str]:
        """Apply ``events`` to their learners' progress and make the awards now due, in the
        caller's transaction; their credentials are issued by a job after commit. Returns
        the ids of the awards made."""
        relevant = [
            e
            for e in events
            if e.learner and e.activity_id and (e.completed or e.launched or e.score is not None)
        ]
        if not relevant:
            return []
        repository = LmsRepository(session)
        now = self.clock()
        rules = [(row, _spec(row)) for row in repository.rules(issuer_id, enabled_only=True)]
        learners = sorted({e.learner for e in relevant if e.learner})
        repository.lock_learners(issuer_id, learners, now)
        activities = {e.activity_id for e in relevant if e.activity_id}
        needed = set(activities)
        for _row, spec in rules:
            if activities.intersection(spec.activities):
                needed.update(spec.activities)
        keys = {activity_key(a): a for a in needed}
        rows = {
            (p.learner, p.activity_id): p
            for p in repository.progress(issuer_id, learners, list(keys))
        }
        progress: dict[str, dict[str, Progress]] = {learner: {} for learner in learners}
        for (learner, activity), found in rows.items():
            progress[learner][activity] = Progress(
                found.completed, found.launched, found.best_score, found.event_id
            )
        new_rows: dict[tuple[str, str], dict[str, Any]] = {}
        candidates: dict[tuple[str, str], tuple[LmsRuleRow, LearningEvent]] = {}
        by_activity: dict[str, list[tuple[LmsRuleRow, RuleSpec]]] = {}
        for rule_row, spec in rules:
            for activity in spec.activities:
                by_activity.setdefault(activity, []).append((rule_row, spec))
        for event in relevant:
            assert event.learner
            assert event.activity_id
            learner, activity = event.learner, event.activity_id
            before = progress[learner].get(activity)
            after = _advanced(before, event)
            if after == before:
                continue
            progress[learner][activity] = after
            stored = rows.get((learner, activity))
            if stored is None:
                new_rows[(learner, activity)] = {
                    "issuer_id": issuer_id,
                    "learner": learner,
                    "activity_key": activity_key(activity),
                    "activity_id": activity,
                    "completed": after.completed,
                    "launched": after.launched,
                    "best_score": after.best_score,
                    "event_id": after.event_id,
                    "updated_at": now,
                }
            else:
                stored.completed, stored.launched = after.completed, after.launched
                stored.best_score, stored.event_id, stored.updated_at = (
                    after.best_score,
                    after.event_id,
                    now,
                )
            for rule, spec in by_activity.get(activity, ()):
                if (rule.id, learner) not in candidates and met(spec, progress[learner]):
                    candidates[(rule.id, learner)] = (rule, event)
        repository.add_progress(list(new_rows.values()))
        award_rows: list[dict[str, Any]] = [
            {
                "id": str(uuid.uuid4()),
                "issuer_id": issuer_id,
                "rule_id": rule.id,
                "learner": learner,
                "source": event.source,
                "event_id": event.event_id,
                "created_at": now,
            }
            for (rule_id, learner), (rule, event) in candidates.items()
        ]
        made = repository.add_awards(award_rows)
        if made:
            made_set = set(made)
            AuditRepository(session).record_many(
                [
                    {
                        "issuer_id": issuer_id,
                        "actor": "system",
                        "action": "lms.rule_met",
                        "subject": None,
                        "details": {
                            "award": row["id"],
                            "rule": row["rule_id"],
                            "event": row["event_id"],
                            "source": row["source"],
                        },
                        "at": now,
                    }
                    for row in award_rows
                    if row["id"] in made_set
                ]
            )
            after_commit(session, lambda: self._enqueue(issuer_id, made))
        return made

    # ---- awarding ----------------------------------------------------------------------------

    def _enqueue(self, issuer_id: str, award_ids: Sequence[str]) -> None:
        for start in range(0, len(award_ids), AWARD_GROUP):
            try:
                self.queue.enqueue(AWARD_JOB, issuer_id, *award_ids[start : start + AWARD_GROUP])
            except Exception:  # committed: the sweep issues what a lost job left
                log.exception("could not queue %d awards", len(award_ids))

    def award_job(self, issuer_id: str, *award_ids: str) -> int:
        """Issue the credentials of these awards that are still to issue; returns how many."""
        with self.sessions() as session:
            pending = LmsRepository(session).awards_to_issue(issuer_id, award_ids)
        # One issuing call per achievement: its template, key and transactions are shared.
        by_achievement: dict[str, list[tuple[LmsAwardRow, LmsRuleRow]]] = {}
        for award, rule in pending:
            by_achievement.setdefault(rule.achievement_id, []).append((award, rule))
        issued = 0
        actor = Actor(issuer_id=issuer_id, name="lms-rules", role="issuer")
        for achievement_id, group in by_achievement.items():
            requests = [
                IssueRequest(
                    achievement_id=achievement_id,
                    email=award.learner,
                    idempotency_key=f"lms-award:{award.id}",
                    evidence=(self._evidence(rule, _spec(rule), award.source, award.event_id),),
                )
                for award, rule in group
            ]
            try:
                credentials = self.issuance.issue(actor, issuer_id, requests)
            except MicrocredError as exc:  # an achievement archived since: told, not retried
                self._failed(issuer_id, [award.id for award, _ in group], exc)
                continue
            now = self.clock()
            with transaction(self.sessions) as session:
                repository = LmsRepository(session)
                done = []
                for (award, rule), credential in zip(group, credentials, strict=True):
                    row = repository.award(award.id)
                    if row is None or row.credential_id is not None:
                        continue
                    row.credential_id, row.awarded_at = credential.id, now
                    done.append(
                        {
                            "issuer_id": issuer_id,
                            "actor": actor.name,
                            "action": "lms.awarded",
                            "subject": self.urls.credential(credential.id),
                            "details": {
                                "award": award.id,
                                "rule": rule.id,
                                "event": award.event_id,
                                "source": award.source,
                            },
                            "at": now,
                        }
                    )
                if done:
                    AuditRepository(session).record_many(done)
                issued += len(done)
        return issued

    def _failed(self, issuer_id: str, award_ids: Sequence[str], error: MicrocredError) -> None:
        with transaction(self.sessions) as session:
            repository = LmsRepository(session)
            for award_id in award_ids:
                row = repository.award(award_id)
                if row is not None:
                    row.error = str(error)[:500]
            record_audit(
                session,
                "system",
                "lms.award_failed",
                None,
                issuer_id=issuer_id,
                at=self.clock(),
                details={"awards": list(award_ids), "error": str(error)[:500]},
            )

    def _evidence(
        self, rule: LmsRuleRow, spec: RuleSpec, source: str, event_id: str
    ) -> dict[str, Any]:
        """OB 3.0 Evidence naming the rule and the learning record that met it."""
        genre = _GENRE.get(source, source)
        return {
            "id": f"urn:uuid:{event_id}" if _is_uuid(event_id) else event_id,
            "type": ["Evidence"],
            "name": f"{genre} {event_id}",
            "narrative": (
                f"Awarded by the rule '{rule.name}' ({describe(spec)}); met by {genre} {event_id}."
            ),
            "genre": genre,
        }

    def awards(
        self, actor: Actor, issuer_id: str, *, limit: int = 50, offset: int = 0
    ) -> list[LmsAwardRow]:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return LmsRepository(session).awards(issuer_id, limit=limit, offset=offset)

    def sweep(self) -> int:
        """Queue awards whose job was lost (older than a couple of minutes, not issued)."""
        with self.sessions() as session:
            stale = LmsRepository(session).stale_awards(self.clock() - STALE_AWARD, limit=1000)
        by_issuer: dict[str, list[str]] = {}
        for issuer_id, award_id in stale:
            by_issuer.setdefault(issuer_id, []).append(award_id)
        for issuer_id, ids in by_issuer.items():
            self._enqueue(issuer_id, ids)
        return len(stale)


def _advanced(before: Progress | None, event: LearningEvent) -> Progress:
    """Progress after ``event``: completion and launch only ever turn on, the best score
    only rises; the event is kept when it changed something."""
    if before is None:
        return Progress(event.completed, event.launched, event.score, event.event_id)
    score = before.best_score
    if event.score is not None and (score is None or event.score > score):
        score = event.score
    after = Progress(
        before.completed or event.completed,
        before.launched or event.launched,
        score,
        before.event_id,
    )
    if after != before:
        after = Progress(after.completed, after.launched, after.best_score, event.event_id)
    return after


def _without_lrs_fields(statement: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in statement.items() if k not in ("stored", "authority", "version")}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


__all__ = ["AWARD_JOB", "LMS_SWEEP_JOB", "LMS_SWEEP_MINUTES", "Intake", "LmsService", "LrsIdentity"]
