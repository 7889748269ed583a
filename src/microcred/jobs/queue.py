"""The job queue, on huey (see docs/design/jobs.md for why huey and how recovery works).

Contract (other modules rely on it):
- ``JobQueue(settings, on_fork=fn)`` (``fn`` runs in a forked worker before its first job);
  ``register(name, fn, *, retries=0, retry_delay=0, priority=0)`` adds a task whose function
  takes JSON-able positional args (a queued job of higher priority is taken first; equal
  priorities in the order queued); ``enqueue(name, *args)`` runs it (immediately when
  ``settings.queue_immediate``); ``start()``/``stop()`` run an in-process consumer for serve.
- ``on_consumer_start(fn)``: run once before a consumer's workers start (recovery).
- ``register_periodic(name, fn, *, minutes)`` adds a task the consumers' schedulers run every
  ``minutes`` minutes; ``consumer(workers, worker_type)`` makes a consumer for ``microcred
  worker`` and ``issue-bulk``.

Backends: embedded default, huey's SQLite storage at ``settings.queue_path`` (no server);
``settings.queue_url`` ``redis://...``, huey's Redis storage (a sorted set, for priorities),
which workers on any number of machines share. ``settings.queue_immediate`` runs each task in
the caller and lets its error propagate (tests and scripts want to see failures, not a log
line).
"""

from __future__ import annotations

import functools
import logging
import os
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from huey import Huey, PriorityRedisHuey, SqliteHuey, crontab  # type: ignore[import-untyped]
from huey.api import TaskWrapper  # type: ignore[import-untyped]
from huey.consumer import Consumer  # type: ignore[import-untyped]
from huey.signals import SIGNAL_ERROR  # type: ignore[import-untyped]
from huey.storage import SqliteStorage  # type: ignore[import-untyped]

from microcred.errors import ConflictError, InputError, NotFoundError

if TYPE_CHECKING:
    from microcred.settings import Settings

log = logging.getLogger(__name__)

WorkerType = Literal["thread", "process"]
# An idle worker polls SQLite at most this far apart; Redis workers block on the list instead.
MAX_POLL_SECONDS = 1.0


class _SqliteStorage(SqliteStorage):  # type: ignore[misc]
    """huey's SQLite storage with WAL and ``synchronous=NORMAL``: an enqueue then costs no
    fsync (a job per issued e-mail adds up). A crashed process loses nothing; a power cut may
    lose the last jobs queued, which the batch watchdog and the e-mail sweep queue again."""

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class _SqliteHuey(SqliteHuey):  # type: ignore[misc]
    storage_class = _SqliteStorage


def make_huey(settings: Settings) -> Huey:
    """The huey instance the settings ask for (tasks are added by :class:`JobQueue`)."""
    url = settings.queue_url
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise InputError(
                "unsupported queue URL", expected="redis://host:port/db", found=url.split(":")[0]
            )
        # results=False: tasks report through the database, never through huey's result store.
        huey = PriorityRedisHuey("microcred", url=url, results=False, blocking=True)
        _adopt_list_queue(huey.storage)
        return huey
    settings.queue_path.parent.mkdir(parents=True, exist_ok=True)
    return _SqliteHuey("microcred", filename=str(settings.queue_path), results=False, timeout=30)


def _adopt_list_queue(storage: Any) -> None:
    """Move the jobs of a queue written before priorities (a Redis list at the same key) into
    the sorted set that priority storage reads, oldest first, so an upgrade loses none; the
    list's type would otherwise make every read and write fail. A no-op once moved."""
    connection, key = storage.conn, storage.queue_key
    if connection.type(key) != b"list":
        return
    jobs = connection.lrange(key, 0, -1)[::-1]  # huey pushes on the left and pops on the right
    start = int(time.time() * 1e6)
    pipeline = connection.pipeline(transaction=True)
    pipeline.delete(key)
    if jobs:
        # The storage's own member format: an 8-byte time prefix keeps equal scores in order.
        pipeline.zadd(key, {struct.pack(">Q", start + i) + job: 0 for i, job in enumerate(jobs)})
    pipeline.execute()
    log.info("moved %d queued jobs to the priority queue", len(jobs))


TASK_MODULE = "microcred.jobs"
"""The module name every task is registered under (see :func:`stable_task`)."""


