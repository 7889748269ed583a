"""``microcred log audit`` and ``microcred log verify-bundle`` on files, offline; and the
fetcher's limits (loopback only unless allowed, size-limited, http(s) only)."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from microcred.cli.log import http_fetcher
from microcred.cli.main import app
from microcred.errors import FetchError
from microcred.ledger import (
    Checkpoint,
    MemoryLogStore,
    MerkleLog,
    consistency_proof,
    inclusion_proof,
    sign_checkpoint,
    verifier_key,
)
from microcred.verify.log_check import issuance_entry

ORIGIN = "badges.example.org/log"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
runner = CliRunner()
KEY = Ed25519PrivateKey.generate()
VKEY = verifier_key(ORIGIN, KEY.public_key())


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def make_log(entries: list[bytes]) -> MerkleLog:
    log = MerkleLog(MemoryLogStore())
    log.extend(entries)
    return log


def note(log: MerkleLog, size: int, key: Ed25519PrivateKey = KEY) -> str:
    checkpoint = Checkpoint(origin=ORIGIN, tree_size=size, root_hash=log.root(size), timestamp=NOW)
    return sign_checkpoint(checkpoint, key)


def write(path: Path, content: object) -> str:
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


ENTRIES = [f"entry {i}".encode() for i in range(11)]


def test_audit_accepts_an_extended_log(tmp_path: Path) -> None:
    log = make_log(ENTRIES)
    old = write(tmp_path / "old.txt", note(log, 6))
    new = write(tmp_path / "new.json", {"note": note(log, 11)})
    proof = write(
        tmp_path / "proof.json",
        {"consistencyProof": [b64(h) for h in consistency_proof(log.store, 6, 11)]},
    )
    code, output = run("log", "audit", old, new, "--log-key", VKEY, "--proof", proof)
    assert code == 0, output
    assert "size 11 extends size 6" in output
    key_file = write(tmp_path / "log.vkey", VKEY + "\n")
    code, output = run("log", "audit", old, old, "--log-key", key_file)
    assert code == 0, output


def test_audit_detects_a_rewritten_history(tmp_path: Path) -> None:
    honest = make_log(ENTRIES)
    rewritten = make_log([*ENTRIES[:3], b"forged", *ENTRIES[4:]])
    old = write(tmp_path / "old.txt", note(honest, 6))
    new = write(tmp_path / "new.txt", note(rewritten, 11))
    # The rewriter's own proof cannot link the old root to the new one.
    proof = write(
        tmp_path / "proof.json", [b64(h) for h in consistency_proof(rewritten.store, 6, 11)]
    )
    code, output = run("log", "audit", old, new, "--log-key", VKEY, "--proof", proof)
    assert code == 1, output
    assert "NOT CONSISTENT" in output


def test_audit_detects_a_fork_of_one_size(tmp_path: Path) -> None:
    honest = make_log(ENTRIES)
    fork = make_log([*ENTRIES[:7], b"other"])
    first = write(tmp_path / "a.txt", note(honest, 8))
    second = write(tmp_path / "b.txt", note(fork, 8))
    code, output = run("log", "audit", first, second, "--log-key", VKEY)
    assert code == 1, output
    assert "fork" in output


def test_audit_refuses_checkpoints_from_another_key(tmp_path: Path) -> None:
    log = make_log(ENTRIES)
    old = write(tmp_path / "old.txt", note(log, 8))
    stranger = write(tmp_path / "new.txt", note(log, 8, Ed25519PrivateKey.generate()))
    code, output = run("log", "audit", old, stranger, "--log-key", VKEY)
    assert code == 1, output
    assert "not signed by the log key" in output


def test_audit_reports_unusable_input(tmp_path: Path) -> None:
    log = make_log(ENTRIES)
    old = write(tmp_path / "old.txt", note(log, 5))
    new = write(tmp_path / "new.txt", note(log, 9))
    code, output = run("log", "audit", old, str(tmp_path / "missing"), "--log-key", VKEY)
    assert code == 2, output
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"x" * (2 * 1024 * 1024))
    code, output = run("log", "audit", old, str(huge), "--log-key", VKEY)
    assert code == 2, output
    assert "too large" in output
    code, output = run("log", "audit", old, new, "--log-key", VKEY)  # no proof source
    assert code == 2, output
    assert "no consistency proof" in output
    code, output = run("log", "audit", old, new, "--log-key", "not-a-key")
    assert code == 2, output
    code, output = run("log", "audit", old, new)
    assert code == 2, output
    assert "no log key" in output
    code, output = run("log", "audit", old, "https://192.0.2.1/log/checkpoint", "--log-key", VKEY)
    assert code == 2, output
    assert "outside the networks this fetch may reach" in output


def test_verify_bundle_offline(tmp_path: Path) -> None:
    credential = {"id": "https://badges.example.org/credentials/abc", "type": ["X"], "n": 1}
    entries = [*ENTRIES[:4], issuance_entry(credential), *ENTRIES[4:]]
    log = make_log(entries)
    bundle = {
        "type": "MicrocredLogInclusion",
        "credentialId": credential["id"],
        "leafIndex": 4,
        "treeSize": 9,
        "inclusionProof": [b64(h) for h in inclusion_proof(log.store, 4, 9)],
        "checkpoint": note(log, 9),
    }
    cred_file = write(tmp_path / "credential.json", credential)
    bundle_file = write(tmp_path / "bundle.json", bundle)
    code, output = run("log", "verify-bundle", cred_file, bundle_file, "--log-key", VKEY)
    assert code == 0, output
    assert "transparency-log passed" in output
    envelope = write(tmp_path / "export.json", {"credential": credential, "logBundle": bundle})
    code, output = run("log", "verify-bundle", envelope, "--log-key", VKEY)
    assert code == 0, output
    # A credential changed after issuance, or one that was never logged, fails.
    changed = write(tmp_path / "changed.json", {**credential, "n": 2})
    code, output = run("log", "verify-bundle", changed, bundle_file, "--log-key", VKEY)
    assert code == 1, output
    other = write(tmp_path / "other.json", {**credential, "id": "https://badges.example.org/x"})
    code, output = run("log", "verify-bundle", other, bundle_file, "--log-key", VKEY)
    assert code == 1, output
    assert "another credential" in output
    code, output = run("log", "verify-bundle", cred_file, bundle_file)
    assert code == 2, output


# --- the fetcher -------------------------------------------------------------------------------


@pytest.fixture
def local_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"x" * (2048 if self.path == "/big" else 10)
            self.send_response(200 if self.path != "/missing" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_fetcher_limits(local_server: str) -> None:
    fetch = http_fetcher(max_bytes=1024, timeout=5)
    assert fetch(f"{local_server}/small") == b"x" * 10
    with pytest.raises(FetchError, match="too large"):
        fetch(f"{local_server}/big")
    with pytest.raises(FetchError, match="200"):
        fetch(f"{local_server}/missing")
    with pytest.raises(FetchError, match="outside the networks"):
        fetch("http://192.0.2.1/log/checkpoint")
    with pytest.raises(FetchError, match="outside the networks"):
        fetch("http://10.1.2.3/log/checkpoint")  # private is not loopback either
    with pytest.raises(FetchError, match="http"):
        fetch("file:///etc/passwd")
