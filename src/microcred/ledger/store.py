"""The storage port of the log, and an in-memory adapter.

A store holds hashes only, and only ones that never change: leaf hashes (level 0) and the roots
of complete perfect subtrees (level >= 1). A log of n leaves holds n leaf hashes and fewer than n
node hashes, so every root and proof is O(log n) reads and the tree is never recomputed. The
SQL adapter the platform will add is two append-only tables; see docs/design/ledger.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from microcred.errors import LogStoreError, short
from microcred.ledger._subtrees import NodeKey as NodeKey
from microcred.ledger.hashing import HASH_SIZE

StoredNode = tuple[int, int, bytes]
"""``(level, index, hash)`` of a perfect subtree that an append has just completed (level >= 1)."""


class LogStore(Protocol):
    """What the log needs from storage. Implementations must make :meth:`append` atomic."""

    def size(self) -> int:
        """The number of leaves stored."""
        ...

    def append(
        self, *, start: int, leaf_hashes: Sequence[bytes], nodes: Sequence[StoredNode]
    ) -> None:
        """Store ``leaf_hashes`` at indices ``start, start+1, ...`` and the nodes they complete.

        All or nothing. ``start`` must equal :meth:`size`, otherwise another writer got there
        first and the store raises :class:`LogStoreError` without writing: the caller's frontier
        is stale.
        """
        ...

    def leaf_hash(self, index: int) -> bytes:
        """The hash of leaf ``index``; :class:`LogStoreError` if there is no such leaf."""
        ...

    def node_hashes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """The hashes at ``(level, index)``, in order; level 0 are leaf hashes.

        One call per proof, so an SQL adapter answers it with one query. Raises
        :class:`LogStoreError` if any of them is not stored.
        """
        ...


class MemoryLogStore:
    """A :class:`LogStore` in process memory: one ``bytearray`` of packed hashes per level.

    Packed arrays cost 32 bytes per hash instead of about 65 for a ``bytes`` object in a list,
    which is what lets ten million entries fit comfortably.
    """

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]

    def size(self) -> int:
        return len(self._levels[0]) // HASH_SIZE

    def append(
        self, *, start: int, leaf_hashes: Sequence[bytes], nodes: Sequence[StoredNode]
    ) -> None:
        size = self.size()
        if start != size:
            raise LogStoreError(
                "append does not continue the log", expected=f"start {size}", found=f"start {start}"
            )
        new_size = size + len(leaf_hashes)
        for value in leaf_hashes:
            check_hash(value)
        # Validate the whole batch before writing anything, so a bad batch leaves no trace.
        # Nodes of a level are completed left to right, so each must be the next at its level.
        pending: dict[int, int] = {}
        for level, index, value in nodes:
            check_hash(value)
            next_index = self._count(level) + pending.get(level, 0)
            if level < 1 or index != next_index or (index + 1) << level > new_size:
                raise LogStoreError(
                    "node is out of place",
                    expected=f"level >= 1, index {next_index}, within {new_size} leaves",
                    found=f"level {level}, index {index}",
                )
            pending[level] = pending.get(level, 0) + 1
        self._levels[0] += b"".join(leaf_hashes)
        for level, _index, value in nodes:
            while level >= len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += value

    def leaf_hash(self, index: int) -> bytes:
        return self._get(0, index)

    def node_hashes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        return [self._get(level, index) for level, index in keys]

    def _count(self, level: int) -> int:
        return len(self._levels[level]) // HASH_SIZE if 0 <= level < len(self._levels) else 0

    def _get(self, level: int, index: int) -> bytes:
        if 0 <= level < len(self._levels):
            hashes = self._levels[level]
            offset = index * HASH_SIZE
            if 0 <= offset < len(hashes):
                return bytes(hashes[offset : offset + HASH_SIZE])
        raise LogStoreError(
            "node is not stored",
            expected=f"a stored node (the log has {self.size()} leaves)",
            found=f"level {level}, index {index}",
        )


def check_hash(value: bytes) -> None:
    """Refuse a value that is not a SHA-256 hash (for every LogStore adapter)."""
    if len(value) != HASH_SIZE:
        raise LogStoreError(
            "hash has wrong size", expected=f"{HASH_SIZE} bytes", found=short(value)
        )
