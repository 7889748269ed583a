"""Bulk issuance through the real pipeline: CSV -> validation -> store -> job engine -> status
index -> eddsa-rdfc-2022 signing -> store with its log entry -> e-mail job, timed from upload to
the batch's last credential, and to its last e-mail (written to the outbox).

Two setups: ``embedded`` (SQLite database, SQLite huey queue, ``microcred worker`` with two
processes) and ``postgres`` (PostgreSQL database, Redis huey queue, two single-process
``microcred worker`` commands, as on two machines). Prints seconds, credentials/s, the peak
memory (VmHWM) of the uploading process and of every worker process, and a floor measured in
the same run: signing alone (eddsa-rdfc-2022, one core, no database) before and after, so that
a busy machine shows in the floor too.

    .venv/bin/python bench/bulk_bench.py --count 100000 --setup embedded --setup postgres
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from microcred.accounts.actor import SYSTEM  # noqa: E402
from microcred.crypto.keys import KeyFile, SigningKey  # noqa: E402
from microcred.issuers.service import IssuerInput  # noqa: E402
from microcred.issuing.issuance import IssueRequest  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402
from microcred.signing import sign_credential  # noqa: E402
from microcred.store.tables import NotificationRow  # noqa: E402

ACHIEVEMENT = {
    "name": "Data Analysis with Python",
    "description": "Cleans, explores and visualises tabular data with pandas.",
    "criteria": {"narrative": "Six graded notebooks and a capstone analysis."},
    "achievementType": "Badge",
    "tag": ["python", "pandas"],
}
POSTGRES = os.environ.get("MICROCRED_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("MICROCRED_BENCH_REDIS", "redis://127.0.0.1:6379/15")


@dataclass
class Result:
    upload: float
    issued: float
    mailed: float
    floor_before: float
    floor_after: float
    uploader_mib: float
    worker_cpu: float
    worker_queued: float  # runnable, but another process had the CPU
    worker_mib: list[list[float]]


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("email,name\n")
        for i in range(count):
            out.write(f"learner{i}@example.org,Learner Number {i}\n")


def signing_floor(document: dict[str, Any], rounds: int = 300) -> float:
    """Seconds to sign one such credential with eddsa-rdfc-2022 on one core, best of three."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    key = KeyFile.for_did_key(SigningKey.generate())
    unsigned["issuer"] = {**unsigned["issuer"], "id": key.controller}
    sign_credential(unsigned, key)  # warm the caches, as a worker's first chunk does
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds // 3):
            sign_credential(unsigned, key)
        best = min(best, (time.perf_counter() - start) / (rounds // 3))
    return best


def peak_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> tuple[float, float]:
    """Seconds the process has run on a CPU, and waited for one (it was runnable)."""
    running, waiting, _slices = Path(f"/proc/{pid}/schedstat").read_text().split()
    return int(running) / 1e9, int(waiting) / 1e9


def worker_cpu(procs: list[subprocess.Popen[bytes]]) -> dict[int, tuple[float, float]]:
    return {pid: cpu_seconds(pid) for proc in procs for pid in group_members(proc.pid)}


def group_members(pgid: int) -> list[int]:
    """The processes of a worker command (its consumer and the workers it forked)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                members.append(int(entry.name))
    return sorted(members)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop each worker command and the processes it forked (SIGINT, then SIGKILL)."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def unsent(runtime: Runtime) -> bool:
    """Whether an e-mail is still to be sent (one row, not a count: polled often)."""
    with runtime.sessions() as session:
        return (
            session.scalar(
                select(NotificationRow.id)
                .where(NotificationRow.state.in_(("pending", "sending")))
                .limit(1)
            )
            is not None
        )


def run(setup: str, count: int, workers: int) -> Result:
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
    # One credential issued here gives the floor a document exactly like the batch's.
    [sample] = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement, email="floor@example.org", name="Floor")],
    )
    floor_before = signing_floor(sample.document)

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
    # Stopped whatever happens: workers left running would take the next run's jobs from the
    # shared Redis queue.
    try:
        # Let them start (the figure is about issuing, not interpreter start-up): until they idle.
        time.sleep(2.0)
        cpu_before = worker_cpu(procs)
        while True:
            time.sleep(0.5)
            now = worker_cpu(procs)
            used = sum(c for c, _ in now.values()) - sum(c for c, _ in cpu_before.values())
            if used < 0.05 and now.keys() == cpu_before.keys():
                break
            cpu_before = now
        start = time.perf_counter()
        with csv_path.open("rb") as source:
            batch = runtime.batches.create(SYSTEM, issuer.id, achievement, source)
        uploaded = time.perf_counter() - start
        while batch.state in ("queued", "running"):
            time.sleep(0.1)
            batch = runtime.batches.get(SYSTEM, issuer.id, batch.id)
        issued = time.perf_counter() - start
        while unsent(runtime):
            time.sleep(0.25)
        mailed = time.perf_counter() - start
        cpu_after = worker_cpu(procs)
        cpu = sum(c - cpu_before.get(pid, (0.0, 0.0))[0] for pid, (c, _) in cpu_after.items())
        queued = sum(w - cpu_before.get(pid, (0.0, 0.0))[1] for pid, (_, w) in cpu_after.items())
        # Per worker command: its consumer process, then the worker processes it forked.
        worker_mib = [[peak_mib(pid) for pid in group_members(proc.pid)] for proc in procs]
    finally:
        stop(procs)
    with runtime.sessions() as session:
        sent = session.scalar(
            select(func.count()).select_from(NotificationRow).where(NotificationRow.state == "sent")
        )
    runtime.close()
    if database is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
        admin.dispose()
    assert batch.state == "done", (batch.state, batch.error)
    assert batch.new_rows == count, batch.new_rows
    assert sent == count + 1, sent  # the batch's and the floor sample's
    return Result(
        upload=uploaded,
        issued=issued,
        mailed=mailed,
        floor_before=floor_before,
        floor_after=signing_floor(sample.document),
        uploader_mib=peak_mib(os.getpid()),
        worker_cpu=cpu,
        worker_queued=queued,
        worker_mib=worker_mib,
    )


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
        r = run(setup, args.count, args.workers)
        floor = (r.floor_before + r.floor_after) / 2
        ceiling = args.workers / floor  # every worker signing and doing nothing else
        # CPU per credential does not depend on how busy the machine is; seconds do.
        cpu = r.worker_cpu / args.count
        print(
            f"  {setup:<9} issued in {r.issued:6.1f} s = {args.count / r.issued:6,.0f}/s, "
            f"e-mailed in {r.mailed:6.1f} s = {args.count / r.mailed:6,.0f}/s "
            f"(upload and validation {r.upload:.1f} s)\n"
            f"            floor: eddsa-rdfc-2022 signing alone {r.floor_before * 1e6:.0f} us "
            f"before, {r.floor_after * 1e6:.0f} us after; {args.workers} workers doing only "
            f"that: {ceiling:,.0f}/s; end to end (e-mailed) = {args.count / r.mailed / ceiling:.0%}"
            f" of it\n"
            f"            worker CPU per credential, e-mail included: {cpu * 1e6:.0f} us = "
            f"{cpu / floor:.1f}x the signing floor; {args.workers} idle cores would give "
            f"{args.workers / cpu:,.0f}/s\n"
            f"            of the workers' {args.workers} x {r.mailed:.1f} s: running "
            f"{r.worker_cpu / args.workers / r.mailed:.0%}, waiting for a CPU (machine busy) "
            f"{r.worker_queued / args.workers / r.mailed:.0%}\n"
            f"            peak memory (VmHWM, MiB): uploader {r.uploader_mib:.0f}; "
            + "; ".join(
                "worker command " + ", ".join(f"{m:.0f}" for m in group) for group in r.worker_mib
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
