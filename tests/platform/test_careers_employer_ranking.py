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
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from microcred.accounts.actor import SYSTEM
from microcred.careers import repository
from microcred.careers.repository import EmployersRepository
from microcred.careers.skill_index import SkillIndex
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.db import transaction
from microcred.store.tables import (
    LearnerRow,
    SkillIndexLogRow,
    SkillLearnerCountRow,
    SkillLearnerRow,
)
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


# ---- the in-process index (careers/skill_index.py) ----------------------------------------


def _index_pages(
    runtime: Runtime, index: SkillIndex, weights: dict[str, float], size: int
) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    after: tuple[float, str] | None = None
    while True:
        with runtime.sessions() as session:
            page = index.rank_learners(session, weights, after=after, limit=size)
        found.extend((learner, round(score * 1000)) for learner, score in page)
        if len(page) < size:
            return found
        after = (page[-1][1], page[-1][0])


def _check(
    runtime: Runtime, indexes: list[SkillIndex], shares: dict[str, set[str]], rng: random.Random
) -> None:
    skills = sorted({s for shown in shares.values() for s in shown} | {"unshared"})
    for _ in range(6):
        wanted = rng.sample(skills, rng.randint(1, min(8, len(skills))))
        weights = {s: rng.choice([0.5, 1.0, 1.5, 3.25]) for s in wanted}
        expected = _brute_force(shares, weights)
        for size in (1, 4):
            assert _all_pages(runtime, weights, size) == expected  # the database's ranking
            for index in indexes:
                assert _index_pages(runtime, index, weights, size) == expected


def test_the_index_ranks_as_the_database_after_every_change(runtime: Runtime) -> None:
    """Two indexes stand for two processes: one built before anything was shared and kept up
    from the change log, one built later; both rank exactly as the brute force and the
    database do after shares, re-shares, withdrawals and a learner's deletion."""
    rng = random.Random(27)
    learners = _learners(runtime, 30)
    skills = [f"s{n}" for n in range(10)]
    popularity = [1 / (n + 1) for n in range(len(skills))]
    with transaction(runtime.sessions) as session:
        # The head row the migration writes (the emptied PostgreSQL test database has none;
        # the first change would then draw an epoch, and the index would be read whole).
        EmployersRepository(session).rebuild_skill_learners()
    early = SkillIndex()
    with runtime.sessions() as session:
        assert early.rank_learners(session, {"s0": 1.0}, limit=5) == []
    credentials: dict[tuple[str, str], set[str]] = {}

    def shares() -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for (learner, _ref), shown in credentials.items():
            found.setdefault(learner, set()).update(shown)
        return found

    for n, learner in enumerate(learners):
        for c in range(rng.randint(1, 3)):
            shown = set(rng.choices(skills, popularity, k=rng.randint(1, 3)))
            credentials[learner, f"c{n}-{c}"] = shown
    with transaction(runtime.sessions) as session:
        repo = EmployersRepository(session)
        for (learner, ref), shown in credentials.items():
            repo.replace_share(learner, ref, sorted(shown), NOW)
    late = SkillIndex()
    _check(runtime, [early, late], shares(), rng)
    for _round in range(3):
        with transaction(runtime.sessions) as session:
            repo = EmployersRepository(session)
            for learner, ref in rng.sample(sorted(credentials), 6):
                if rng.random() < 0.5:
                    repo.withdraw(learner, ref)
                    del credentials[learner, ref]
                else:
                    shown = set(rng.choices(skills, k=2)) | {f"new{_round}"}
                    repo.replace_share(learner, ref, sorted(shown), NOW)
                    credentials[learner, ref] = shown
        _check(runtime, [early, late], shares(), rng)
    gone = learners[0]
    with transaction(runtime.sessions) as session:
        EmployersRepository(session).forget_learner(gone)
    credentials = {key: shown for key, shown in credentials.items() if key[0] != gone}
    _check(runtime, [early, late], shares(), rng)
    assert gone not in {learner for learner, _ in _index_pages(runtime, early, {"s0": 1.0}, 50)}
    assert (early.builds, late.builds) == (1, 1)  # kept up from the log, never read whole again
    with transaction(runtime.sessions) as session:
        EmployersRepository(session).rebuild_skill_learners()
    _check(runtime, [early, late], shares(), rng)
    assert (early.builds, late.builds) == (2, 2)  # a bulk rebuild has no log: read whole


