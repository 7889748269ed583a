"""The employers' ranking at the repository: ``skill_learners`` follows every share and
withdrawal, and the ranked pages (keyset paging, set by set for a few skills, the candidate
shortcut through the rarest skills, the aggregate) give exactly the order a brute force over
the shares gives; the page's wallet read equals one read per learner."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from microcred.accounts.actor import SYSTEM
from microcred.careers import repository
from microcred.careers.repository import EmployersRepository
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.db import transaction
from microcred.store.tables import LearnerRow, SkillLearnerCountRow, SkillLearnerRow
from tests.platform.careers_support import make_catalogue
from tests.platform.conftest import IssuerFixture
from tests.platform.wallet_support import make_learner

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _learners(runtime: Runtime, count: int) -> list[str]:
    ids = sorted(str(uuid.UUID(int=random.Random(n).getrandbits(128))) for n in range(count))
    with transaction(runtime.sessions) as session:
        session.add_all(LearnerRow(id=i, settings={}, created_at=NOW) for i in ids)
    return ids


def _index(runtime: Runtime) -> tuple[set[tuple[str, str, int]], dict[str, int]]:
    with runtime.sessions() as session:
        rows = {
            (r.skill_id, r.learner_id, r.credentials)
            for r in session.scalars(select(SkillLearnerRow))
        }
        counts = {r.skill_id: r.learners for r in session.scalars(select(SkillLearnerCountRow))}
    return rows, {s: n for s, n in counts.items() if n}


def test_skill_learners_follow_shares_and_withdrawals(runtime: Runtime) -> None:
    ada, grace = _learners(runtime, 2)
    with transaction(runtime.sessions) as session:
        repo = EmployersRepository(session)
        repo.replace_share(ada, "c1", ["python", "sql"], NOW)
        repo.replace_share(ada, "c2", ["python"], NOW)
        repo.replace_share(grace, "c3", ["python"], NOW)
    assert _index(runtime) == (
        {("python", ada, 2), ("sql", ada, 1), ("python", grace, 1)},
        {"python": 2, "sql": 1},
    )
    with transaction(runtime.sessions) as session:
        repo = EmployersRepository(session)
        repo.replace_share(ada, "c1", ["sql", "tableau"], NOW)  # re-shared: its skills changed
        repo.withdraw(ada, "c2")
    assert _index(runtime) == (
        {("sql", ada, 1), ("tableau", ada, 1), ("python", grace, 1)},
        {"python": 1, "sql": 1, "tableau": 1},
    )
    with transaction(runtime.sessions) as session:
        EmployersRepository(session).forget_learner(ada)
    assert _index(runtime) == ({("python", grace, 1)}, {"python": 1})
    with transaction(runtime.sessions) as session:
        EmployersRepository(session).rebuild_skill_learners()
    assert _index(runtime) == ({("python", grace, 1)}, {"python": 1})


def _brute_force(shares: dict[str, set[str]], weights: dict[str, float]) -> list[tuple[str, int]]:
    scored = [
        (learner, sum(round(weights[s] * 1000) for s in skills if s in weights))
        for learner, skills in shares.items()
    ]
    return sorted(((lr, sc) for lr, sc in scored if sc), key=lambda p: (-p[1], p[0]))


def _all_pages(runtime: Runtime, weights: dict[str, float], size: int) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    after: tuple[float, str] | None = None
    while True:
        with runtime.sessions() as session:
            page = EmployersRepository(session).rank_learners(weights, after=after, limit=size)
        found.extend((learner, round(score * 1000)) for learner, score in page)
        if len(page) < size:
            return found
        after = (page[-1][1], page[-1][0])


# Small limits: the rarest-skill shortcut decides, and sets of a few skills hand over to the
# aggregate part-way through a page.
@pytest.mark.parametrize(("candidate_rows", "level_rows"), [(2, 0), (3000, 5000)])
def test_ranked_pages_are_exact(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, candidate_rows: int, level_rows: int
) -> None:
    monkeypatch.setattr(repository, "_CANDIDATE_ROWS", candidate_rows)
    monkeypatch.setattr(repository, "_LEVEL_ROWS", level_rows)
    rng = random.Random(16)
    learners = _learners(runtime, 40)
    skills = [f"s{n}" for n in range(12)]
    popularity = [1 / (n + 1) for n in range(len(skills))]
    shares: dict[str, set[str]] = {}
    with transaction(runtime.sessions) as session:
        repo = EmployersRepository(session)
        for n, learner in enumerate(learners):
            for credential in range(rng.randint(0, 3)):
                shown = set(rng.choices(skills, popularity, k=rng.randint(1, 3)))
                repo.replace_share(learner, f"c{n}-{credential}", sorted(shown), NOW)
                shares.setdefault(learner, set()).update(shown)
    for _ in range(12):
        wanted = rng.sample(skills, rng.randint(1, 6))
        weights = {s: rng.choice([1.0, 1.5, 2.0, 3.0]) for s in wanted}
        expected = _brute_force(shares, weights)
        for size in (1, 3, 7):
            assert _all_pages(runtime, weights, size) == expected


def test_the_page_wallet_read_matches_one_read_per_learner(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    ada = make_learner(runtime, "ada@example.org")
    grace = make_learner(runtime, "grace@example.org")
    [ours] = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=ids["Python basics"], email="ada@example.org")],
    )
    [other] = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=ids["Tableau dashboards"], email="grace@example.org")],
    )
    imported = runtime.wallet.import_bytes(
        grace, json.dumps(ours.document).encode(), source="upload"
    )
    runtime.lifecycle.revoke(SYSTEM, issuer.id, other.id, "issued in error")
    asked = {ada: [ours.id, other.id, imported.id], grace: [other.id, imported.id, "nothing"]}
    batched = runtime.wallet.get_many_by_learner(asked)
    assert batched == {
        learner: runtime.wallet.get_many(learner, refs) for learner, refs in asked.items()
    }
    assert set(batched[ada]) == {ours.id}  # Grace's credential and import are not Ada's
    assert batched[grace][other.id].state == "revoked"
    assert batched[grace][imported.id].id == imported.id
