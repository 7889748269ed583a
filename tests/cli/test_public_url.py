"""Issue 20, defect 4: the public URL lives with the data, so every command names things
under the one the server is reached at; a command configured otherwise refuses to run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from microcred.cli.main import app

PORT_URL = "http://127.0.0.1:8021"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory, and no MICROCRED_PUBLIC_URL: what an operator trying it out has."""
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_QUEUE_IMMEDIATE", "true")
    monkeypatch.delenv("MICROCRED_PUBLIC_URL", raising=False)
    return tmp_path / "data"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``serve`` runs up to uvicorn, which is not started."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(app=app, **options))
    return seen


def test_commands_after_serve_on_another_port_name_things_where_it_serves(
    data_dir: Path, served: dict[str, Any]
) -> None:
    runner = CliRunner()
    started = runner.invoke(app, ["serve", "--port", "8021"])
    assert started.exit_code == 0, started.output
    assert served["port"] == 8021

    created = runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "Acme"])
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["did"] == "did:web:127.0.0.1%3A8021:issuers:acme"

    shown = runner.invoke(app, ["public-url", "show"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip() == PORT_URL


def test_a_command_configured_with_another_public_url_refuses_to_run(
    data_dir: Path, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["serve", "--port", "8021"]).exit_code == 0
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "http://127.0.0.1:8000")
    refused = runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "Acme"])
    assert refused.exit_code == 2
    assert PORT_URL in refused.output
    assert "http://127.0.0.1:8000" in refused.output
    assert "public-url set" in refused.output
    monkeypatch.delenv("MICROCRED_PUBLIC_URL")
    listed = runner.invoke(app, ["issuers", "list"])
    assert listed.exit_code == 0
    assert listed.stdout == ""  # nothing was created under the other name


def test_serve_on_another_port_than_the_data_is_named_under_refuses(
    data_dir: Path, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "A"]).exit_code == 0
    served.clear()
    refused = runner.invoke(app, ["serve", "--port", "8021"])
    assert refused.exit_code == 2
    assert "http://127.0.0.1:8000" in refused.output
    assert not served  # never started
    # Behind a proxy: the public URL is configured, the port is only where it listens.
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "http://127.0.0.1:8000")
    assert runner.invoke(app, ["serve", "--port", "8021"]).exit_code == 0
    assert served["port"] == 8021


def test_the_public_url_is_changed_deliberately(
    data_dir: Path, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["serve", "--port", "8021"]).exit_code == 0
    bad = runner.invoke(app, ["public-url", "set", "ftp://example.org"])
    assert bad.exit_code == 2
    assert "http" in bad.output
    changed = runner.invoke(app, ["public-url", "set", "https://badges.example.org/"])
    assert changed.exit_code == 0, changed.output
    assert "https://badges.example.org" in changed.output
    assert runner.invoke(app, ["public-url", "show"]).stdout.strip() == (
        "https://badges.example.org"
    )
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "https://badges.example.org")
    created = runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "Acme"])
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["did"] == "did:web:badges.example.org:issuers:acme"


def test_log_fsck_agrees_with_what_serve_wrote(data_dir: Path, served: dict[str, Any]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["serve", "--port", "8021", "--demo"]).exit_code == 0
    checked = runner.invoke(app, ["log", "fsck"])
    assert checked.exit_code == 0, checked.output
