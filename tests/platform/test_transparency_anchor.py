"""The log's outside witness on a local chain (web3's EthereumTesterProvider, py-evm), on
SQLite and PostgreSQL: a checkpoint is anchored once, read back and checked; a tampered
checkpoint or anchor fails; an unreachable chain is only a warning; the witness is off unless
turned on."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import update
from typer.testing import CliRunner

from microcred.accounts.actor import SYSTEM
from microcred.cli import log as log_cli
from microcred.cli.main import app
from microcred.errors import (
    AnchorError,
    ChainUnavailableError,
    InputError,
    NotConfiguredError,
    NotFoundError,
)
from microcred.issuing.issuance import IssueRequest
from microcred.ledger import Checkpoint, sign_checkpoint
from microcred.ledger.anchor import (
    ANCHOR_DATA_SIZE,
    ANCHOR_PREFIX,
    Anchor,
    ChainTransaction,
    anchor_data,
)
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.db import transaction
from microcred.store.tables import LogCheckpointRow
from microcred.transparency.witness import (
    ANCHOR_JOB,
    SharedAnchorReader,
    Web3AnchorReader,
    WitnessService,
    recursion_limit_kept,
)
from microcred.verify.log_check import check_anchor, check_transparency
from microcred.verify.result import Status
from microcred.web.app import create_app
from tests.platform.conftest import FakeClock, IssuerFixture
from tests.platform.test_pages import csrf

# Imported as the server imports them, with the recursion limit kept (py_ecc and py-evm raise
# it; the rest of the suite's deep-input tests rely on the usual limit).
with recursion_limit_kept():
    web3 = pytest.importorskip("web3")
    pytest.importorskip("eth_tester")

runner = CliRunner()


@pytest.fixture
def chain() -> Any:
    return web3.EthereumTesterProvider()


@pytest.fixture
def settings(settings: Settings, chain: Any) -> Settings:
    key = chain.ethereum_tester.backend.account_keys[0].to_hex()
    return settings.model_copy(
        update={
            "anchor_enabled": True,
            # Never contacted: the witness is given the local chain's provider instead.
            "anchor_rpc_url": "http://127.0.0.1:9",
            "anchor_key": SecretStr(key),
            "anchor_timeout_seconds": 10.0,
        }
    )


@pytest.fixture
def witness(runtime: Runtime, chain: Any, monkeypatch: pytest.MonkeyPatch) -> WitnessService:
    service = runtime.make_witness(provider=chain)
    runtime.witness = service
    monkeypatch.setattr(log_cli, "make_runtime", lambda: runtime)
    monkeypatch.setattr(runtime, "close", lambda: None)  # the fixture closes it
    return service


def issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str, n: int) -> list[Any]:
    requests = [
        IssueRequest(achievement_id=achievement_id, email=f"p{i}@example.org") for i in range(n)
    ]
    return runtime.issuance.issue(SYSTEM, issuer.id, requests)


def sender_nonce(witness: WitnessService) -> int:
    w3 = witness.web3()
    return int(w3.eth.get_transaction_count(w3.eth.accounts[0]))


def test_anchor_then_read_back(
    witness: WitnessService,
    runtime: Runtime,
    client: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    rows = issue(runtime, issuer, achievement_id, 3)
    latest = runtime.transparency.latest_checkpoint()
    before = client.get(f"/log/checkpoint/{latest.size}")
    assert before.json()["anchor"] is None
    assert before.headers["cache-control"] == "public, max-age=300"

    outcome = witness.anchor()
    assert outcome.created
    anchor = outcome.anchor
    assert anchor.tree_size == latest.size == 3
    # The transaction on the chain carries the documented commitment to the signed note.
    w3 = witness.web3()
    tx = w3.eth.get_transaction(anchor.tx_hash)
    data = bytes(tx["input"])
    assert data == anchor_data(latest.note)
    assert len(data) == ANCHOR_DATA_SIZE
    assert data.startswith(ANCHOR_PREFIX)
    assert int.from_bytes(data[20:28], "big") == 3
    assert data[28:60] == latest.root_hash
    assert tx["blockNumber"] == anchor.block_number
    assert anchor.chain_id == w3.eth.chain_id

    found = witness.verify(3)
    assert found.data == data
    assert found.succeeded
    # The API shows it, and the checkpoint is now immutable.
    after = client.get("/log/checkpoint/3")
    assert after.json()["anchor"] == anchor.to_json()
    assert after.headers["cache-control"].endswith("immutable")
    assert client.get("/log/checkpoint").json()["anchor"] == anchor.to_json()
    # The bundle carries it; offline it is shown, with the chain it is checked.
    credential_id = rows[1].id
    bundle = client.get(f"/credentials/{credential_id}/log-bundle").json()
    assert bundle["anchor"] == anchor.to_json()
    vkey = client.get("/log/checkpoint").json()["logKey"]
    transparency = check_transparency(rows[1].document, bundle, vkey)
    assert transparency.status is Status.PASSED
    assert anchor.tx_hash not in transparency.message  # the unsigned anchor is not vouched for
    offline = check_anchor(bundle, None)
    assert offline.status is Status.SKIPPED
    assert anchor.tx_hash in offline.message
    online = check_anchor(bundle, witness.reader())
    assert online.status is Status.PASSED, online.message


def test_the_bundle_proves_to_the_newest_anchored_checkpoint(
    witness: WitnessService,
    runtime: Runtime,
    client: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    rows = issue(runtime, issuer, achievement_id, 2)
    witness.anchor()  # size 2
    later = issue(runtime, issuer, achievement_id, 2)  # size 4, not anchored
    bundle = client.get(f"/credentials/{rows[0].id}/log-bundle").json()
    assert (bundle["treeSize"], bundle["anchor"]["treeSize"]) == (2, 2)
    # A credential logged after the last anchor gets the latest checkpoint, without anchor.
    fresh = client.get(f"/credentials/{later[0].id}/log-bundle").json()
    assert fresh["treeSize"] == 4
    assert "anchor" not in fresh


def test_anchoring_is_idempotent(
    witness: WitnessService, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    issue(runtime, issuer, achievement_id, 2)
    nonce = sender_nonce(witness)
    first = witness.anchor()
    assert sender_nonce(witness) == nonce + 1
    again = witness.anchor()
    assert not again.created
    assert again.anchor == first.anchor
    assert sender_nonce(witness) == nonce + 1  # nothing was sent the second time
    # Through the command, too.
    result = runner.invoke(app, ["log", "anchor"])
    assert result.exit_code == 0, result.output
    assert "ALREADY ANCHORED" in result.output
    assert first.anchor.tx_hash in result.output
    assert sender_nonce(witness) == nonce + 1


def test_an_interrupted_anchor_is_resumed_not_sent_twice(
    witness: WitnessService, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    issue(runtime, issuer, achievement_id, 2)
    nonce = sender_nonce(witness)
    # A run that signed and recorded its transaction, then died before broadcasting it.
    pending = witness._claim(2, witness._signed_transaction(2))
    assert pending["state"] == "pending"
    assert sender_nonce(witness) == nonce
    outcome = witness.anchor(2)
    assert outcome.created
    assert outcome.anchor.tx_hash == pending["txHash"]  # the same transaction, broadcast now
    assert sender_nonce(witness) == nonce + 1
    # A run that broadcast it and died before the receipt: resumed without a second send.
    issue(runtime, issuer, achievement_id, 1)
    pending = witness._claim(3, witness._signed_transaction(3))
    witness.web3().eth.send_raw_transaction(pending["rawTransaction"])
    assert witness.anchor(3).anchor.tx_hash == pending["txHash"]
    assert sender_nonce(witness) == nonce + 2


def test_a_tampered_checkpoint_no_longer_matches_its_anchor(
    witness: WitnessService,
    runtime: Runtime,
    client: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    rows = issue(runtime, issuer, achievement_id, 3)
    anchor = witness.anchor().anchor
    bundle = client.get(f"/credentials/{rows[0].id}/log-bundle").json()
    # The stored note is replaced by another one the log key signs for size 3 (a fork).
    with runtime.sessions() as session:
        key = runtime.transparency._signing_key(session)
    forged = sign_checkpoint(
        Checkpoint(
            origin=runtime.transparency.origin,
            tree_size=3,
            root_hash=bytes(32),
            timestamp=runtime.clock(),
        ),
        key.native,  # type: ignore[arg-type]
    )
    with transaction(runtime.sessions) as session:
        session.execute(
            update(LogCheckpointRow).where(LogCheckpointRow.size == 3).values(note=forged)
        )
    with pytest.raises(AnchorError, match="does not commit to this checkpoint"):
        witness.verify(3)
    result = runner.invoke(app, ["log", "verify-anchor", "--size", "3"])
    assert result.exit_code == 1, result.output
    assert "ANCHOR DOES NOT HOLD" in result.output
    # In a bundle: the forged checkpoint beside the real anchor fails the anchor check.
    assert check_anchor({**bundle, "checkpoint": forged}, witness.reader()).status is (
        Status.FAILED
    )
    # An anchor moved to another checkpoint (its size rewritten) fails too.
    moved = {**anchor.to_json(), "treeSize": 2}
    other = check_anchor({**bundle, "anchor": moved}, witness.reader())
    assert other.status is Status.FAILED
    assert "another checkpoint" in other.message
    # And an anchor naming another transaction on the chain.
    w3 = witness.web3()
    unrelated = w3.eth.send_transaction(
        {"from": w3.eth.accounts[1], "to": w3.eth.accounts[2], "value": 1}
    )
    w3.eth.wait_for_transaction_receipt(unrelated)
    receipt = w3.eth.get_transaction_receipt(unrelated)
    elsewhere = Anchor(
        tree_size=3,
        chain_id=anchor.chain_id,
        tx_hash="0x" + bytes(unrelated).hex(),
        block_number=receipt["blockNumber"],
        block_timestamp=Web3AnchorReader(w3)
        .transaction("0x" + bytes(unrelated).hex())
        .block_timestamp,  # type: ignore[union-attr]
    )
    wrong = check_anchor({**bundle, "anchor": elsewhere.to_json()}, witness.reader())
    assert wrong.status is Status.FAILED
    assert "does not commit" in wrong.message


def test_an_unreachable_chain_is_a_warning_never_a_failure(
    witness: WitnessService,
    runtime: Runtime,
    client: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    rows = issue(runtime, issuer, achievement_id, 1)
    witness.anchor()
    bundle = client.get(f"/credentials/{rows[0].id}/log-bundle").json()
    # Nothing listens on port 9 of loopback.
    nowhere = web3.HTTPProvider("http://127.0.0.1:9", exception_retry_configuration=None)
    check = check_anchor(bundle, Web3AnchorReader(web3.Web3(nowhere)))
    assert check.status is Status.WARNING
    assert "the chain could not be asked" in check.message
    vkey = client.get("/log/checkpoint").json()["logKey"]
    assert check_transparency(rows[0].document, bundle, vkey).status is Status.PASSED


def test_the_witness_is_off_by_default(
    runtime: Runtime, client: TestClient, issuer: IssuerFixture, achievement_id: str, tmp_path: Path
) -> None:
    defaults = Settings(data_dir=tmp_path)
    assert not defaults.anchor_enabled
    assert defaults.anchor_rpc_url is None
    assert defaults.anchor_key is None
    off = runtime.settings.model_copy(update={"anchor_enabled": False})
    runtime.settings = off
    rows = issue(runtime, issuer, achievement_id, 1)
    with pytest.raises(NotConfiguredError, match="witness is off"):
        runtime.witness.anchor()
    assert client.get("/log/checkpoint").json()["anchor"] is None
    bundle = client.get(f"/credentials/{rows[0].id}/log-bundle").json()
    assert "anchor" not in bundle
    assert check_anchor(bundle, None).status is Status.SKIPPED
    # Turning it on without a node or a key is refused with what is missing.
    with pytest.raises(InputError, match="without a node or a key") as caught:
        Settings(data_dir=tmp_path, anchor_enabled=True, anchor_rpc_url="http://127.0.0.1:8545")
    assert caught.value.found == "no MICROCRED_ANCHOR_KEY"
    with pytest.raises(InputError, match="not an HTTP URL") as caught:
        Settings(data_dir=tmp_path, anchor_rpc_url="ws://127.0.0.1:8546")
    assert caught.value.found == "ws"
    # Only the scheme is reported, never the rest of the URL (a node URL often holds an API key),
    # not even when there is no scheme at all.
    for url, found in (
        ("mainnet.example/v3/SECRETKEY", "no scheme"),
        ("wss://mainnet.example/v3/SECRETKEY", "wss"),
    ):
        with pytest.raises(InputError, match="not an HTTP URL") as caught:
            Settings(data_dir=tmp_path, anchor_rpc_url=url)
        assert caught.value.found == found
        assert "SECRETKEY" not in caught.value.diagnostics()
        assert "SECRETKEY" not in str(caught.value)


def test_a_bad_sender_key_is_refused_without_echoing_it(
    witness: WitnessService, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    issue(runtime, issuer, achievement_id, 1)
    secret = "not-a-key-but-secret-" + "x" * 20
    witness.settings = runtime.settings.model_copy(update={"anchor_key": SecretStr(secret)})
    with pytest.raises(NotConfiguredError) as caught:
        witness.anchor()
    assert secret not in caught.value.diagnostics()
    assert caught.value.expected == "64 hex digits"
    assert "not-a-key" not in repr(runtime.settings)


def test_an_unreadable_anchor_record_is_never_a_500(
    witness: WitnessService,
    runtime: Runtime,
    client: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    rows = issue(runtime, issuer, achievement_id, 1)
    with transaction(runtime.sessions) as session:
        session.execute(
            update(LogCheckpointRow)
            .where(LogCheckpointRow.size == 1)
            .values(anchor={"state": "confirmed", "anchor": {"format": "elsewhere"}})
        )
    response = client.get("/log/checkpoint/1")
    assert response.status_code == 200
    assert response.json()["anchor"] is None
    assert "anchor" not in client.get(f"/credentials/{rows[0].id}/log-bundle").json()
    # Anchoring it refuses to guess: the record is reported, nothing is sent.
    nonce = sender_nonce(witness)
    result = runner.invoke(app, ["log", "anchor", "--size", "1"])
    assert result.exit_code == 1, result.output
    assert "unknown anchor format" in result.output
    assert sender_nonce(witness) == nonce


# ---- the server's verifier checks the anchor ------------------------------------------------


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    # https, so the verify page's secure CSRF cookie comes back.
    with TestClient(create_app(runtime), base_url="https://testserver") as test_client:
        yield test_client


def checks_of(result: Any) -> dict[str, Status]:
    return {check.name: check.status for check in result.checks}


def test_the_server_verifier_checks_the_anchor_on_the_chain(
    witness: WitnessService,
    runtime: Runtime,
    web: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    rows = issue(runtime, issuer, achievement_id, 2)
    anchor = witness.anchor().anchor
    later = issue(runtime, issuer, achievement_id, 1)  # logged after the anchor
    result = runtime.verification.verifier().verify(rows[0].document)
    assert result.verified, result.checks
    assert checks_of(result)["transparency-log"] is Status.PASSED
    check = result.check("anchor")
    assert check is not None
    assert check.status is Status.PASSED, check.message
    assert check.message.endswith("checked on the chain")
    assert anchor.tx_hash in check.message
    # Not anchored yet: shown as skipped, and the credential verifies.
    fresh = runtime.verification.verifier().verify(later[0].document)
    assert fresh.verified
    assert checks_of(fresh)["anchor"] is Status.SKIPPED
    # Another server's credential has no bundle from us, so no anchor check either.
    foreign = {**rows[0].document, "id": "https://elsewhere.example/credentials/1"}
    assert runtime.verification.verifier().verify(foreign).check("anchor") is None
    # The API, the VC-API and the page run the same verifier.
    body = web.post("/api/v1/verify", json={"credential": rows[0].document}).json()
    assert body["verified"]
    assert {"name": "anchor", "status": "passed", "message": check.message} in body["checks"]
    vcapi = web.post(
        "/credentials/verify", json={"verifiableCredential": rows[0].document, "options": {}}
    ).json()
    assert vcapi["verified"], vcapi
    assert "anchor" in vcapi["checks"]
    token = csrf(web.get("/verify").text)
    url = f"{runtime.settings.base_url}/credentials/{rows[0].id}"
    page = web.post(
        "/verify", data={"url": url, "csrf_token": token}, headers={"Accept-Language": "de"}
    )
    assert page.status_code == 200
    assert 'data-check="anchor" data-status="passed"' in page.text
    assert "Verankerung in einer Blockchain" in page.text
    assert f"in der Transaktion {anchor.tx_hash} verankert" in page.text
    assert "auf der Blockchain geprüft" in page.text


def test_an_anchor_that_does_not_hold_fails_the_server_verification(
    witness: WitnessService, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    rows = issue(runtime, issuer, achievement_id, 2)
    anchor = witness.anchor().anchor
    # The stored record now claims another block than the one holding the transaction.
    moved = {**anchor.to_json(), "blockNumber": anchor.block_number + 5}
    with transaction(runtime.sessions) as session:
        session.execute(
            update(LogCheckpointRow)
            .where(LogCheckpointRow.size == 2)
            .values(anchor={"state": "confirmed", "anchor": moved})
        )
    result = runtime.verification.verifier().verify(rows[1].document)
    assert checks_of(result)["transparency-log"] is Status.PASSED  # the log itself is sound
    check = result.check("anchor")
    assert check is not None
    assert check.status is Status.FAILED
    assert "another block" in check.message
    assert not result.verified


def test_an_unreachable_chain_never_fails_the_server_verification(
    witness: WitnessService,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = issue(runtime, issuer, achievement_id, 1)
    witness.anchor()
    # The same server, now configured with a node that does not answer (nothing listens on
    # port 9 of loopback): its own connection, without the test chain.
    offline = runtime.make_witness()
    monkeypatch.setattr(runtime, "witness", offline)
    result = runtime.verification.verifier().verify(rows[0].document)
    assert result.verified, result.checks
    check = result.check("anchor")
    assert check is not None
    assert check.status is Status.WARNING
    assert "not checked: the chain could not be asked" in check.message
    assert "127.0.0.1:9" not in check.message  # the node's URL may hold an API key
    # Within the back-off the node is not asked again: the warning comes at once.
    again = runtime.verification.verifier().verify(rows[0].document).check("anchor")
    assert again is not None
    assert again.status is Status.WARNING
    assert "did not answer a moment ago" in again.message


class CountingReader:
    """A chain reader that counts the questions it is asked, or fails while ``down``."""

    def __init__(self, found: ChainTransaction | None) -> None:
        self.found, self.down, self.asked = found, False, 0

    def chain_id(self) -> int:
        return self._answer(1)

    def transaction(self, tx_hash: str) -> ChainTransaction | None:
        return self._answer(self.found)

    def _answer(self, value: Any) -> Any:
        self.asked += 1
        if self.down:
            raise ChainUnavailableError("the chain could not be asked", found="ConnectionError")
        return value


def test_verifications_share_the_chain_answers() -> None:
    mined = ChainTransaction(1, "0x" + "ab" * 32, b"data", 7, datetime.now(UTC), True)
    inner = CountingReader(mined)
    now = [0.0]
    shared = SharedAnchorReader(inner, remember=600, back_off=30, monotonic=lambda: now[0])
    assert (shared.chain_id(), shared.transaction(mined.tx_hash)) == (1, mined)
    assert (shared.chain_id(), shared.transaction(mined.tx_hash)) == (1, mined)
    assert inner.asked == 2  # the second verification asked nothing
    inner.found = None  # an unknown transaction is asked about each time
    assert shared.transaction("0x" + "cd" * 32) is None
    assert shared.transaction("0x" + "cd" * 32) is None
    assert inner.asked == 4
    now[0] = 601.0  # remembered answers expire (a reorganised chain shows)
    inner.down = True
    with pytest.raises(ChainUnavailableError, match="could not be asked"):
        shared.chain_id()
    with pytest.raises(ChainUnavailableError, match="did not answer a moment ago"):
        shared.transaction(mined.tx_hash)
    assert inner.asked == 5  # backing off: the node was not asked the second time
    inner.down, inner.found = False, mined
    now[0] = 632.0
    assert shared.transaction(mined.tx_hash) == mined
    assert inner.asked == 6


def test_with_the_witness_off_the_verifier_has_no_anchor_check(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"anchor_enabled": False})
    (row,) = issue(runtime, issuer, achievement_id, 1)
    result = runtime.verification.verifier().verify(row.document)
    assert result.verified
    assert checks_of(result)["transparency-log"] is Status.PASSED
    assert result.check("anchor") is None


# ---- the periodic job ---------------------------------------------------------------------------

SECRET_URL = "http://user:node-api-key@node.example/v3/0123secret"


@pytest.fixture
def hourly(runtime: Runtime, witness: WitnessService) -> FakeClock:
    """Anchors every 60 minutes; the runtime's clock is moved by hand from now."""
    witness.settings = runtime.settings.model_copy(update={"anchor_interval_minutes": 60})
    fake = FakeClock(datetime.now(UTC))
    witness.clock = fake  # the witness's own clock: the services were built with theirs
    return fake


