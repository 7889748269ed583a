"""A full recheck of a stored log: recompute every hash from the entries and compare.

An inclusion proof reads O(log n) stored hashes, so a leaf changed behind the log's back fails
only proofs that pass through it. The recheck reads everything once, in index order, a chunk
at a time (memory stays bounded by the chunk, whatever the size of the log):

1. every leaf hash must be ``leaf_hash(entry)`` and the indices must have no gaps;
2. every perfect subtree the leaves complete is recomputed from the *recomputed* children
   and compared with the stored node (so a changed node is reported where it was changed);
3. every kept checkpoint's root, as stored and as written in its signed note, must be the
   root of the recomputed tree of its size, and the note must carry a valid signature by one of
   the log's keys (retired keys still count: they signed the older checkpoints); no
   checkpoint may be larger than the log;
4. no level may hold more nodes than a tree of this size has.

The first difference raises :class:`RecheckError` with what was expected and what was found.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from microcred.errors import CheckpointError, MicrocredError, RecheckError
from microcred.ledger._note import NoteSignature
from microcred.ledger._subtrees import fold
from microcred.ledger.checkpoint import log_key_id, parse_checkpoint, verify_checkpoint
from microcred.ledger.hashing import EMPTY_ROOT, leaf_hash, node_hash

DEFAULT_CHUNK: Final = 1 << 14
"""Leaves read per query; a power of two keeps the node ranges of a chunk aligned."""


StoredLeaf = tuple[int, bytes, bytes]
"""``(index, entry, stored leaf hash)``."""

StoredCheckpoint = tuple[int, bytes, str]
"""``(tree size, stored root hash, signed note)``."""


class RecheckSource(Protocol):
    """What the recheck reads. Every method reads a bounded range, in key order."""

    def size(self) -> int: ...

    def leaves_between(self, start: int, end: int) -> Iterable[StoredLeaf]:
        """Stored leaves with ``start <= index < end``, by index."""
        ...

    def nodes_between(
        self, ranges: Mapping[int, tuple[int, int]]
    ) -> Iterable[tuple[int, int, bytes]]:
        """Stored nodes ``(level, index, hash)`` with ``low <= index < high`` per level."""
        ...

    def checkpoints_between(self, low: int, high: int | None) -> Iterable[StoredCheckpoint]:
        """Stored checkpoints with ``low <= size < high`` (no upper bound if None), by size."""
        ...

    def node_counts(self) -> Mapping[int, int]:
        """How many nodes each level holds."""
        ...


@dataclass(frozen=True)
class RecheckReport:
    size: int
    root: bytes
    nodes: int
    checkpoints: int

    def summary(self) -> str:
        return (
            f"{self.size} entries, {self.nodes} nodes and {self.checkpoints} checkpoints "
            f"recomputed; root {base64.b64encode(self.root).decode('ascii')}"
        )


class _Tree:
    """The frontier of the recomputed tree, and the nodes each leaf completes."""

    def __init__(self) -> None:
        self.size = 0
        self.frontier: list[bytes] = []

    def add(self, value: bytes, completed: list[tuple[int, int, bytes]]) -> None:
        carry = self.size
        self.size += 1
        level = 0
        while carry & 1:
            value = node_hash(self.frontier.pop(), value)
            level += 1
            completed.append((level, (self.size >> level) - 1, value))
            carry >>= 1
        self.frontier.append(value)


@dataclass(frozen=True)
class _LogKeys:
    origin: str
    keys: Sequence[Ed25519PublicKey]


def recheck(
    source: RecheckSource,
    *,
    origin: str,
    log_keys: Sequence[Ed25519PublicKey],
    chunk: int = DEFAULT_CHUNK,
) -> RecheckReport:
    """Recompute the log held by ``source``; raise :class:`RecheckError` at the first difference.

    Every checkpoint's note must be signed for ``origin`` by one of ``log_keys``.
    """
    if chunk < 1:
        raise ValueError("chunk must be positive")
    keys = _LogKeys(origin, tuple(log_keys))
    size = source.size()
    tree = _Tree()
    nodes = checkpoints = 0
    for checkpoint in source.checkpoints_between(0, 1):
        _check_checkpoint(checkpoint, EMPTY_ROOT, keys)
        checkpoints += 1
    for start in range(0, size, chunk):
        end = min(start + chunk, size)
        leaves = list(source.leaves_between(start, end))
        marks = list(source.checkpoints_between(start + 1, end + 1))
        stored = _nodes_completed_between(source, start, end)
        completed: list[tuple[int, int, bytes]] = []
        position = 0
        # Everything is compared in the order the log was written, so the first difference
        # reported is the earliest one.
        for mark in [*marks, None]:
            stop = end if mark is None else mark[0]
            while tree.size < stop:
                _add_leaf(tree, leaves, position, completed)
                position += 1
                _compare_nodes(completed, stored)
                nodes += len(completed)
                completed.clear()
            if mark is not None:
                _check_checkpoint(mark, fold(tree.frontier), keys)
                checkpoints += 1
    _check_node_counts(source, size)
    for beyond in source.checkpoints_between(size + 1, None):
        raise RecheckError(
            "a checkpoint is larger than the log",
            expected=f"tree size <= {size}",
            found=f"tree size {beyond[0]}",
        )
    return RecheckReport(size=size, root=fold(tree.frontier), nodes=nodes, checkpoints=checkpoints)


def _add_leaf(
    tree: _Tree, leaves: Sequence[StoredLeaf], position: int, out: list[tuple[int, int, bytes]]
) -> None:
    expected_index = tree.size
    if position >= len(leaves) or leaves[position][0] != expected_index:
        found = "nothing" if position >= len(leaves) else f"leaf {leaves[position][0]}"
        raise RecheckError("a leaf is missing", expected=f"leaf {expected_index}", found=found)
    _index, entry, stored = leaves[position]
    value = leaf_hash(entry)
    if stored != value:
        raise RecheckError(
            f"leaf {expected_index}: the stored leaf hash is not the hash of its entry",
            expected=_b64(value),
            found=_b64(stored),
        )
    tree.add(value, out)


def _nodes_completed_between(
    source: RecheckSource, start: int, end: int
) -> dict[tuple[int, int], bytes]:
    """The stored nodes that appending leaves [start, end) completes: at level L, those whose
    last leaf is in the range, indices [start >> L, end >> L)."""
    ranges = {}
    for level in range(1, end.bit_length() + 1):
        low, high = start >> level, end >> level
        if low < high:
            ranges[level] = (low, high)
    return {(level, index): value for level, index, value in source.nodes_between(ranges)}


def _compare_nodes(
    completed: list[tuple[int, int, bytes]], stored: Mapping[tuple[int, int], bytes]
) -> None:
    for level, index, value in completed:
        found = stored.get((level, index))
        if found != value:
            raise RecheckError(
                f"node (level {level}, index {index}) is not the hash of its children",
                expected=_b64(value),
                found="no stored node" if found is None else _b64(found),
            )


def _check_node_counts(source: RecheckSource, size: int) -> None:
    for level, count in sorted(source.node_counts().items()):
        expected = size >> level if level >= 1 else 0
        if count != expected:
            raise RecheckError(
                f"level {level} holds nodes a tree of {size} entries does not have",
                expected=f"{expected} nodes",
                found=f"{count}",
            )


def _check_checkpoint(checkpoint: StoredCheckpoint, root: bytes, keys: _LogKeys) -> None:
    size, stored_root, note = checkpoint
    if stored_root != root:
        raise RecheckError(
            f"checkpoint {size}: the stored root is not the root of the first {size} entries",
            expected=_b64(root),
            found=_b64(stored_root),
        )
    try:
        parsed = parse_checkpoint(note)
    except MicrocredError as error:
        raise RecheckError(
            f"checkpoint {size}: the signed note cannot be read", found=error.message
        ) from error
    if parsed.tree_size != size or parsed.root_hash != root:
        raise RecheckError(
            f"checkpoint {size}: the signed note names another tree",
            expected=f"size {size}, root {_b64(root)}",
            found=f"size {parsed.tree_size}, root {_b64(parsed.root_hash)}",
        )
    _check_signature(size, note, parsed.signatures, keys)


def _check_signature(
    size: int, note: str, signatures: Sequence[NoteSignature], keys: _LogKeys
) -> None:
    """The note must verify with one of the log's keys. When none does, the reason reported is
    that of a key the note names (its signature is what failed), else that of the first key."""
    named = {s.key_id for s in signatures if s.key_name == keys.origin}
    reasons: list[str] = []
    for key in keys.keys:
        try:
            verify_checkpoint(note, key, origin=keys.origin)
        except CheckpointError as error:
            reason = error.message if error.found is None else f"{error.message}: {error.found}"
            if log_key_id(keys.origin, key) in named:
                reasons.insert(0, reason)
            else:
                reasons.append(reason)
        else:
            return
    raise RecheckError(
        f"checkpoint {size}: the signed note is not signed by the log",
        expected=f"a valid signature for {keys.origin} by one of its {len(keys.keys)} log keys",
        found=reasons[0] if reasons else "no log key to check it with",
    )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


__all__ = ["DEFAULT_CHUNK", "RecheckError", "RecheckReport", "RecheckSource", "recheck"]
