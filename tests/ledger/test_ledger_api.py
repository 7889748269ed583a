"""The public surface of microcred.ledger: what it exports, and that it stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

import microcred.ledger as ledger
from microcred.errors import MicrocredError

EXPECTED = {
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Checkpoint",
    "CheckpointError",
    "LogProofError",
    "LogStore",
    "LogStoreError",
    "MemoryLogStore",
    "MerkleLog",
    "NodeKey",
    "StoredNode",
    "UnverifiedCheckpoint",
    "consistency_proof",
    "consistency_proof_size",
    "inclusion_proof",
    "inclusion_proof_size",
    "leaf_hash",
    "log_key_id",
    "node_hash",
    "parse_checkpoint",
    "prefix_root",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "sign_checkpoint",
    "verifier_key",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
}


def test_exported_names() -> None:
    assert set(ledger.__all__) == EXPECTED
    for name in ledger.__all__:
        assert hasattr(ledger, name), name


def test_errors_derive_from_the_microcred_root() -> None:
    assert issubclass(ledger.LogProofError, MicrocredError)
    assert issubclass(ledger.CheckpointError, ledger.LogProofError)
    assert issubclass(ledger.LogStoreError, MicrocredError)


def test_memory_store_satisfies_the_port() -> None:
    store: ledger.LogStore = ledger.MemoryLogStore()
    assert store.size() == 0


def test_ledger_imports_nothing_outside_the_standard_library_but_cryptography() -> None:
    # docs/design/engine.md: ledger never imports a web framework, a database driver or an
    # HTTP client.
    allowed = {"__future__", "base64", "binascii", "collections", "dataclasses", "datetime"}
    allowed |= {"functools", "hashlib", "re", "typing", "cryptography", "microcred"}
    package = Path(ledger.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed, (module.name, roots)
