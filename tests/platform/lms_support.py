"""Helpers for the learning-platform tests: LRS keys and xAPI statements as an LMS writes."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
SCORED = "http://adlnet.gov/expapi/verbs/scored"
COURSE = "https://lms.example.org/course/7"


def lrs_headers(runtime: Runtime, issuer_id: str, version: str = "1.0.3") -> dict[str, str]:
    row, secret = runtime.lms.create_lrs_key(SYSTEM, issuer_id, "moodle")
    token = base64.b64encode(f"{row.key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": version}


def statement(
    email: str,
    activity: str,
    *,
    verb: str = COMPLETED,
    score: dict[str, float] | None = None,
    statement_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    made: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": f"mailto:{email}"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {
            "objectType": "Activity",
            "id": activity,
            "definition": {"name": {"en-US": "Module"}},
        },
        "timestamp": "2026-12-07T10:00:00Z",
    }
    if score is not None:
        made["result"] = {"score": score, "completion": False}
    made.update(extra)
    return made
