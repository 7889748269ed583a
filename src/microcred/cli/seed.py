"""Demo data for ``make run``: one issuer, a few achievements, an API key, a staff sign-in and a
learner, Ada, whose wallet holds what the demo issuer gave her, a badge from another issuer and
a public collection on her profile.

Created only when the database has no issuer. The API token and password are random; they are
written to ``demo-credentials.json`` in the data directory (readable by its owner only) so that
later runs can print them again: the database keeps only their hashes.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from microcred.accounts.actor import SYSTEM
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.issuers.service import IssuerInput
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.samples import sample_credential
from microcred.signing import sign_credential

DEMO_SLUG = "demo-university"
DEMO_STAFF_EMAIL = "owner@demo-university.example"
DEMO_LEARNER_EMAIL = "ada@example.org"
DEMO_LEARNER_NAME = "Ada Lovelace"

ACHIEVEMENTS: list[tuple[dict[str, Any], int | None]] = [
    (
        {
            "name": "Data Analysis with Python",
            "achievementType": "MicroCredential",
            "description": "Cleans, explores and visualises tabular data with pandas and "
            "communicates findings to a non-specialist audience.",
            "criteria": {
                "narrative": "Six graded notebooks and a capstone analysis (pass >= 60 %)."
            },
            "creditsAvailable": 5,
            "creditSystem": "http://data.europa.eu/snb/education-credit/6fcec5c5af",
            "eqfLevel": "http://data.europa.eu/snb/eqf/6",
            "learningOutcome": [
                {
                    "type": "LearningOutcome",
                    "title": "Explore and clean tabular data with pandas",
                    "relatedESCOSkill": [
                        "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
                    ],
                }
            ],
            "assessmentType": ["continuous-assessment", "project"],
            "participationForm": "online",
            "qualityAssurance": ["internal"],
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "Python (computer programming)",
                    "targetUrl": "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
                    "targetFramework": "ESCO",
                }
            ],
            "tag": ["python", "pandas", "data analysis"],
        },
        24,
    ),
    (
        {
            "name": "Workplace First Aid",
            "achievementType": "Certificate",
            "description": "Gives first aid at work: assessment, CPR and the recovery position.",
            "criteria": {"narrative": "A one-day course with a practical assessment."},
            "tag": ["first aid", "safety"],
        },
        36,
    ),
    (
        {
            "name": "Inclusive Team Leadership",
            "achievementType": "Badge",
            "description": "Leads diverse teams with inclusive meeting and feedback practices.",
            "criteria": {"narrative": "Workshop attendance and a reflective essay."},
        },
        None,
    ),
]


@dataclass(frozen=True)
class DemoAccess:
    issuer_id: str
    issuer_did: str
    api_key: str
    staff_email: str
    staff_password: str
    learner_email: str = DEMO_LEARNER_EMAIL  # files written before the learner existed lack it
    pathway_id: str | None = None  # files written before pathways existed lack it


def demo_access_path(runtime: Runtime) -> Path:
    return runtime.settings.data_dir / "demo-credentials.json"


def seed_demo(runtime: Runtime) -> DemoAccess | None:
    """Create the demo data if the database has no issuer; the access details either way
    (None when the database was set up by someone else and holds no demo file)."""
    path = demo_access_path(runtime)
    if runtime.issuers.all():
        if path.exists():
            return DemoAccess(**json.loads(path.read_text(encoding="utf-8")))
        return None
    issuer = runtime.issuers.create(
        SYSTEM,
        IssuerInput(
            slug=DEMO_SLUG,
            name="Demo University of Applied Sciences",
            url="https://demo-university.example",
            email="badges@demo-university.example",
            description="A university that exists to show what microcred does.",
            country="DE",
            address={"addressLocality": "Berlin"},
        ),
    )
    achievement_ids = [
        runtime.achievements.create(SYSTEM, issuer.id, data, validity_months=months).id
        for data, months in ACHIEVEMENTS
    ]
    _row, token = runtime.issuers.create_api_key(SYSTEM, issuer.id, "demo", "owner")
    password = secrets.token_urlsafe(12)
    runtime.staff.create(
        SYSTEM,
        issuer.id,
        email=DEMO_STAFF_EMAIL,
        name="Demo Owner",
        role="owner",
        password=password,
    )
    learner_id = _create_learner(runtime)
    issued = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [
            IssueRequest(
                achievement_id=achievement_id,
                email=DEMO_LEARNER_EMAIL,
                name=DEMO_LEARNER_NAME,
                # The first keeps its key from before the learner existed: one credential.
                idempotency_key="demo-ada" if n == 0 else f"demo-ada-{n}",
            )
            for n, achievement_id in enumerate(achievement_ids)
        ],
    )
    _fill_wallet(runtime, learner_id, [row.id for row in issued])
    pathway_id = _micro_degree(runtime, issuer.id, achievement_ids[0])
    access = DemoAccess(
        issuer_id=issuer.id,
        issuer_did=runtime.urls.issuer_did(issuer.slug),
        api_key=token,
        staff_email=DEMO_STAFF_EMAIL,
        staff_password=password,
        pathway_id=pathway_id,
    )
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(asdict(access), indent=2) + "\n", encoding="utf-8")
    return access


def _create_learner(runtime: Runtime) -> str:
    """Ada's account, her address verified, as if she had followed a sign-in link once."""
    link = runtime.learners.issue_sign_in_link(DEMO_LEARNER_EMAIL)
    signed_in = runtime.learners.sign_in(runtime.urls.learner_sign_in_token(link))
    runtime.learners.set_name(signed_in.learner_id, DEMO_LEARNER_NAME)
    return signed_in.learner_id


