"""RFC 9162 inclusion and consistency proofs: generation from a store, and verification.

Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step (the numbered comments
are the RFC's steps). Before the steps run, the proof length is checked against the one length
the sizes allow, so a truncated or padded proof is reported as such rather than as a root
mismatch. Verifiers return ``None`` or raise :class:`LogProofError`; they never return a flag.
"""

from __future__ import annotations

from collections.abc import Sequence

from microcred.errors import LogProofError
from microcred.ledger._subtrees import (
    Span,
    consistency_spans,
    fold,
    inclusion_spans,
    is_power_of_two,
    perfect_subtrees,
)
from microcred.ledger.hashing import HASH_SIZE, node_hash
from microcred.ledger.store import LogStore

# --- sizes -----------------------------------------------------------------------------------


def inclusion_proof_size(index: int, tree_size: int) -> int:
    """The number of hashes in the inclusion proof of leaf ``index`` in a tree of ``tree_size``.

    Below the level where the paths from the leaf and from the last leaf meet, every node on the
    leaf's path has a full sibling. Above it the two paths coincide along the right edge, where
    a node has a sibling only if it is a right child, i.e. the corresponding bit of ``index``
    is set.
    """
    _check_index(index, tree_size)
    below = (index ^ (tree_size - 1)).bit_length()
    return below + (index >> below).bit_count()


def consistency_proof_size(size1: int, size2: int) -> int:
    """The number of hashes in the consistency proof from ``size1`` to ``size2``.

    Counts the iterations of RFC 9162 section 2.1.4.2 step 6 (without hashing): the path holds
    one hash per iteration plus its first element, which the verifier supplies itself (root1)
    when ``size1`` is a power of two.
    """
    _check_sizes(size1, size2)
    if size1 == size2:
        return 0
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    iterations = 0
    while sn:
        if fn & 1 or fn == sn:
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        fn, sn = fn >> 1, sn >> 1
        iterations += 1
    return iterations + (0 if is_power_of_two(size1) else 1)


# --- generation ------------------------------------------------------------------------------


def inclusion_proof(store: LogStore, index: int, tree_size: int) -> list[bytes]:
    """PATH(index, D[0:tree_size]) from stored hashes: one batched read of O(log n) nodes."""
    _check_stored(store, tree_size)
    _check_index(index, tree_size)
    return _span_hashes(store, inclusion_spans(index, tree_size))


def consistency_proof(store: LogStore, size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[0:size2]) from stored hashes: one batched read of O(log n) nodes."""
    _check_stored(store, size2)
    _check_sizes(size1, size2)
    if size1 == size2:
        return []
    return _span_hashes(store, consistency_spans(size1, size2))


def _span_hashes(store: LogStore, spans: Sequence[Span]) -> list[bytes]:
    groups = [perfect_subtrees(start, end) for start, end in spans]
    stored = store.node_hashes([key for group in groups for key in group])
    hashes: list[bytes] = []
    offset = 0
    for group in groups:
        hashes.append(fold(stored[offset : offset + len(group)]))
        offset += len(group)
    return hashes


# --- verification ----------------------------------------------------------------------------


def root_from_inclusion_proof(
    *, leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` implies for ``leaf_hash`` at ``index`` (RFC 9162 2.1.3.2 1-4)."""
    # 1. leaf_index must be below tree_size.
    _check_index(index, tree_size)
    _check_hash("leaf hash", leaf_hash)
    expected = inclusion_proof_size(index, tree_size)
    if len(proof) != expected:
        raise LogProofError(
            "inclusion proof has wrong size", expected=str(expected), found=str(len(proof))
        )
    for position, value in enumerate(proof):
        _check_hash(f"inclusion proof hash {position}", value)
    # 2. fn is the leaf's position at the current level, sn the last leaf's.
    fn, sn = index, tree_size - 1
    # 3.
    r = leaf_hash
    # 4.
    for p in proof:
        # 4a. sn == 0 means the root was reached with hashes left over.
        if sn == 0:
            raise LogProofError("inclusion proof is longer than the tree is high")
        # 4b. A right child, or the last node of its level: the sibling is on the left.
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # 4b.2 Climb past levels where this node is the last and has no sibling at all.
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        # 4c.
        fn, sn = fn >> 1, sn >> 1
    # 5. (first half) the proof must have reached the root; the caller compares r.
    if sn != 0:
        raise LogProofError("inclusion proof ends below the root")
    return r


