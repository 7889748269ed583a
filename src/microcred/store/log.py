"""The transparency log's SQL storage: a :class:`~microcred.ledger.LogStore` on the caller's
session, plus the signed checkpoints.

Rows are append-only: ``log_leaves`` (index, leaf hash, the entry itself, the credential it is
about), ``log_nodes`` (roots of completed perfect subtrees, level >= 1) and ``log_checkpoints``
(every signed tree head). Nothing is ever updated, so a proof is one query over O(log n) rows
and the tree is never recomputed. See docs/design/transparency.md.

Writers must be serialised. Call :meth:`SqlLogStore.lock` first, inside a write transaction:
on SQLite the transaction already holds the database write lock (``BEGIN IMMEDIATE``); on
PostgreSQL it takes a transaction-scoped advisory lock. The primary key on ``index`` is the
backstop if a caller forgets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import and_, func, insert, literal, or_, select, text, union_all
from sqlalchemy.orm import Session

from microcred.ledger import LogStoreError, MerkleLog, NodeKey, StoredNode, leaf_hash
from microcred.ledger.store import check_hash
from microcred.store.tables import Base, LogCheckpointRow, LogLeafRow, LogNodeRow

# pg_advisory_xact_lock takes a bigint; any constant unlikely to clash with other features.
ADVISORY_LOCK_KEY: Final = 0x6D6963726F6C6F67  # "microlog"
_MAX_LEVEL: Final = 63
_LEAVES: Final = Base.metadata.tables["log_leaves"]  # the Core tables, for cheap executemany
_NODES: Final = Base.metadata.tables["log_nodes"]


@dataclass(frozen=True)
class NewEntry:
    """An entry to append, with what the platform keeps beside it to find it again."""

    entry: bytes
    credential_id: str | None
    at: datetime


class SqlLogStore:
    """A :class:`~microcred.ledger.LogStore` over the caller's session; it never commits.

    :meth:`append` needs the entries themselves, not only their hashes, so appends go through
    :meth:`append_entries`, which stages them for the append that
    :class:`~microcred.ledger.MerkleLog` makes.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._staged: Sequence[NewEntry] | None = None
        self._locked = False
        self._size_seen = -1

    # ---- serialisation ------------------------------------------------------------------------

    def lock(self) -> None:
        """Serialise log writers until the transaction ends (see the module docstring)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
        self._locked = True

    # ---- the LogStore port --------------------------------------------------------------------

    def size(self) -> int:
        # max() of the primary key: an index lookup, not a count.
        last = self.session.connection().scalar(select(func.max(LogLeafRow.index)))
        self._size_seen = 0 if last is None else int(last) + 1
        return self._size_seen

    def append(
        self, *, start: int, leaf_hashes: Sequence[bytes], nodes: Sequence[StoredNode]
    ) -> None:
        staged = self._staged
        if staged is None or len(staged) != len(leaf_hashes):
            raise LogStoreError(
                "SqlLogStore appends need the entries, not only their hashes",
                expected="a call through append_entries",
                found="a bare append",
            )
        # Under the lock nobody else appends, so the size the frontier was read at still holds;
        # without it, check (and the primary key on index stays the last line of defence).
        size = start if self._locked and self._size_seen == start else self.size()
        if start != size:
            raise LogStoreError(
                "append does not continue the log", expected=f"start {size}", found=f"start {start}"
            )
        new_size = start + len(leaf_hashes)
        for value in leaf_hashes:
            check_hash(value)
        for level, index, value in nodes:
            check_hash(value)
            if not 1 <= level <= _MAX_LEVEL or index < 0 or (index + 1) << level > new_size:
                raise LogStoreError(
                    "node is out of place",
                    expected=f"level 1..{_MAX_LEVEL}, within {new_size} leaves",
                    found=f"level {level}, index {index}",
                )
        # Core inserts (executemany): the ORM's bulk path costs more and adds nothing here.
        connection = self.session.connection()
        if leaf_hashes:
            connection.execute(
                insert(_LEAVES),
                [
                    {
                        "index": start + offset,
                        "leaf_hash": value,
                        "entry": item.entry,
                        "credential_id": item.credential_id,
                        "at": item.at,
                    }
                    for offset, (value, item) in enumerate(zip(leaf_hashes, staged, strict=True))
                ],
            )
        if nodes:
            connection.execute(
                insert(_NODES),
                [{"level": level, "index": index, "hash": value} for level, index, value in nodes],
            )
        self._size_seen = new_size

    def leaf_hash(self, index: int) -> bytes:
        return self.node_hashes([(0, index)])[0]

    def node_hashes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """One query for all ``keys``: leaves and nodes together, through their primary keys."""
        if not keys:
            return []
        leaf_indices = sorted({index for level, index in keys if level == 0})
        node_keys = sorted({(level, index) for level, index in keys if level > 0})
        parts = []
        if leaf_indices:
            parts.append(
                select(literal(0).label("level"), LogLeafRow.index, LogLeafRow.leaf_hash).where(
                    LogLeafRow.index.in_(leaf_indices)
                )
            )
        if node_keys:
            # Grouped by level, each term a primary-key range lookup; a row-value IN would make
            # SQLite scan the whole table.
            by_level: dict[int, list[int]] = {}
            for level, index in node_keys:
                by_level.setdefault(level, []).append(index)
            parts.append(
                select(LogNodeRow.level, LogNodeRow.index, LogNodeRow.hash).where(
                    or_(
                        *(
                            and_(LogNodeRow.level == level, LogNodeRow.index.in_(indices))
                            for level, indices in by_level.items()
                        )
                    )
                )
            )
        query = parts[0] if len(parts) == 1 else union_all(*parts)
        rows = self.session.connection().execute(query)
        found = {(int(row[0]), int(row[1])): bytes(row[2]) for row in rows}
        result = []
        for key in keys:
            value = found.get(key)
            if value is None:
                raise LogStoreError(
                    "node is not stored",
                    expected="a stored node",
                    found=f"level {key[0]}, index {key[1]}",
                )
            result.append(value)
        return result

    # ---- appending with entries ---------------------------------------------------------------

    def append_entries(self, entries: Sequence[NewEntry]) -> MerkleLog:
        """Append ``entries`` in one write; returns the log after it (for its root).

        Call :meth:`lock` first. The frontier is read from the stored nodes (one query), so
        the cost does not grow with the log.
        """
        log = MerkleLog(self)
        if not entries:
            return log
        self._staged = entries
        try:
            log.append_leaf_hashes([leaf_hash(item.entry) for item in entries])
        finally:
            self._staged = None
        return log

    # ---- finding entries ----------------------------------------------------------------------

    def leaves_for_credential(self, credential_id: str) -> list[LogLeafRow]:
        """Every entry about a credential, oldest first (its issuance comes first)."""
        return list(
            self.session.scalars(
                select(LogLeafRow)
                .where(LogLeafRow.credential_id == credential_id)
                .order_by(LogLeafRow.index)
            )
        )

    # ---- checkpoints --------------------------------------------------------------------------

    def add_checkpoint(self, *, size: int, root_hash: bytes, note: str, at: datetime) -> None:
        self.session.add(LogCheckpointRow(size=size, root_hash=root_hash, note=note, at=at))
        self.session.flush()

    def latest_checkpoint(self) -> LogCheckpointRow | None:
        return self.session.scalar(
            select(LogCheckpointRow).order_by(LogCheckpointRow.size.desc()).limit(1)
        )

    def checkpoint(self, size: int) -> LogCheckpointRow | None:
        return self.session.get(LogCheckpointRow, size)


class SqlRecheckSource:
    """The :class:`~microcred.ledger.recheck.RecheckSource` over the caller's session: range
    reads on the primary keys, so each chunk costs the same however long the log is."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def size(self) -> int:
        return SqlLogStore(self.session).size()

    def leaves_between(self, start: int, end: int) -> Iterator[tuple[int, bytes, bytes]]:
        rows = self.session.connection().execute(
            select(LogLeafRow.index, LogLeafRow.entry, LogLeafRow.leaf_hash)
            .where(LogLeafRow.index >= start, LogLeafRow.index < end)
            .order_by(LogLeafRow.index)
        )
        for index, entry, value in rows:
            yield int(index), bytes(entry), bytes(value)

    def nodes_between(
        self, ranges: Mapping[int, tuple[int, int]]
    ) -> Iterator[tuple[int, int, bytes]]:
        if not ranges:
            return
        query = select(LogNodeRow.level, LogNodeRow.index, LogNodeRow.hash).where(
            or_(
                *(
                    and_(
                        LogNodeRow.level == level, LogNodeRow.index >= low, LogNodeRow.index < high
                    )
                    for level, (low, high) in ranges.items()
                )
            )
        )
        for level, index, value in self.session.connection().execute(query):
            yield int(level), int(index), bytes(value)

    def checkpoints_between(self, low: int, high: int | None) -> Iterator[tuple[int, bytes, str]]:
        query = select(LogCheckpointRow.size, LogCheckpointRow.root_hash, LogCheckpointRow.note)
        query = query.where(LogCheckpointRow.size >= low)
        if high is not None:
            query = query.where(LogCheckpointRow.size < high)
        for size, root, note in self.session.connection().execute(query.order_by("size")):
            yield int(size), bytes(root), str(note)

    def node_counts(self) -> dict[int, int]:
        query = select(LogNodeRow.level, func.count()).group_by(LogNodeRow.level)
        return {int(level): int(count) for level, count in self.session.connection().execute(query)}
