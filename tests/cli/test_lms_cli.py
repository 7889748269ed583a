"""``microcred lti platforms`` and ``microcred lms`` against a real SQLite data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microcred.accounts.actor import SYSTEM
from microcred.cli.main import app
from microcred.runtime import Runtime
from microcred.settings import Settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "https://badges.example.org")
    monkeypatch.setenv("MICROCRED_QUEUE_IMMEDIATE", "true")
    return tmp_path / "data"


PLATFORM = [
    "--platform-issuer",
    "https://canvas.instructure.com",
    "--client-id",
    "10000000000042",
    "--deployment-id",
    "7:abc",
    "--auth-url",
    "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "--token-url",
    "https://sso.canvaslms.com/login/oauth2/token",
    "--jwks-url",
    "https://sso.canvaslms.com/api/lti/security/jwks",
]


def test_platforms_add_list_remove(env: Path) -> None:
    runner = CliRunner()
    for slug in ("acme", "other"):
        made = runner.invoke(app, ["issuers", "create", "--slug", slug, "--name", slug.title()])
        assert made.exit_code == 0, made.output
    added = runner.invoke(app, ["lti", "platforms", "add", "--issuer", "acme", *PLATFORM])
    assert added.exit_code == 0, added.output
    platform = json.loads(added.stdout)
    assert platform["deploymentIds"] == ["7:abc"]
    assert platform["tool"] == {
        "loginUrl": "https://badges.example.org/lti/login",
        "launchUrl": "https://badges.example.org/lti/launch",
        "redirectUrl": "https://badges.example.org/lti/launch",
        "jwksUrl": "https://badges.example.org/lti/jwks",
    }
    again = runner.invoke(app, ["lti", "platforms", "add", "--issuer", "other", *PLATFORM])
    assert again.exit_code == 2
    assert "registered already" in again.output
    listed = runner.invoke(app, ["lti", "platforms", "list"])
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [platform["id"]]
    assert runner.invoke(app, ["lti", "platforms", "list", "--issuer", "other"]).stdout == ""
    wrong = runner.invoke(app, ["lti", "platforms", "remove", "--issuer", "other", platform["id"]])
    assert wrong.exit_code == 2
    removed = runner.invoke(app, ["lti", "platforms", "remove", "--issuer", "acme", platform["id"]])
    assert removed.exit_code == 0, removed.output
    assert runner.invoke(app, ["lti", "platforms", "list"]).stdout == ""
    missing = runner.invoke(app, ["lti", "platforms", "add", "--issuer", "nobody", *PLATFORM])
    assert missing.exit_code == 2


def test_lrs_keys_and_rules(env: Path) -> None:
    runner = CliRunner()
    acme = json.loads(
        runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "A"]).stdout
    )
    other = json.loads(
        runner.invoke(app, ["issuers", "create", "--slug", "zed", "--name", "Z"]).stdout
    )
    runtime = Runtime(Settings())
    try:
        definition = {"name": "Quiz", "description": "Passed.", "criteria": {"narrative": "Quiz."}}
        ours = runtime.achievements.create(SYSTEM, acme["id"], definition).id
        theirs = runtime.achievements.create(SYSTEM, other["id"], definition).id
    finally:
        runtime.close()
    key = runner.invoke(app, ["lms", "lrs-keys", "add", "--issuer", "acme", "--name", "Moodle"])
    assert key.exit_code == 0, key.output
    made = json.loads(key.stdout)
    assert made["key"].startswith("lrs_")
    assert made["secret"]
    assert made["endpoint"] == "https://badges.example.org/xapi/"
    rule = [
        "lms",
        "rules",
        "add",
        "--issuer",
        "acme",
        "--kind",
        "score",
        "--activity",
        "https://lms.example/q/1",
    ]
    added = runner.invoke(app, [*rule, "--achievement", ours, "--min-score", "0.8"])
    assert added.exit_code == 0, added.output
    refused = runner.invoke(app, [*rule, "--achievement", theirs, "--min-score", "0.8"])
    assert refused.exit_code == 2
    assert "not one of this issuer's" in refused.output
    no_score = runner.invoke(app, [*rule, "--achievement", ours])
    assert no_score.exit_code == 2
    assert "scaled minimum" in no_score.output
    listed = runner.invoke(app, ["lms", "rules", "list", "--issuer", "acme"])
    assert [json.loads(line)["minScore"] for line in listed.stdout.splitlines()] == [0.8]


def test_lrs_sources_add_list_remove(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "A"])
    assert made.exit_code == 0, made.output
    source = ["lms", "lrs-sources", "add", "--issuer", "acme", "--name", "Ralph"]
    creds = ["--username", "key-1"]
    private = runner.invoke(app, [*source, "--endpoint", "http://10.0.0.7/xapi", *creds], "pw\n")
    assert private.exit_code == 2
    assert "private or reserved network" in private.output
    monkeypatch.setenv("MICROCRED_FETCH_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    monkeypatch.setenv("MICROCRED_LRS_PASSWORD", "pw-from-env")
    added = runner.invoke(app, [*source, "--endpoint", "http://127.0.0.1:9/xapi/", *creds])
    assert added.exit_code == 0, added.output
    row = json.loads(added.stdout)
    assert row["endpoint"] == "http://127.0.0.1:9/xapi"
    assert "pw-from-env" not in added.output
    listed = runner.invoke(app, ["lms", "lrs-sources", "list", "--issuer", "acme"])
    (shown,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert shown["id"] == row["id"]
    assert shown["lastPulledAt"] is None
    assert "pw-from-env" not in listed.output
    removed = runner.invoke(app, ["lms", "lrs-sources", "remove", "--issuer", "acme", row["id"]])
    assert removed.exit_code == 0, removed.output
    assert runner.invoke(app, ["lms", "lrs-sources", "list", "--issuer", "acme"]).stdout == ""
    again = runner.invoke(app, ["lms", "lrs-sources", "remove", "--issuer", "acme", row["id"]])
    assert again.exit_code == 2
