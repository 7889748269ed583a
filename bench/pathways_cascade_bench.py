"""A part revoked that 10,000 learners' micro-degrees depend on (issue 15's target: the cascade
done in <= 30 s on two workers), on SQLite with its SQLite job queue (the embedded default).

The store is filled directly for speed of set-up: 10,000 micro-degree credentials issued the
ordinary way (signed, with status entries), and 10,000 awards that each list the same part
credential (what a part counted by that many awards looks like to the cascade; in life a part
is one learner's, but a shared import or many pathways over one part give the same shape).

Times, on the same data in the same run:

* the part suspended as it runs now: its move commits at once, then two worker processes
  (``microcred worker --workers 2``) take the chunk jobs; timed until every micro-degree is
  suspended (a revoked part moves them the same way under the "suspend" policy);
* the part reinstated the same way, until every micro-degree is active again;
* the part revoked with the whole cascade in its own transaction, as it ran before chunking
  (the bench process alone, ``cascade_inline`` set above the number of awards).

    .venv/bin/python bench/pathways_cascade_bench.py --learners 10000
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import func, select  # noqa: E402

from microcred.accounts.actor import SYSTEM  # noqa: E402
from microcred.issuers.service import IssuerInput  # noqa: E402
from microcred.issuing.issuance import IssueRequest  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402
from microcred.store.tables import (  # noqa: E402
    CredentialRow,
    PathwayAwardPartRow,
    PathwayAwardRow,
)

TARGET_S = 30.0
BATCH = 1000
KIND = "ours"


def setup(work: Path, learners: int) -> tuple[Runtime, str, str, dict[str, str]]:
    env = {
        **os.environ,
        "MICROCRED_DATA_DIR": str(work / "data"),
        "MICROCRED_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "MICROCRED_PUBLIC_URL": "https://badges.example.org",
    }
    settings = Settings(
        data_dir=Path(env["MICROCRED_DATA_DIR"]),
        database_url=env["MICROCRED_DATABASE_URL"],
        public_url=env["MICROCRED_PUBLIC_URL"],
    )
    runtime = Runtime(settings)
    issuer = runtime.issuers.create(SYSTEM, IssuerInput(slug="bench", name="Bench University"))
    part = runtime.achievements.create(
        SYSTEM,
        issuer.id,
        {"name": "Databases", "description": "A module.", "criteria": {"narrative": "Passed."}},
    ).id
    view = runtime.pathways.create(
        SYSTEM,
        issuer.id,
        {
            "name": "Micro-degree",
            "requirement": {"id": "p", "type": "achievement", "achievement": part},
        },
    )
    [part_credential] = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=part, email="part@example.org")]
    )
    now = runtime.clock()
    for start in range(0, learners, BATCH):
        emails = [f"learner{n}@example.org" for n in range(start, min(start + BATCH, learners))]
        rows = runtime.issuance.issue(
            SYSTEM,
            issuer.id,
            [IssueRequest(achievement_id=view.row.achievement_id, email=e) for e in emails],
        )
        award_ids = [str(uuid.uuid4()) for _ in rows]
        with runtime.sessions.begin() as session:
            session.add_all(
                PathwayAwardRow(
                    id=award_id,
                    pathway_id=view.row.id,
                    learner_key=f"email:{email}",
                    email=email,
                    credential_id=row.id,
                    clr=None,
                    failing=[],
                    created_at=now,
                )
                for award_id, email, row in zip(award_ids, emails, rows, strict=True)
            )
            session.flush()
            session.add_all(
                PathwayAwardPartRow(
                    award_id=award_id,
                    part_ref=part_credential.id,
                    kind=KIND,
                    url=runtime.urls.credential(part_credential.id),
                    name="Databases",
                    digest="sha256-bench",
                )
                for award_id in award_ids
            )
    runtime.queue.huey.flush()  # the issuance's own jobs (mail) are not this figure's
    return runtime, issuer.id, part_credential.id, env


def suspended(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        query = (
            select(func.count())
            .select_from(CredentialRow)
            .join(PathwayAwardRow, PathwayAwardRow.credential_id == CredentialRow.id)
            .where(CredentialRow.state == "suspended")
        )
        return int(session.scalar(query) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pathways-cascade-bench-"))
    started = time.perf_counter()
    runtime, issuer_id, part_id, env = setup(work, args.learners)
    print(
        f"pathways cascade: {args.learners:,} micro-degrees on one part, SQLite "
        f"(set-up {time.perf_counter() - started:.0f} s)"
    )

    worker = subprocess.Popen(
        [sys.executable, "-m", "microcred.cli.main", "worker", "--workers", str(args.workers)],
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        start_new_session=True,
    )
    try:
        time.sleep(3.0)  # interpreter and consumer start-up are not the cascade
        # Now: the part's move commits at once, the workers take the chunks. A suspension of
        # the part (a revocation moves the micro-degrees the same way under "suspend").
        start = time.perf_counter()
        runtime.lifecycle.suspend(SYSTEM, issuer_id, part_id, "under review")
        committed = time.perf_counter() - start
        wait_for(runtime, args.learners, start)
        chunked = time.perf_counter() - start
        print(f"  the part's own move committed after    {committed:7.2f} s", flush=True)
        print(
            f"  every micro-degree suspended after     {chunked:7.1f} s  on {args.workers} "
            f"workers, chunked (target {TARGET_S:.0f} s)",
            flush=True,
        )
        start = time.perf_counter()
        runtime.lifecycle.reinstate(SYSTEM, issuer_id, part_id, None)
        wait_for(runtime, 0, start)
        print(f"  every one reinstated after             {time.perf_counter() - start:7.1f} s")
    finally:
        os.killpg(worker.pid, signal.SIGINT)
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)

    # Before chunking: the whole cascade in the part's transaction, this process alone.
    runtime.pathways.cascade_inline = args.learners + 1
    start = time.perf_counter()
    runtime.lifecycle.revoke(SYSTEM, issuer_id, part_id, "issued in error")
    one_transaction = time.perf_counter() - start
    assert suspended(runtime) == args.learners
    runtime.close()
    print(
        f"  in the part's transaction (before)     {one_transaction:7.1f} s  (revocation; "
        f"chunked on {args.workers} workers: {one_transaction / chunked:.2f}x as fast)"
    )


def wait_for(runtime: Runtime, count: int, start: float) -> None:
    while suspended(runtime) != count:
        if time.perf_counter() - start > 900:
            raise SystemExit("the cascade did not finish in 15 minutes")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
