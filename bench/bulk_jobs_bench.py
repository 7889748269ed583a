"""The bulk pipeline's two jobs measured in one process, one after another: a chunk job of
1,000 rows (``BatchService.run_chunk``), then e-mail jobs of 250 (``send_many``, into the
outbox). Prints the process CPU per credential of each (best and median over the chunks and
groups) beside the signing floor measured in the same process: far steadier than the
two-worker figures of bench/bulk_bench.py on a shared machine, and what to profile
(``py-spy record -- python bench/bulk_jobs_bench.py``).

    .venv/bin/python bench/bulk_jobs_bench.py --chunks 6 --setup embedded --setup postgres
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bulk_bench import ACHIEVEMENT, POSTGRES, REDIS, signing_floor, write_csv  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from microcred.accounts.actor import SYSTEM  # noqa: E402
from microcred.issuers.service import IssuerInput  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402
from microcred.store.tables import CredentialRow  # noqa: E402

GROUP = 250  # credentials per e-mail job, as the issuance hook queues them


def cpu(run: Callable[[], object]) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def measure(setup: str, chunks: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"bulk-jobs-{setup}-"))
    database = None
    extra: dict[str, str] = {}
    if setup == "postgres":
        database = f"microcred_jobs_{uuid.uuid4().hex[:10]}"
        admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        extra = {"database_url": f"{POSTGRES}/{database}", "queue_url": REDIS}
    runtime = Runtime(
        Settings(
            data_dir=work / "data",
            public_url="https://badges.example.org",
            database_url=extra.get("database_url"),
            queue_url=extra.get("queue_url"),
        )
    )
    try:
        runtime.queue.huey.flush()
        issuer = runtime.issuers.create(
            SYSTEM, IssuerInput(slug="bench", name="Bench Academy", url="https://bench.example")
        )
        achievement = runtime.achievements.create(SYSTEM, issuer.id, ACHIEVEMENT).id
        csv_path = work / "recipients.csv"
        size = runtime.batches.chunk_size
        write_csv(csv_path, (chunks + 1) * size)
        with csv_path.open("rb") as source:
            batch = runtime.batches.create(SYSTEM, issuer.id, achievement, source)
        runtime.queue.huey.flush()  # the jobs run here, not in a worker
        runtime.batches.run_chunk(batch.id, 0)  # warms the caches, as a worker's first chunk
        chunk_cpu = sorted(
            cpu(partial(runtime.batches.run_chunk, batch.id, c)) / size
            for c in range(1, chunks + 1)
        )
        with runtime.sessions() as session:
            ids = list(
                session.scalars(
                    select(CredentialRow.id)
                    .where(CredentialRow.batch_id == batch.id)
                    .order_by(CredentialRow.issued_at, CredentialRow.id)
                )
            )
            document = session.scalar(select(CredentialRow.document).limit(1))
        runtime.notifications.send_many(ids[:GROUP])  # warm
        groups = [ids[i : i + GROUP] for i in range(GROUP, len(ids), GROUP)]
        mail_cpu = sorted(cpu(partial(runtime.notifications.send_many, g)) / len(g) for g in groups)
        assert document is not None
        floor = signing_floor(document, rounds=150)
    finally:
        runtime.close()
        if database is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
            admin.dispose()
    chunk_best, mail_best = chunk_cpu[0], mail_cpu[0]
    print(
        f"  {setup:<9} chunk job {chunk_best * 1e6:.0f} us per credential (median "
        f"{statistics.median(chunk_cpu) * 1e6:.0f}), e-mail job {mail_best * 1e6:.0f} us "
        f"(median {statistics.median(mail_cpu) * 1e6:.0f}); signing floor {floor * 1e6:.0f} us: "
        f"both jobs {(chunk_best + mail_best) / floor:.1f}x it",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=6)
    parser.add_argument(
        "--setup", action="append", choices=["embedded", "postgres"], help="default: both"
    )
    args = parser.parse_args()
    print(f"bulk jobs in one process, {args.chunks} chunks measured")
    for setup in args.setup or ["embedded", "postgres"]:
        measure(setup, args.chunks)


if __name__ == "__main__":
    main()
