"""RFC 9162 hashing: known values and domain separation."""

from __future__ import annotations

from hashlib import sha256

from microcred.ledger import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash


def test_empty_root_is_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_leaf_hash_of_the_empty_entry() -> None:
    # The value RFC 6962 logs and the transparency-dev vectors use for D[0] = "".
    assert (
        leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


def test_leaf_and_node_hashes_follow_the_definition() -> None:
    left, right = sha256(b"l").digest(), sha256(b"r").digest()
    assert leaf_hash(b"abc") == sha256(b"\x00abc").digest()
    assert node_hash(left, right) == sha256(b"\x01" + left + right).digest()
    assert len(leaf_hash(b"x")) == len(node_hash(left, right)) == HASH_SIZE


def test_a_node_cannot_pass_for_a_leaf() -> None:
    # Without the 0x00/0x01 prefixes, the 64-byte entry left||right would hash like the node.
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    assert leaf_hash(left + right) != node_hash(left, right)


def test_order_of_children_matters() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) != node_hash(b, a)
