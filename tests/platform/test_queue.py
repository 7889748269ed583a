"""The job queue: the embedded storage's settings, and priorities on SQLite and on Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from huey import RedisHuey  # type: ignore[import-untyped]

from microcred.bulk.batches import CHUNK_JOB
from microcred.jobs.queue import make_huey, stable_task
from microcred.notifications.service import SEND_JOB, NotificationService
from microcred.runtime import Runtime
from microcred.settings import Settings


def test_embedded_queue_uses_wal_without_a_sync_per_enqueue(tmp_path: Path) -> None:
    huey = make_huey(Settings(data_dir=tmp_path))
    connection = huey.storage.conn
    assert connection.execute("pragma journal_mode").fetchone() == ("wal",)
    assert connection.execute("pragma synchronous").fetchone() == (1,)  # NORMAL


def redis_url() -> str:
    """A Redis database of its own for these tests, or a skip where no Redis runs."""
    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return url


@pytest.fixture(params=["sqlite", "redis"])
def queue_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    url = redis_url() if request.param == "redis" else None
    if url:
        redis.Redis.from_url(url).flushdb()
    yield Settings(data_dir=tmp_path, queue_url=url)
    if url:
        redis.Redis.from_url(url).flushdb()


def taken(runtime: Runtime) -> list[tuple[str, tuple[object, ...]]]:
    """Every queued job, as a worker would take them: (name, arguments)."""
    jobs = []
    while (task := runtime.queue.huey.dequeue()) is not None:
        jobs.append((task.name, task.args))
    return jobs


def test_chunk_jobs_are_taken_before_e_mail_jobs_queued_earlier(queue_settings: Settings) -> None:
    runtime = Runtime(queue_settings)
    try:
        runtime.queue.enqueue(SEND_JOB, "credential-1")
        runtime.queue.enqueue(CHUNK_JOB, "batch", 0)
        runtime.queue.enqueue(SEND_JOB, "credential-2")
        runtime.queue.enqueue(CHUNK_JOB, "batch", 1)
        # Higher priority first; within a priority, the order queued.
        assert taken(runtime) == [
            (CHUNK_JOB, ("batch", 0)),
            (CHUNK_JOB, ("batch", 1)),
            (SEND_JOB, ("credential-1",)),
            (SEND_JOB, ("credential-2",)),
        ]
    finally:
        runtime.close()


def test_jobs_queued_before_priorities_are_kept_in_order_on_redis(tmp_path: Path) -> None:
    """A Redis queue written by the list storage (before priorities) is moved, not lost."""
    url = redis_url()
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    try:
        old = RedisHuey("microcred", url=url, results=False)
        # Registered from the same function as the runtime's, so the two registries agree.
        old_task = old.task(name=SEND_JOB)(stable_task(NotificationService.send_job))
        for i in range(3):
            old_task(f"credential-{i}")
        assert connection.type("huey.redis.microcred") == b"list"

        runtime = Runtime(Settings(data_dir=tmp_path, queue_url=url))
        try:
            assert runtime.queue.pending() == 3
            assert connection.type("huey.redis.microcred") == b"zset"
            runtime.queue.enqueue(CHUNK_JOB, "batch", 0)
            assert taken(runtime) == [
                (CHUNK_JOB, ("batch", 0)),
                *((SEND_JOB, (f"credential-{i}",)) for i in range(3)),
            ]
        finally:
            runtime.close()
        # Once moved, nothing is moved again.
        old_task("credential-3")  # an old worker still queueing: a list again
        again = Runtime(Settings(data_dir=tmp_path, queue_url=url))
        assert again.queue.pending() == 1
        assert again.queue.huey.dequeue().args == ("credential-3",)
        again.close()
    finally:
        connection.flushdb()


def test_a_jobs_key_does_not_depend_on_where_its_code_lives(tmp_path: Path) -> None:
    """huey keys a job by module and name; every task is registered under one module, so a job
    queued before its code moved (a refactor, an upgrade) is still found."""
    runtime = Runtime(Settings(data_dir=tmp_path))
    try:
        keys = set(runtime.queue.huey._registry._registry)
        assert keys >= {f"microcred.jobs.{name}" for name in (SEND_JOB, CHUNK_JOB)}
        assert all(key.startswith("microcred.jobs.") for key in keys)
    finally:
        runtime.close()
