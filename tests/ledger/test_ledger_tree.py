"""The append-only log: incremental roots against the naive definition, frontier, store port."""

from __future__ import annotations

import pytest

from microcred.ledger import (
    EMPTY_ROOT,
    LogProofError,
    LogStoreError,
    MemoryLogStore,
    MerkleLog,
    leaf_hash,
    node_hash,
    prefix_root,
)
from tests.ledger.ledger_reference import entry, mth

ENTRIES = [entry(i) for i in range(301)]


@pytest.fixture(scope="module")
def log300() -> MerkleLog:
    log = MerkleLog(MemoryLogStore())
    for data in ENTRIES[:300]:
        log.append(data)
    return log


def test_empty_log() -> None:
    log = MerkleLog(MemoryLogStore())
    assert log.size == 0
    assert log.root() == EMPTY_ROOT
    assert log.frontier == ()


def test_incremental_root_equals_naive_root_for_sizes_0_to_300() -> None:
    log = MerkleLog(MemoryLogStore())
    assert log.root() == mth([])
    for size in range(1, 301):
        assert log.append(ENTRIES[size - 1]) == size - 1
        assert log.root() == mth(ENTRIES[:size]), size


def test_every_prefix_root_from_the_store_equals_naive_root(log300: MerkleLog) -> None:
    for size in range(301):
        assert log300.root(size) == mth(ENTRIES[:size]), size
        assert prefix_root(log300.store, size) == mth(ENTRIES[:size])


def test_frontier_is_one_subtree_per_set_bit(log300: MerkleLog) -> None:
    # 300 = 256 + 32 + 8 + 4: subtrees [0,256), [256,288), [288,296), [296,300).
    assert log300.frontier == (
        mth(ENTRIES[0:256]),
        mth(ENTRIES[256:288]),
        mth(ENTRIES[288:296]),
        mth(ENTRIES[296:300]),
    )


def test_store_holds_every_complete_perfect_subtree(log300: MerkleLog) -> None:
    store = log300.store
    for level in range(9):
        width = 1 << level
        for index in range(300 // width):
            start = index * width
            assert store.node_hashes([(level, index)]) == [mth(ENTRIES[start : start + width])]
    with pytest.raises(LogStoreError):
        store.node_hashes([(2, 75)])  # [300, 304) is not complete
    with pytest.raises(LogStoreError):
        store.node_hashes([(9, 0)])


def test_reopening_a_store_restores_the_frontier(log300: MerkleLog) -> None:
    reopened = MerkleLog(log300.store)
    assert reopened.size == 300
    assert reopened.frontier == log300.frontier
    assert reopened.root() == log300.root()


def test_extend_and_append_agree() -> None:
    one_by_one, batched = MerkleLog(MemoryLogStore()), MerkleLog(MemoryLogStore())
    for data in ENTRIES[:77]:
        one_by_one.append(data)
    assert batched.extend(ENTRIES[:50]) == range(0, 50)
    assert batched.extend(ENTRIES[50:77]) == range(50, 77)
    assert batched.root() == one_by_one.root() == mth(ENTRIES[:77])
    for size in range(78):
        assert batched.root(size) == one_by_one.root(size)


def test_append_leaf_hashes_is_append_of_hashed_entries() -> None:
    log = MerkleLog(MemoryLogStore())
    log.append_leaf_hashes([leaf_hash(data) for data in ENTRIES[:5]])
    assert log.root() == mth(ENTRIES[:5])


def test_root_of_a_size_beyond_the_log_is_refused(log300: MerkleLog) -> None:
    with pytest.raises(LogProofError, match="outside the log"):
        log300.root(301)
    with pytest.raises(LogProofError):
        prefix_root(log300.store, -1)


def test_a_second_writer_is_stopped_and_the_stale_log_is_unchanged() -> None:
    store = MemoryLogStore()
    first, second = MerkleLog(store), MerkleLog(store)
    first.append(b"a")
    root_before = second.root()
    with pytest.raises(LogStoreError, match="does not continue the log") as caught:
        second.append(b"b")
    assert caught.value.expected == "start 1"
    assert caught.value.found == "start 0"
    assert second.size == 0
    assert second.root() == root_before
    assert store.size() == 1
    assert MerkleLog(store).root() == mth([b"a"])


def test_memory_store_rejects_malformed_writes_without_writing() -> None:
    store = MemoryLogStore()
    good = leaf_hash(b"x")
    with pytest.raises(LogStoreError, match="wrong size"):
        store.append(start=0, leaf_hashes=[good, b"short"], nodes=[])
    with pytest.raises(LogStoreError, match="out of place"):
        # A node for [0, 4) cannot be complete after two leaves.
        store.append(start=0, leaf_hashes=[good, good], nodes=[(2, 0, good)])
    with pytest.raises(LogStoreError, match="out of place"):
        store.append(start=0, leaf_hashes=[good, good], nodes=[(1, 1, good)])
    with pytest.raises(LogStoreError, match="out of place"):
        store.append(start=0, leaf_hashes=[good], nodes=[(0, 0, good)])
    assert store.size() == 0
    store.append(start=0, leaf_hashes=[good, good], nodes=[(1, 0, node_hash(good, good))])
    assert store.size() == 2
    assert store.leaf_hash(1) == good


def test_memory_store_reports_missing_leaves() -> None:
    store = MemoryLogStore()
    with pytest.raises(LogStoreError, match="not stored") as caught:
        store.leaf_hash(0)
    assert "0 leaves" in caught.value.diagnostics()
    with pytest.raises(LogStoreError):
        store.leaf_hash(-1)
