"""Index arithmetic shared by the log and the proof generator: which perfect subtrees make up a
range of leaves, and which ranges an RFC 9162 proof is built from.

Every hash the log ever needs is either a leaf or the root of a *perfect* subtree (2**level
leaves starting at a multiple of 2**level), addressed as ``(level, index)``; leaves are level 0.
Those hashes never change once written, so a store can keep them forever and a proof needs only
O(log n) of them. Hashes of ragged ranges (the right edge of a tree whose size is not a power of
two) are never stored: they are folded from the perfect subtrees that cover them.
"""

from __future__ import annotations

from collections.abc import Sequence

from microcred.ledger.hashing import EMPTY_ROOT, node_hash

NodeKey = tuple[int, int]
"""``(level, index)`` of a perfect subtree: leaves [index * 2**level, (index + 1) * 2**level)."""

Span = tuple[int, int]
"""A half-open range of leaf indices ``[start, end)``."""


def is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def split_point(size: int) -> int:
    """The largest power of two strictly below ``size`` (size >= 2): RFC 9162's ``k``."""
    return 1 << ((size - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees covering ``[start, end)``, left to right, largest first.

    ``start`` must be aligned to a power of two at least ``end - start`` (true of every range an
    RFC 9162 recursion produces, and of every prefix ``[0, size)``). The set bits of the length,
    high to low, are then the sizes of the subtrees, exactly as MTH splits them.
    """
    keys: list[NodeKey] = []
    position = start
    remaining = end - start
    while remaining:
        level = remaining.bit_length() - 1
        keys.append((level, position >> level))
        position += 1 << level
        remaining -= 1 << level
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from the hashes of its perfect subtrees (left to right).

    MTH always splits off the largest power of two on the left, so the ragged right edge nests
    to the right: hash right to left.
    """
    if not hashes:
        return EMPTY_ROOT
    accumulator = hashes[-1]
    for left in reversed(hashes[:-1]):
        accumulator = node_hash(left, accumulator)
    return accumulator


def inclusion_spans(index: int, size: int) -> list[Span]:
    """The ranges whose MTH form PATH(index, D[0:size]) (RFC 9162 section 2.1.3.1), leaf first.

    The recursion descends from the root, taking the sibling of the half that holds the leaf;
    the proof lists those siblings bottom-up, hence the reversal.
    """
    spans: list[Span] = []
    low, high = 0, size
    while high - low > 1:
        middle = low + split_point(high - low)
        if index < middle:
            spans.append((middle, high))
            high = middle
        else:
            spans.append((low, middle))
            low = middle
    spans.reverse()
    return spans


def consistency_spans(size1: int, size2: int) -> list[Span]:
    """The ranges whose MTH form PROOF(size1, D[0:size2]) (RFC 9162 section 2.1.4.1).

    Requires 0 < size1 < size2. ``whole_old_tree`` is SUBPROOF's boolean: it stays true while
    the recursion follows the left edge, where the old tree's root is the verifier's own
    ``root1`` and need not be sent.
    """
    spans: list[Span] = []
    low, high, old = 0, size2, size1
    whole_old_tree = True
    while old != high - low:
        k = split_point(high - low)
        if old <= k:
            spans.append((low + k, high))
            high = low + k
        else:
            spans.append((low, low + k))
            low += k
            old -= k
            whole_old_tree = False
    if not whole_old_tree:
        spans.append((low, high))
    spans.reverse()
    return spans
