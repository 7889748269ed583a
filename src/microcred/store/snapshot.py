"""Every table's rows, read and written in dependency order: the store floor of backups.

Rows travel as JSON lines, one list of column values per row, each value encoded by its
column's type (bytes as base64, datetimes and dates as ISO 8601, JSON columns as themselves),
so the same snapshot loads into SQLite or PostgreSQL. Reading happens in the caller's
transaction: the caller makes it a consistent snapshot (REPEATABLE READ on PostgreSQL).
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Table, func, select, text
from sqlalchemy.types import JSON, Date, DateTime, LargeBinary, TypeDecorator, TypeEngine

from microcred.store.tables import Base

INSERT_CHUNK = 500
SEEDED = frozenset({"skill_index_head"})
"""Tables a migration writes a row into, in an empty database too: a restore replaces them."""


def tables() -> list[Table]:
    """Every table of the schema, each after the tables it refers to."""
    return list(Base.metadata.sorted_tables)


def _kind(column: Column[Any]) -> str:
    kind: TypeEngine[Any] = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, LargeBinary):
        return "bytes"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, JSON):
        return "json"
    return "plain"


def encode(table: Table, row: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for column, value in zip(table.columns, row, strict=True):
        kind = _kind(column)
        if value is None or kind in ("plain", "json"):
            out.append(value)
        elif kind == "bytes":
            out.append(base64.b64encode(value).decode("ascii"))
        else:
            out.append(value.isoformat())
    return out


def decode(table: Table, values: list[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, value in zip(table.columns, values, strict=True):
        kind = _kind(column)
        if value is None or kind in ("plain", "json"):
            row[column.name] = value
        elif kind == "bytes":
            row[column.name] = base64.b64decode(value)
        elif kind == "datetime":
            row[column.name] = datetime.fromisoformat(value)
        else:
            row[column.name] = date.fromisoformat(value)
    return row


def read_rows(connection: Connection, table: Table) -> Iterator[list[Any]]:
    """The table's rows in primary-key order, encoded, streamed from the server."""
    query = select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=INSERT_CHUNK).execute(query)
    for row in result:
        yield encode(table, row)


def write_rows(connection: Connection, table: Table, rows: Iterable[list[Any]]) -> int:
    chunk: list[dict[str, Any]] = []
    count = 0
    for values in rows:
        chunk.append(decode(table, values))
        if len(chunk) >= INSERT_CHUNK:
            connection.execute(table.insert(), chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        connection.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def counts(connection: Connection) -> dict[str, int]:
    """Rows per table."""
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in tables()
    }


def reset_sequences(connection: Connection) -> None:
    """After rows were written with their ids, PostgreSQL's id sequences must continue past
    them (SQLite takes the largest id by itself)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                most = func.max(column)
                connection.execute(
                    select(
                        func.setval(
                            func.pg_get_serial_sequence(table.name, column.name),
                            func.coalesce(most, 1),
                            most.is_not(None),
                        )
                    )
                )


def schema_revision(connection: Connection) -> str | None:
    value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)


def sqlite_online_backup(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (its online backup API: pages are copied
    under a read lock, and the copy restarts if a writer changes a page meanwhile)."""
    with sqlite3.connect(source, timeout=30) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