def verify_inclusion(
    *, leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`LogProofError` unless ``proof`` puts ``leaf_hash`` at ``index`` of ``root``."""
    computed = root_from_inclusion_proof(
        leaf_hash=leaf_hash, index=index, tree_size=tree_size, proof=proof
    )
    # 5. (second half)
    if computed != root:
        raise LogProofError(
            "inclusion proof does not lead to the root", expected=root.hex(), found=computed.hex()
        )


def root_from_consistency_proof(
    *, size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> bytes:
    """Check ``proof`` against ``root1`` and return the root it implies for ``size2``.

    RFC 9162 2.1.4.2 covers 0 < size1 < size2. Equal sizes need an empty proof (the roots must
    then be equal). A proof from the empty tree is refused: every tree extends the empty tree,
    so such a proof could never constrain root2.
    """
    _check_sizes(size1, size2)
    if size1 == size2:
        # Nothing is hashed, so the roots are compared as given, whatever their length.
        if proof:
            raise LogProofError(
                "consistency proof has wrong size", expected="0", found=str(len(proof))
            )
        return root1
    expected = consistency_proof_size(size1, size2)
    # 1. An empty path fails; more generally, the sizes fix the path length.
    if len(proof) != expected:
        raise LogProofError(
            "consistency proof has wrong size", expected=str(expected), found=str(len(proof))
        )
    _check_hash("root1", root1)
    for position, value in enumerate(proof):
        _check_hash(f"consistency proof hash {position}", value)
    path = list(proof)
    # 2. A power-of-two old tree is a subtree of the new one: the proof leaves its root out.
    if is_power_of_two(size1):
        path.insert(0, root1)
    # 3.
    fn, sn = size1 - 1, size2 - 1
    # 4. Skip the levels where the old tree's last node is a right child within a full subtree.
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # 5. fr rebuilds the old root, sr the new one, from the same starting node.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:
            raise LogProofError("consistency proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            # A left sibling belongs to both trees.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            # A right sibling exists only in the new tree.
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # 7. (the parts that concern the old tree and the path length)
    if sn != 0:
        raise LogProofError("consistency proof ends below the root")
    if fr != root1:
        raise LogProofError(
            "consistency proof does not lead to root1", expected=root1.hex(), found=fr.hex()
        )
    return sr


def verify_consistency(
    *, size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise :class:`LogProofError` unless the tree (size2, root2) extends (size1, root1)."""
    computed = root_from_consistency_proof(size1=size1, size2=size2, proof=proof, root1=root1)
    # 7. (the new tree)
    if computed != root2:
        raise LogProofError(
            "consistency proof does not lead to root2", expected=root2.hex(), found=computed.hex()
        )


# --- argument checks -------------------------------------------------------------------------


def _check_index(index: int, tree_size: int) -> None:
    if not 0 <= index < tree_size:
        raise LogProofError(
            "leaf index is outside the tree",
            expected=f"0 <= index < {tree_size}",
            found=str(index),
        )


def _check_sizes(size1: int, size2: int) -> None:
    if not 0 < size1 <= size2:
        raise LogProofError(
            "tree sizes admit no consistency proof",
            expected="0 < size1 <= size2",
            found=f"size1 {size1}, size2 {size2}",
        )


def _check_stored(store: LogStore, tree_size: int) -> None:
    stored = store.size()
    if tree_size > stored:
        raise LogProofError(
            "tree size is beyond the log", expected=f"<= {stored}", found=str(tree_size)
        )


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise LogProofError(
            f"{name} has wrong size", expected=f"{HASH_SIZE} bytes", found=f"{len(value)} bytes"
        )
