"""``microcred log audit`` against a running platform (SQLite and PostgreSQL): a growing log is
consistent; a stored leaf changed behind the log's back, or a history rewritten with all its
nodes, is detected; so is a second checkpoint of the same size with another root."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from microcred.accounts.actor import SYSTEM
from microcred.cli import log as log_cli
from microcred.cli.main import app
from microcred.errors import FetchError
from microcred.issuing.issuance import IssueRequest
from microcred.ledger import Checkpoint, leaf_hash, node_hash, sign_checkpoint
from microcred.runtime import Runtime
from microcred.store.db import transaction
from microcred.store.tables import CredentialRow, LogLeafRow, LogNodeRow
from microcred.verify.log_check import check_transparency
from microcred.verify.result import Status
from tests.platform.conftest import IssuerFixture

SERVER = "http://127.0.0.1:8000"
runner = CliRunner()


@pytest.fixture
def served(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """Route the CLI's fetches to the test app, as if it listened on SERVER."""

    def make_fetcher(**_options: Any) -> Callable[[str], bytes]:
        def fetch(url: str) -> bytes:
            parts = urlsplit(url)
            response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
            if response.status_code != 200:
                raise FetchError("the server did not answer 200", found=str(response.status_code))
            return response.content

        return fetch

    monkeypatch.setattr(log_cli, "make_fetcher", make_fetcher)
    return client


def issue(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, n: int
) -> list[CredentialRow]:
    requests = [
        IssueRequest(achievement_id=achievement_id, email=f"p{i}@example.org") for i in range(n)
    ]
    return runtime.issuance.issue(SYSTEM, issuer.id, requests)


def save_checkpoint(client: TestClient, path: Path) -> Path:
    path.write_text(client.get("/log/checkpoint").text, encoding="utf-8")
    return path


def audit(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["log", "audit", *args])
    return result.exit_code, result.stdout + result.stderr


def test_a_growing_log_is_consistent(
    served: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str, tmp_path: Path
) -> None:
    empty = save_checkpoint(served, tmp_path / "empty.json")
    issue(runtime, issuer, achievement_id, 3)
    old = save_checkpoint(served, tmp_path / "old.json")
    issue(runtime, issuer, achievement_id, 4)
    code, output = audit(str(old), SERVER)
    assert code == 0, output
    assert "CONSISTENT" in output
    assert "size 7 extends size 3" in output
    # Checkpoint files, the key given explicitly, the proof taken from the server.
    new = save_checkpoint(served, tmp_path / "new.json")
    vkey = served.get("/log/checkpoint").json()["logKey"]
    code, output = audit(str(empty), str(new), "--log-key", vkey, "--server", SERVER)
    assert code == 0, output
    code, output = audit(str(new), str(old), "--server", SERVER)  # order does not matter
    assert code == 0, output


def test_a_changed_stored_leaf_makes_audit_fail(
    served: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str, tmp_path: Path
) -> None:
    issue(runtime, issuer, achievement_id, 3)
    old = save_checkpoint(served, tmp_path / "old.json")
    # Someone with database access swaps the newest entry (leaf 2 is on the frontier).
    forged = b"microcred-log/v1\nissued\nforged\n"
    with transaction(runtime.sessions) as session:
        session.execute(
            update(LogLeafRow)
            .where(LogLeafRow.index == 2)
            .values(entry=forged, leaf_hash=leaf_hash(forged))
        )
    issue(runtime, issuer, achievement_id, 1)
    code, output = audit(str(old), SERVER)
    assert code == 1, output
    assert "NOT CONSISTENT" in output
    assert "does not extend" in output


def test_a_rewritten_history_is_detected(
    served: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str, tmp_path: Path
) -> None:
    rows = issue(runtime, issuer, achievement_id, 4)
    old = save_checkpoint(served, tmp_path / "old.json")
    vkey = served.get("/log/checkpoint").json()["logKey"]
    # A careful forger rewrites leaf 1 and every node above it, so proofs stay well formed.
    forged = leaf_hash(b"microcred-log/v1\nissued\nforged\n")
    with transaction(runtime.sessions) as session:
        leaves = {r.index: r.leaf_hash for r in session.query(LogLeafRow)}
        nodes = {(r.level, r.index): r.hash for r in session.query(LogNodeRow)}
        level1 = node_hash(leaves[0], forged)
        level2 = node_hash(level1, nodes[(1, 1)])
        session.execute(update(LogLeafRow).where(LogLeafRow.index == 1).values(leaf_hash=forged))
        for (level, index), value in (((1, 0), level1), ((2, 0), level2)):
            session.execute(
                update(LogNodeRow)
                .where(LogNodeRow.level == level, LogNodeRow.index == index)
                .values(hash=value)
            )
    issue(runtime, issuer, achievement_id, 2)
    code, output = audit(str(old), SERVER)
    assert code == 1, output
    assert "NOT CONSISTENT" in output
    # And the credential whose entry was replaced no longer proves its issuance.
    bundle = served.get(f"/credentials/{rows[1].id}/log-bundle").json()
    assert check_transparency(rows[1].document, bundle, vkey).status is Status.FAILED


def test_two_checkpoints_of_one_size_are_a_fork(
    served: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str, tmp_path: Path
) -> None:
    issue(runtime, issuer, achievement_id, 3)
    honest = save_checkpoint(served, tmp_path / "honest.json")
    # The log's own key signs a second tree head of size 3: equivocation.
    with runtime.sessions() as session:
        key = runtime.transparency._signing_key(session)
    forked = Checkpoint(
        origin=runtime.transparency.origin,
        tree_size=3,
        root_hash=bytes(32),
        timestamp=runtime.clock(),
    )
    other = tmp_path / "forked.txt"
    other.write_text(sign_checkpoint(forked, key.native), encoding="utf-8")  # type: ignore[arg-type]
    code, output = audit(str(honest), str(other), "--server", SERVER)
    assert code == 1, output
    assert "fork" in output
    # A checkpoint from a server that is not ours fails its signature check.
    tampered = json.loads(honest.read_text())
    tampered["note"] = tampered["note"].replace("\n3\n", "\n4\n")
    other.write_text(json.dumps(tampered), encoding="utf-8")
    code, output = audit(str(honest), str(other), "--server", SERVER)
    assert code == 1, output
    assert "not signed by the log key" in output
