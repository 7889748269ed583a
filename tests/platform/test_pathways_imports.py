"""Parts from another issuer, held as imports: importing the last part awards the micro-degree,
and the wallet's re-verification finding the part revoked (then reinstated) moves it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from microcred.runtime import Runtime
from microcred.store.tables import CredentialRow, PathwayAwardRow
from microcred.wallet.reverify import ReverificationService
from tests.platform.conftest import FakeClock, IssuerFixture
from tests.platform.pathways_support import LEARNER, issue, make_achievement, two_part_pathway
from tests.platform.test_wallet_reverify import START, StatusServer, partner_credential
from tests.platform.wallet_support import make_learner


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def foreign_achievement(data: bytes) -> str:
    achievement_id: str = json.loads(data)["credentialSubject"]["achievement"]["id"]
    return achievement_id


def degree(runtime: Runtime) -> CredentialRow:
    with runtime.sessions() as session:
        award = session.scalars(select(PathwayAwardRow)).one()
        row = session.get(CredentialRow, award.credential_id)
        assert row is not None
        return row


def test_importing_the_last_part_awards_and_its_revocation_found_later_suspends(
    runtime: Runtime, issuer: IssuerFixture, clock: FakeClock
) -> None:
    partner = StatusServer(clock)
    learner_id = make_learner(runtime, LEARNER)
    data = partner_credential(7)
    ours = make_achievement(runtime, issuer, "Statistics")
    two_part_pathway(runtime, issuer, [ours, foreign_achievement(data)])
    issue(runtime, issuer, ours)
    with runtime.sessions() as session:
        assert session.scalars(select(PathwayAwardRow)).all() == []

    item = runtime.wallet.import_bytes(learner_id, data, source="test", fetcher=partner)
    assert item.state == "active"
    assert degree(runtime).state == "active"  # the import's evaluation job awarded it

    service = ReverificationService(
        runtime.sessions,
        clock=runtime.clock,
        verification=runtime.verification,
        queue=runtime.queue,
        settings=runtime.settings,
        urls=runtime.urls,
        mailer=runtime.mailer,
        fetcher=partner,
        on_change=runtime.pathways.imports_changed,
    )
    partner.revoked.add(7)
    clock.advance(days=2)
    assert service.run().changed == 1
    suspended = degree(runtime)
    assert suspended.state == "suspended"
    assert suspended.state_reason is not None
    assert suspended.state_reason.startswith("part ")
    assert "revoked" in suspended.state_reason

    partner.revoked.discard(7)
    clock.advance(days=2)
    assert service.run().changed == 1
    assert degree(runtime).state == "active"
    with runtime.sessions() as session:
        assert session.scalars(select(PathwayAwardRow)).one().failing == []


def test_re_verification_news_of_expiry_moves_nothing(
    runtime: Runtime, issuer: IssuerFixture, clock: FakeClock
) -> None:
    partner = StatusServer(clock)
    learner_id = make_learner(runtime, LEARNER)
    data = partner_credential(3, valid_until=START + timedelta(days=1))
    ours = make_achievement(runtime, issuer, "Statistics")
    two_part_pathway(runtime, issuer, [ours, foreign_achievement(data)])
    item = runtime.wallet.import_bytes(learner_id, data, source="test", fetcher=partner)
    issue(runtime, issuer, ours)
    runtime.pathways.imports_changed([(item.id, "active", "expired")])
    assert degree(runtime).state == "active"


def test_an_issuer_asking_sees_which_parts_are_done_but_not_the_learners_imports(
    runtime: Runtime, issuer: IssuerFixture, clock: FakeClock, client: TestClient
) -> None:
    partner = StatusServer(clock)
    learner_id = make_learner(runtime, LEARNER)
    data = partner_credential(5)
    ours = make_achievement(runtime, issuer, "Statistics")
    view = two_part_pathway(runtime, issuer, [ours, foreign_achievement(data)])
    runtime.wallet.import_bytes(learner_id, data, source="test", fetcher=partner)
    mine = issue(runtime, issuer, ours)
    answer = client.get(
        f"/api/v1/issuers/{issuer.id}/pathways/{view.row.id}/progress",
        params={"email": LEARNER},
        headers=issuer.headers,
    ).json()
    first, second = answer["tree"]["children"]
    assert first["done"]
    assert first["credential"]["url"] == mine.document["id"]
    assert second["done"]
    assert "credential" not in second  # another issuer's credential, from the wallet