def stable_task(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` under the name :data:`TASK_MODULE`: huey keys a queued job by its function's
    module and the task's name, so without this a job queued by one release would be unknown
    to the next as soon as its code moved to another module."""

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        return fn(*args)

    run.__module__ = TASK_MODULE
    return run


class InProcessConsumer(Consumer):  # type: ignore[misc]  # huey has no type hints
    """A consumer that leaves signal handling to its host (uvicorn, the CLI)."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    def __init__(self, settings: Settings, *, on_fork: Callable[[], None]) -> None:
        """``on_fork`` runs in a forked worker before its first job (the composition root
        passes what makes the parent's pooled database connections safe to drop)."""
        self.settings = settings
        self.immediate = settings.queue_immediate
        self.huey: Huey = make_huey(settings)
        self._on_fork = on_fork
        self._tasks: dict[str, TaskWrapper] = {}
        self._consumer: Consumer | None = None
        self._on_consumer_start: list[Callable[[], Any]] = []
        self._pid = os.getpid()
        # A forked worker must not reuse the parent's pooled database connections.
        self.huey.on_startup("microcred-fork-safety")(self._after_fork)

    def _after_fork(self) -> None:
        if os.getpid() != self._pid:
            self._on_fork()
            self._pid = os.getpid()

    def register(
        self,
        name: str,
        fn: Callable[..., Any],
        *,
        retries: int = 0,
        retry_delay: int = 0,
        priority: int = 0,
    ) -> None:
        """Add a job. Of the jobs waiting, a worker takes one of the highest priority first
        (its retries keep it), so work that others wait on can go ahead of work that can wait.
        """
        if name in self._tasks:
            raise ConflictError("a job with this name is already registered", found=name)
        self._tasks[name] = self.huey.task(
            retries=retries, retry_delay=retry_delay, priority=priority or None, name=name
        )(stable_task(fn))

    def register_periodic(self, name: str, fn: Callable[[], Any], *, minutes: int) -> None:
        """Run ``fn`` every ``minutes`` minutes in whichever consumers run a scheduler."""
        if name in self._tasks:
            raise ConflictError("a job with this name is already registered", found=name)
        schedule = crontab(minute=f"*/{minutes}")
        self._tasks[name] = self.huey.periodic_task(schedule, name=name)(stable_task(fn))

    def on_failure(self, fn: Callable[[str], Any]) -> None:
        """Call ``fn(task name)`` in the consumer whenever a job attempt raises (a retry
        counts again). Not in immediate mode, where the caller sees the error itself."""

        def failed(signal: str, task: Any, *args: Any) -> None:
            try:
                fn(task.name)
            except Exception:  # counting must never make a failure worse
                log.exception("could not count the failure of job %s", task.name)

        self.huey.signal(SIGNAL_ERROR)(failed)

    def on_consumer_start(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` once whenever a consumer starts over this queue (recovery work)."""
        self._on_consumer_start.append(fn)

    def run_startup(self) -> None:
        """What a consumer runs once before its workers start (see :meth:`on_consumer_start`)."""
        for fn in self._on_consumer_start:
            fn()

    def enqueue(self, name: str, *args: Any) -> None:
        task = self._tasks.get(name)
        if task is None:
            raise NotFoundError("no such job", expected=", ".join(sorted(self._tasks)), found=name)
        if self.immediate:
            task.call_local(*args)
        else:
            task(*args)

    def pending(self) -> int:
        """Tasks waiting in the queue (not those being run)."""
        return 0 if self.immediate else int(self.huey.pending_count())

    def consumer(
        self, workers: int, worker_type: WorkerType = "process", *, in_process: bool = False
    ) -> Consumer:
        """A huey consumer over this queue; ``in_process`` leaves signals to the host."""
        if self.immediate:
            raise ConflictError(
                "jobs run in the caller when queue_immediate is set; there is nothing to consume",
                expected="MICROCRED_QUEUE_IMMEDIATE unset",
            )
        cls = InProcessConsumer if in_process else Consumer
        return cls(
            self.huey,
            workers=max(1, workers),
            worker_type=worker_type,
            max_delay=MAX_POLL_SECONDS,
            periodic=True,
        )

    def start(self) -> None:
        """Consume in this process (threads) until :meth:`stop`; a no-op in immediate mode."""
        if self.immediate or self._consumer is not None:
            return
        self.run_startup()
        self._consumer = self.consumer(self.settings.workers, "thread", in_process=True)
        self._consumer.start()

    def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None
