"""Careers on both databases: a goal matched to occupations, the gap the learner's verified
credentials leave, and the plan over every issuer's achievements."""

from __future__ import annotations

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.careers.report import plan_json
from microcred.errors import GoalError, InputError, NotFoundError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from tests.platform.careers_support import DATA_SCIENTISTS, make_catalogue
from tests.platform.conftest import IssuerFixture
from tests.platform.wallet_support import make_learner


def test_a_goal_that_cannot_be_read_is_refused_before_any_work(runtime: Runtime) -> None:
    with pytest.raises(GoalError, match="the goal is empty"):
        runtime.careers.match("")
    with pytest.raises(GoalError, match="script"):
        runtime.careers.plan(goal="хочу стать электриком")


def test_plan_covers_the_gap_at_least_workload(runtime: Runtime, issuer: IssuerFixture) -> None:
    ids = make_catalogue(runtime, issuer.id)
    plan = runtime.careers.plan(occupation=DATA_SCIENTISTS)
    gap = {s.id for s in plan.gap}
    assert {"onet:python", "onet:structured query language sql", "onet:tableau"} <= gap
    names = [step.entry.name for step in plan.path.steps]
    # 25 + 25 + 50 hours beats 100 + 50 and 250: the exact optimum, SQL before Tableau.
    assert sorted(names) == ["Python basics", "SQL basics", "Tableau dashboards"]
    assert names.index("SQL basics") < names.index("Tableau dashboards")
    assert plan.path.total_hours == 100
    assert plan.path.method == "exact"
    python_step = next(s for s in plan.path.steps if s.entry.name == "Python basics")
    assert [s.name for s in python_step.covers] == ["Python"]
    assert python_step.alternative is not None
    assert python_step.alternative.name in ("Python and SQL", "Everything data")
    # Alternatives: one badge; the cheapest in EUR.
    assert [s.entry.name for s in plan.alternatives["fewest"].steps] == ["Everything data"]
    cheapest = plan.alternatives["cheapest"]
    assert cheapest.total_price_minor == 15000
    assert cheapest.currency == "EUR"
    # What nothing in the catalogue teaches is listed as such.
    uncovered = {s.name for s in plan.uncovered}
    assert "Apache Spark" in uncovered
    assert "Python" not in uncovered
    body = plan_json(plan)
    assert body["occupation"]["code"] == DATA_SCIENTISTS
    assert body["total_hours"] == 100
    assert all(step["covers"] and step["why"] for step in body["steps"])
    assert set(body["alternatives"]) == {"fewest", "fastest", "cheapest", "in_demand"}
    assert ids["Everything data"] in {
        s["achievement_id"] for s in body["alternatives"]["fewest"]["steps"]
    }


def test_the_gap_leaves_out_what_verified_credentials_show(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    learner = make_learner(runtime, "ada@example.org")
    [credential] = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=ids["Python basics"], email="ada@example.org")],
    )
    plan = runtime.careers.plan(occupation=DATA_SCIENTISTS, learner_id=learner)
    assert plan.held == {"onet:python": ("Python basics",)}
    assert "onet:python" not in {s.id for s in plan.gap}
    assert sorted(s.entry.name for s in plan.path.steps) == ["SQL basics", "Tableau dashboards"]
    # A revoked credential shows nothing any more.
    runtime.lifecycle.revoke(SYSTEM, issuer.id, credential.id, "issued in error")
    plan = runtime.careers.plan(occupation=DATA_SCIENTISTS, learner_id=learner)
    assert plan.held == {}
    assert "onet:python" in {s.id for s in plan.gap}
    # Another learner's credentials never count.
    other = make_learner(runtime, "grace@example.org")
    assert runtime.careers.plan(occupation=DATA_SCIENTISTS, learner_id=other).held == {}


def test_plan_from_a_goal_names_its_matches(runtime: Runtime, issuer: IssuerFixture) -> None:
    make_catalogue(runtime, issuer.id)
    plan = runtime.careers.plan(goal="data scientist")
    assert plan.occupation.code == DATA_SCIENTISTS
    assert plan.matches[0].occupation.code == DATA_SCIENTISTS


def test_unknown_occupation_and_bad_offers_are_refused(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    with pytest.raises(NotFoundError, match="no such occupation"):
        runtime.careers.plan(occupation="00-0000.00")
    with pytest.raises(InputError, match="needs a currency"):
        runtime.careers.set_offer(SYSTEM, issuer.id, achievement_id, price_minor=100)
    with pytest.raises(InputError, match="not a currency code"):
        runtime.careers.set_offer(
            SYSTEM, issuer.id, achievement_id, price_minor=100, currency="EURO"
        )
    with pytest.raises(NotFoundError):
        runtime.careers.set_offer(SYSTEM, issuer.id, "no-such-achievement", duration_days=3)
