"""Change stamps: a stamp per table, drawn anew in the same transaction as every write to it, so
any process can tell with one small read whether something it derived from a table is current.

Caches of the read paths (DID documents, signed status lists, the public credential page) are
kept per process, and several web processes share one database: process memory alone cannot
know that another process revoked a credential. :class:`StampedCache` keeps a value with the
stamps of the tables it was computed from, and computes it again when one of them moved.

The writes are seen at the engine, not in the repositories: every INSERT, UPDATE and DELETE
statement on a connection notes its table, and the commit renews those tables' stamps first
(in one fixed order, so two committing writers never wait on each other in a cycle). A
repository that forgets nothing cannot make a cache stale. Tables whose writes no cache reads
(counters, sessions, rate limits, audit lines) are left out, so counting a verification does
not throw the caches away.

Order matters for correctness: the stamps are read *before* the data they guard. A write that
commits in between leaves the newer data under the older stamps, which the next read finds
moved, so the worst case is one computation too many, never a stale answer kept.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, event

TABLE = "change_stamps"
# Written on read paths or by the minute, and read by no cache: left out so that counting a
# verification or a page view does not empty the caches.
UNSTAMPED = frozenset(
    {
        TABLE,
        "alembic_version",
        "api_keys",  # written on use (last_used_at); no cache reads keys
        "credential_events",
        "audit_events",
        "staff_sessions",
        "employer_sessions",
        "skill_index_head",  # the employers' index has its own numbered log (careers/skill_index)
        "skill_index_log",
        "learner_sessions",
        "learner_rate_limits",
        "learner_challenges",
        "sign_in_limits",
        "job_failures",
        "oid4vci_used_nonces",
        "lti_used_nonces",
        "lti_states",
    }
)
_WRITE = re.compile(
    r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z_][A-Za-z0-9_]*)',
    re.IGNORECASE,
)
_TOUCHED = "microcred_touched_tables"
_SKIP = "microcred_no_stamps"


def install(engine: Engine) -> None:
    """Raise the stamps of the tables each committed transaction on ``engine`` wrote."""
    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "commit", _raise_stamps)
    event.listen(engine, "rollback", _forget)
    event.listen(engine, "reset", _reset)


def skip_stamps(connection: Connection) -> None:
    """No stamps for this transaction (the schema migration: the table may not exist yet, and
    no process has cached anything from a database that is being migrated)."""
    connection.info.pop(_TOUCHED, None)
    connection.info[_SKIP] = True


def _note_write(
    conn: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    if statement[:1] in "SsPpBbCc":  # SELECT, SAVEPOINT, PRAGMA, BEGIN, CREATE ...: no write
        return
    found = _WRITE.match(statement)
    if found is None:
        return
    name = found.group(1).lower()
    if name not in UNSTAMPED:
        conn.info.setdefault(_TOUCHED, set()).add(name)


def _raise_stamps(conn: Connection) -> None:
    touched: set[str] | None = conn.info.pop(_TOUCHED, None)
    if conn.info.pop(_SKIP, False) or not touched:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # Constant text (the table's name and the driver's parameter mark); values are parameters.
    statement = _RENEW.replace("?", mark)
    # The DB-API cursor, inside the transaction being committed: SQLAlchemy is committing.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for name in sorted(touched):
            cursor.execute(statement, (name, _new_version()))
    finally:
        cursor.close()


def _new_version() -> int:
    """A random stamp, not a count: a database emptied or restored from a backup never comes
    back to a stamp a process has cached (a missing row reads as 0, never drawn)."""
    return secrets.randbelow(2**62) + 1


def _reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
    record.info.pop(_TOUCHED, None)  # back in the pool, rolled back: nothing was written
    record.info.pop(_SKIP, None)


def _forget(conn: Connection) -> None:
    conn.info.pop(_TOUCHED, None)
    conn.info.pop(_SKIP, None)


_READ = "SELECT name, version FROM change_stamps"
_RENEW = (
    "INSERT INTO change_stamps (name, version) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET version = excluded.version"
)
_PINNED: ContextVar[Mapping[str, int] | None] = ContextVar("microcred_stamps", default=None)


class ChangeStamps:
    """Reads the stamps: ``read()`` once per use, or ``pinned()`` around a request that looks
    into several caches (one read for all of them)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.reads = 0  # for tests and the bench: how often the table was read

    def read(self) -> Mapping[str, int]:
        pinned = _PINNED.get()
        if pinned is not None:
            return pinned
        # One SELECT on a pooled driver connection, without SQLAlchemy's transaction and
        # statement machinery (two thirds of the read's cost, once per request): a single
        # statement reads one consistent state on both databases.
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(_READ)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back what the driver began
        self.reads += 1
        return {str(name): int(version) for name, version in rows}

    def read_on(self, connection: Connection) -> Mapping[str, int]:
        """The stamps, read on ``connection`` (before the data they guard, in its
        transaction: one round trip fewer for a caller that reads a row next)."""
        rows = connection.exec_driver_sql(_READ).all()
        self.reads += 1
        return {str(name): int(version) for name, version in rows}

    @contextmanager
    def pinned(self, reading: Mapping[str, int] | None = None) -> Iterator[Mapping[str, int]]:
        """The stamps read once now (or ``reading``, read by the caller), used by every cache
        lookup inside the block."""
        if _PINNED.get() is not None:  # already inside one: keep the outer reading
            yield self.read()
            return
        token = _PINNED.set(self.read() if reading is None else reading)
        try:
            yield _PINNED.get() or {}
        finally:
            _PINNED.reset(token)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class _Entry(Generic[V]):
    version: tuple[object, ...]
    expires: float
    value: V


