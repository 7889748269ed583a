"""Engines, sessions and schema migration for SQLite (embedded) and PostgreSQL (at scale)."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from microcred.store import stamps
from microcred.surrogates import (
    lone_surrogate_at,
    may_hold_surrogate_escape,
    replace_lone_surrogates,
)

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each dialect needs to be safe under concurrent writers."""
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", json_value)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # We issue BEGIN ourselves: IMMEDIATE for write transactions (see `transaction`), so two
        # writers never read the same state and then collide when the first write upgrades the
        # lock; a plain deferred BEGIN for reads, which WAL lets run beside a writer.
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    stamps.install(engine)  # caches across processes learn of every write (store/stamps.py)
    return engine


def json_text(value: Any) -> str:
    """JSON columns written by orjson: a credential's document is a chunk job's largest
    write, and the standard library took several times as long. Key order is kept, as
    before. Values orjson refuses (integers past 64 bits, keys that are not strings) are
    written by the standard library as before; a lone surrogate is refused (the edge refuses
    it first, naming the field): :func:`json_value` would only read it back mended."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        found = lone_surrogate_at(value)
        if found is not None:
            raise ValueError(
                f"a JSON column value holds a lone surrogate at {found or '(top)'}: not text"
            ) from None
        return json.dumps(value)


# 19 digits in a row: perhaps an integer past 64 bits, which orjson would read as a float.
# A pattern for text (SQLite) and one for bytes (psycopg), so bytes are not decoded to look.
_LONG_NUMBER = re.compile(r"[0-9]{19}")
_LONG_NUMBER_BYTES = re.compile(rb"[0-9]{19}")


def json_value(text: str | bytes) -> Any:
    """JSON columns read by orjson, except text with a number orjson would round: the
    standard library reads those exactly, as it always did.

    Whatever :func:`json_text` ever wrote reads back: text orjson refuses (a lone surrogate
    escape, written by the standard library before issue 20 was fixed) is read by the standard
    library, each lone surrogate given back as U+FFFD so pages, signing and listings work;
    ``microcred repair text`` (:mod:`microcred.store.repair`) mends the stored rows."""
    found = _LONG_NUMBER.search(text) if isinstance(text, str) else _LONG_NUMBER_BYTES.search(text)
    if not found:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    value = json.loads(text)
    if may_hold_surrogate_escape(text):
        value, mended = replace_lone_surrogates(value)
        if mended:
            log.warning(
                "a stored JSON value holds %d lone surrogate(s), read as U+FFFD; "
                "run `microcred repair text` to mend the rows",
                mended,
            )
    return value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see make_engine)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


BUSY_TIMEOUT_MS = 30_000
# Waits between tries to take SQLite's write lock: from 0.1 ms, doubling, at most 1 ms.
WRITE_LOCK_FIRST_WAIT = 0.0001
WRITE_LOCK_LONGEST_WAIT = 0.001


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get("microcred_write", False):
        dbapi = conn.connection.driver_connection
        assert isinstance(dbapi, sqlite3.Connection)
        _begin_immediate(dbapi)
    else:
        conn.exec_driver_sql("BEGIN")


def _begin_immediate(dbapi: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, retried every millisecond or sooner until the write lock is ours.

    SQLite's own busy handler sleeps 1, 2, 5, 10 ... up to 100 ms between tries and cannot be
    told otherwise from Python's sqlite3, so a writer waiting behind a 3 ms transaction often
    slept 20 ms. Two bulk workers were found in BEGIN IMMEDIATE 30% of the time, 13% once they
    tried themselves (docs/design/jobs.md). Trying with busy_timeout 0 wakes within 1 ms.
    Other statements keep the usual timeout. Past the same timeout it raises what SQLAlchemy
    raises for a busy database.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    wait = WRITE_LOCK_FIRST_WAIT
    dbapi.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                # SQLITE_BUSY and its extended codes
                busy = error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() > deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, error) from error
            time.sleep(wait)
            wait = min(wait * 2, WRITE_LOCK_LONGEST_WAIT)
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that writes: commit on success, roll back on any error.

    On SQLite it takes the write lock at its start; on PostgreSQL it is a normal transaction
    (repositories lock rows they must serialize on with SELECT ... FOR UPDATE).
    """
    with factory() as session, session.begin():
        session.connection(execution_options={"microcred_write": True})
        yield session


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        stamps.skip_stamps(connection)


def head_revision() -> str:
    """The newest migration's revision: what a migrated database records."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None  # the package ships its migrations
    return head
