"""The transparency log on the platform (issue 5), on SQLite and PostgreSQL: every issuance and
status change appends a commitment, each append is sealed by a signed checkpoint, and proofs
from the API verify against the log key in the server's DID document."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.errors import InputError, NotFoundError
from microcred.issuing.issuance import IssueRequest
from microcred.ledger import (
    LogStoreError,
    MemoryLogStore,
    MerkleLog,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_checkpoint,
    verify_consistency,
)
from microcred.runtime import Runtime
from microcred.store.db import transaction
from microcred.store.log import NewEntry, SqlLogStore
from microcred.store.tables import CredentialRow, LogCheckpointRow, LogLeafRow
from microcred.verify.log_check import (
    check_transparency,
    issuance_entry,
    parse_vkey,
    status_entry,
    verify_bundle,
)
from microcred.verify.result import Status
from tests.platform.conftest import IssuerFixture


def issue(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, n: int
) -> list[CredentialRow]:
    requests = [
        IssueRequest(achievement_id=achievement_id, email=f"person{i}@example.org", name=f"P {i}")
        for i in range(n)
    ]
    return runtime.issuance.issue(SYSTEM, issuer.id, requests)


def b64(value: str) -> bytes:
    return base64.b64decode(value)


def test_issuing_appends_one_leaf_per_credential_with_a_signed_checkpoint(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    rows = issue(runtime, issuer, achievement_id, 3)
    with runtime.sessions() as session:
        leaves = list(session.scalars(select(LogLeafRow).order_by(LogLeafRow.index)))
        checkpoints = list(session.scalars(select(LogCheckpointRow)))
    assert [leaf.index for leaf in leaves] == [0, 1, 2]
    assert [leaf.credential_id for leaf in leaves] == [row.id for row in rows]
    for leaf, row in zip(leaves, rows, strict=True):
        assert leaf.entry == issuance_entry(row.document)
        assert leaf.leaf_hash == leaf_hash(leaf.entry)
        # No personal data: the entry is a hash commitment only.
        assert b"example.org" not in leaf.entry
        assert b"P 0" not in leaf.entry
    # One transaction, one checkpoint, and its root is the root of the three entries.
    assert [c.size for c in checkpoints] == [3]
    reference = MerkleLog(MemoryLogStore())
    reference.extend(leaf.entry for leaf in leaves)
    assert checkpoints[0].root_hash == reference.root()
    origin, key = parse_vkey(runtime.transparency.verifier_keys()[0])
    signed = verify_checkpoint(checkpoints[0].note, key, origin=origin)
    assert (signed.tree_size, signed.root_hash) == (3, reference.root())
    # Each credential's inclusion proof verifies against the signed checkpoint.
    for row in rows:
        bundle = runtime.transparency.bundle(row.id)
        assert verify_bundle(row.document, bundle, runtime.transparency.verifier_keys()[0])[1] == 3


def test_status_changes_append_commitments(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (row,) = issue(runtime, issuer, achievement_id, 1)
    # Through the lifecycle service, as an issuer would: each change lands in the log.
    runtime.lifecycle.suspend(SYSTEM, issuer.id, row.id, "under review")
    runtime.lifecycle.reinstate(SYSTEM, issuer.id, row.id)
    with runtime.sessions() as session:
        leaves = SqlLogStore(session).leaves_for_credential(row.id)
        sizes = list(session.scalars(select(LogCheckpointRow.size).order_by(LogCheckpointRow.size)))
    changes = {e.action: e.at for e in runtime.audit.list(SYSTEM, issuer.id).events}
    url = runtime.urls.credential(row.id)
    assert [leaf.entry for leaf in leaves] == [
        issuance_entry(row.document),
        status_entry(url, "suspended", changes["credential.suspended"]),
        status_entry(url, "reinstated", changes["credential.reinstated"]),
    ]
    assert row.id.encode() not in leaves[1].entry
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert sizes == [1, 2, 3]
    # The issuance stays provable under the newer checkpoints.
    bundle = runtime.transparency.bundle(row.id)
    assert (bundle["leafIndex"], bundle["treeSize"]) == (0, 3)
    with pytest.raises(InputError):
        runtime.transparency.record_status_change(session, row, "deleted", at)


def test_a_rolled_back_event_leaves_no_entry(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (row,) = issue(runtime, issuer, achievement_id, 1)

    def failing_change() -> None:
        with transaction(runtime.sessions) as session:
            runtime.transparency.record_status_change(session, row, "suspended", runtime.clock())
            raise RuntimeError("the lifecycle change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LogLeafRow)) == 1
        assert runtime.transparency.latest_checkpoint().size == 1


def test_api_serves_checkpoints_and_proofs(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    empty = client.get("/log/checkpoint")
    assert empty.status_code == 200
    assert empty.json()["treeSize"] == 0
    first = issue(runtime, issuer, achievement_id, 2)
    second = issue(runtime, issuer, achievement_id, 3)

    did = client.get("/.well-known/did.json").json()
    assert did["id"] == "did:web:badges.example.org"
    (service,) = did["service"]
    vkey = service["verifierKeys"][0]
    assert did["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
    assert "assertionMethod" not in did  # the log key signs checkpoints, not credentials
    origin, key = parse_vkey(vkey)
    assert origin == "badges.example.org/log"

    latest = client.get("/log/checkpoint").json()
    assert latest["treeSize"] == 5
    assert latest["logKey"] == vkey
    signed = verify_checkpoint(latest["note"], key, origin=origin)
    assert base64.b64encode(signed.root_hash).decode() == latest["rootHash"]
    old_response = client.get("/log/checkpoint/2")
    old = old_response.json()
    assert old["treeSize"] == 2
    # The witness is off (the default): no anchor will be added, so it never changes.
    assert not runtime.settings.anchor_enabled
    assert old["anchor"] is None
    assert old_response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/log/checkpoint/4").status_code == 404
    assert client.get("/log/checkpoint/-1").status_code == 422

    # Inclusion by id and by URL, under the latest and under an older checkpoint.
    url = runtime.urls.credential(first[1].id)
    for reference, size in ((first[1].id, None), (url, 5), (url, 2)):
        params: dict[str, str | int] = {"credential": reference}
        if size is not None:
            params["size"] = size
        body = client.get("/log/inclusion", params=params).json()
        assert body["leafIndex"] == 1
        assert body["credentialId"] == url
        bundle = {**body, "type": "MicrocredLogInclusion"}
        assert verify_bundle(first[1].document, bundle, vkey) == (
            1,
            size or 5,
            b64(body["rootHash"]),
        )
    late = client.get("/log/inclusion", params={"credential": second[0].id, "size": 2})
    assert late.status_code == 409

    consistency = client.get("/log/consistency", params={"first": 2, "second": 5}).json()
    verify_consistency(
        size1=2,
        size2=5,
        proof=[b64(h) for h in consistency["consistencyProof"]],
        root1=b64(old["rootHash"]),
        root2=signed.root_hash,
    )
    for bad in ({"first": 0, "second": 5}, {"first": 4, "second": 2}, {"first": 2, "second": 9}):
        response = client.get("/log/consistency", params=bad)
        assert response.status_code == 422, response.text

    bundle = client.get(f"/credentials/{second[2].id}/log-bundle").json()
    check = check_transparency(second[2].document, bundle, vkey)
    assert check.status is Status.PASSED, check.message
    assert check.name == "transparency-log"


def test_a_credential_not_in_the_log_has_no_proof(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    rows = issue(runtime, issuer, achievement_id, 2)
    vkey = runtime.transparency.verifier_keys()[0]
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get("/log/inclusion", params={"credential": missing}).status_code == 404
    assert client.get(f"/credentials/{missing}/log-bundle").status_code == 404
    response = client.get("/log/inclusion", params={"credential": "https://evil.example/x"})
    assert response.status_code == 422
    with pytest.raises(NotFoundError):
        runtime.transparency.inclusion(missing)

    bundle = runtime.transparency.bundle(rows[0].id)
    # The other credential's bundle does not prove this one ...
    assert check_transparency(rows[1].document, bundle, vkey).status is Status.FAILED
    # ... nor does a relabelled bundle, nor a credential altered after issuance.
    relabelled = {**bundle, "credentialId": rows[1].document["id"]}
    assert check_transparency(rows[1].document, relabelled, vkey).status is Status.FAILED
    altered = {**rows[0].document, "name": "Something else"}
    failed = check_transparency(altered, bundle, vkey)
    assert failed.status is Status.FAILED
    assert "root" in failed.message
    # A bundle signed by another log key is refused, and no bundle is a skipped check.
    other = "badges.example.org/log+00000000+BKG2IvgtbjMEgp1xa7sNOCEFnmiNJMszbcLMUEAN3eKT"
    assert check_transparency(rows[0].document, bundle, other).status is Status.FAILED
    assert check_transparency(rows[0].document, None, vkey).status is Status.SKIPPED
    garbage = {**bundle, "inclusionProof": ["@@"], "leafIndex": True}
    assert check_transparency(rows[0].document, garbage, vkey).status is Status.FAILED


def test_sql_store_agrees_with_the_memory_store(runtime: Runtime) -> None:
    """Proofs from the SQL store equal those of the pure core, for every size and index."""
    entries = [f"entry {i}".encode() for i in range(37)]
    memory = MerkleLog(MemoryLogStore())
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for start, end in ((0, 1), (1, 2), (2, 9), (9, 16), (16, 37)):
        with transaction(runtime.sessions) as session:
            store = SqlLogStore(session)
            store.lock()
            store.append_entries([NewEntry(e, None, at) for e in entries[start:end]])
        memory.extend(entries[start:end])
    with runtime.sessions() as session:
        store = SqlLogStore(session)
        assert store.size() == 37
        assert MerkleLog(store).root() == memory.root()
        for size in (1, 2, 5, 16, 17, 37):
            for index in range(0, size, 3):
                assert inclusion_proof(store, index, size) == inclusion_proof(
                    memory.store, index, size
                )
            for first in range(1, size + 1, 4):
                assert consistency_proof(store, first, size) == consistency_proof(
                    memory.store, first, size
                )
        with pytest.raises(LogStoreError):
            store.node_hashes([(0, 37)])
        with pytest.raises(LogStoreError):
            store.append(start=37, leaf_hashes=[b"\0" * 32], nodes=[])  # entries are required
    with transaction(runtime.sessions) as session:
        stale = SqlLogStore(session)
        log = MerkleLog(stale)
        stale.append_entries([NewEntry(b"x", None, at)])
        # A second writer built on size 37; the store is at 38 now and refuses its append.
        stale._staged = [NewEntry(b"y", None, at)]
        with pytest.raises(LogStoreError, match="does not continue"):
            log.append(b"y")


def test_concurrent_appends_are_serialised(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """Writers in parallel threads never fork the log: every checkpoint extends the last."""
    (row,) = issue(runtime, issuer, achievement_id, 1)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                with transaction(runtime.sessions) as session:
                    runtime.transparency.record_status_change(
                        session, row, "suspended", runtime.clock()
                    )
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with runtime.sessions() as session:
        checkpoints = list(
            session.scalars(select(LogCheckpointRow).order_by(LogCheckpointRow.size))
        )
        store = SqlLogStore(session)
        assert store.size() == 21
        latest = checkpoints[-1]
        assert [c.size for c in checkpoints] == list(range(1, 22))
        for older in checkpoints[:-1]:
            verify_consistency(
                size1=older.size,
                size2=latest.size,
                proof=consistency_proof(store, older.size, latest.size),
                root1=older.root_hash,
                root2=latest.root_hash,
            )
