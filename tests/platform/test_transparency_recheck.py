"""``microcred log fsck`` on SQLite and PostgreSQL: an intact log passes; a changed entry, a
changed leaf hash, a changed node, a changed checkpoint (root, note or signature), a missing leaf
and an extra node are each reported, at the first place they differ, with what was expected."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, update
from typer.testing import CliRunner

from microcred.accounts.actor import SYSTEM
from microcred.cli import log as log_cli
from microcred.cli.main import app
from microcred.errors import RecheckError
from microcred.issuing.issuance import IssueRequest
from microcred.ledger import Checkpoint, leaf_hash, node_hash, sign_checkpoint
from microcred.runtime import Runtime
from microcred.store.db import transaction
from microcred.store.log import NewEntry
from microcred.store.tables import LogCheckpointRow, LogLeafRow, LogNodeRow
from tests.platform.conftest import IssuerFixture

runner = CliRunner()
AT = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = "4"  # several chunks, so chunk boundaries are crossed


def entry(i: int) -> bytes:
    return f"microcred-log/v1\nissued\nentry {i}\n".encode()


@pytest.fixture
def logged(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, monkeypatch: pytest.MonkeyPatch
) -> Runtime:
    """A log of 2 issued credentials and 35 more entries, in transactions of 1 to 6 entries
    (so checkpoints of many sizes); the CLI uses this runtime."""
    assert runtime.transparency.latest_checkpoint().size == 0  # the empty log's is kept too
    runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement_id, email=f"p{i}@example.org") for i in range(2)],
    )
    i = 2
    for batch in (1, 6, 3, 1, 5, 4, 6, 2, 1, 6):
        with transaction(runtime.sessions) as session:
            entries = [NewEntry(entry(i + k), None, AT) for k in range(batch)]
            runtime.transparency._append(session, entries)
        i += batch
    assert runtime.transparency.latest_checkpoint().size == 37
    monkeypatch.setattr(log_cli, "make_runtime", lambda: runtime)
    monkeypatch.setattr(runtime, "close", lambda: None)  # the fixture closes it
    return runtime


def fsck() -> tuple[int, str]:
    result = runner.invoke(app, ["log", "fsck", "--chunk", CHUNK])
    return result.exit_code, result.stdout + result.stderr


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def stored_node(runtime: Runtime, level: int, index: int) -> bytes:
    with runtime.sessions() as session:
        value = session.scalar(
            select(LogNodeRow.hash).where(LogNodeRow.level == level, LogNodeRow.index == index)
        )
    assert value is not None
    return value


def test_an_intact_log_passes(logged: Runtime) -> None:
    code, output = fsck()
    assert code == 0, output
    assert "LOG INTACT" in output
    report = logged.transparency.recheck(chunk=4)
    assert report.size == 37
    assert report.nodes == sum(37 >> level for level in range(1, 6))
    assert report.root == logged.transparency.latest_checkpoint().root_hash
    assert report.checkpoints == 12  # the empty log's, the issuance's and ten more
    assert b64(report.root) in output.replace("\n", "")
    # Any chunk size gives the same answer.
    assert logged.transparency.recheck(chunk=1) == report
    assert logged.transparency.recheck(chunk=1000) == report


def test_a_changed_entry_is_detected(logged: Runtime) -> None:
    with transaction(logged.sessions) as session:
        session.execute(update(LogLeafRow).where(LogLeafRow.index == 9).values(entry=b"forged"))
    code, output = fsck()
    assert code == 1, output
    assert "LOG DAMAGED" in output
    assert "leaf 9: the stored leaf hash is not the hash of its entry" in output
    assert f"expected: {b64(leaf_hash(b'forged'))}" in output
    assert f"found: {b64(leaf_hash(entry(9)))}" in output


def test_a_changed_leaf_with_its_hash_is_detected_at_its_parent(logged: Runtime) -> None:
    # Entry and leaf hash rewritten together, deep inside completed subtrees: no proof but
    # this leaf's own notices; the recheck finds the parent node that no longer matches.
    forged = b"microcred-log/v1\nissued\nforged\n"
    with transaction(logged.sessions) as session:
        session.execute(
            update(LogLeafRow)
            .where(LogLeafRow.index == 9)
            .values(entry=forged, leaf_hash=leaf_hash(forged))
        )
    with pytest.raises(RecheckError) as caught:
        logged.transparency.recheck(chunk=4)
    assert caught.value.message == "node (level 1, index 4) is not the hash of its children"
    assert caught.value.expected == b64(node_hash(leaf_hash(entry(8)), leaf_hash(forged)))
    assert caught.value.found == b64(stored_node(logged, 1, 4))


def test_a_changed_node_is_detected(logged: Runtime) -> None:
    honest = stored_node(logged, 3, 2)
    with transaction(logged.sessions) as session:
        session.execute(
            update(LogNodeRow)
            .where(LogNodeRow.level == 3, LogNodeRow.index == 2)
            .values(hash=bytes(32))
        )
    code, output = fsck()
    assert code == 1, output
    assert "node (level 3, index 2) is not the hash of its children" in output
    assert f"expected: {b64(honest)}" in output
    assert f"found: {b64(bytes(32))}" in output


def test_a_missing_node_is_detected(logged: Runtime) -> None:
    with transaction(logged.sessions) as session:
        session.execute(delete(LogNodeRow).where(LogNodeRow.level == 2, LogNodeRow.index == 5))
    code, output = fsck()
    assert code == 1, output
    assert "node (level 2, index 5)" in output
    assert "found: no stored node" in output


def test_an_extra_node_is_detected(logged: Runtime) -> None:
    with transaction(logged.sessions) as session:
        session.execute(insert(LogNodeRow).values(level=6, index=0, hash=bytes(32)))
    code, output = fsck()
    assert code == 1, output
    assert "level 6 holds nodes a tree of 37 entries does not have" in output


def test_a_missing_leaf_is_detected(logged: Runtime) -> None:
    with transaction(logged.sessions) as session:
        session.execute(delete(LogLeafRow).where(LogLeafRow.index == 13))
    code, output = fsck()
    assert code == 1, output
    assert "a leaf is missing" in output
    assert "expected: leaf 13" in output
    assert "found: leaf 14" in output


def test_a_changed_checkpoint_root_is_detected(logged: Runtime) -> None:
    with logged.sessions() as session:
        sizes = list(session.scalars(select(LogCheckpointRow.size).order_by("size")))
    assert 18 in sizes
    with transaction(logged.sessions) as session:
        session.execute(
            update(LogCheckpointRow).where(LogCheckpointRow.size == 18).values(root_hash=bytes(32))
        )
    code, output = fsck()
    assert code == 1, output
    assert "checkpoint 18: the stored root is not the root of the first 18 entries" in output
    assert f"found: {b64(bytes(32))}" in output


def test_a_checkpoint_note_naming_another_tree_is_detected(logged: Runtime) -> None:
    with logged.sessions() as session:
        note = session.scalar(select(LogCheckpointRow.note).where(LogCheckpointRow.size == 12))
    assert note is not None
    lines = note.split("\n")
    lines[2] = b64(bytes(32))  # the root line of the note's text
    with transaction(logged.sessions) as session:
        session.execute(
            update(LogCheckpointRow)
            .where(LogCheckpointRow.size == 12)
            .values(note="\n".join(lines))
        )
    code, output = fsck()
    assert code == 1, output
    assert "checkpoint 12: the signed note names another tree" in output


def test_a_checkpoint_beyond_the_log_is_detected(logged: Runtime) -> None:
    latest = logged.transparency.latest_checkpoint()
    with transaction(logged.sessions) as session:
        session.add(
            LogCheckpointRow(size=40, root_hash=latest.root_hash, note=latest.note, at=latest.at)
        )
    code, output = fsck()
    assert code == 1, output
    assert "a checkpoint is larger than the log" in output
    assert "found: tree size 40" in output


def flip_signature_bit(note: str) -> str:
    """The note with one bit of its (only) signature flipped; its text is untouched."""
    lines = note.split("\n")
    (at,) = [i for i, line in enumerate(lines) if line.startswith("\u2014 ")]
    name, blob = lines[at][2:].split(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    lines[at] = f"\u2014 {name} {b64(bytes(raw))}"
    return "\n".join(lines)


def test_a_checkpoint_with_a_corrupted_signature_is_detected(logged: Runtime) -> None:
    with logged.sessions() as session:
        note = session.scalar(select(LogCheckpointRow.note).where(LogCheckpointRow.size == 12))
    assert note is not None
    with transaction(logged.sessions) as session:
        session.execute(
            update(LogCheckpointRow)
            .where(LogCheckpointRow.size == 12)
            .values(note=flip_signature_bit(note))
        )
    code, output = fsck()
    assert code == 1, output
    assert "LOG DAMAGED" in output
    assert "checkpoint 12: the signed note is not signed by the log" in output
    assert "found: checkpoint signature does not verify" in output


def test_a_checkpoint_signed_by_another_key_is_detected(logged: Runtime) -> None:
    """Text and root right, signed by a key that is not one of the log's: not intact."""
    with logged.sessions() as session:
        row = session.scalar(select(LogCheckpointRow).where(LogCheckpointRow.size == 18))
    assert row is not None
    forged = sign_checkpoint(
        Checkpoint(
            origin=logged.transparency.origin, tree_size=18, root_hash=row.root_hash, timestamp=AT
        ),
        Ed25519PrivateKey.generate(),
    )
    with transaction(logged.sessions) as session:
        session.execute(
            update(LogCheckpointRow).where(LogCheckpointRow.size == 18).values(note=forged)
        )
    code, output = fsck()
    assert code == 1, output
    assert "checkpoint 18: the signed note is not signed by the log" in output
    assert "found: checkpoint is not signed once by the log key" in output
