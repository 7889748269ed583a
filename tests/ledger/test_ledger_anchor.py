"""The pure part of anchoring: the transaction data and the anchor record, read strictly.
(Anchoring on a chain is tested in tests/platform/test_transparency_anchor.py.)"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.errors import AnchorError
from microcred.ledger import Checkpoint, CheckpointError, sign_checkpoint
from microcred.ledger.anchor import ANCHOR_FORMAT, Anchor, anchor_data

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOTE = sign_checkpoint(
    Checkpoint(origin="example.org/log", tree_size=258, root_hash=b"\x07" * 32, timestamp=AT),
    Ed25519PrivateKey.generate(),
)
GOOD: dict[str, Any] = {
    "format": ANCHOR_FORMAT,
    "treeSize": 258,
    "chainId": 1,
    "txHash": "0x" + "ab" * 32,
    "blockNumber": 19_000_000,
    "blockTimestamp": "2026-03-01T12:00:12Z",
}


def test_anchor_data_commits_to_size_root_and_the_whole_note() -> None:
    data = anchor_data(NOTE)
    assert data == (
        b"microcred-anchor/v1\n"
        + (258).to_bytes(8, "big")
        + b"\x07" * 32
        + sha256(NOTE.encode()).digest()
    )
    # Any change to the note (here its signature line) changes the data.
    other = NOTE[:-3] + ("A" if NOTE[-3] != "A" else "B") + NOTE[-2:]
    assert anchor_data(other) != data
    with pytest.raises(CheckpointError):
        anchor_data("not a checkpoint")


def test_anchor_record_round_trips() -> None:
    anchor = Anchor.from_json(GOOD)
    assert anchor.block_timestamp == datetime(2026, 3, 1, 12, 0, 12, tzinfo=UTC)
    assert anchor.to_json() == GOOD
    assert Anchor.from_json(anchor.to_json()) == anchor


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "v0"}, "unknown anchor format"),
        ({"txHash": "0x1234"}, "no valid txHash"),
        ({"txHash": "0x" + "AB" * 32}, "no valid txHash"),
        ({"blockTimestamp": "2026-03-01T12:00:12"}, "no valid blockTimestamp"),
        ({"blockTimestamp": "yesterday"}, "no valid blockTimestamp"),
        ({"blockNumber": -1}, "no valid blockNumber"),
        ({"chainId": True}, "no valid chainId"),
        ({"treeSize": "258"}, "no valid treeSize"),
    ],
)
def test_a_malformed_anchor_record_says_which_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(AnchorError, match=message):
        Anchor.from_json({**GOOD, **change})


def test_anchor_record_must_be_an_object() -> None:
    with pytest.raises(AnchorError, match="JSON object"):
        Anchor.from_json(["not", "an", "object"])


def test_the_server_runs_without_web3_until_a_chain_is_used(tmp_path: Any) -> None:
    # The witness is optional: building the app, reading checkpoints and bundles, verifying
    # must not import web3 (a server without it runs with the witness off).
    script = f"""
import sys
from pathlib import Path
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.web.app import create_app
import microcred.cli.main
runtime = Runtime(Settings(data_dir=Path({str(tmp_path)!r})))
create_app(runtime)
runtime.transparency.latest_checkpoint()
runtime.witness
runtime.queue  # every feature's jobs registered (the anchor job is not, with the witness off)
# The server's verifier (page, API, VC-API) leaves the chain alone too.
ours = runtime.settings.base_url + "/credentials/00000000-0000-4000-8000-000000000000"
result = runtime.verification.verifier().verify({{"id": ours, "type": ["VerifiableCredential"]}})
assert result.check("anchor") is None, result.checks
assert result.check("transparency-log") is not None, result.checks
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("web3", "eth_account", "eth_tester"))
assert not loaded, loaded
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
