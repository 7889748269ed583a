"""``microcred backup create`` / ``restore`` on SQLite and PostgreSQL (issue 20): a restore
into an empty data directory passes ``log fsck`` and every credential verifies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from microcred.accounts.actor import SYSTEM
from microcred.cli.main import app
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.tables import CredentialRow
from tests.platform.conftest import POSTGRES_SERVER, IssuerFixture


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str | None]:
    """Where a restore goes: a new PostgreSQL database (not even migrated) beside the
    source's, or None for the SQLite file of the new data directory."""
    if not database_url.startswith("postgresql"):
        yield None
        return
    name = f"microcred_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{POSTGRES_SERVER}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _env(settings: Settings, data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        "MICROCRED_DATA_DIR": str(data_dir),
        "MICROCRED_PUBLIC_URL": settings.base_url,
        "MICROCRED_QUEUE_IMMEDIATE": "true",
        "MICROCRED_MASTER_SECRET": settings.master_secret.get_secret_value(),
    }
    if database_url:
        env["MICROCRED_DATABASE_URL"] = database_url
    return env


def _documents(runtime: Runtime) -> dict[str, dict[str, object]]:
    with runtime.sessions() as session:
        return {row.id: row.document for row in session.query(CredentialRow)}


def test_backup_and_restore_into_an_empty_data_directory(
    runtime: Runtime,
    settings: Settings,
    issuer: IssuerFixture,
    achievement_id: str,
    empty_database: str | None,
    tmp_path: Path,
) -> None:
    issued = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id, email=f"l{i}@example.org", name=f"L {i}") for i in range(4)],
    )
    revoked = issued[0].id
    runtime.lifecycle.revoke(SYSTEM, issuer.id, revoked, "issued in error")
    before = _documents(runtime)
    did_before = runtime.issuers.did_document(issuer.slug)
    log_before = runtime.transparency.did_document()
    runner = CliRunner()
    source_env = _env(settings, settings.data_dir, settings.database_url)

    file = tmp_path / "backup.tar.gz"
    made = runner.invoke(app, ["backup", "create", str(file)], env=source_env)
    assert made.exit_code == 0, made.output
    assert "4 credentials" in made.output
    assert oct(file.stat().st_mode & 0o777) == "0o600"
    again = runner.invoke(app, ["backup", "create", str(file)], env=source_env)
    assert again.exit_code == 2
    assert "exists" in again.output

    # Issued after the backup: not in it.
    runtime.issuance.issue(SYSTEM, issuer.id, [IssueRequest(achievement_id, email="x@e.org")])

    target_dir = tmp_path / "restored"
    target_env = _env(settings, target_dir, empty_database)
    restored = runner.invoke(app, ["backup", "restore", str(file)], env=target_env)
    assert restored.exit_code == 0, restored.output
    assert "LOG INTACT" in restored.output
    fsck = runner.invoke(app, ["log", "fsck"], env=target_env)
    assert fsck.exit_code == 0, fsck.output
    assert "LOG INTACT" in fsck.output

    # A second restore into what is no longer empty is refused, and changes nothing.
    refused = runner.invoke(app, ["backup", "restore", str(file)], env=target_env)
    assert refused.exit_code == 2
    # (On PostgreSQL the data directory may still be empty: the database is refused then.)
    assert "restore needs an empty" in refused.output

    target = Runtime(
        Settings(
            data_dir=target_dir,
            database_url=empty_database,
            public_url=settings.base_url,
            queue_immediate=True,
        )
    )
    try:
        after = _documents(target)
        assert after == before
        assert target.issuers.did_document(issuer.slug) == did_before
        assert target.transparency.did_document() == log_before
        for credential_id, document in after.items():
            result = target.verification.verify_bytes(json.dumps(document).encode())
            assert result.check("proof").status.value == "passed", credential_id
            log_check = result.check("transparency-log")
            if log_check is not None:
                assert log_check.status.value == "passed", (credential_id, log_check.message)
            assert result.verified is (credential_id != revoked), result.to_json()
        # The restored platform goes on: issuing continues the log and the status lists.
        (more,) = target.issuance.issue(
            SYSTEM, issuer.id, [IssueRequest(achievement_id, email="new@example.org")]
        )
        assert target.verification.verify_bytes(json.dumps(more.document).encode()).verified
        target.transparency.recheck()
    finally:
        target.close()


def test_restore_refuses_another_master_secret_and_a_foreign_file(
    runtime: Runtime, settings: Settings, issuer: IssuerFixture, tmp_path: Path
) -> None:
    runner = CliRunner()
    file = tmp_path / "backup.tar.gz"
    made = runner.invoke(
        app,
        ["backup", "create", str(file)],
        env=_env(settings, settings.data_dir, settings.database_url),
    )
    assert made.exit_code == 0, made.output
    target_env = {
        **_env(settings, tmp_path / "restored", None),
        "MICROCRED_MASTER_SECRET": "another-secret-of-enough-length-0123456789",
    }
    other = runner.invoke(app, ["backup", "restore", str(file)], env=target_env)
    assert other.exit_code == 2
    assert "another master secret" in other.output
    assert not (tmp_path / "restored").exists()  # nothing written
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a backup")
    foreign = runner.invoke(
        app, ["backup", "restore", str(junk)], env=_env(settings, tmp_path / "r2", None)
    )
    assert foreign.exit_code == 2
    assert "cannot read the backup" in foreign.output


@pytest.mark.postgres
def test_an_embedded_backup_restores_into_postgresql(tmp_path: Path) -> None:
    """Moving from the embedded SQLite set-up to PostgreSQL is a backup and a restore."""
    from tests.platform.conftest import SIMPLE_ACHIEVEMENT, _postgres_available, make_issuer

    if not _postgres_available():
        pytest.skip(f"no PostgreSQL server at {POSTGRES_SERVER}")
    source = Settings(
        data_dir=tmp_path / "embedded",
        public_url="https://badges.example.org",
        queue_immediate=True,
    )
    embedded = Runtime(source)
    try:
        issuer = make_issuer(embedded, "alpha")
        achievement = embedded.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT)
        embedded.issuance.issue(
            SYSTEM,
            issuer.id,
            [IssueRequest(achievement.id, email=f"p{i}@example.org") for i in range(3)],
        )
        before = _documents(embedded)
    finally:
        embedded.close()
    runner = CliRunner()
    file = tmp_path / "embedded.tar.gz"
    made = runner.invoke(
        app, ["backup", "create", str(file)], env=_env(source, source.data_dir, None)
    )
    assert made.exit_code == 0, made.output
    assert "sqlite-online-backup" in made.output
    name = f"microcred_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"{POSTGRES_SERVER}/{name}"
        env = _env(source, tmp_path / "server", url)
        restored = runner.invoke(app, ["backup", "restore", str(file)], env=env)
        assert restored.exit_code == 0, restored.output
        server = Runtime(
            Settings(
                data_dir=tmp_path / "server",
                database_url=url,
                public_url="https://badges.example.org",
                queue_immediate=True,
            )
        )
        try:
            assert _documents(server) == before
            for document in before.values():
                assert server.verification.verify_bytes(json.dumps(document).encode()).verified
            # The ids PostgreSQL hands out next continue after the restored ones.
            (more,) = server.issuance.issue(
                SYSTEM, issuer.id, [IssueRequest(achievement.id, email="next@example.org")]
            )
            assert server.verification.verify_bytes(json.dumps(more.document).encode()).verified
            server.transparency.recheck()
        finally:
            server.close()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
