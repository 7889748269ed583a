"""JSON columns: written by orjson, read back exactly as given, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from microcred.runtime import Runtime
from microcred.store.db import json_text, json_value, transaction
from microcred.store.tables import AuditEventRow

VALUES: list[Any] = [
    {"z": 1, "a": [1.5, "é ✓ \U0001f600", None, True], "m": {"b": 2, "a": 1}},
    # Past 64 bits: the standard library writes and reads these (orjson would round them).
    {"big": 2**70 + 1, "negative": -(2**65) - 3, "in text": "12345678901234567890"},
    {"1": "key that is a digit string", "nested": [[[]]], "": ""},
]


def test_json_text_is_json_that_reads_back_with_its_key_order() -> None:
    for value in VALUES:
        text = json_text(value)
        for back in (json.loads(text), json_value(text), json_value(text.encode())):
            assert back == value
            assert json.dumps(back) == json.dumps(value)  # same key order, all the way down


def test_json_columns_round_trip(runtime: Runtime) -> None:
    at = datetime(2026, 11, 29, tzinfo=UTC)
    with transaction(runtime.sessions) as session:
        for i, value in enumerate(VALUES):
            session.add(AuditEventRow(actor="t", action=f"test.{i}", details=value, at=at))
    with runtime.sessions() as session:
        stored = session.scalars(
            select(AuditEventRow.details)
            .where(AuditEventRow.action.like("test.%"))
            .order_by(AuditEventRow.action)
        ).all()
    # Equal values (PostgreSQL keeps these as JSONB, which orders keys its own way; credential
    # documents are JSON columns, whose text is kept as written).
    assert stored == VALUES