def anchor_of(runtime: Runtime, size: int) -> Any:
    with runtime.sessions() as session:
        row = session.get(LogCheckpointRow, size)
        assert row is not None
        return row.anchor


def failing(chain: Any, monkeypatch: pytest.MonkeyPatch, methods: set[str] | None = None) -> None:
    """Make the chain refuse ``methods`` (all if None) as a node that cannot be reached would,
    with an error whose text holds the node's URL (and so its API key)."""
    real = chain.make_request

    def make_request(method: str, params: Any) -> Any:
        if methods is None or method in methods:
            raise ConnectionError(f"cannot reach {SECRET_URL}")
        return real(method, params)

    monkeypatch.setattr(chain, "make_request", make_request)
    # web3 composes its middleware around make_request once and keeps it: start again.
    monkeypatch.setattr(chain, "_request_func_cache", (None, None))


def test_the_job_anchors_once_then_waits_for_the_interval(
    hourly: FakeClock,
    witness: WitnessService,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="microcred.transparency.witness")
    issue(runtime, issuer, achievement_id, 2)
    nonce = sender_nonce(witness)
    runtime.queue.enqueue(ANCHOR_JOB)
    assert sender_nonce(witness) == nonce + 1
    first = anchor_of(runtime, 2)
    assert first["state"] == "confirmed"
    assert f"anchored checkpoint 2 in transaction {first['anchor']['txHash']}" in caplog.text
    runtime.queue.enqueue(ANCHOR_JOB)  # the second run sends nothing
    assert sender_nonce(witness) == nonce + 1
    assert anchor_of(runtime, 2) == first
    # The log grows; the next anchor waits until the last one is an interval old.
    issue(runtime, issuer, achievement_id, 1)
    hourly.advance(minutes=59)
    runtime.queue.enqueue(ANCHOR_JOB)
    assert sender_nonce(witness) == nonce + 1
    assert anchor_of(runtime, 3) is None
    hourly.advance(minutes=2)
    runtime.queue.enqueue(ANCHOR_JOB)
    assert sender_nonce(witness) == nonce + 2
    assert anchor_of(runtime, 3)["state"] == "confirmed"


