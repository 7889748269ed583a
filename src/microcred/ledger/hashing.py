"""RFC 9162 section 2.1.1 Merkle tree hashing with SHA-256.

Leaves and interior nodes get different one-byte prefixes so that an interior node can never be
presented as a leaf (or the reverse): without the domain separation, a 64-byte entry could
collide with the concatenation of two child hashes (a second-preimage attack on the tree).
"""

from __future__ import annotations

from hashlib import sha256
from typing import Final

HASH_SIZE: Final = 32
"""Bytes in every hash the log produces (SHA-256)."""

LEAF_PREFIX: Final = b"\x00"
NODE_PREFIX: Final = b"\x01"

EMPTY_ROOT: Final = sha256(b"").digest()
"""MTH({}): the root of the tree with no leaves is the hash of the empty string."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the hash of one log entry."""
    return sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node from its two children."""
    return sha256(NODE_PREFIX + left + right).digest()
