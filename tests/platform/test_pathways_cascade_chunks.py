"""A part that many awards counted cascades in jobs of a few awards each, after its own move
commits; each chunk applies the part's current state and is idempotent when run again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.pathways.service import CASCADE_JOB
from microcred.runtime import Runtime
from microcred.store.tables import AuditEventRow, CredentialRow, PathwayAwardRow
from tests.platform.conftest import IssuerFixture
from tests.platform.pathways_support import issue, make_achievement


def degrees(runtime: Runtime) -> dict[str, str]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(CredentialRow.state, PathwayAwardRow.id).join(
                PathwayAwardRow, PathwayAwardRow.credential_id == CredentialRow.id
            )
        )
        return {award: state for state, award in rows}


def audits(runtime: Runtime, action: str) -> int:
    with runtime.sessions() as session:
        query = select(func.count()).where(AuditEventRow.action == action)
        return int(session.scalar(query.select_from(AuditEventRow)) or 0)


def test_a_part_of_many_awards_cascades_in_idempotent_chunks(
    runtime: Runtime, issuer: IssuerFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    part = make_achievement(runtime, issuer, "Statistics")
    for n in range(3):  # three pathways counting the same part: three awards for one learner
        runtime.pathways.create(
            SYSTEM,
            issuer.id,
            {
                "name": f"Micro-degree {n}",
                "description": "Stacked.",
                "requirement": {"id": "p", "type": "achievement", "achievement": part},
            },
        )
    credential = issue(runtime, issuer, part)
    assert sorted(degrees(runtime).values()) == ["active"] * 3

    runtime.pathways.cascade_inline, runtime.pathways.cascade_chunk = 1, 2
    queued: list[tuple[str, Any]] = []
    enqueue = runtime.queue.enqueue

    def recording(name: str, *args: Any) -> None:
        queued.append((name, args))
        enqueue(name, *args)

    monkeypatch.setattr(runtime.queue, "enqueue", recording)

    runtime.lifecycle.suspend(SYSTEM, issuer.id, credential.id, "under review")
    chunks = [args[1] for name, args in queued if name == CASCADE_JOB]
    assert [len(chunk) for chunk in chunks] == [2, 1]
    assert sorted(degrees(runtime).values()) == ["suspended"] * 3
    assert audits(runtime, "pathway.part_suspended") == 3

    # A chunk run again (a retried job): nothing moves, nothing is told twice.
    for chunk in chunks:
        runtime.pathways.cascade_job(credential.id, chunk)
    assert audits(runtime, "pathway.part_suspended") == 3
    assert audits(runtime, "credential.suspended") == 4  # the part and its three degrees

    # A stale chunk applies the part's state as it is now: reinstated, so the degrees are.
    queued.clear()
    runtime.lifecycle.reinstate(SYSTEM, issuer.id, credential.id, None)
    assert sorted(degrees(runtime).values()) == ["active"] * 3
    runtime.pathways.cascade_job(credential.id, chunks[0])  # the old suspension's chunk
    assert sorted(degrees(runtime).values()) == ["active"] * 3

    runtime.lifecycle.revoke(SYSTEM, issuer.id, credential.id, "issued in error")
    assert sorted(degrees(runtime).values()) == ["suspended"] * 3
    assert audits(runtime, "pathway.part_revoked") == 3
