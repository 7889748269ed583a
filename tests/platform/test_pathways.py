"""Pathways on the platform (SQLite and PostgreSQL): definitions checked on save, progress,
the automatic award (once, even racing), its evidence and CLR, and the revocation cascade."""

from __future__ import annotations

import base64
import hashlib
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.crypto.jcs import canonicalize
from microcred.errors import PathwayError
from microcred.runtime import Runtime
from microcred.store.tables import AuditEventRow, CredentialRow, PathwayAwardRow, WalletNoticeRow
from microcred.verify.result import Status
from tests.platform.conftest import IssuerFixture
from tests.platform.pathways_support import (
    LEARNER,
    issue,
    make_achievement,
    two_part_pathway,
)
from tests.platform.wallet_support import make_learner


def awards(runtime: Runtime) -> list[PathwayAwardRow]:
    with runtime.sessions() as session:
        return list(session.scalars(select(PathwayAwardRow)))


def degree_of(runtime: Runtime, award: PathwayAwardRow) -> CredentialRow:
    assert award.credential_id is not None
    with runtime.sessions() as session:
        row = session.get(CredentialRow, award.credential_id)
        assert row is not None
        return row


def test_an_unknown_part_of_ours_is_refused_naming_the_node(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    with pytest.raises(PathwayError) as caught:
        two_part_pathway(
            runtime, issuer, [runtime.urls.achievement("0" * 8 + "-0000-0000-0000-" + "0" * 12)]
        )
    assert (caught.value.node, caught.value.reason) == ("part0", "unknown_part")


def test_credit_minimum_is_checked_against_our_achievements_credits(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics", credits=5)
    b = make_achievement(runtime, issuer, "Databases", credits=3)
    data = {
        "name": "Too much",
        "requirement": {
            "id": "ects",
            "type": "credits",
            "min": 9,
            "of": [
                {"id": "a", "type": "achievement", "achievement": a},
                {"id": "b", "type": "achievement", "achievement": b},
            ],
        },
    }
    with pytest.raises(PathwayError) as caught:
        runtime.pathways.create(SYSTEM, issuer.id, data)
    assert (caught.value.node, caught.value.reason) == ("ects", "unsatisfiable")
    assert "at most 8" in caught.value.message


def test_co_issuers_each_approve_before_the_pathway_is_active(
    runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, other_issuer, "Databases")
    view = two_part_pathway(runtime, issuer, [a, b], co_issuers=[other_issuer.id])
    assert view.row.state == "pending"
    issue(runtime, issuer, a)
    issue(runtime, other_issuer, b)
    assert awards(runtime) == []  # complete, but not active: nothing awarded
    view = runtime.pathways.approve(SYSTEM, view.row.id, other_issuer.id)
    assert view.row.state == "active"
    assert [approved for _i, _n, approved in view.issuers if approved is None] == []
    runtime.pathways.evaluate_learner(LEARNER)
    assert len(awards(runtime)) == 1


def test_completing_a_pathway_across_two_issuers_awards_the_micro_degree(
    runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics", credits=5, eqf=6)
    b = make_achievement(runtime, other_issuer, "Databases", credits=4, eqf=5)
    view = two_part_pathway(runtime, issuer, [runtime.urls.achievement(a), b])
    first = issue(runtime, issuer, a)
    (progress,) = runtime.pathways.progress(LEARNER)
    assert not progress.complete
    assert progress.tree.remaining() == [b]
    second = issue(runtime, other_issuer, b)  # the issuance's job evaluates and awards

    (award,) = awards(runtime)
    degree = degree_of(runtime, award)
    achievement = degree.document["credentialSubject"]["achievement"]
    assert achievement["name"] == "Micro-degree in Data Work"
    assert achievement["creditsAvailable"] == 9
    assert achievement["eqfLevel"] == "http://data.europa.eu/snb/eqf/6"  # the highest part's
    assert [o["title"] for o in achievement["learningOutcome"]] == [
        "Can do statistics",
        "Can do databases",
    ]
    evidence = {e["id"]: e for e in degree.document["evidence"]}
    for part in (first, second):
        digest = hashlib.sha256(canonicalize(part.document)).digest()
        assert evidence[part.document["id"]]["digestSRI"] == (
            "sha256-" + base64.b64encode(digest).decode()
        )
    assert runtime.verification.verifier().verify(degree.document).verified

    clr = runtime.pathways.clr(degree.id)
    assert clr["id"] == runtime.urls.credential_clr(degree.id)
    assert clr["credentialSubject"]["verifiableCredential"] == [first.document, second.document]
    result = runtime.verification.verifier().verify(clr)
    assert result.verified, result.to_json()
    assert [part.result.verified for part in result.parts] == [True, True]

    (progress,) = runtime.pathways.progress(LEARNER)
    body = progress.to_json(runtime.urls)
    assert body["complete"]
    assert body["credential"] == runtime.urls.credential(degree.id)
    assert view.row.id == body["pathway"]


def test_evaluating_again_awards_nothing_more(runtime: Runtime, issuer: IssuerFixture) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    two_part_pathway(runtime, issuer, [a, b])
    issue(runtime, issuer, a)
    issue(runtime, issuer, b)
    issue(runtime, issuer, b)  # a second credential of one part: a new event, no new award
    assert runtime.pathways.evaluate_learner(LEARNER) == []
    assert len(awards(runtime)) == 1
    with runtime.sessions() as session:
        degrees = session.scalar(
            select(func.count())
            .select_from(CredentialRow)
            .where(CredentialRow.idempotency_key.like("pathway:%"))
        )
    assert degrees == 1


def test_two_parts_arriving_at_once_award_once(runtime: Runtime, issuer: IssuerFixture) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    two_part_pathway(runtime, issuer, [a, b])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def arrive(achievement_id: str) -> None:
        try:
            barrier.wait(timeout=10)
            issue(runtime, issuer, achievement_id)
            # Each thread also evaluates after both parts are in: the race on the award itself.
            barrier.wait(timeout=30)
            runtime.pathways.evaluate_learner(LEARNER)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=arrive, args=(ref,)) for ref in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    (award,) = awards(runtime)
    assert award.credential_id is not None
    with runtime.sessions() as session:
        degrees = session.scalars(
            select(CredentialRow.id).where(CredentialRow.idempotency_key.like("pathway:%"))
        ).all()
    assert degrees == [award.credential_id]


def test_a_revoked_part_suspends_the_micro_degree_and_reinstating_a_suspended_one_lifts_it(
    runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    learner_id = make_learner(runtime, LEARNER)
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, other_issuer, "Databases")
    two_part_pathway(runtime, issuer, [a, b])
    issue(runtime, issuer, a)
    part = issue(runtime, other_issuer, b)
    (award,) = awards(runtime)

    runtime.lifecycle.suspend(SYSTEM, other_issuer.id, part.id, "under review")
    degree = degree_of(runtime, award)
    assert degree.state == "suspended"
    assert degree.state_reason is not None
    assert runtime.urls.credential(part.id) in degree.state_reason
    result = runtime.verification.verifier().verify(degree.document)
    status = result.check("status")
    assert status is not None
    assert status.status == Status.FAILED
    reason = runtime.verification.status_reason(result)
    assert reason is not None
    assert "Databases" in reason
    assert part.id in reason
    with runtime.sessions() as session:
        notice = session.scalar(select(WalletNoticeRow).where(WalletNoticeRow.ref == degree.id))
        audit = session.scalar(
            select(AuditEventRow).where(AuditEventRow.action == "pathway.part_suspended")
        )
    assert notice is not None
    assert notice.learner_id == learner_id
    assert notice.what == "suspended"
    assert audit is not None
    assert audit.issuer_id == issuer.id

    runtime.lifecycle.reinstate(SYSTEM, other_issuer.id, part.id)
    assert degree_of(runtime, award).state == "active"
    assert runtime.verification.verifier().verify(degree.document).verified

    runtime.lifecycle.revoke(SYSTEM, other_issuer.id, part.id, "issued in error")
    assert degree_of(runtime, award).state == "suspended"  # the policy: suspend, not revoke
    (progress,) = runtime.pathways.progress(LEARNER)
    assert progress.to_json(runtime.urls)["failingParts"] == [part.id]


@pytest.mark.parametrize(("policy", "expected"), [("revoke", "revoked"), ("flag", "active")])
def test_the_pathway_policy_decides_what_a_revoked_part_does(
    runtime: Runtime, issuer: IssuerFixture, policy: str, expected: str
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    two_part_pathway(runtime, issuer, [a, b], policy=policy)
    part = issue(runtime, issuer, a)
    issue(runtime, issuer, b)
    (award,) = awards(runtime)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, part.id, "issued in error")
    assert degree_of(runtime, award).state == expected
    (award,) = awards(runtime)
    assert award.failing == [part.id]


def test_an_issuer_suspension_is_not_lifted_by_a_part(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    two_part_pathway(runtime, issuer, [a, b])
    part = issue(runtime, issuer, a)
    issue(runtime, issuer, b)
    (award,) = awards(runtime)
    assert award.credential_id is not None
    runtime.lifecycle.suspend(SYSTEM, issuer.id, award.credential_id, "audit")
    runtime.lifecycle.suspend(SYSTEM, issuer.id, part.id, "review")
    runtime.lifecycle.reinstate(SYSTEM, issuer.id, part.id)
    assert degree_of(runtime, award).state == "suspended"


def test_an_imported_credential_from_another_server_counts_when_it_verifies(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    import json

    from microcred.crypto.keys import KeyFile, SigningKey
    from microcred.samples import sample_credential
    from microcred.signing import sign_credential

    learner_id = make_learner(runtime, LEARNER)
    partner = KeyFile.for_did_key(SigningKey.generate())
    badge: dict[str, Any] = sample_credential(issuer_id=partner.controller)
    foreign = badge["credentialSubject"]["achievement"]["id"]
    runtime.wallet.import_bytes(
        learner_id, json.dumps(sign_credential(badge, partner)).encode(), source="test"
    )
    a = make_achievement(runtime, issuer, "Statistics")
    two_part_pathway(runtime, issuer, [a, foreign])
    issue(runtime, issuer, a)
    (award,) = awards(runtime)
    assert award.learner_key == f"learner:{learner_id}"
    evidence = degree_of(runtime, award).document["evidence"]
    assert badge["id"] in [e["id"] for e in evidence]


def test_credentials_no_active_pathway_can_count_queue_no_evaluation(
    runtime: Runtime, issuer: IssuerFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from microcred.pathways.service import EVALUATE_JOB

    queued: list[tuple[str, tuple[Any, ...]]] = []
    enqueue = runtime.queue.enqueue

    def recording(name: str, *args: Any) -> None:
        queued.append((name, args))
        enqueue(name, *args)

    monkeypatch.setattr(runtime.queue, "enqueue", recording)
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    unrelated = make_achievement(runtime, issuer, "Knitting")
    issue(runtime, issuer, a)  # no pathway yet
    two_part_pathway(runtime, issuer, [a, b])
    issue(runtime, issuer, unrelated)
    assert [q for q in queued if q[0] == EVALUATE_JOB] == []
    issue(runtime, issuer, b)
    assert (EVALUATE_JOB, (LEARNER,)) in queued
    assert len(awards(runtime)) == 1
