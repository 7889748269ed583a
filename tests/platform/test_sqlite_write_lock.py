"""Write transactions on SQLite take the write lock by trying often, not by SQLite's busy
handler, whose sleeps grow to 100 ms (see store/db.py)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from microcred.store import db
from microcred.store.db import make_engine, session_factory, transaction


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
        # As in every migrated database: a commit renews the stamps of the tables it wrote.
        connection.execute(
            text("CREATE TABLE change_stamps (name TEXT PRIMARY KEY, version BIGINT)")
        )
    return engine


def hold_write_lock(path: Path, seconds: float, taken: threading.Event) -> None:
    """Another connection, as another process would: holds the write lock for ``seconds``."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    taken.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


def test_a_writer_waits_for_the_lock_trying_at_least_every_millisecond(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if threading.current_thread() is threading.main_thread():  # not the holder's
            waits.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(db.time, "sleep", sleep)
    taken = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(tmp_path / "lock.db", 0.3, taken))
    holder.start()
    taken.wait(5)
    with transaction(session_factory(engine)) as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
    holder.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t ORDER BY rowid")).scalars().all() == [1, 2]
        # The pooled connection keeps the usual timeout for every other statement.
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS
    # Tried again and again while the other writer held the lock, never sleeping more than
    # 1 ms between tries (SQLite's busy handler sleeps up to 100 ms).
    assert len(waits) > 10
    assert waits[0] == db.WRITE_LOCK_FIRST_WAIT
    assert max(waits) == db.WRITE_LOCK_LONGEST_WAIT


def test_a_lock_held_past_the_timeout_is_a_clear_error(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    taken = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(tmp_path / "lock.db", 1.0, taken))
    holder.start()
    taken.wait(5)
    started = time.monotonic()
    with (
        pytest.raises(OperationalError, match="database is locked"),
        transaction(session_factory(engine)) as session,
    ):
        session.execute(text("INSERT INTO t VALUES (3)"))
    assert time.monotonic() - started >= 0.2  # it waited its full time first
    holder.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t")).scalars().all() == [1]
