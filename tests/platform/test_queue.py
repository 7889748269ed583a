"""The embedded job queue's storage settings."""

from __future__ import annotations

from pathlib import Path

from microcred.jobs.queue import make_huey
from microcred.settings import Settings


def test_embedded_queue_uses_wal_without_a_sync_per_enqueue(tmp_path: Path) -> None:
    huey = make_huey(Settings(data_dir=tmp_path))
    connection = huey.storage.conn
    assert connection.execute("pragma journal_mode").fetchone() == ("wal",)
    assert connection.execute("pragma synchronous").fetchone() == (1,)  # NORMAL
