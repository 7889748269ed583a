"""Achievement definitions of an issuer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from microcred.achievements.designer import parse_design
from microcred.achievements.service import UNCHANGED
from microcred.web.convert import achievement_out
from microcred.web.deps import ActorDep, Offset, RawBody, RuntimeDep
from microcred.web.schemas import (
    AchievementIn,
    AchievementOut,
    AchievementPatch,
    BadgeDesignIn,
)

router = APIRouter(prefix="/api/v1/issuers/{issuer_id}/achievements", tags=["achievements"])


@router.get("", response_model=list[AchievementOut])
def list_achievements(
    issuer_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    include_archived: Annotated[bool, Query(alias="includeArchived")] = False,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AchievementOut]:
    rows = runtime.achievements.list(
        actor, issuer_id, include_archived=include_archived, offset=offset, limit=limit
    )
    return [achievement_out(runtime, r) for r in rows]


@router.post("", response_model=AchievementOut, status_code=201)
def create_achievement(
    issuer_id: str, body: AchievementIn, actor: ActorDep, runtime: RuntimeDep
) -> AchievementOut:
    row = runtime.achievements.create(
        actor,
        issuer_id,
        body.achievement,
        validity_months=body.validity_months,
        translations=body.translations,
    )
    return achievement_out(runtime, row)


@router.get("/{achievement_id}", response_model=AchievementOut)
def get_achievement(
    issuer_id: str, achievement_id: str, actor: ActorDep, runtime: RuntimeDep
) -> AchievementOut:
    return achievement_out(runtime, runtime.achievements.get(actor, issuer_id, achievement_id))


@router.patch("/{achievement_id}", response_model=AchievementOut)
def patch_achievement(
    issuer_id: str,
    achievement_id: str,
    body: AchievementPatch,
    actor: ActorDep,
    runtime: RuntimeDep,
) -> AchievementOut:
    months = None if body.clear_validity else (body.validity_months or UNCHANGED)
    row = runtime.achievements.update(
        actor,
        issuer_id,
        achievement_id,
        data=body.achievement,
        validity_months=months,
        archived=body.archived,
        translations=body.translations if "translations" in body.model_fields_set else UNCHANGED,
    )
    return achievement_out(runtime, row)


@router.put("/{achievement_id}/image", response_model=AchievementOut)
def put_image(
    issuer_id: str,
    achievement_id: str,
    image: RawBody,
    actor: ActorDep,
    runtime: RuntimeDep,
) -> AchievementOut:
    row = runtime.achievements.update(actor, issuer_id, achievement_id, image=image)
    return achievement_out(runtime, row)


@router.put("/{achievement_id}/image/design", response_model=AchievementOut)
def put_image_design(
    issuer_id: str,
    achievement_id: str,
    body: BadgeDesignIn,
    actor: ActorDep,
    runtime: RuntimeDep,
) -> AchievementOut:
    """Draw the badge image with the badge designer (shape, colours, text, icon), as the
    console's editor does; a bad parameter is a 422 naming it."""
    design = parse_design(body.model_dump(by_alias=False))
    row = runtime.achievements.update(actor, issuer_id, achievement_id, design=design)
    return achievement_out(runtime, row)
