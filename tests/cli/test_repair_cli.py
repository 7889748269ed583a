"""``microcred repair text`` on a real SQLite data directory holding a row from before issue 20."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.runtime import Runtime
from microcred.settings import Settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "https://badges.example.org")
    return tmp_path / "data"


def _address_text(issuer_id: str) -> str:
    runtime = Runtime(Settings())
    try:
        with runtime.engine.connect() as connection:
            query = text("SELECT address FROM issuers WHERE id = :id")
            return str(connection.execute(query, {"id": issuer_id}).scalar_one())
    finally:
        runtime.close()


def test_repair_text_mends_a_row_written_with_a_lone_surrogate(env: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "Acme"])
    assert created.exit_code == 0, created.output
    issuer_id = json.loads(created.stdout)["id"]
    runtime = Runtime(Settings())
    try:
        with runtime.engine.begin() as connection:  # as the standard library wrote it before
            connection.execute(
                text("UPDATE issuers SET address = :raw WHERE id = :id"),
                {"raw": json.dumps({"locality": "Ber\ud800lin"}), "id": issuer_id},
            )
    finally:
        runtime.close()

    listed = runner.invoke(app, ["repair", "text", "--dry-run"])
    assert listed.exit_code == 0, listed.output
    (line,) = [json.loads(x) for x in listed.stdout.splitlines()]
    assert line == {
        "table": "issuers",
        "column": "address",
        "key": {"id": issuer_id},
        "field": "locality",
        "strings": 1,
    }
    assert "\\ud800" in _address_text(issuer_id)

    mended = runner.invoke(app, ["repair", "text"])
    assert mended.exit_code == 0, mended.output
    assert "mended 1 stored value" in mended.output
    assert json.loads(_address_text(issuer_id)) == {"locality": "Ber\ufffdlin"}
    again = runner.invoke(app, ["repair", "text"])
    assert again.exit_code == 0
    assert again.stdout == ""
