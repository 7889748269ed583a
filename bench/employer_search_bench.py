"""Employers' search at size on PostgreSQL (issue 16's target: 100,000 consented learners and
1,000,000 credentials, p99 <= 100 ms).

A throw-away database gets 100,000 learners, each holding 10 imported, active credentials
(1,000,000 wallet items), every credential shared and showing 3 of 2,000 real O*NET skills
drawn with a skewed popularity (so "popular" skills are shared by tens of thousands). Then
searches by 1-3 skills and by occupation, through ``EmployerSearchService.search`` (the ranking
query, the page's shares, each hit's activity check, the logged search), 20 results each.
Every search runs twice, through the in-process index (careers/skill_index.py, brought up to
date from the change log on each search) and through the earlier path where the database ranks
(``EmployersRepository.rank_learners``), in turn; the two answers must be equal. Before every
other search a learner shares a credential again, so the index catches up on a change. Prints median
and p99 in wall-clock and CPU milliseconds per kind and path, the same-run ratio, the index's
build time (the first search) and the load average. Skips when no server answers.
``skill_learners`` (one row per learner and shared skill, which sharing keeps up to date) is
built in bulk after the load, then the database is vacuumed and analysed.

    .venv/bin/python bench/employer_search_bench.py [--learners 100000] [--searches 100]
        [--keep | --database NAME]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from microcred.careers.repository import EmployersRepository  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402
from microcred.skills.onet import onet_taxonomy  # noqa: E402

SERVER = os.environ.get("MICROCRED_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


def copy(connection: object, table: str, columns: str, rows: io.StringIO) -> None:
    rows.seek(0)
    raw = connection.connection.driver_connection  # type: ignore[attr-defined]
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
        while chunk := rows.read(1 << 20):
            out.write(chunk)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def skill_pool() -> list[str]:
    """The 2,000 skills most occupations name, most named first."""
    counts: dict[str, int] = {}
    for links in onet_taxonomy().links.values():
        for link in links:
            counts[link.skill_id] = counts.get(link.skill_id, 0) + 1
    return sorted(counts, key=lambda s: -counts[s])[:2000]


def fill(runtime: Runtime, learners: int, per_learner: int, rng: random.Random) -> list[str]:
    runtime.skills.ensure_onet()
    pool = skill_pool()
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(pool))]
    now = datetime.now(UTC).isoformat()
    people, items, shares = io.StringIO(), io.StringIO(), io.StringIO()
    for _ in range(learners):
        learner = str(uuid.uuid4())
        people.write(f"{learner}\t{{}}\t{now}\n")
        for _ in range(per_learner):
            item = str(uuid.uuid4())
            items.write(
                f"{item}\t{learner}\tbench\t{uuid.uuid4().hex}{uuid.uuid4().hex}\t{{}}\tBench badge"
                f"\tBench Academy\tactive\t{{}}\t{now}\t{now}\n"
            )
            for skill in set(rng.choices(pool, weights, k=3)):
                shares.write(f"{learner}\t{item}\t{skill}\t{now}\n")
    with runtime.engine.begin() as connection:
        copy(connection, "learners", "id, settings, created_at", people)
        copy(
            connection,
            "wallet_items",
            "id, learner_id, source, digest, document, name, issuer_name, state, verification,"
            " added_at, checked_at",
            items,
        )
        copy(connection, "skill_shares", "learner_id, ref, skill_id, shared_at", shares)
    with Session(runtime.engine) as session, session.begin():
        # What sharing one by one keeps up to date, built in bulk.
        EmployersRepository(session).rebuild_skill_learners()
    # Autovacuum would get there on its own; the bench does not wait for it (index-only scans
    # need the visibility map).
    with runtime.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE skill_learners, skill_learner_counts, skill_shares, wallet_items")
        )
    return pool


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--per-learner", type=int, default=10)
    parser.add_argument("--searches", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the database, print its name")
    parser.add_argument("--database", help="search a database an earlier --keep run filled")
    args = parser.parse_args()
    admin = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception as error:
        print(f"employer search bench skipped: no PostgreSQL at {SERVER} ({type(error).__name__})")
        return
    name = args.database or f"microcred_bench_{uuid.uuid4().hex[:10]}"
    if not args.database:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory() as data:
            settings = Settings(
                data_dir=Path(data),
                database_url=f"{SERVER}/{name}",
                public_url="https://b.example.org",
            )
            runtime = Runtime(settings)
            started = time.perf_counter()
            if args.database:
                pool = skill_pool()
                filled = f"database {name}, filled earlier"
            else:
                pool = fill(runtime, args.learners, args.per_learner, random.Random(16))
                filled = f"filled in {time.perf_counter() - started:.0f} s"
            total = args.learners * args.per_learner
            print(
                f"employer search: {args.learners:,} consenting learners, {total:,} shared"
                f" credentials ({filled})"
            )
            rng = random.Random(17)
            taxonomy = onet_taxonomy()
            names = {s: taxonomy.skills[s].name for s in pool}
            occupations = [o for o, links in taxonomy.links.items() if len(links) >= 20]
            service = runtime.employer_search
            index = service.index
            employers = [
                service.create_employer(f"Bench {n}")[1] for n in range(args.searches // 25 + 2)
            ]
            # Not timed: the first search builds the index and reads the taxonomy into memory,
            # as a server's does once.
            warm = service.authenticate(employers[-1])
            assert warm is not None
            assert index is not None
            service.index = None  # the taxonomy read first: the index's build alone is measured
            service.search(warm, occupation=occupations[0][5:], limit=1)
            service.index = index
            memory, wall, cpu = rss_mb(), time.perf_counter(), time.process_time()
            service.search(warm, skills=[names[pool[0]]])
            print(
                f"  index built on the first search: {time.perf_counter() - wall:.1f} s wall,"
                f" {time.process_time() - cpu:.1f} s CPU, {rss_mb() - memory:+.0f} MB resident"
            )
            service.search(warm, occupation=occupations[0][5:])
            # Each search twice, in turn: through the index, and through the earlier path
            # (the database ranks); both answers must be the same.
            paths = {"index": index, "sql": None}
            kinds: dict[tuple[str, str], list[tuple[float, float]]] = {}
            with runtime.engine.connect() as connection:
                shared = connection.execute(
                    text("SELECT learner_id, ref FROM skill_shares ORDER BY ref LIMIT 200")
                ).all()
            for n in range(args.searches):
                if n % 2 == 1:
                    # A learner shares again between searches (the same skills): the index
                    # catches up from the change log in the timed search.
                    learner, ref = shared[n % len(shared)]
                    with Session(runtime.engine) as session, session.begin():
                        repo = EmployersRepository(session)
                        skills = [s for r, s in repo.shares_of(learner) if r == ref]
                        repo.replace_share(learner, ref, skills, datetime.now(UTC))
                if n % 5 == 4:
                    kind, asked = "occupation", {"occupation": rng.choice(occupations)[5:]}
                else:
                    wanted = rng.sample(pool[:200], 1) + rng.sample(pool, rng.randint(0, 2))
                    kind, asked = "skills", {"skills": [names[s] for s in wanted]}
                answers = []
                for path in sorted(paths, key=lambda p: (p == "sql") == (n % 2 == 0)):
                    service.index = paths[path]
                    employer = service.authenticate(employers[(2 * n) // 50])
                    assert employer is not None
                    wall, cpu = time.perf_counter(), time.process_time()
                    hits = service.search(employer, **asked)  # type: ignore[arg-type]
                    kinds.setdefault((kind, path), []).append(
                        ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
                    )
                    assert len(hits) <= 20
                    answers.append(hits)
                assert answers[0] == answers[1], f"the paths differ for {asked}"
            service.index = index
            print(
                f"  {'search':<12}{'path':<7}{'n':>5}{'wall p50':>10}{'wall p99':>10}"
                f"{'cpu p50':>9}{'cpu p99':>9}"
            )
            p50s: dict[tuple[str, str], tuple[float, float]] = {}
            for (kind, path), times in sorted(kinds.items()):
                walls = sorted(t[0] for t in times)
                cpus = sorted(t[1] for t in times)
                p99 = min(len(times) - 1, int(0.99 * len(times)))
                p50s[kind, path] = (statistics.median(walls), walls[p99])
                print(
                    f"  {kind:<12}{path:<7}{len(times):>5}"
                    f"{statistics.median(walls):>10.1f}{walls[p99]:>10.1f}"
                    f"{statistics.median(cpus):>9.1f}{cpus[p99]:>9.1f}"
                )
            for kind in ("skills", "occupation"):
                (i50, i99), (s50, s99) = p50s[kind, "index"], p50s[kind, "sql"]
                print(
                    f"  {kind}: the index is {s50 / i50:.1f}x (p50) and {s99 / i99:.1f}x (p99)"
                    " faster in wall time than the database ranking, same run, same answers"
                )
            print(
                "  load average while measuring: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
            )
            print("  target: p99 <= 100 ms (wall, on PostgreSQL)")
            runtime.close()
    finally:
        if args.keep or args.database:
            print(f"  kept database {name} (--database {name} searches it again)")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
