"""A small catalogue for the careers tests: achievements aligned to O*NET technology skills of
Data Scientists (15-2051.00), with workloads, EQF levels, prerequisites and prices."""

from __future__ import annotations

from typing import Any

from microcred.accounts.actor import SYSTEM
from microcred.model.eu import ECTS_IRI
from microcred.runtime import Runtime

DATA_SCIENTISTS = "15-2051.00"


def achievement(
    name: str, skills: list[str], credits: float, *, eqf: int | None = None, prerequisites: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "description": f"{name}: a course.",
        "criteria": {"narrative": "Assessed project."},
        "achievementType": "Course",
        "creditsAvailable": credits,
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": skill,
                "targetUrl": "https://www.onetonline.org/",
                "targetFramework": "O*NET",
            }
            for skill in skills
        ],
    }
    if eqf is not None:
        # EQF level and prerequisites are EU micro-credential elements: give the whole set.
        body.update(
            {
                "eqfLevel": f"http://data.europa.eu/snb/eqf/{eqf}",
                "creditSystem": ECTS_IRI,
                "learningOutcome": [{"type": "LearningOutcome", "title": name}],
                "assessmentType": ["artefact"],
                "participationForm": "online",
                "qualityAssurance": ["internal"],
                "prerequisites": prerequisites or "None.",
            }
        )
    return body


def make_catalogue(runtime: Runtime, issuer_id: str, *, eu: bool = True) -> dict[str, str]:
    """Five achievements; returns name -> id. Prices in EUR cents. ``eu``: two of them are EU
    micro-credentials with EQF levels and prerequisites (the issuer needs a country)."""
    specs = [
        ("Python basics", ["Python"], 1, 4, "", 5000),
        ("SQL basics", ["Structured query language SQL"], 1, 4, "", 5000),
        ("Tableau dashboards", ["Tableau"], 2, 5, "Having passed SQL basics.", 10000),
        ("Python and SQL", ["Python", "Structured query language SQL"], 4, None, "", 6000),
        (
            "Everything data",
            ["Python", "Structured query language SQL", "Tableau"],
            10,
            None,
            "",
            15000,
        ),
    ]
    ids = {}
    for name, skills, credits, eqf, prerequisites, price in specs:
        row = runtime.achievements.create(
            SYSTEM,
            issuer_id,
            achievement(
                name,
                skills,
                credits,
                eqf=eqf if eu else None,
                prerequisites=prerequisites,
            ),
        )
        runtime.careers.set_offer(SYSTEM, issuer_id, row.id, price_minor=price, currency="EUR")
        ids[name] = row.id
    return ids
