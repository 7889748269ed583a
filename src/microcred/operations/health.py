"""Liveness and readiness: what a load balancer or an orchestrator asks before sending work.

``/healthz`` answers while the process can answer at all; ``/readyz`` only when the process
can do its work: the database answers and is migrated to the newest revision, the queue
backend answers, the data directory is there, and the master secret opens the stored keys.
Each check is reported by name so an operator sees which one failed and why.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from microcred.operations.repository import OperationsRepository
from microcred.store.db import transaction


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    seconds: float

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "ms": round(self.seconds * 1000, 2),
        }


@dataclass(frozen=True)
class Readiness:
    checks: list[Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ready else "not ready",
            "checks": [check.to_json() for check in self.checks],
        }


class OperationsService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        head_revision: str,
        data_dir: Path,
        queue_depth: Callable[[], int],
        open_keys: Callable[[], int],
    ) -> None:
        """``queue_depth`` asks the queue backend (raising if it does not answer);
        ``open_keys`` unseals the stored keys it checks and returns how many it opened."""
        self.sessions = sessions
        self.clock = clock
        self.head_revision = head_revision
        self.data_dir = data_dir
        self.queue_depth = queue_depth
        self.open_keys = open_keys

    # ---- readiness ------------------------------------------------------------------------

    def readiness(self) -> Readiness:
        return Readiness(
            [
                _timed("database", self._database),
                _timed("queue", self._queue),
                _timed("data_dir", self._data_dir),
                _timed("keys", self._keys),
            ]
        )

    def _database(self) -> str:
        with self.sessions() as session:
            repository = OperationsRepository(session)
            repository.ping()
            found = repository.schema_revision()
        if found != self.head_revision:
            raise _NotReadyError(
                f"schema at revision {found or 'none'}, expected {self.head_revision} "
                "(run any microcred command once to migrate)"
            )
        return f"reachable, at revision {found}"

    def _queue(self) -> str:
        return f"reachable, {self.queue_depth()} job(s) waiting"

    def _data_dir(self) -> str:
        if not self.data_dir.is_dir():
            raise _NotReadyError(f"{self.data_dir} is not a directory")
        if not os.access(self.data_dir, os.R_OK | os.W_OK | os.X_OK):
            raise _NotReadyError(f"{self.data_dir} is not readable and writable by this process")
        return "readable and writable"

    def _keys(self) -> str:
        opened = self.open_keys()
        return f"{opened} key(s) opened with the master secret"

    # ---- figures for metrics ----------------------------------------------------------------

    def credential_counts(self) -> dict[str, int]:
        with self.sessions() as session:
            return OperationsRepository(session).credential_counts()

    def job_failures(self) -> dict[str, int]:
        with self.sessions() as session:
            return OperationsRepository(session).job_failures()

    def count_job_failure(self, task: str) -> None:
        """Called by whichever worker process saw a job attempt fail."""
        with transaction(self.sessions) as session:
            OperationsRepository(session).count_job_failure(task, self.clock())


class _NotReadyError(Exception):
    pass


def _timed(name: str, check: Callable[[], str]) -> Check:
    start = time.perf_counter()
    try:
        detail = check()
        ok = True
    except _NotReadyError as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # any failure of a dependency is "not ready", said by its kind
        detail, ok = f"{type(exc).__name__}: {_first_line(exc)}", False
    return Check(name, ok, detail, time.perf_counter() - start)


def _first_line(exc: BaseException) -> str:
    # Driver messages can run to many lines (and a URL with a password): the first line only,
    # without anything that looks like credentials in a URL.
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return _URL_CREDENTIALS.sub(r"\1***@", line)[:300]


_URL_CREDENTIALS = re.compile(r"(\w+://[^:/@\s]*:)[^@\s]*@")
