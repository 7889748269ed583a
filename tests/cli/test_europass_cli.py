"""`microcred export edc` (by id and from a file), `microcred europass legal-id`, and
`microcred verify` reading sealed EDCs: ours and the Commission's sample, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microcred.cli.main import app
from tests.platform.test_europass import FIXTURES, eu_achievement

SAMPLE = FIXTURES / "edc" / "Sample-MC-Annex1-signed.jsonld"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "https://badges.example.org")
    monkeypatch.setenv("MICROCRED_QUEUE_IMMEDIATE", "true")
    return tmp_path / "data"


def _issue(runner: CliRunner, tmp_path: Path) -> dict[str, object]:
    from microcred.accounts.actor import SYSTEM
    from microcred.runtime import Runtime
    from microcred.settings import Settings

    created = runner.invoke(
        app,
        ["issuers", "create", "--slug", "uniz", "--name", "University of Zed", "--country", "IE"],
    )
    assert created.exit_code == 0, created.output
    issuer = json.loads(created.stdout)
    runtime = Runtime(Settings())
    try:
        achievement = runtime.achievements.create(SYSTEM, issuer["id"], eu_achievement())
    finally:
        runtime.close()
    issued = runner.invoke(
        app, ["issue", "--issuer", "uniz", "--achievement", achievement.id, "--email", "a@b.org"]
    )
    assert issued.exit_code == 0, issued.output
    credential: dict[str, object] = json.loads(issued.stdout)
    return credential


def test_export_by_id_and_by_file_then_verify(env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    credential = _issue(runner, tmp_path)
    credential_id = str(credential["id"]).rsplit("/", 1)[-1]
    out = tmp_path / "edc.json"

    refused = runner.invoke(app, ["export", "edc", credential_id, "--out", str(out)])
    assert refused.exit_code == 2
    assert "legal identifier" in refused.output
    assert not out.exists()  # nothing written

    bad = runner.invoke(app, ["europass", "legal-id", "uniz", "<x>"])
    assert bad.exit_code == 2
    assert "not a legal identifier" in bad.output
    assert runner.invoke(app, ["europass", "legal-id", "uniz", "IE1234567T"]).exit_code == 0

    by_id = runner.invoke(app, ["export", "edc", credential_id, "--out", str(out)])
    assert by_id.exit_code == 0, by_id.output
    verified = runner.invoke(app, ["verify", str(out)])
    assert verified.exit_code == 1, verified.output  # valid seal, issuer not confirmed
    assert "SIGNATURE VALID, ISSUER NOT CONFIRMED" in verified.output
    assert "EdDSA e-seal of University of Zed" in verified.output
    assert "EU trusted lists" in verified.output

    file = tmp_path / "credential.json"
    file.write_text(json.dumps(credential))
    by_file = runner.invoke(app, ["export", "edc", str(file), "--out", str(tmp_path / "f.json")])
    assert by_file.exit_code == 0, by_file.output
    as_json = json.loads(runner.invoke(app, ["verify", "--json", str(tmp_path / "f.json")]).stdout)
    assert {c["name"]: c["status"] for c in as_json["checks"]}["shapes"] == "passed"

    missing = runner.invoke(app, ["export", "edc", "no-such-id", "--out", str(out)])
    assert missing.exit_code == 2
    assert "no such" in missing.output


def test_verify_reads_the_commissions_sealed_sample_offline() -> None:
    result = CliRunner().invoke(app, ["verify", "--json", str(SAMPLE)])
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    checks = {c["name"]: c for c in answer["checks"]}
    assert checks["proof"]["status"] == "passed"
    assert "ORGANIZACION TEST" in checks["proof"]["message"]  # the seal's subject
    assert checks["issuer"]["status"] == "warning"
    assert "is not checked here" in checks["issuer"]["message"]
    assert checks["shapes"]["status"] == "passed"
