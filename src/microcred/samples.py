"""A realistic Open Badges 3.0 credential, for the demo, the benchmark and tests.

About 2.5 KB: an achievement with criteria, an image, two skill alignments (ESCO), ECTS credits,
a recipient identified by DID and a BitstringStatusListEntry.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from microcred.types import JsonObject

OB_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def sample_credential(
    *,
    issuer_id: str,
    recipient_id: str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    recipient_name: str = "Ada Lovelace",
    credential_id: str | None = None,
    status: JsonObject | None = None,
    valid_from: datetime | None = None,
) -> JsonObject:
    credential: JsonObject = {
        "@context": list(OB_CONTEXTS),
        "id": credential_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer_id,
            "type": ["Profile"],
            "name": "Example University of Applied Sciences",
            "url": "https://example.edu",
            "email": "badges@example.edu",
        },
        "validFrom": (valid_from or datetime(2026, 1, 15, 9, 0, tzinfo=UTC)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "name": "Data Analysis with Python",
        "credentialSubject": {
            "id": recipient_id,
            "type": ["AchievementSubject"],
            "name": recipient_name,
            "achievement": {
                "id": "https://example.edu/achievements/data-analysis-python",
                "type": ["Achievement"],
                "achievementType": "MicroCredential",
                "name": "Data Analysis with Python",
                "description": (
                    "Cleans, explores and visualises tabular data with pandas and matplotlib, "
                    "and communicates findings to a non-specialist audience."
                ),
                "criteria": {
                    "narrative": (
                        "Completed six graded notebooks and a capstone analysis of a public data "
                        "set, assessed by two lecturers against a published rubric (pass >= 60 %)."
                    )
                },
                "image": {
                    "id": "https://example.edu/achievements/data-analysis-python/badge.png",
                    "type": "Image",
                    "caption": "Data Analysis with Python badge",
                },
                "creditsAvailable": 5.0,
                "fieldOfStudy": "Data science",
                "inLanguage": "en",
                "tag": ["python", "pandas", "data analysis"],
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "Python (computer programming)",
                        "targetUrl": "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
                        "targetFramework": "ESCO",
                        "targetType": "ceasn:Competency",
                    },
                    {
                        "type": ["Alignment"],
                        "targetName": "Analyse big data",
                        "targetUrl": "http://data.europa.eu/esco/skill/fbd10a76-2c5c-4e8c-a3ea-c8c5c7c5a6f1",
                        "targetFramework": "ESCO",
                        "targetType": "ceasn:Competency",
                    },
                ],
            },
        },
    }
    if status is not None:
        credential["credentialStatus"] = status
    return credential