def test_an_index_behind_a_pruned_log_is_built_again(runtime: Runtime) -> None:
    ada, grace = _learners(runtime, 2)
    with transaction(runtime.sessions) as session:
        EmployersRepository(session).replace_share(ada, "c1", ["python"], NOW)
    index = SkillIndex()
    with runtime.sessions() as session:
        assert index.rank_learners(session, {"python": 1.0}, limit=5) == [(ada, 1.0)]
    with transaction(runtime.sessions) as session:
        repo = EmployersRepository(session)
        repo.replace_share(grace, "c2", ["python", "sql"], NOW)
        repo.withdraw(ada, "c1")
        session.execute(delete(SkillIndexLogRow))  # as pruning does, past this index's place
    with runtime.sessions() as session:
        assert index.rank_learners(session, {"python": 1.0}, limit=5) == [(grace, 1.0)]
    assert index.builds == 2


def test_changes_are_numbered_in_commit_order(runtime: Runtime) -> None:
    """A share not yet committed is not seen and holds the next number back: a search never
    sees a later change without every earlier one (on PostgreSQL a second writer waits for
    the head row)."""
    ada, grace = _learners(runtime, 2)
    with transaction(runtime.sessions) as session:
        EmployersRepository(session).rebuild_skill_learners()  # as migrated: seq 0
    index = SkillIndex()
    with runtime.sessions() as session:
        assert index.rank_learners(session, {"python": 1.0}, limit=5) == []
    with transaction(runtime.sessions) as first:
        EmployersRepository(first).replace_share(ada, "c1", ["python"], NOW)
        with runtime.sessions() as session:
            assert index.rank_learners(session, {"python": 1.0}, limit=5) == []
            assert EmployersRepository(session).index_head()[1] == 0
        if runtime.engine.dialect.name == "postgresql":
            with runtime.engine.connect() as other:
                other.exec_driver_sql("SET lock_timeout = '100ms'")
                with pytest.raises(OperationalError, match="lock timeout"):
                    other.exec_driver_sql("UPDATE skill_index_head SET seq = seq + 1")
    with transaction(runtime.sessions) as session:
        EmployersRepository(session).replace_share(grace, "c2", ["python"], NOW)
    with runtime.sessions() as session:
        assert EmployersRepository(session).index_head()[1] == 2
        assert index.rank_learners(session, {"python": 1.0}, limit=5) == sorted(
            [(ada, 1.0), (grace, 1.0)]
        )
    assert index.builds == 1


def test_weights_past_the_index_keys_are_ranked_by_the_database(runtime: Runtime) -> None:
    ada, grace = _learners(runtime, 2)
    with transaction(runtime.sessions) as session:
        repo = EmployersRepository(session)
        repo.replace_share(ada, "c1", ["python"], NOW)
        repo.replace_share(grace, "c2", ["python", "sql"], NOW)
    index = SkillIndex()
    with runtime.sessions() as session:
        huge = {"python": 2.0e6, "sql": 1.0e6}
        assert index.rank_learners(session, huge, limit=5) == [(grace, 3.0e6), (ada, 2.0e6)]
    assert index.builds == 0


def test_a_server_start_builds_the_index_so_no_first_search_waits(runtime: Runtime) -> None:
    ada, grace = _learners(runtime, 2)
    with transaction(runtime.sessions) as session:
        EmployersRepository(session).replace_share(ada, "c1", ["python"], NOW)
    service = runtime.employer_search
    index = service.index
    assert index is not None
    assert index.builds == 0
    service.warm_index_in_background()
    assert service.warming is not None
    service.warming.join(timeout=30)
    assert index.builds == 1
    # A share after the start is caught up from the log; nothing is read whole again.
    with transaction(runtime.sessions) as session:
        EmployersRepository(session).replace_share(grace, "c2", ["python", "sql"], NOW)
    with runtime.sessions() as session:
        ranked = index.rank_learners(session, {"python": 1.0, "sql": 1.0}, limit=5)
    assert ranked == [(grace, 2.0), (ada, 1.0)]
    assert index.builds == 1
