"""An issuer's award rules, LRS keys (for the xAPI statements resource) and awards."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from microcred.lms.rules import RuleSpec
from microcred.store.tables import LmsRuleRow, LrsKeyRow
from microcred.web.deps import ActorDep, Offset, RuntimeDep
from microcred.web.schemas import Schema

router = APIRouter(prefix="/api/v1/issuers/{issuer_id}/lms", tags=["lms"])


class RuleIn(Schema):
    achievement_id: str
    kind: Literal["completed", "score", "modules", "launched"]
    activities: list[str]
    min_score: float | None = None
    name: str | None = None


class RuleOut(Schema):
    id: str
    achievement_id: str
    name: str
    kind: str
    activities: list[str]
    min_score: float | None
    enabled: bool
    created_at: datetime


class LrsKeyIn(Schema):
    name: str


class LrsKeyOut(Schema):
    id: str
    name: str
    key: str
    created_at: datetime
    revoked_at: datetime | None
    secret: str | None = None  # only in the answer that made it


class AwardOut(Schema):
    id: str
    rule_id: str
    learner: str
    source: str
    event_id: str
    credential_id: str | None
    error: str | None
    created_at: datetime
    awarded_at: datetime | None


def _rule(row: LmsRuleRow) -> RuleOut:
    return RuleOut(
        id=row.id,
        achievement_id=row.achievement_id,
        name=row.name,
        kind=row.kind,
        activities=list(row.activities),
        min_score=row.min_score,
        enabled=row.enabled,
        created_at=row.created_at,
    )


def _key(row: LrsKeyRow, secret: str | None = None) -> LrsKeyOut:
    return LrsKeyOut(
        id=row.id,
        name=row.name,
        key=row.key,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        secret=secret,
    )


@router.post("/rules", response_model=RuleOut, status_code=201)
def add_rule(issuer_id: str, body: RuleIn, actor: ActorDep, runtime: RuntimeDep) -> RuleOut:
    """A rule for one of the issuer's achievements: ``completed`` / ``launched`` (one
    activity), ``score`` (one activity, ``minScore`` scaled 0-1), ``modules`` (all listed)."""
    spec = RuleSpec(body.kind, tuple(body.activities), body.min_score)
    row = runtime.lms.add_rule(
        actor, issuer_id, achievement_id=body.achievement_id, spec=spec, name=body.name
    )
    return _rule(row)


@router.get("/rules", response_model=list[RuleOut])
def list_rules(issuer_id: str, actor: ActorDep, runtime: RuntimeDep) -> list[RuleOut]:
    return [_rule(row) for row in runtime.lms.rules(actor, issuer_id)]


@router.delete("/rules/{rule_id}")
def remove_rule(
    issuer_id: str, rule_id: str, actor: ActorDep, runtime: RuntimeDep
) -> dict[str, str]:
    """Deleted, or disabled when it has awarded (its awards keep naming it)."""
    return {"id": rule_id, "outcome": runtime.lms.remove_rule(actor, issuer_id, rule_id)}


@router.post("/lrs-keys", response_model=LrsKeyOut, status_code=201)
def create_lrs_key(
    issuer_id: str, body: LrsKeyIn, actor: ActorDep, runtime: RuntimeDep
) -> LrsKeyOut:
    """HTTP Basic credentials for ``/xapi/statements``: ``key`` and ``secret`` (shown once)."""
    row, secret = runtime.lms.create_lrs_key(actor, issuer_id, body.name)
    return _key(row, secret)


@router.get("/lrs-keys", response_model=list[LrsKeyOut])
def list_lrs_keys(issuer_id: str, actor: ActorDep, runtime: RuntimeDep) -> list[LrsKeyOut]:
    return [_key(row) for row in runtime.lms.lrs_keys(actor, issuer_id)]


@router.delete("/lrs-keys/{lrs_key_id}", status_code=204)
def revoke_lrs_key(
    issuer_id: str, lrs_key_id: str, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    runtime.lms.revoke_lrs_key(actor, issuer_id, lrs_key_id)
    return Response(status_code=204)


@router.get("/awards", response_model=list[AwardOut])
def list_awards(
    issuer_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AwardOut]:
    """Newest first: which rule, which learner, which event, and the credential issued."""
    return [
        AwardOut(
            id=row.id,
            rule_id=row.rule_id,
            learner=row.learner,
            source=row.source,
            event_id=row.event_id,
            credential_id=row.credential_id,
            error=row.error,
            created_at=row.created_at,
            awarded_at=row.awarded_at,
        )
        for row in runtime.lms.awards(actor, issuer_id, limit=limit, offset=offset)
    ]


class RosterIn(Schema):
    platform_id: str
    context_id: str
    achievement_id: str


class RosterOut(Schema):
    members: int
    issued: int
    already: int
    without_address: int


@router.post("/lti/roster-awards", response_model=RosterOut)
def award_roster(issuer_id: str, body: RosterIn, actor: ActorDep, runtime: RuntimeDep) -> RosterOut:
    """Issue an achievement to every active learner of an LTI course (Names and Role
    Provisioning); members awarded before are not issued again."""
    done = runtime.lti_roster.award(
        actor,
        issuer_id,
        platform_id=body.platform_id,
        context_id=body.context_id,
        achievement_id=body.achievement_id,
    )
    return RosterOut(
        members=done.members,
        issued=done.issued,
        already=done.already,
        without_address=done.without_address,
    )
