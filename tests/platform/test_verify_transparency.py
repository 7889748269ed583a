"""The transparency-log check in the server's verifier and in ``microcred verify``."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microcred.accounts.actor import SYSTEM
from microcred.cli.main import app
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.verify import Status
from tests.platform.conftest import IssuerFixture


def _issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> dict[str, object]:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email="a@example.org")]
    )
    return row.document


def _check(result: object, name: str) -> Status:
    return {c.name: c.status for c in result.checks}[name]  # type: ignore[attr-defined]


def test_server_verifier_proves_our_credentials_are_in_the_log(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential = _issue(runtime, issuer, achievement_id)
    result = runtime.verification.verifier().verify(credential)
    assert result.verified, result.checks
    assert _check(result, "transparency-log") == Status.PASSED
    # A credential under another server's URL gets no proof from us: the check is skipped.
    foreign = {**credential, "id": "https://elsewhere.example/credentials/1"}
    other = runtime.verification.verifier().verify(foreign)
    assert _check(other, "transparency-log") == Status.SKIPPED


def test_cli_checks_an_offline_bundle(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str, tmp_path: Path
) -> None:
    _issue(runtime, issuer, achievement_id)
    credential = _issue(runtime, issuer, achievement_id)
    _issue(runtime, issuer, achievement_id)
    credential_id = str(credential["id"]).rsplit("/", 1)[1]
    bundle = client.get(f"/credentials/{credential_id}/log-bundle").json()
    files = {
        "credential.json": credential,
        "did.json": client.get(f"/issuers/{issuer.slug}/did.json").json(),
        "bundle.json": bundle,
    }
    for entry in credential["credentialStatus"]:  # type: ignore[attr-defined]
        url = entry["statusListCredential"].removeprefix(runtime.settings.base_url)
        files[f"{entry['statusPurpose']}.json"] = client.get(url).json()
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content))
    args = [
        "verify",
        str(tmp_path / "credential.json"),
        "--did-document",
        str(tmp_path / "did.json"),
        "--status-list",
        str(tmp_path / "revocation.json"),
        "--status-list",
        str(tmp_path / "suspension.json"),
        "--json",
    ]
    runner = CliRunner()
    key = runtime.transparency.verifier_keys()[0]
    good = runner.invoke(
        app, [*args, "--log-bundle", str(tmp_path / "bundle.json"), "--log-key", key]
    )
    assert good.exit_code == 0, good.output
    checks = {c["name"]: c["status"] for c in json.loads(good.stdout)["checks"]}
    assert checks["transparency-log"] == "passed"

    assert bundle["treeSize"] == 3
    bundle["leafIndex"] = (bundle["leafIndex"] + 1) % 3  # a real position, but not this one
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    bad = runner.invoke(
        app, [*args, "--log-bundle", str(tmp_path / "bundle.json"), "--log-key", key]
    )
    assert bad.exit_code == 1
    checks = {c["name"]: c["status"] for c in json.loads(bad.stdout)["checks"]}
    assert checks["transparency-log"] == "failed"

    alone = runner.invoke(app, [*args, "--log-bundle", str(tmp_path / "bundle.json")])
    assert alone.exit_code == 2
    assert "go together" in alone.output