def test_the_job_exists_only_with_the_witness_on_and_an_interval(settings: Settings) -> None:
    on = {"anchor_interval_minutes": 15}
    for change in ({}, {**on, "anchor_enabled": False}, {"anchor_interval_minutes": 0}):
        runtime = Runtime(settings.model_copy(update=change))
        try:
            with pytest.raises(NotFoundError, match="no such job"):
                runtime.queue.enqueue(ANCHOR_JOB)
        finally:
            runtime.close()
    assert Settings().anchor_interval_minutes == 0  # off by default
    runtime = Runtime(settings.model_copy(update=on))
    try:
        assert ANCHOR_JOB in runtime.queue._tasks
    finally:
        runtime.close()


def test_a_failed_run_is_logged_without_secrets_and_retried(
    hourly: FakeClock,
    witness: WitnessService,
    runtime: Runtime,
    chain: Any,
    issuer: IssuerFixture,
    achievement_id: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issue(runtime, issuer, achievement_id, 1)
    nonce = sender_nonce(witness)
    key = runtime.settings.anchor_key.get_secret_value()  # type: ignore[union-attr]
    with monkeypatch.context() as down:
        failing(chain, down)
        runtime.queue.enqueue(ANCHOR_JOB)  # never raises: the job logs and gives up for now
    assert anchor_of(runtime, 1) is None
    assert "anchoring failed, tried again next time: ChainUnavailableError" in caplog.text
    for secret in ("node-api-key", "0123secret", key, key.removeprefix("0x")):
        assert secret not in caplog.text
    assert sender_nonce(witness) == nonce
    # Signed and recorded, then the broadcast fails: the next run sends that same transaction.
    caplog.clear()
    with monkeypatch.context() as down:
        failing(chain, down, {"eth_sendRawTransaction"})
        runtime.queue.enqueue(ANCHOR_JOB)
    pending = anchor_of(runtime, 1)
    assert pending["state"] == "pending"
    assert "ChainUnavailableError" in caplog.text
    assert pending["rawTransaction"] not in caplog.text
    runtime.queue.enqueue(ANCHOR_JOB)
    done = anchor_of(runtime, 1)
    assert done["state"] == "confirmed"
    assert done["anchor"]["txHash"] == pending["txHash"]
    assert sender_nonce(witness) == nonce + 1


def test_a_pending_anchor_overtaken_by_another_is_dropped_then_signed_anew(
    hourly: FakeClock,
    witness: WitnessService,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    # Two runs signed at once for different checkpoints: both transactions got one nonce.
    issue(runtime, issuer, achievement_id, 2)
    witness._claim(2, witness._signed_transaction(2))
    issue(runtime, issuer, achievement_id, 1)
    stuck = witness._claim(3, witness._signed_transaction(3))
    assert stuck["nonce"] == anchor_of(runtime, 2)["nonce"]
    assert witness.anchor(2).created  # this one is mined with that nonce
    # The job resumes the pending record, finds it can never be mined, and drops it ...
    with pytest.raises(AnchorError, match="can no longer be mined"):
        witness.anchor_due()
    assert anchor_of(runtime, 3) is None
    # ... so once the interval has passed, checkpoint 3 is anchored with a new transaction.
    assert witness.anchor_due() is None
    hourly.advance(minutes=61)
    outcome = witness.anchor_due()
    assert outcome is not None
    assert outcome.created
    assert outcome.anchor.tree_size == 3
    assert outcome.anchor.tx_hash != stuck["txHash"]
    assert witness.verify(3).succeeded


def reverting(chain: Any, monkeypatch: pytest.MonkeyPatch, tx_hash: str) -> None:
    """Make the chain report transaction ``tx_hash`` as mined but reverted (status 0).

    The anchor is a zero-value transaction to the sender itself, so no code runs and the local
    chain cannot revert it; a node reports a reverted transaction exactly so, as a receipt with
    status 0, and this is the provider's answer we change. Everything else is the real chain."""
    real = chain.make_request

    def make_request(method: str, params: Any) -> Any:
        response = real(method, params)
        result = response.get("result")
        if (
            method == "eth_getTransactionReceipt"
            and isinstance(result, dict)
            and str(result.get("transaction_hash")).lower() == tx_hash.lower()
        ):
            response = {**response, "result": {**result, "status": 0}}
        return response

    monkeypatch.setattr(chain, "make_request", make_request)
    # web3 composes its middleware around make_request once and keeps it: start again.
    monkeypatch.setattr(chain, "_request_func_cache", (None, None))


def test_a_reverted_anchor_is_dropped_then_signed_anew(
    hourly: FakeClock,
    witness: WitnessService,
    runtime: Runtime,
    chain: Any,
    issuer: IssuerFixture,
    achievement_id: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reverted anchor transaction can never confirm: its record is dropped, so the next run
    signs a new one instead of resuming the reverted one (and failing) at every run."""
    issue(runtime, issuer, achievement_id, 2)
    nonce = sender_nonce(witness)
    with monkeypatch.context() as reverted:
        reverting(chain, reverted, witness._claim(2, witness._signed_transaction(2))["txHash"])
        with pytest.raises(AnchorError, match="failed on the chain") as caught:
            witness.anchor_due()  # resumes the pending record: broadcast, mined, reverted
        assert anchor_of(runtime, 2) is None
        assert "dropped" in caught.value.message
        first = caught.value.found
        assert sender_nonce(witness) == nonce + 1  # a reverted transaction still uses its nonce
    # The next run of the job (a minute later, not an interval: nothing is anchored yet)
    # signs and sends a new transaction, and it is confirmed.
    hourly.advance(minutes=1)
    runtime.queue.enqueue(ANCHOR_JOB)
    done = anchor_of(runtime, 2)
    assert done["state"] == "confirmed"
    assert done["anchor"]["txHash"] != first
    assert sender_nonce(witness) == nonce + 2
    assert "anchoring failed" not in caplog.text
    assert witness.verify(2).succeeded


def test_the_chain_libraries_leave_the_recursion_limit_as_it_was() -> None:
    """py_ecc raises the limit to 100,000 when web3 is imported; the server keeps its own, so a
    request nested 200,000 deep is a RecursionError to refuse, not a crash of the process."""
    script = """
import json, sys
from microcred.settings import Settings
from microcred.transparency.witness import WitnessService
before = sys.getrecursionlimit()
settings = Settings(anchor_rpc_url="http://127.0.0.1:9")
WitnessService(None, clock=None, settings=settings, latest_checkpoint=None).web3()
assert "web3" in sys.modules and "py_ecc" in sys.modules, sorted(sys.modules)[:20]
assert sys.getrecursionlimit() == before, (before, sys.getrecursionlimit())
try:
    json.loads("[" * 200_000 + "]" * 200_000)
except RecursionError:
    print("refused")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"
