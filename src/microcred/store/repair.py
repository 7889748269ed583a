"""Mending stored text: JSON column values that hold a lone surrogate (issue 20).

Before the edge refused them, a ``"\\ud800"`` escape in an achievement, an issuer's address or
another free-form JSON field was written by the standard library's encoder (orjson refuses such
strings) and then could not be read back. :func:`~microcred.store.db.json_value` now reads these
rows with U+FFFD in place of each lone surrogate; :func:`repair_text` writes that mended value
back, so the stored row itself is text again. Plain text columns cannot hold one: both database
drivers refuse to encode it, so only JSON columns are searched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, Table, Text, and_, cast, select, update
from sqlalchemy.orm import Session, sessionmaker

from microcred.store.db import transaction
from microcred.store.tables import Base
from microcred.surrogates import lone_surrogate_at, replace_lone_surrogates


@dataclass(frozen=True)
class TextRepair:
    """One stored value mended: where it is, the first bad field in it, how many strings."""

    table: str
    column: str
    key: dict[str, Any]
    field: str
    strings: int


def json_columns() -> Iterator[tuple[Table, Column[Any]]]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, JSON):
                yield table, column


def repair_text(sessions: sessionmaker[Session], *, dry_run: bool = False) -> list[TextRepair]:
    """Find every JSON column value holding a lone surrogate and, unless ``dry_run``, write it
    back with U+FFFD in its place, all in one transaction. Returns what was (or would be) mended.
    """
    repairs: list[TextRepair] = []
    with transaction(sessions) as session:
        for table, column in json_columns():
            keys = list(table.primary_key.columns)
            raw = cast(column, Text)
            # Only text with an escape can hold one: "\u" (a lone surrogate is always escaped).
            query = select(*keys, raw).where(raw.contains("\\u", autoescape=True))
            found: list[tuple[dict[str, Any], Any, str, int]] = []
            for row in session.execute(query.execution_options(yield_per=500)):
                *key_values, text = row
                value = json.loads(text)
                field = lone_surrogate_at(value)
                if field is None:
                    continue
                mended, strings = replace_lone_surrogates(value)
                key = {k.name: v for k, v in zip(keys, key_values, strict=True)}
                found.append((key, mended, field, strings))
            for key, mended, field, strings in found:
                repairs.append(TextRepair(table.name, column.name, key, field or "(top)", strings))
                if not dry_run:
                    where = and_(*(table.c[name] == v for name, v in key.items()))
                    session.execute(update(table).where(where).values({column.name: mended}))
    return repairs