def _fill_wallet(runtime: Runtime, learner_id: str, issued: list[str]) -> None:
    """Beside what the demo issuer gave her: a badge from another issuer (signed here by a
    key made for the demo, as a partner would sign it), a collection, two public ones."""
    partner = KeyFile.for_did_key(SigningKey.generate())
    badge = sample_credential(issuer_id=partner.controller, recipient_name=DEMO_LEARNER_NAME)
    badge["issuer"]["name"] = "Partner Academy (demo)"
    signed = sign_credential(badge, partner)
    imported = runtime.wallet.import_bytes(learner_id, json.dumps(signed).encode(), source="demo")
    collection = runtime.showcase.create_collection(
        learner_id, "Data skills", "What I show for data analyst roles."
    )
    for ref in (issued[0], imported.id):
        runtime.showcase.add_to_collection(learner_id, collection, ref)
        runtime.showcase.set_public(learner_id, ref, public=True)
    runtime.showcase.update_collection(
        learner_id,
        collection,
        name="Data skills",
        description="What I show for data analyst roles.",
        public=True,
    )


PARTNER_ACHIEVEMENT: dict[str, Any] = {
    "name": "Data Engineering in Practice",
    "achievementType": "MicroCredential",
    "description": "Builds and runs a small data pipeline in a company's production setting.",
    "criteria": {"narrative": "A supervised work placement project, assessed on site."},
    "creditsAvailable": 5,
    "creditSystem": "http://data.europa.eu/snb/education-credit/6fcec5c5af",
    "eqfLevel": "http://data.europa.eu/snb/eqf/5",
    "learningOutcome": [
        {"type": "LearningOutcome", "title": "Build and schedule a reproducible data pipeline"}
    ],
    "assessmentType": ["practical-demonstration"],
    "participationForm": "work-experience",
    "qualityAssurance": ["external"],
}


def _micro_degree(runtime: Runtime, university_id: str, data_analysis_id: str) -> str:
    """A micro-degree the university and a company co-issue: the university's data analysis
    module and the company's data engineering placement, within three years, at least 10 ECTS.
    Ada completed both, so it is awarded to her."""
    partner = runtime.issuers.create(
        SYSTEM,
        IssuerInput(
            slug="demo-partner",
            name="Demo Data Works GmbH",
            url="https://data-works.example",
            email="academy@data-works.example",
            description="A company that trains and hires data engineers with the university.",
            country="DE",
        ),
    )
    placement = runtime.achievements.create(SYSTEM, partner.id, PARTNER_ACHIEVEMENT)
    view = runtime.pathways.create(
        SYSTEM,
        university_id,
        {
            "name": "Micro-degree in Applied Data Science",
            "description": "A university module and an industry placement, stacked into a "
            "10 ECTS micro-degree co-issued with Demo Data Works.",
            "coIssuers": [partner.id],
            "onPartFailure": "suspend",
            "eqfRule": "max",
            "requirement": {
                "id": "degree",
                "type": "credits",
                "min": 10,
                "withinMonths": 36,
                "label": "10 ECTS within three years",
                "of": [
                    {
                        "id": "analysis",
                        "type": "achievement",
                        "achievement": data_analysis_id,
                        "label": "Data Analysis with Python",
                    },
                    {
                        "id": "placement",
                        "type": "achievement",
                        "achievement": runtime.urls.achievement(placement.id),
                        "label": "Data Engineering in Practice",
                        "after": ["analysis"],
                    },
                ],
            },
        },
    )
    runtime.pathways.approve(SYSTEM, view.row.id, partner.id)
    runtime.issuance.issue(
        SYSTEM,
        partner.id,
        [
            IssueRequest(
                achievement_id=placement.id,
                email=DEMO_LEARNER_EMAIL,
                name=DEMO_LEARNER_NAME,
                idempotency_key="demo-ada-placement",
            )
        ],
    )
    runtime.pathways.evaluate_learner(DEMO_LEARNER_EMAIL)  # awarded already if jobs run inline
    return view.row.id


def demo_sign_in_link(runtime: Runtime, access: DemoAccess) -> str:
    """A fresh single-use sign-in link for the demo learner, straight to her wallet (printed
    at each start, as the demo has no mailbox to read)."""
    return runtime.learners.issue_sign_in_link(access.learner_email, "/wallet")
