"""Anchors: a signed checkpoint committed to by the data of a transaction on an
Ethereum-compatible chain, an outside witness that the log showed this tree at that time.

Pure: what the transaction carries, the anchor record, and the comparison of a transaction
read back from the chain with a checkpoint. Talking to a chain is the platform's job
(``microcred.transparency.witness``), behind the :class:`AnchorReader` port.

The transaction data is 96 bytes::

    b"microcred-anchor/v1\\n" (20 bytes, ASCII, so a block explorer shows what it is)
    || tree size (8 bytes, big-endian)
    || root hash (32 bytes)
    || SHA-256 of the signed checkpoint note (UTF-8) (32 bytes)

Size and root let anyone check consistency with the chain's copy without the note; the note's
hash binds the origin, the timestamp and the log's signature as well. An anchor adds evidence;
the log never needs it: proofs verify from the signed checkpoint alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any, Final, Protocol

from microcred.errors import AnchorError, short
from microcred.ledger.checkpoint import parse_checkpoint
from microcred.ledger.hashing import HASH_SIZE

ANCHOR_PREFIX: Final = b"microcred-anchor/v1\n"
ANCHOR_FORMAT: Final = "microcred-anchor/v1"
ANCHOR_DATA_SIZE: Final = len(ANCHOR_PREFIX) + 8 + 2 * HASH_SIZE
_TX_HASH = re.compile(r"^0x[0-9a-f]{64}$")


def anchor_data(note: str) -> bytes:
    """The transaction data that commits to the signed checkpoint ``note``."""
    checkpoint = parse_checkpoint(note)
    return (
        ANCHOR_PREFIX
        + checkpoint.tree_size.to_bytes(8, "big")
        + checkpoint.root_hash
        + sha256(note.encode("utf-8")).digest()
    )


@dataclass(frozen=True)
class Anchor:
    """Where a checkpoint was anchored: chain, transaction, and the block that holds it."""

    tree_size: int
    chain_id: int
    tx_hash: str  # 0x and 64 lower-case hex digits
    block_number: int
    block_timestamp: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ANCHOR_FORMAT,
            "treeSize": self.tree_size,
            "chainId": self.chain_id,
            "txHash": self.tx_hash,
            "blockNumber": self.block_number,
            "blockTimestamp": self.block_timestamp.isoformat().replace("+00:00", "Z"),
        }

    @classmethod
    def from_json(cls, value: object) -> Anchor:
        """Parse an anchor record; :class:`AnchorError` says which field is wrong."""
        if not isinstance(value, dict):
            raise AnchorError("an anchor must be a JSON object", found=short(value))
        if value.get("format") != ANCHOR_FORMAT:
            raise AnchorError(
                "unknown anchor format", expected=ANCHOR_FORMAT, found=short(value.get("format"))
            )
        tx_hash = value.get("txHash")
        if not isinstance(tx_hash, str) or not _TX_HASH.match(tx_hash):
            raise AnchorError(
                "anchor has no valid txHash", expected="0x and 64 hex digits", found=short(tx_hash)
            )
        stamp = value.get("blockTimestamp")
        try:
            when = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise AnchorError(
                "anchor has no valid blockTimestamp",
                expected="an ISO 8601 time with offset",
                found=short(stamp),
            )
        return cls(
            tree_size=_count(value, "treeSize"),
            chain_id=_count(value, "chainId"),
            tx_hash=tx_hash,
            block_number=_count(value, "blockNumber"),
            block_timestamp=when.astimezone(UTC),
        )


@dataclass(frozen=True)
class ChainTransaction:
    """A mined transaction as a chain reports it."""

    chain_id: int
    tx_hash: str
    data: bytes
    block_number: int
    block_timestamp: datetime
    succeeded: bool


class AnchorReader(Protocol):
    """Read access to one chain. Raises :class:`ChainUnavailableError` if it cannot be asked."""

    def chain_id(self) -> int: ...

    def transaction(self, tx_hash: str) -> ChainTransaction | None:
        """The mined transaction, or None if the chain does not know it (or not mined yet)."""
        ...


def verify_anchor(anchor: Anchor, note: str, reader: AnchorReader) -> ChainTransaction:
    """Check on the chain that ``anchor``'s transaction commits to checkpoint ``note``.

    Raises :class:`AnchorError` when it does not, :class:`ChainUnavailableError` when the chain
    cannot be asked (which says nothing about the log).
    """
    # 1. The anchor must be about this checkpoint, and on the chain we are asking.
    expected = anchor_data(note)
    size = int.from_bytes(expected[len(ANCHOR_PREFIX) : len(ANCHOR_PREFIX) + 8], "big")
    if anchor.tree_size != size:
        raise AnchorError(
            "the anchor is for another checkpoint",
            expected=f"size {size}",
            found=str(anchor.tree_size),
        )
    chain = reader.chain_id()
    if chain != anchor.chain_id:
        raise AnchorError(
            "the anchor is on another chain", expected=str(anchor.chain_id), found=str(chain)
        )
    # 2. The transaction must exist, be mined where the anchor says, and carry the commitment.
    found = reader.transaction(anchor.tx_hash)
    if found is None:
        raise AnchorError("the chain does not know the anchor's transaction", found=anchor.tx_hash)
    if (found.block_number, found.block_timestamp) != (anchor.block_number, anchor.block_timestamp):
        raise AnchorError(
            "the anchor's transaction is in another block",
            expected=f"block {anchor.block_number} at {anchor.block_timestamp.isoformat()}",
            found=f"block {found.block_number} at {found.block_timestamp.isoformat()}",
        )
    if found.data != expected:
        raise AnchorError(
            "the anchor's transaction does not commit to this checkpoint",
            expected=expected.hex(),
            found=short(found.data.hex()),
        )
    if not found.succeeded:
        raise AnchorError("the anchor's transaction failed on the chain", found=anchor.tx_hash)
    return found


def _count(value: dict[str, Any], name: str) -> int:
    number = value.get(name)
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise AnchorError(
            f"anchor has no valid {name}", expected="a non-negative integer", found=short(number)
        )
    return number


__all__ = [
    "ANCHOR_DATA_SIZE",
    "ANCHOR_FORMAT",
    "ANCHOR_PREFIX",
    "Anchor",
    "AnchorReader",
    "ChainTransaction",
    "anchor_data",
    "verify_anchor",
]