class StampedCache(Generic[K, V]):
    """Values computed from ``tables``, each kept while none of those tables changed, for at
    most ``seconds`` (for what also changes with time alone) and at most ``size`` of them (the
    least recently used go first). ``all_but``: computed from every table except these (the
    version is then every other table's stamp, tables written for the first time included)."""

    def __init__(
        self,
        stamps: ChangeStamps,
        tables: Collection[str],
        *,
        all_but: Collection[str] | None = None,
        size: int = 1024,
        seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stamps = stamps
        self._tables = tuple(sorted(tables))
        self._all_but = None if all_but is None else frozenset(all_but)
        self._size = size
        self._seconds = seconds
        self._clock = clock
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(
        self,
        key: K,
        compute: Callable[[], V],
        *,
        until: float | None = None,
        lifetime: Callable[[V], float] | None = None,
    ) -> V:
        """The kept value for ``key``, or ``compute()`` kept until ``until`` (a time of
        ``clock``), for ``lifetime(value)`` seconds, or ``seconds``, whichever ends first."""
        version = self._version()  # before compute(): see the module's note on order
        now = self._clock()
        kept = self._current(key, version, now)
        if kept is not None:
            return kept[0]
        value = compute()
        expires = now + self._seconds
        if until is not None:
            expires = min(expires, until)
        if lifetime is not None:
            expires = min(expires, now + lifetime(value))
        with self._lock:
            self.misses += 1
            self._entries[key] = _Entry(version, expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value

    def peek(self, key: K) -> V | None:
        """The kept value for ``key`` if it is current, else None (nothing is computed: for a
        caller that answers a hit at once and hands a miss to a worker thread)."""
        kept = self._current(key, self._version(), self._clock())
        return None if kept is None else kept[0]

    def _version(self) -> tuple[object, ...]:
        stamps = self._stamps.read()
        if self._all_but is None:
            return tuple(stamps.get(name, 0) for name in self._tables)
        return tuple(sorted(i for i in stamps.items() if i[0] not in self._all_but))

    def _current(self, key: K, version: tuple[object, ...], now: float) -> tuple[V] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.version == version and now < entry.expires:
                self._entries.move_to_end(key)
                self.hits += 1
                return (entry.value,)
        return None

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["UNSTAMPED", "ChangeStamps", "StampedCache", "install", "skip_stamps"]
