"""``microcred careers`` and ``microcred skills`` against a real SQLite data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microcred.cli.main import app

ESCO_SAMPLE = Path(__file__).parent.parent / "fixtures" / "esco"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "https://badges.example.org")
    return tmp_path / "data"


def test_match_plan_and_bad_input(env: Path) -> None:
    runner = CliRunner()
    matched = runner.invoke(app, ["careers", "match", "Ich will Elektriker werden", "--json"])
    assert matched.exit_code == 0, matched.output
    codes = [m["code"] for m in json.loads(matched.stdout)]
    assert "47-2111.00" in codes[:3]
    planned = runner.invoke(app, ["careers", "plan", "--goal", "data scientist", "--json"])
    assert planned.exit_code == 0, planned.output
    body = json.loads(planned.stdout)
    assert body["occupation"]["code"] == "15-2051.00"
    assert body["steps"] == []  # an empty catalogue teaches nothing ...
    assert len(body["uncovered"]) == len(body["gap"]) > 0  # ... so every gap skill is listed
    for args, message in [
        (["careers", "match", ""], "the goal is empty"),
        (["careers", "match", "x" * 10_000], "too long"),
        (["careers", "match", "хочу стать электриком"], "script"),
        (["careers", "plan", "--occupation", "99-9999.99"], "no such occupation"),
        (
            ["careers", "plan", "--goal", "electrician", "--email", "nobody@example.org"],
            "no learner",
        ),
        (["careers", "plan"], "--goal"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output.replace("\n", " "), (args, result.output)


def test_skills_import_esco_and_attribution(env: Path) -> None:
    runner = CliRunner()
    imported = runner.invoke(app, ["skills", "import-esco", str(ESCO_SAMPLE)])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {"occupations": 3, "skills": 4, "links": 5}
    bad = runner.invoke(app, ["skills", "import-esco", str(env / "nowhere")])
    assert bad.exit_code == 2
    assert "ESCO file missing" in bad.output
    attribution = runner.invoke(app, ["skills", "attribution"])
    assert "CC BY 4.0" in attribution.stdout
    employer = runner.invoke(app, ["employers", "create", "--name", "Acme Hiring"])
    assert employer.exit_code == 0
    assert json.loads(employer.stdout)["token"].startswith("mce_")
    bound = runner.invoke(
        app, ["employers", "create", "--name", "Beta", "--domain", "Hiring.Beta.example"]
    )
    assert bound.exit_code == 0, bound.output
    bad_domain = runner.invoke(
        app, ["employers", "create", "--name", "Gamma", "--domain", "https://gamma.example/"]
    )
    assert bad_domain.exit_code == 2
    assert "not a host name" in bad_domain.output
    employer_id = json.loads(employer.stdout)["id"]
    staff = runner.invoke(
        app, ["employers", "add-staff", "--employer", employer_id, "--name", "Ines"]
    )
    assert staff.exit_code == 0, staff.output
    made = json.loads(staff.stdout)
    assert made["token"].startswith("mces_")
    revoked = runner.invoke(
        app, ["employers", "revoke-staff", "--employer", employer_id, "--staff", made["id"]]
    )
    assert revoked.exit_code == 0, revoked.output
    listed = runner.invoke(app, ["employers", "staff", "--employer", employer_id])
    [member] = json.loads(listed.stdout)
    assert member["name"] == "Ines"
    assert member["revoked"] is not None
    unknown = runner.invoke(app, ["employers", "add-staff", "--employer", "nope", "--name", "X"])
    assert unknown.exit_code == 2
