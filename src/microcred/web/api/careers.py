"""Careers and skills: goals to occupations, occupations to their weighted skills, plans over
the whole catalogue, skill suggestions for achievement editors, and an issuer's price and
duration for an achievement.

Public but for the offers (an issuer's API key) and the employers' search (an employer's
token), which reads only credentials learners chose to share. A
learner's own gap and plan are on the wallet page (their session), never behind an API route,
which accepts no cookie.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from microcred.careers.employer_staff import SignedInStaff
from microcred.careers.report import match_json, plan_json, skill_json
from microcred.errors import InputError, UnauthenticatedError
from microcred.store.tables import EmployerRow
from microcred.web.deps import ActorDep, RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["careers"])

# Generous: the goal's own check answers what the limit is (GoalError), not a bare 422.
_MAX_QUERY = 20_000


@router.get("/careers/occupations")
def match_occupations(
    runtime: RuntimeDep,
    goal: Annotated[str, Query(max_length=_MAX_QUERY, description="The goal, in en/de/fr/es.")],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[dict[str, Any]]:
    """The occupations that best match a goal, best first, with scores."""
    return [match_json(m) for m in runtime.careers.match(goal, limit=limit)]


@router.get("/careers/occupations/{code:path}")
def occupation(code: str, runtime: RuntimeDep) -> dict[str, Any]:
    """An occupation (O*NET-SOC code or ESCO URI) and its skills, heaviest first."""
    found = runtime.skills.occupation(code)
    return {
        "code": found.code,
        "id": found.id,
        "title": found.title,
        "framework": found.framework,
        "job_zone": found.job_zone,
        "skills": [skill_json(s) for s in runtime.careers.occupation_skills(found)],
    }


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal: str | None = Field(default=None, max_length=_MAX_QUERY)
    occupation: str | None = Field(default=None, max_length=300)
    currency: str | None = Field(default=None, max_length=3)


@router.post("/careers/plan")
def plan(body: PlanIn, runtime: RuntimeDep) -> dict[str, Any]:
    """The occupation's skills (no learner: the whole of them are the gap) and the plan."""
    if not body.goal and not body.occupation:
        raise InputError("nothing to plan for", expected='"goal" or "occupation"')
    result = runtime.careers.plan(
        goal=body.goal, occupation=body.occupation, currency=body.currency
    )
    return plan_json(result)


@router.get("/skills/suggest")
def suggest_skills(
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[dict[str, str]]:
    """Skills for an achievement's alignments as the issuer types (name, id, framework)."""
    return [
        {"id": s.id, "name": s.name, "framework": s.framework, "category": s.category}
        for s in runtime.skills.suggest(q, limit=limit)
    ]


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price_minor: int | None = Field(default=None, ge=0, le=10**12)
    currency: str | None = Field(default=None, max_length=3)
    duration_days: int | None = Field(default=None, ge=1, le=3650)


@router.put("/issuers/{issuer_id}/achievements/{achievement_id}/offer", status_code=204)
def set_offer(
    issuer_id: str, achievement_id: str, body: OfferIn, actor: ActorDep, runtime: RuntimeDep
) -> None:
    """What taking the achievement costs (minor units, ISO 4217) and how many days it takes."""
    runtime.careers.set_offer(
        actor,
        issuer_id,
        achievement_id,
        price_minor=body.price_minor,
        currency=body.currency,
        duration_days=body.duration_days,
    )


# ---- employers: search over what learners chose to share ----------------------------------------


def signed_in_employer(request: Request, runtime: RuntimeDep) -> SignedInStaff:
    """``Authorization: Bearer mce_...`` (the organisation's token) or ``mces_...`` (one of its
    staff); issuer keys are not accepted."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    who = runtime.employer_staff.who(token.strip()) if scheme.lower() == "bearer" else None
    if who is None:
        raise UnauthenticatedError(
            "this needs an employer token", expected="Authorization: Bearer mce_... or mces_..."
        )
    return who


def _employer(who: Annotated[SignedInStaff, Depends(signed_in_employer)]) -> EmployerRow:
    return who.employer


EmployerDep = Annotated[EmployerRow, Depends(_employer)]
SignedInDep = Annotated[SignedInStaff, Depends(signed_in_employer)]


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skills: list[Annotated[str, Field(max_length=300)]] | None = Field(default=None, max_length=50)
    occupation: str | None = Field(default=None, max_length=300)
    credential: str | None = Field(
        default=None, max_length=300, description="An achievement's name: who shared one"
    )
    limit: int = Field(default=20, ge=1, le=50)


@router.post("/employers/search")
def employer_search(body: SearchIn, employer: EmployerDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Learners who shared credentials showing these skills (or the occupation's), best
    evidenced first; each shows only what its learner shared, and carries a Verifiable
    Presentation of those credentials bound to this search's ``challenge`` and the employer's
    ``domain`` (verify it with ``POST /presentations/verify`` and these two as options)."""
    found = runtime.employer_presentations.search(
        employer,
        skills=body.skills,
        occupation=body.occupation,
        credential=body.credential,
        limit=body.limit,
    )
    return {
        "challenge": found.challenge,
        "domain": found.domain,
        "results": [
            {
                "learner": presented.hit.handle,
                "score": presented.hit.score,
                "credentials": [
                    {"name": c.name, "issuer": c.issuer, "skills": list(c.skills)}
                    for c in presented.hit.credentials
                ],
                "presentation": presented.presentation,
            }
            for presented in found.hits
        ],
    }
