"""Proof generation and verification: against the RFC's recursive definitions, under random sizes
and bit flips, across forks, and with the diagnostics a caller sees."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.ledger import (
    LogProofError,
    MemoryLogStore,
    MerkleLog,
    consistency_proof,
    consistency_proof_size,
    inclusion_proof,
    inclusion_proof_size,
    leaf_hash,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger.ledger_reference import entry, mth, path, proof

# No example database: the tests must not write outside their own directories.
PROPERTY = settings(max_examples=60, deadline=None, database=None)


@cache
def _log(size: int) -> MerkleLog:
    log = MerkleLog(MemoryLogStore())
    log.extend(entry(i) for i in range(size))
    return log


def _flip(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


# --- agreement with the RFC's definitions ----------------------------------------------------


def test_inclusion_proofs_equal_rfc_path_for_sizes_up_to_64() -> None:
    for size in range(1, 65):
        entries = [entry(i) for i in range(size)]
        for index in range(size):
            generated = inclusion_proof(_log(size).store, index, size)
            assert generated == path(index, entries), (index, size)
            assert len(generated) == inclusion_proof_size(index, size)


def test_consistency_proofs_equal_rfc_proof_and_verify_for_all_pairs_up_to_64() -> None:
    for size2 in range(1, 65):
        entries = [entry(i) for i in range(size2)]
        log = _log(size2)
        for size1 in range(1, size2 + 1):
            generated = consistency_proof(log.store, size1, size2)
            assert generated == proof(size1, entries), (size1, size2)
            assert len(generated) == consistency_proof_size(size1, size2)
            verify_consistency(
                size1=size1,
                size2=size2,
                proof=generated,
                root1=mth(entries[:size1]),
                root2=mth(entries),
            )


def test_proofs_from_an_older_size_of_a_bigger_log() -> None:
    # Proofs for a past tree size come from the same stored nodes, not from a rebuilt tree.
    log = _log(100)
    entries = [entry(i) for i in range(100)]
    for index in range(37):
        assert inclusion_proof(log.store, index, 37) == path(index, entries[:37])
    assert consistency_proof(log.store, 20, 37) == proof(20, entries[:37])


# --- properties over random sizes ------------------------------------------------------------


@PROPERTY
@given(size=st.integers(min_value=1, max_value=1500))
def test_every_inclusion_proof_verifies(size: int) -> None:
    log = _log(size)
    root = log.root()
    for index in range(size):
        verify_inclusion(
            leaf_hash=leaf_hash(entry(index)),
            index=index,
            tree_size=size,
            proof=inclusion_proof(log.store, index, size),
            root=root,
        )


@PROPERTY
@given(size=st.integers(min_value=1, max_value=1500))
def test_consistency_from_every_smaller_size_verifies(size: int) -> None:
    log = _log(size)
    for size1 in range(1, size + 1):
        verify_consistency(
            size1=size1,
            size2=size,
            proof=consistency_proof(log.store, size1, size),
            root1=log.root(size1),
            root2=log.root(),
        )


@PROPERTY
@given(data=st.data())
def test_flipping_any_bit_of_an_inclusion_proof_or_root_fails(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=5000), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    log = _log(size)
    good = inclusion_proof(log.store, index, size)
    leaf, root = leaf_hash(entry(index)), log.root()
    verify_inclusion(leaf_hash=leaf, index=index, tree_size=size, proof=good, root=root)

    target = data.draw(st.integers(min_value=-2, max_value=len(good) - 1), label="target")
    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    bad_proof = list(good)
    bad_leaf, bad_root = leaf, root
    if target == -2:
        bad_root = _flip(root, bit)
    elif target == -1:
        bad_leaf = _flip(leaf, bit)
    else:
        bad_proof[target] = _flip(good[target], bit)
    with pytest.raises(LogProofError):
        verify_inclusion(
            leaf_hash=bad_leaf, index=index, tree_size=size, proof=bad_proof, root=bad_root
        )


@PROPERTY
@given(data=st.data())
def test_flipping_any_bit_of_a_consistency_proof_or_root_fails(data: st.DataObject) -> None:
    size2 = data.draw(st.integers(min_value=2, max_value=5000), label="size2")
    size1 = data.draw(st.integers(min_value=1, max_value=size2 - 1), label="size1")
    log = _log(size2)
    good = consistency_proof(log.store, size1, size2)
    root1, root2 = log.root(size1), log.root()
    verify_consistency(size1=size1, size2=size2, proof=good, root1=root1, root2=root2)

    target = data.draw(st.integers(min_value=-2, max_value=len(good) - 1), label="target")
    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    bad_proof = list(good)
    if target == -2:
        root1 = _flip(root1, bit)
    elif target == -1:
        root2 = _flip(root2, bit)
    else:
        bad_proof[target] = _flip(good[target], bit)
    with pytest.raises(LogProofError):
        verify_consistency(size1=size1, size2=size2, proof=bad_proof, root1=root1, root2=root2)


def test_every_single_bit_flip_of_one_proof_fails() -> None:
    size, index = 1000, 617
    log = _log(size)
    good = inclusion_proof(log.store, index, size)
    for position in range(len(good)):
        for bit in range(256):
            bad = list(good)
            bad[position] = _flip(good[position], bit)
            with pytest.raises(LogProofError):
                verify_inclusion(
                    leaf_hash=leaf_hash(entry(index)),
                    index=index,
                    tree_size=size,
                    proof=bad,
                    root=log.root(),
                )


@PROPERTY
@given(data=st.data())
def test_a_proof_for_another_index_or_size_fails(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=2, max_value=2000), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
    log = _log(size)
    with pytest.raises(LogProofError):
        verify_inclusion(
            leaf_hash=leaf_hash(entry(index)),
            index=other,
            tree_size=size,
            proof=inclusion_proof(log.store, index, size),
            root=log.root(),
        )


# --- forks -----------------------------------------------------------------------------------


def _forked(size: int, changed: int) -> MerkleLog:
    log = MerkleLog(MemoryLogStore())
    log.extend(b"forged" if i == changed else entry(i) for i in range(size))
    return log


def test_a_fork_of_the_same_size_is_detected() -> None:
    honest, forked = _log(500), _forked(500, changed=123)
    assert honest.root() != forked.root()
    with pytest.raises(LogProofError, match="root2"):
        verify_consistency(size1=500, size2=500, proof=[], root1=honest.root(), root2=forked.root())


@pytest.mark.parametrize("size1", [124, 128, 200, 499])
def test_a_forked_log_cannot_prove_consistency_with_a_checkpoint_it_forked_from(size1: int) -> None:
    # A client remembers the honest root at size1; the log, having rewritten leaf 123, grows to
    # 700 and sends a consistency proof computed from its forked tree.
    honest = _log(700)
    forked = _forked(700, changed=123)
    # Which root fails depends on the sizes: for a power of two the old root is the proof's start.
    with pytest.raises(LogProofError, match=r"does not lead to root[12]"):
        verify_consistency(
            size1=size1,
            size2=700,
            proof=consistency_proof(forked.store, size1, 700),
            root1=honest.root(size1),
            root2=forked.root(),
        )
    # Nor can it reuse the honest proof against its forked root.
    with pytest.raises(LogProofError, match="root2"):
        verify_consistency(
            size1=size1,
            size2=700,
            proof=consistency_proof(honest.store, size1, 700),
            root1=honest.root(size1),
            root2=forked.root(),
        )


def test_a_change_after_the_old_size_is_an_extension_not_a_fork() -> None:
    # Consistency is about the prefix: rewriting leaf 300 does not touch a tree of size 200.
    honest, other = _log(400), _forked(400, changed=300)
    verify_consistency(
        size1=200,
        size2=400,
        proof=consistency_proof(other.store, 200, 400),
        root1=honest.root(200),
        root2=other.root(),
    )


def test_the_forked_leaf_has_no_inclusion_proof_under_the_honest_root() -> None:
    honest, forked = _log(300), _forked(300, changed=42)
    with pytest.raises(LogProofError):
        verify_inclusion(
            leaf_hash=leaf_hash(b"forged"),
            index=42,
            tree_size=300,
            proof=inclusion_proof(forked.store, 42, 300),
            root=honest.root(),
        )


# --- diagnostics and edges -------------------------------------------------------------------


def test_wrong_length_is_reported_with_expected_and_found() -> None:
    log = _log(8)
    good = inclusion_proof(log.store, 0, 8)
    with pytest.raises(LogProofError, match="inclusion proof has wrong size") as caught:
        verify_inclusion(
            leaf_hash=leaf_hash(entry(0)), index=0, tree_size=8, proof=good[:-1], root=log.root()
        )
    assert (caught.value.expected, caught.value.found) == ("3", "2")
    assert "expected: 3\nfound: 2" in caught.value.diagnostics()

    with pytest.raises(LogProofError, match="consistency proof has wrong size") as caught:
        verify_consistency(
            size1=3,
            size2=8,
            proof=[*consistency_proof(log.store, 3, 8), log.root()],
            root1=log.root(3),
            root2=log.root(),
        )
    assert (caught.value.expected, caught.value.found) == ("4", "5")


def test_root_mismatch_names_both_roots() -> None:
    log = _log(10)
    with pytest.raises(LogProofError, match="does not lead to the root") as caught:
        verify_inclusion(
            leaf_hash=leaf_hash(b"not in the log"),
            index=4,
            tree_size=10,
            proof=inclusion_proof(log.store, 4, 10),
            root=log.root(),
        )
    assert caught.value.expected == log.root().hex()


def test_roots_can_be_recomputed_without_verifying() -> None:
    log = _log(21)
    assert (
        root_from_inclusion_proof(
            leaf_hash=leaf_hash(entry(20)),
            index=20,
            tree_size=21,
            proof=inclusion_proof(log.store, 20, 21),
        )
        == log.root()
    )
    assert (
        root_from_consistency_proof(
            size1=13, size2=21, proof=consistency_proof(log.store, 13, 21), root1=log.root(13)
        )
        == log.root()
    )


def test_proof_hashes_of_the_wrong_size_are_refused() -> None:
    log = _log(4)
    bad = [*inclusion_proof(log.store, 1, 4)]
    bad[0] = bad[0][:31]
    with pytest.raises(LogProofError, match="hash 0 has wrong size"):
        verify_inclusion(
            leaf_hash=leaf_hash(entry(1)), index=1, tree_size=4, proof=bad, root=log.root()
        )
    with pytest.raises(LogProofError, match="leaf hash has wrong size"):
        verify_inclusion(leaf_hash=b"", index=0, tree_size=1, proof=[], root=b"")


@pytest.mark.parametrize(("index", "tree_size"), [(0, 0), (1, 1), (-1, 5), (5, 5), (2**64 - 1, 1)])
def test_index_outside_the_tree(index: int, tree_size: int) -> None:
    with pytest.raises(LogProofError, match="outside the tree"):
        verify_inclusion(
            leaf_hash=leaf_hash(b""), index=index, tree_size=tree_size, proof=[], root=b""
        )


@pytest.mark.parametrize(("size1", "size2"), [(0, 0), (0, 5), (5, 4), (-1, 3)])
def test_sizes_without_a_consistency_proof(size1: int, size2: int) -> None:
    with pytest.raises(LogProofError, match="admit no consistency proof"):
        verify_consistency(size1=size1, size2=size2, proof=[], root1=b"", root2=b"")
    if 0 <= size2 <= 10:
        with pytest.raises(LogProofError):
            consistency_proof(_log(10).store, size1, size2)


def test_generation_refuses_sizes_beyond_the_store() -> None:
    store = _log(10).store
    with pytest.raises(LogProofError, match="beyond the log"):
        inclusion_proof(store, 0, 11)
    with pytest.raises(LogProofError, match="beyond the log"):
        consistency_proof(store, 3, 11)
    with pytest.raises(LogProofError, match="outside the tree"):
        inclusion_proof(store, 10, 10)
    assert consistency_proof(store, 10, 10) == []
