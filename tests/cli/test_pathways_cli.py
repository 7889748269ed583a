"""``microcred pathways ...`` against a real SQLite data directory with the demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.cli.seed import seed_demo
from microcred.runtime import Runtime
from microcred.settings import Settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "https://badges.example.org")
    monkeypatch.setenv("MICROCRED_QUEUE_IMMEDIATE", "true")
    return tmp_path / "data"


def test_the_demo_learner_completed_the_demo_micro_degree(env: Path) -> None:
    runtime = Runtime(Settings())
    access = seed_demo(runtime)
    runtime.close()
    assert access is not None
    assert access.pathway_id is not None
    runner = CliRunner()
    listed = runner.invoke(app, ["pathways", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (pathway,) = json.loads(listed.stdout)
    assert pathway["state"] == "active"  # both issuers approved
    assert [i["approved"] for i in pathway["issuers"]] == [True, True]

    done = runner.invoke(
        app, ["pathways", "progress", access.pathway_id, "--email", "ada@example.org", "--json"]
    )
    assert done.exit_code == 0, done.output
    progress = json.loads(done.stdout)
    assert progress["complete"] is True
    assert progress["credits"] == 10
    assert progress["credential"].startswith("https://badges.example.org/credentials/")
    assert progress["clr"] == progress["credential"] + "/clr"

    shown = runner.invoke(app, ["pathways", "show", access.pathway_id])
    assert shown.exit_code == 0, shown.output
    assert "Data Engineering in Practice" in shown.output


def test_create_from_a_file_and_a_refusal_names_the_node(env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "Acme"])
    issuer_id = json.loads(created.stdout)["id"]
    definition = {
        "name": "Two of three",
        "requirement": {
            "id": "pick",
            "type": "nOf",
            "n": 4,
            "of": [{"id": f"p{i}", "type": "skill", "url": f"urn:skill:{i}"} for i in range(3)],
        },
    }
    path = tmp_path / "pathway.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    refused = runner.invoke(app, ["pathways", "create", str(path), "--issuer", issuer_id])
    assert refused.exit_code == 2
    assert "node 'pick'" in refused.output
    assert "needs 4" in refused.output

    definition["requirement"]["n"] = 2  # type: ignore[index]
    path.write_text(json.dumps(definition), encoding="utf-8")
    made = runner.invoke(app, ["pathways", "create", str(path), "--issuer", issuer_id])
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["state"] == "active"
    progress = runner.invoke(
        app,
        ["pathways", "progress", json.loads(made.stdout)["id"], "--email", "x@example.org"],
    )
    assert progress.exit_code == 0, progress.output
    assert "in progress" in progress.output


def test_update_archive_and_unarchive(env: Path, tmp_path: Path) -> None:
    from microcred.accounts.actor import SYSTEM
    from microcred.issuers.service import IssuerInput

    runtime = Runtime(Settings())
    issuer = runtime.issuers.create(SYSTEM, IssuerInput(slug="cli", name="CLI University"))
    a, b = (
        runtime.achievements.create(
            SYSTEM, issuer.id, {"name": n, "description": n, "criteria": {"narrative": n}}
        ).id
        for n in ("Statistics", "Databases")
    )

    def definition(*parts: str, **root: object) -> dict[str, object]:
        of = [{"id": f"p{i}", "type": "achievement", "achievement": r} for i, r in enumerate(parts)]
        return {"name": "Degree", "requirement": {"id": "root", "type": "allOf", "of": of, **root}}

    view = runtime.pathways.create(SYSTEM, issuer.id, definition(a))
    runtime.close()
    runner = CliRunner()
    file = tmp_path / "def.json"
    file.write_text(json.dumps(definition(a, b)), encoding="utf-8")
    result = runner.invoke(app, ["pathways", "update", view.row.id, "--file", str(file)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == 2
    file.write_text(json.dumps(definition(a, b, type="nOf", n=5)), encoding="utf-8")
    refused = runner.invoke(app, ["pathways", "update", view.row.id, "--file", str(file)])
    assert refused.exit_code == 2
    assert "'root'" in refused.output
    archived = runner.invoke(app, ["pathways", "archive", view.row.id])
    assert archived.exit_code == 0
    assert "archived" in archived.stdout
    assert json.loads(runner.invoke(app, ["pathways", "list", "--json"]).stdout)[0]["state"] == (
        "archived"
    )
    unarchived = runner.invoke(app, ["pathways", "unarchive", view.row.id])
    assert unarchived.exit_code == 0
    assert "active" in unarchived.stdout
