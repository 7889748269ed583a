"""The operator commands against a real SQLite data directory."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microcred.accounts.actor import SYSTEM
from microcred.cli.main import app
from microcred.cli.seed import ACHIEVEMENTS, PARTNER_ACHIEVEMENT, demo_sign_in_link, seed_demo
from microcred.errors import LinkInvalidError
from microcred.issuing.repository import CredentialFilter
from microcred.runtime import Runtime
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


def test_production_mode_refuses_to_serve_with_the_default_secret(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_MODE", "production")
    for command in (["serve"], ["worker"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert "master secret" in result.output
        assert not (env / "microcred.db").exists()  # refused before touching anything


def test_issue_bulk_reports_bad_rows_and_issues_once(env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["issuers", "create", "--slug", "acme", "--name", "Acme"])
    issuer = json.loads(created.stdout)
    runtime = Runtime(Settings())
    try:
        achievement = runtime.achievements.create(
            SYSTEM,
            issuer["id"],
            {"name": "Safety", "description": "Works safely.", "criteria": {"narrative": "T."}},
        ).id
    finally:
        runtime.close()
    csv = tmp_path / "people.csv"
    csv.write_text("email,name\nada@example.org,Ada\nnot-an-address,Bob\ncy@example.org,Cy\n")
    args = ["issue-bulk", str(csv), "--issuer", "acme", "--achievement", achievement]
    first = runner.invoke(app, args)
    assert first.exit_code == 1, first.output  # a bad row makes the run not clean
    report = " ".join(first.output.split())  # rich wraps lines at the terminal width
    assert "1 bad rows (not issued)" in report
    assert re.search(r"│ 3 │ [^│]*not an address", report), report  # line 3, and why
    assert "2 of 2 issued (2 new, 0 issued before)" in report
    again = runner.invoke(app, args)
    assert "2 of 2 issued (0 new, 2 issued before)" in " ".join(again.output.split())
    runtime = Runtime(Settings())
    try:
        actor = SYSTEM
        rows, total = runtime.credentials.list(actor, issuer["id"], CredentialFilter())
    finally:
        runtime.close()
    assert total == 2
    assert sorted(r.recipient_email or "" for r in rows) == ["ada@example.org", "cy@example.org"]


def test_demo_data_is_created_once(env: Path) -> None:
    runtime = Runtime(Settings())
    try:
        first = seed_demo(runtime)
        assert first is not None
        again = seed_demo(runtime)
        assert again == first  # the same access details, read back from the data directory
        # The university and the company co-issuing the demo micro-degree with it.
        assert len(runtime.issuers.all()) == 2
        _rows, total = runtime.credentials.list(SYSTEM, first.issuer_id, CredentialFilter())
        assert total == 4  # one of each demo achievement, and the micro-degree, to the learner
        assert runtime.issuers.authenticate(first.api_key) is not None
        assert runtime.staff.authenticate(first.staff_email, first.staff_password)
        assert (env / "demo-credentials.json").stat().st_mode & 0o077 == 0
    finally:
        runtime.close()


def test_demo_learner_signs_in_with_the_printed_link(env: Path) -> None:
    runtime = Runtime(Settings())
    try:
        access = seed_demo(runtime)
        assert access is not None
        link = demo_sign_in_link(runtime, access)
        signed_in = runtime.learners.sign_in(runtime.urls.learner_sign_in_token(link))
        assert signed_in.next_path == "/wallet"
        assert runtime.learners.emails(signed_in.learner_id) == (access.learner_email,)
        exported = runtime.learners.export(signed_in.learner_id)
        held = [c["credentialSubject"]["achievement"]["name"] for c in exported["credentials"]]
        assert sorted(held) == sorted(
            [data["name"] for data, _months in ACHIEVEMENTS]
            + [PARTNER_ACHIEVEMENT["name"], "Micro-degree in Applied Data Science"]
        )
        # The filled wallet: the three, the partner's placement and the micro-degree, a
        # verified badge of another issuer, a public collection.
        items, total = runtime.wallet.list_credentials(signed_in.learner_id)
        assert total == 6
        (imported,) = [item for item in items if item.kind == "imported"]
        assert imported.state == "active"
        slug = runtime.showcase.profile_slug(signed_in.learner_id)
        assert slug is not None
        profile = runtime.showcase.public_profile(slug)
        assert len(profile.items) == 2
        assert [c.collection.name for c in profile.collections] == ["Data skills"]
        with pytest.raises(LinkInvalidError):  # single use
            runtime.learners.sign_in(runtime.urls.learner_sign_in_token(link))
    finally:
        runtime.close()
