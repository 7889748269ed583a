"""Helpers for the pathway tests: EU micro-credential achievements and a two-issuer pathway."""

from __future__ import annotations

from typing import Any

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.pathways.service import PathwayView
from microcred.runtime import Runtime
from microcred.store.tables import CredentialRow
from tests.platform.conftest import IssuerFixture

LEARNER = "ada@example.org"


def eu_achievement(name: str, credits: int, eqf: int, outcome: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"{name}, assessed.",
        "criteria": {"narrative": "A graded project."},
        "achievementType": "MicroCredential",
        "creditsAvailable": credits,
        "creditSystem": "http://data.europa.eu/snb/education-credit/6fcec5c5af",
        "eqfLevel": f"http://data.europa.eu/snb/eqf/{eqf}",
        "learningOutcome": [{"type": "LearningOutcome", "title": outcome}],
        "assessmentType": ["project"],
        "participationForm": "online",
        "qualityAssurance": ["internal"],
    }


def make_achievement(
    runtime: Runtime, issuer: IssuerFixture, name: str, credits: int = 5, eqf: int = 6
) -> str:
    data = eu_achievement(name, credits, eqf, f"Can do {name.lower()}")
    return runtime.achievements.create(SYSTEM, issuer.id, data).id


def issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> CredentialRow:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email=LEARNER)]
    )
    return row


def two_part_pathway(
    runtime: Runtime,
    owner: IssuerFixture,
    parts: list[str],
    *,
    policy: str = "suspend",
    co_issuers: list[str] | None = None,
) -> PathwayView:
    data = {
        "name": "Micro-degree in Data Work",
        "description": "Two modules, from two institutions.",
        "onPartFailure": policy,
        "coIssuers": co_issuers or [],
        "requirement": {
            "id": "root",
            "type": "allOf",
            "of": [
                {"id": f"part{n}", "type": "achievement", "achievement": ref}
                for n, ref in enumerate(parts)
            ],
        },
    }
    return runtime.pathways.create(SYSTEM, owner.id, data)
