"""An RFC 9162 transparency log, pure: hashing, an append-only tree, proofs, signed checkpoints.

No database and no network: storage comes in through the :class:`LogStore` port, and
:class:`MemoryLogStore` is the in-process adapter. See docs/design/ledger.md.
"""

from __future__ import annotations

from microcred.errors import CheckpointError, LogProofError, LogStoreError
from microcred.ledger.checkpoint import (
    Checkpoint,
    UnverifiedCheckpoint,
    log_key_id,
    parse_checkpoint,
    sign_checkpoint,
    verifier_key,
    verify_checkpoint,
)
from microcred.ledger.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from microcred.ledger.proofs import (
    consistency_proof,
    consistency_proof_size,
    inclusion_proof,
    inclusion_proof_size,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from microcred.ledger.store import LogStore, MemoryLogStore, NodeKey, StoredNode
from microcred.ledger.tree import MerkleLog, prefix_root

__all__ = [
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
]
