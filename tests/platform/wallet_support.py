"""Helpers for the wallet tests: a learner made directly in the store, with verified addresses."""

from __future__ import annotations

import uuid

from microcred.runtime import Runtime
from microcred.store.tables import LearnerEmailRow, LearnerRow


def make_learner(runtime: Runtime, *emails: str, slug: str | None = None) -> str:
    learner_id = str(uuid.uuid4())
    now = runtime.clock()
    with runtime.sessions.begin() as session:
        session.add(
            LearnerRow(
                id=learner_id,
                display_name="Ada Lovelace",
                profile_slug=slug,
                settings={},
                created_at=now,
            )
        )
        session.flush()
        for email in emails:
            session.add(LearnerEmailRow(email=email, learner_id=learner_id, verified_at=now))
    return learner_id
