"""The real job engine: huey consumers in other processes, killed with SIGKILL mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.notifications.service import SETTLE_EVERY
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.tables import BatchRow, CredentialRow, NotificationRow
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, make_issuer

ROWS = 1200  # ~0.6 s of two workers: room for the kill to land mid-batch


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MICROCRED_DATA_DIR": str(tmp_path / "data"),
        "MICROCRED_DATABASE_URL": database_url,
        "MICROCRED_PUBLIC_URL": "https://badges.example.org",
        "MICROCRED_WORKERS": "2",
    }


@pytest.fixture
def queued_runtime(env: dict[str, str]) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=Path(env["MICROCRED_DATA_DIR"]),
        database_url=env["MICROCRED_DATABASE_URL"],
        public_url=env["MICROCRED_PUBLIC_URL"],
    )
    runtime = Runtime(settings)
    yield runtime
    runtime.close()


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    # Its own session, so SIGKILL reaches the consumer and every worker process it forked.
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "microcred.cli.main", "worker", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_workers(env: dict[str, str], log: Path) -> list[subprocess.Popen[bytes]]:
    """One worker command with two processes on the embedded queue; on Redis two commands of
    one process each, as on two machines."""
    if env.get("MICROCRED_QUEUE_URL"):
        return [start_worker(env, log, "--workers", "1") for _ in range(2)]
    return [start_worker(env, log)]


def counts(runtime: Runtime, batch_id: str) -> tuple[int, int, str]:
    with runtime.sessions() as session:
        credentials = session.scalar(
            select(func.count())
            .select_from(CredentialRow)
            .where(CredentialRow.batch_id == batch_id)
        )
        batch = session.get(BatchRow, batch_id)
        assert batch is not None
        return credentials or 0, batch.issued_rows, batch.state


def mail_states(runtime: Runtime) -> dict[str, int]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(NotificationRow.state, func.count()).group_by(NotificationRow.state)
        ).all()
    return {state: int(count) for state, count in rows}


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_sigkilled_worker_resumes_and_issues_every_credential_exactly_once(
    queued_runtime: Runtime, env: dict[str, str], tmp_path: Path
) -> None:
    kill_mid_batch_and_resume(queued_runtime, env, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_workers_sharing_a_redis_queue_survive_sigkill_and_issue_exactly_once(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The setup at scale: PostgreSQL, the queue on Redis, two worker commands."""
    url = "redis://127.0.0.1:6379/13"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    env = {**env, "MICROCRED_QUEUE_URL": url}
    runtime = Runtime(
        Settings(
            data_dir=Path(env["MICROCRED_DATA_DIR"]),
            database_url=env["MICROCRED_DATABASE_URL"],
            public_url=env["MICROCRED_PUBLIC_URL"],
            queue_url=url,
        )
    )
    try:
        kill_mid_batch_and_resume(runtime, env, tmp_path)
    finally:
        runtime.close()
        redis.Redis.from_url(url).flushdb()


def kill_mid_batch_and_resume(runtime: Runtime, env: dict[str, str], tmp_path: Path) -> None:
    issuer = make_issuer(runtime, "alpha")
    achievement = runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT).id
    runtime.batches.chunk_size = 25
    rows = b"".join(b"learner%d@example.org,Learner %d\n" % (i, i) for i in range(ROWS))
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement, b"email,name\n" + rows)
    assert (batch.state, batch.valid_rows, batch.chunks) == ("queued", ROWS, ROWS // 25)

    log = tmp_path / "worker.log"
    workers = start_workers(env, log)
    try:
        wait_for(lambda: counts(runtime, batch.id)[0] >= ROWS // 4, 120, "the first credentials")
        for worker in workers:
            os.killpg(worker.pid, signal.SIGKILL)
        for worker in workers:
            worker.wait(10)
        issued, marked, state = counts(runtime, batch.id)
        assert 0 < issued < ROWS, "the kill must land mid-batch"
        assert state == "running"
        time.sleep(0.5)
        assert counts(runtime, batch.id)[0] == issued  # nothing runs while no worker does

        workers = start_workers(env, log)
        wait_for(lambda: counts(runtime, batch.id)[2] == "done", 180, "the batch to finish")
        wait_for(lambda: not mail_states(runtime).get("pending"), 120, "the e-mail jobs")
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(20)

    issued, marked, state = counts(runtime, batch.id)
    assert (issued, marked, state) == (ROWS, ROWS, "done")
    with runtime.sessions() as session:
        emails = session.scalars(select(CredentialRow.recipient_email)).all()
    # Every recipient exactly once (the idempotency key's unique constraint would make a
    # key-count check pass whatever the worker did).
    assert sorted(emails) == sorted(f"learner{i}@example.org" for i in range(ROWS))
    done = runtime.batches.get(SYSTEM, issuer.id, batch.id)
    assert done.new_rows == ROWS
    # E-mail at most once across the kill: one row per credential, none claimed twice. Rows
    # the killed workers had claimed stay "sending" (the sweep gives them up later), some of
    # them already written; the rest are sent, each as one outbox file.
    with runtime.sessions() as session:
        attempts = session.scalars(select(NotificationRow.attempts)).all()
    assert len(attempts) == ROWS
    assert set(attempts) == {1}
    states = mail_states(runtime)
    assert set(states) <= {"sent", "sending"}
    assert states.get("sending", 0) <= 2 * SETTLE_EVERY  # two worker processes were killed
    outbox = Path(env["MICROCRED_DATA_DIR"]) / "outbox"
    assert states["sent"] <= len(list(outbox.glob("*.eml"))) <= ROWS


@pytest.mark.slow
def test_in_process_consumer_runs_queued_jobs(queued_runtime: Runtime) -> None:
    """``start()``/``stop()`` (what ``serve`` uses) consume the embedded SQLite queue."""
    runtime = queued_runtime
    issuer = make_issuer(runtime, "alpha")
    achievement = runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT).id
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement, b"email\na@example.org\n")
    assert batch.state == "queued"
    assert runtime.queue.pending() == 1
    runtime.queue.start()
    try:
        wait_for(lambda: counts(runtime, batch.id)[2] == "done", 60, "the batch")
    finally:
        runtime.queue.stop()
    assert counts(runtime, batch.id) == (1, 1, "done")
