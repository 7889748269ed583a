"""The pure recheck over an in-memory source: every log size and chunk size agrees with the
log that wrote it, and one flipped bit anywhere is found at its own place."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.errors import RecheckError
from microcred.ledger import Checkpoint, MemoryLogStore, MerkleLog, NodeKey, sign_checkpoint
from microcred.ledger.recheck import RecheckReport, StoredCheckpoint, StoredLeaf, recheck

KEY = Ed25519PrivateKey.generate()
ORIGIN = "example.org/log"
AT = datetime(2026, 1, 1, tzinfo=UTC)


class Source:
    """A stored log as plain dictionaries, written by :class:`MerkleLog` itself."""

    def __init__(self, size: int, checkpoint_sizes: list[int]) -> None:
        store = MemoryLogStore()
        log = MerkleLog(store)
        self.entries = [f"entry {i}".encode() for i in range(size)]
        self.leaves = {}
        for i, entry in enumerate(self.entries):
            log.append(entry)
            self.leaves[i] = store.leaf_hash(i)
        self.nodes: dict[NodeKey, bytes] = {}
        for level in range(1, size.bit_length() + 1):
            for index in range(size >> level):
                self.nodes[(level, index)] = store.node_hashes([(level, index)])[0]
        self.roots = {s: log.root(s) for s in checkpoint_sizes}
        self.notes = {
            s: sign_checkpoint(
                Checkpoint(origin=ORIGIN, tree_size=s, root_hash=root, timestamp=AT), KEY
            )
            for s, root in self.roots.items()
        }

    def size(self) -> int:
        return len(self.leaves)

    def leaves_between(self, start: int, end: int) -> Iterator[StoredLeaf]:
        for i in sorted(self.leaves):
            if start <= i < end:
                yield i, self.entries[i], self.leaves[i]

    def nodes_between(
        self, ranges: Mapping[int, tuple[int, int]]
    ) -> Iterator[tuple[int, int, bytes]]:
        for (level, index), value in self.nodes.items():
            if level in ranges and ranges[level][0] <= index < ranges[level][1]:
                yield level, index, value

    def checkpoints_between(self, low: int, high: int | None) -> Iterator[StoredCheckpoint]:
        for s in sorted(self.roots):
            if low <= s and (high is None or s < high):
                yield s, self.roots[s], self.notes[s]

    def node_counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for level, _index in self.nodes:
            counts[level] = counts.get(level, 0) + 1
        return counts


def check(source: Source, *, chunk: int) -> RecheckReport:
    return recheck(source, origin=ORIGIN, log_keys=[KEY.public_key()], chunk=chunk)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 8, 9, 31, 64, 100])
@pytest.mark.parametrize("chunk", [1, 3, 4, 16, 1000])
def test_an_intact_log_of_any_size_passes_with_any_chunk(size: int, chunk: int) -> None:
    source = Source(size, [])
    report = check(source, chunk=chunk)
    assert report.size == size
    assert report.nodes == sum(size >> level for level in range(1, 8))
    reference = MerkleLog(MemoryLogStore())
    reference.extend(source.entries)
    assert report.root == reference.root()


def test_every_changed_node_is_found_where_it_is() -> None:
    source = Source(45, [])
    for key in list(source.nodes):
        honest = source.nodes[key]
        source.nodes[key] = bytes([honest[0] ^ 1]) + honest[1:]
        with pytest.raises(RecheckError) as caught:
            check(source, chunk=8)
        assert caught.value.message.startswith(f"node (level {key[0]}, index {key[1]})")
        source.nodes[key] = honest
    check(source, chunk=8)


def test_every_changed_entry_is_found_where_it_is() -> None:
    source = Source(45, [])
    for i in range(45):
        honest = source.entries[i]
        source.entries[i] = honest + b"!"
        with pytest.raises(RecheckError, match=rf"^leaf {i}: the stored leaf hash"):
            check(source, chunk=8)
        source.entries[i] = honest


def test_checkpoints_are_checked_at_their_size() -> None:
    source = Source(20, [0, 5, 8, 16, 20])
    assert check(source, chunk=8).checkpoints == 5
    source.roots[16] = source.roots[5]
    with pytest.raises(RecheckError, match=r"^checkpoint 16: the stored root"):
        check(source, chunk=8)
    source.roots[16], source.notes[16] = source.roots[20], source.notes[20]
    with pytest.raises(RecheckError, match=r"^checkpoint 16: the stored root"):
        check(source, chunk=8)
    source.roots[16] = Source(20, [16]).roots[16]  # the right root, beside a note of 20
    with pytest.raises(RecheckError, match=r"^checkpoint 16: the signed note names another tree"):
        check(source, chunk=8)
    source.notes[16] = "garbage"
    with pytest.raises(RecheckError, match=r"^checkpoint 16: the signed note cannot be read"):
        check(source, chunk=8)


def test_chunk_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        check(Source(3, []), chunk=0)


def test_every_checkpoint_signature_is_checked_against_the_log_keys() -> None:
    source = Source(20, [0, 5, 8, 16, 20])
    # A retired key still verifies the checkpoints it signed, beside the current one.
    current = Ed25519PrivateKey.generate().public_key()
    both = [current, KEY.public_key()]
    assert recheck(source, origin=ORIGIN, log_keys=both, chunk=8).checkpoints == 5
    # With none of the keys that signed it, the first checkpoint is reported.
    with pytest.raises(RecheckError, match=r"^checkpoint 0: the signed note is not signed by"):
        recheck(source, origin=ORIGIN, log_keys=[current], chunk=8)
    with pytest.raises(RecheckError, match=r"^checkpoint 0: the signed note is not signed by"):
        recheck(source, origin=ORIGIN, log_keys=[], chunk=8)
    # Another log's name is not this log's.
    with pytest.raises(RecheckError, match=r"^checkpoint 0: .*not signed") as caught:
        recheck(source, origin="example.org/other", log_keys=both, chunk=8)
    assert caught.value.found is not None
    assert "another log" in caught.value.found
    # One flipped bit in a signature, the text intact: reported at its checkpoint, with the
    # failure of the key the note names (not that of the key it does not name).
    lines = source.notes[16].split("\n")
    signature_line = next(i for i, line in enumerate(lines) if line.startswith("\u2014 "))
    name, blob = lines[signature_line][2:].split(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    lines[signature_line] = f"\u2014 {name} {base64.b64encode(bytes(raw)).decode('ascii')}"
    source.notes[16] = "\n".join(lines)
    with pytest.raises(RecheckError, match=r"^checkpoint 16: the signed note is not signed") as c:
        recheck(source, origin=ORIGIN, log_keys=both, chunk=8)
    assert c.value.found == "checkpoint signature does not verify"
