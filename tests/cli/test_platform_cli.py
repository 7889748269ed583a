"""The operator commands against a real SQLite data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.runtime import Runtime
from microcred.services.actor import SYSTEM
from microcred.settings import Settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "https://badges.example.org")
    monkeypatch.setenv("MICROCRED_QUEUE_IMMEDIATE", "true")
    return tmp_path / "data"


def test_create_issuer_key_staff_and_issue(env: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app, ["issuers", "create", "--slug", "acme", "--name", "Acme Academy", "--country", "FR"]
    )
    assert created.exit_code == 0, created.output
    issuer = json.loads(created.stdout)
    assert issuer["did"] == "did:web:badges.example.org:issuers:acme"

    duplicate = runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "Again"])
    assert duplicate.exit_code == 2
    assert "slug exists" in duplicate.output

    token = runner.invoke(app, ["api-keys", "create", "--issuer", "acme", "--name", "ci"])
    assert token.exit_code == 0
    assert token.stdout.startswith("mc_")
    bad_role = runner.invoke(
        app, ["api-keys", "create", "--issuer", "acme", "--name", "x", "--role", "god"]
    )
    assert bad_role.exit_code == 2
    assert "unknown role" in bad_role.output

    staff = runner.invoke(
        app,
        ["staff", "create", "--issuer", "acme", "--email", "o@acme.example", "--name", "O"],
        input="a long enough password\n",
    )
    assert staff.exit_code == 0, staff.output

    runtime = Runtime(Settings())
    try:
        achievement = runtime.achievements.create(
            SYSTEM,
            issuer["id"],
            {"name": "Safety", "description": "Works safely.", "criteria": {"narrative": "Test."}},
        )
        assert runtime.staff.authenticate("o@acme.example", "a long enough password")
    finally:
        runtime.close()
    args = ["issue", "--issuer", "acme", "--achievement", achievement.id]
    issued = runner.invoke(app, [*args, "--email", "ada@example.org", "--idempotency-key", "k1"])
    assert issued.exit_code == 0, issued.output
    credential = json.loads(issued.stdout)
    assert credential["issuer"]["id"] == issuer["did"]
    assert "ada@example.org" not in issued.stdout
    again = runner.invoke(app, [*args, "--email", "ada@example.org", "--idempotency-key", "k1"])
    assert json.loads(again.stdout)["id"] == credential["id"]
    nobody = runner.invoke(app, args)
    assert nobody.exit_code == 2
    assert "e-mail address or a DID" in nobody.output
