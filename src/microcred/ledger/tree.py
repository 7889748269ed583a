"""An append-only RFC 9162 Merkle log with O(1) amortised append.

The log keeps its *frontier* (a compact range): the roots of the perfect subtrees that cover
leaves [0, size), largest first, one per set bit of ``size``. Appending a leaf is binary
increment: while the lowest frontier subtree has the same height as the carry, merge the two into
their parent. Every merge completes a perfect subtree whose hash is final, so it goes to the
store; on average an append writes one leaf and one node and computes two hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from microcred.errors import LogProofError
from microcred.ledger._subtrees import fold, perfect_subtrees
from microcred.ledger.hashing import leaf_hash, node_hash
from microcred.ledger.store import LogStore, StoredNode


class MerkleLog:
    """An append-only log over a :class:`LogStore`.

    One instance per writer. The frontier is read from the store once, on construction (one
    batched read of at most 64 hashes). If the store rejects an append because another writer
    moved the log on, this instance is stale: build a new one.
    """

    def __init__(self, store: LogStore) -> None:
        self._store = store
        self._size = store.size()
        self._frontier = store.node_hashes(perfect_subtrees(0, self._size))

    @property
    def store(self) -> LogStore:
        return self._store

    @property
    def size(self) -> int:
        """The number of entries in the log."""
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """The roots of the perfect subtrees covering the log, largest (leftmost) first."""
        return tuple(self._frontier)

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` entries (default: all of them).

        The current root comes from the frontier without reading the store; an older one takes
        one batched read of O(log n) stored hashes.
        """
        if size is None or size == self._size:
            return fold(self._frontier)
        return prefix_root(self._store, size)

    def append(self, entry: bytes) -> int:
        """Append one entry; returns its index."""
        return self.append_leaf_hashes([leaf_hash(entry)]).start

    def extend(self, entries: Iterable[bytes]) -> range:
        """Append entries in one store write; returns their indices."""
        return self.append_leaf_hashes([leaf_hash(entry) for entry in entries])

    def append_leaf_hashes(self, leaf_hashes: Sequence[bytes]) -> range:
        """Append pre-hashed entries (``leaf_hash(entry)``) in one store write.

        The frontier is updated only after the store accepted the write, so a failed write leaves
        this log exactly as it was.
        """
        start = self._size
        frontier = list(self._frontier)
        nodes: list[StoredNode] = []
        size = start
        for value in leaf_hashes:
            carry = size  # the set low bits of the old size are the subtrees the new leaf completes
            size += 1
            level = 0
            while carry & 1:
                value = node_hash(frontier.pop(), value)
                level += 1
                # The completed subtree ends at the new size, which 2**level divides.
                nodes.append((level, (size >> level) - 1, value))
                carry >>= 1
            frontier.append(value)
        self._store.append(start=start, leaf_hashes=leaf_hashes, nodes=nodes)
        self._frontier = frontier
        self._size = size
        return range(start, size)


def prefix_root(store: LogStore, size: int) -> bytes:
    """MTH of the first ``size`` leaves of ``store``, from O(log size) stored hashes."""
    stored = store.size()
    if not 0 <= size <= stored:
        raise LogProofError(
            "tree size is outside the log", expected=f"0 <= size <= {stored}", found=str(size)
        )
    return fold(store.node_hashes(perfect_subtrees(0, size)))
