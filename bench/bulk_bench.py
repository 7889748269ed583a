"""Bulk issuance through the real pipeline: CSV -> validation -> store -> job engine -> status
index -> eddsa-rdfc-2022 signing -> store, timed from upload to the batch's last credential.

Two setups: ``embedded`` (SQLite database, SQLite huey queue, ``microcred worker`` with two
processes) and ``postgres`` (PostgreSQL database, Redis huey queue, two single-process
``microcred worker`` commands, as on two machines). Prints seconds, credentials/s and the peak
memory of the uploading process and of the workers.

    .venv/bin/python bench/bulk_bench.py --count 100000 --setup embedded --setup postgres
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from microcred.runtime import Runtime  # noqa: E402
from microcred.services.actor import SYSTEM  # noqa: E402
from microcred.services.issuers import IssuerInput  # noqa: E402
from microcred.settings import Settings  # noqa: E402

ACHIEVEMENT = {
    "name": "Data Analysis with Python",
    "description": "Cleans, explores and visualises tabular data with pandas.",
    "criteria": {"narrative": "Six graded notebooks and a capstone analysis."},
    "achievementType": "Badge",
    "tag": ["python", "pandas"],
}
POSTGRES = os.environ.get("MICROCRED_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("MICROCRED_BENCH_REDIS", "redis://127.0.0.1:6379/15")


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("email,name\n")
        for i in range(count):
            out.write(f"learner{i}@example.org,Learner Number {i}\n")


def run(setup: str, count: int, workers: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix=f"bulk-bench-{setup}-"))
    env = {
        **os.environ,
        "MICROCRED_DATA_DIR": str(work / "data"),
        "MICROCRED_PUBLIC_URL": "https://badges.example.org",
    }
    database = None
    if setup == "postgres":
        database = f"microcred_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        env["MICROCRED_DATABASE_URL"] = f"{POSTGRES}/{database}"
        env["MICROCRED_QUEUE_URL"] = REDIS
    settings = Settings(
        data_dir=Path(env["MICROCRED_DATA_DIR"]),
        database_url=env.get("MICROCRED_DATABASE_URL"),
        queue_url=env.get("MICROCRED_QUEUE_URL"),
        public_url=env["MICROCRED_PUBLIC_URL"],
    )
    runtime = Runtime(settings)
    runtime.queue.huey.flush()
    issuer = runtime.issuers.create(
        SYSTEM, IssuerInput(slug="bench", name="Bench Academy", url="https://bench.example")
    )
    achievement = runtime.achievements.create(SYSTEM, issuer.id, ACHIEVEMENT).id
    csv_path = work / "recipients.csv"
    write_csv(csv_path, count)

    # Workers: one consumer with N processes (embedded), or N consumers (as on N machines).
    commands = (
        [["worker", "--workers", str(workers)]]
        if setup == "embedded"
        else [["worker", "--workers", "1"] for _ in range(workers)]
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "microcred.cli.main", *args], env=env, start_new_session=True
        )
        for args in commands
    ]
    time.sleep(2.0)  # let them start: the figure is about issuing, not interpreter start-up
    start = time.perf_counter()
    with csv_path.open("rb") as source:
        batch = runtime.batches.create(SYSTEM, issuer.id, achievement, source)
    uploaded = time.perf_counter() - start
    while batch.state in ("queued", "running"):
        time.sleep(0.1)
        batch = runtime.batches.get(SYSTEM, issuer.id, batch.id)
    seconds = time.perf_counter() - start
    for proc in procs:
        os.killpg(proc.pid, signal.SIGINT)
    for proc in procs:
        proc.wait(60)
    runtime.close()
    if database is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
        admin.dispose()
    assert batch.state == "done", batch.state
    assert batch.new_rows == count, batch.new_rows
    return {
        "seconds": seconds,
        "upload": uploaded,
        "rate": count / seconds,
        # ru_maxrss is in KiB on Linux; for children it is the largest single descendant.
        "self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--setup", action="append", choices=["embedded", "postgres"], help="default: both"
    )
    args = parser.parse_args()
    print(f"bulk issuance, {args.count:,} recipients from CSV, {args.workers} workers")
    for setup in args.setup or ["embedded", "postgres"]:
        result = run(setup, args.count, args.workers)
        print(
            f"  {setup:<9} {result['seconds']:7.1f} s  {result['rate']:7,.0f} credentials/s  "
            f"(upload+validation {result['upload']:.1f} s)  peak memory: uploader "
            f"{result['self_mib']:.0f} MiB, largest worker {result['worker_mib']:.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
