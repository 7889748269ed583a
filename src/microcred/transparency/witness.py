"""The log's outside witness: anchor a signed checkpoint in a transaction on an
Ethereum-compatible chain through web3.py, and read anchors back.

Off by default (``MICROCRED_ANCHOR_ENABLED``). web3 is imported only when a chain is used, so
a server without it runs with the witness off. Anchoring is an explicit step
(``microcred log anchor``), never part of an issuing transaction, and it is idempotent and
safe to interrupt:

1. the transaction is signed first and recorded as *pending* (with its raw bytes) on the
   checkpoint row, under a row lock, so a second run finds it and never signs another;
2. it is broadcast (again, if the chain does not know it: same nonce, same hash), then its
   receipt awaited outside any database transaction;
3. the row's record becomes *confirmed*: chain id, transaction hash, block number and time.

A pending record that can never be confirmed (its nonce was used by another transaction, or
it was mined and reverted) is dropped, so the next run signs a new transaction.

A confirmed checkpoint is never anchored again. The sender key is never logged or stored;
the raw transaction is public once sent. The data format is in :mod:`microcred.ledger.anchor`.

With ``MICROCRED_ANCHOR_INTERVAL_MINUTES`` set, a periodic job (:meth:`WitnessService.run_job`)
anchors the newest checkpoint once the last anchor is that old, resuming a pending one first.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

from microcred.errors import (
    AnchorError,
    ChainUnavailableError,
    MicrocredError,
    NotConfiguredError,
    NotFoundError,
)
from microcred.ledger.anchor import (
    Anchor,
    AnchorReader,
    ChainTransaction,
    anchor_data,
    verify_anchor,
)
from microcred.store.db import transaction
from microcred.store.tables import LogCheckpointRow
from microcred.transparency.repository import CheckpointRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker
    from web3 import Web3
    from web3.providers.base import BaseProvider

    from microcred.settings import Settings

log = logging.getLogger(__name__)

ANCHOR_JOB: Final = "witness.anchor"
# The job looks this often whether an anchor is due; the interval counts from the last anchor.
TICK_MINUTES: Final = 1
PENDING: Final = "pending"
CONFIRMED: Final = "confirmed"
RPC_TIMEOUT_SECONDS: Final = 10.0
# Verifications ask the chain on behalf of strangers: a shorter wait, no retries, answers shared.
READ_TIMEOUT_SECONDS: Final = 5.0
REMEMBER_SECONDS: Final = 600.0
BACK_OFF_SECONDS: Final = 30.0
MAX_REMEMBERED: Final = 1024
_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_T = TypeVar("_T")


@contextmanager
def recursion_limit_kept() -> Iterator[None]:
    """Import the chain libraries with the interpreter's recursion limit as it was: py_ecc
    (which web3 loads) raises it to 100,000 on import, and py-evm to 12,288. At such a depth a
    deeply nested request body overflows the C stack, a segmentation fault of the whole
    process, where the usual limit gives a RecursionError the caller refuses cleanly."""
    limit = sys.getrecursionlimit()
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


@dataclass(frozen=True)
class AnchorOutcome:
    anchor: Anchor
    created: bool  # False: the checkpoint was anchored before, nothing was sent


def public_anchor(record: object) -> Anchor | None:
    """The confirmed anchor of a ``log_checkpoints.anchor`` value, or None (absent, pending)."""
    if not isinstance(record, dict) or record.get("state") != CONFIRMED:
        return None
    return Anchor.from_json(record.get("anchor"))


class Web3AnchorReader:
    """An :class:`~microcred.ledger.anchor.AnchorReader` over a web3 connection."""

    def __init__(self, web3: Web3) -> None:
        self.web3 = web3

    def chain_id(self) -> int:
        return int(_ask(lambda: self.web3.eth.chain_id))

    def transaction(self, tx_hash: str) -> ChainTransaction | None:
        with recursion_limit_kept():
            from web3.exceptions import TransactionNotFound

        try:
            tx = _ask(lambda: self.web3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
        except ChainUnavailableError as error:
            if isinstance(error.__cause__, TransactionNotFound):
                return None
            raise
        number = tx.get("blockNumber")
        if number is None:
            return None  # known, not mined yet
        receipt = _ask(lambda: self.web3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        block = _ask(lambda: self.web3.eth.get_block(number))
        return ChainTransaction(
            chain_id=self.chain_id(),
            tx_hash=tx_hash,
            data=bytes(tx["input"]),
            block_number=int(number),
            block_timestamp=datetime.fromtimestamp(int(block["timestamp"]), UTC),
            succeeded=receipt["status"] == 1,
        )


class SharedAnchorReader:
    """The :class:`AnchorReader` the server's verifications share, so a public page cannot turn
    each request into calls to the operator's node (often a metered service).

    A mined transaction is remembered for ``remember`` seconds (not forever: a reorganised
    chain shows within that time) and the chain id likewise. Once the node fails to answer it
    is not asked again for ``back_off`` seconds: meanwhile every verification gets its warning
    at once instead of waiting for a timeout. Unknown transactions are not remembered.
    """

    def __init__(
        self,
        reader: AnchorReader,
        *,
        remember: float = REMEMBER_SECONDS,
        back_off: float = BACK_OFF_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = reader
        self._remember = remember
        self._back_off = back_off
        self._now = monotonic
        self._lock = threading.Lock()
        self._down_until = float("-inf")
        self._chain_id: tuple[float, int] | None = None
        self._mined: dict[str, tuple[float, ChainTransaction]] = {}

    def chain_id(self) -> int:
        now = self._now()
        known = self._chain_id
        if known is not None and now - known[0] < self._remember:
            return known[1]
        value = self._ask(self._reader.chain_id, now)
        self._chain_id = (now, value)
        return value

    def transaction(self, tx_hash: str) -> ChainTransaction | None:
        now = self._now()
        with self._lock:
            known = self._mined.get(tx_hash)
        if known is not None and now - known[0] < self._remember:
            return known[1]
        found = self._ask(lambda: self._reader.transaction(tx_hash), now)
        if found is not None:
            with self._lock:
                if len(self._mined) >= MAX_REMEMBERED:
                    self._mined.pop(next(iter(self._mined)))  # the oldest entry
                self._mined[tx_hash] = (now, found)
        return found

    def _ask(self, call: Callable[[], _T], now: float) -> _T:
        if now < self._down_until:
            raise ChainUnavailableError(
                "the chain did not answer a moment ago",
                expected=f"asked again {self._back_off:g} s after a failure",
            )
        try:
            return call()
        except ChainUnavailableError:
            self._down_until = now + self._back_off
            raise


class WitnessService:
    """Anchors checkpoints and reads them back. ``provider`` replaces the HTTP provider that
    ``MICROCRED_ANCHOR_RPC_URL`` would make (tests pass web3's ``EthereumTesterProvider``)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        settings: Settings,
        latest_checkpoint: Callable[[], LogCheckpointRow],
        provider: BaseProvider | None = None,
    ) -> None:
        """``settings``: the ``anchor_*`` ones. ``latest_checkpoint``: the log's newest
        checkpoint (the transparency service's), the one an anchoring run considers."""
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.latest_checkpoint = latest_checkpoint
        self._provider = provider
        self._web3: Web3 | None = None
        self._shared: SharedAnchorReader | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.anchor_enabled

    # ---- the chain ----------------------------------------------------------------------------

    def web3(self) -> Web3:
        if self._web3 is None:
            try:
                with recursion_limit_kept():
                    from web3 import HTTPProvider, Web3
            except ImportError as error:
                raise NotConfiguredError(
                    "anchoring needs web3", expected="pip install web3", found="no web3"
                ) from error
            provider = self._provider
            if provider is None:
                url = self.settings.anchor_rpc_url
                if not url:
                    raise NotConfiguredError("no chain to anchor on", expected="ANCHOR_RPC_URL")
                provider = HTTPProvider(url, request_kwargs={"timeout": RPC_TIMEOUT_SECONDS})
            self._web3 = Web3(provider)
        return self._web3

    def reader(self) -> Web3AnchorReader:
        return Web3AnchorReader(self.web3())

    def shared_reader(self) -> SharedAnchorReader | None:
        """The chain reader for the server's verifications, or None with the witness off (then
        web3 is never imported). Its own connection: short timeout, no retries."""
        if not self.enabled:
            return None
        if self._shared is None:
            if self._provider is not None:
                web3 = self.web3()
            else:
                try:
                    with recursion_limit_kept():
                        from web3 import HTTPProvider, Web3
                except ImportError as error:
                    raise NotConfiguredError(
                        "reading anchors needs web3", expected="pip install web3", found="no web3"
                    ) from error
                url = self.settings.anchor_rpc_url
                assert url is not None  # the settings refuse the witness on without one
                web3 = Web3(
                    HTTPProvider(
                        url,
                        request_kwargs={"timeout": READ_TIMEOUT_SECONDS},
                        exception_retry_configuration=None,
                    )
                )
            self._shared = SharedAnchorReader(Web3AnchorReader(web3))
        return self._shared

    # ---- anchoring ----------------------------------------------------------------------------

    def anchor(self, size: int | None = None) -> AnchorOutcome:
        """Anchor the checkpoint of ``size`` (default: the latest); idempotent.

        Raises :class:`NotConfiguredError` when the witness is off, :class:`NotFoundError`
        for an unknown size, :class:`ChainUnavailableError` when the chain cannot be reached
        (run again later: a pending anchor is resumed, not sent twice).
        """
        settings = self.settings
        if not settings.anchor_enabled or settings.anchor_key is None:
            raise NotConfiguredError(
                "the log's witness is off",
                expected="MICROCRED_ANCHOR_ENABLED=true, an RPC URL and a sender key",
            )
        if size is None:
            size = self.latest_checkpoint().size
        record = self._record(size)
        done = public_anchor(record)
        if done is not None:
            return AnchorOutcome(done, created=False)
        if record is None:
            record = self._claim(size, self._signed_transaction(size))
            done = public_anchor(record)
            if done is not None:  # another run finished it meanwhile
                return AnchorOutcome(done, created=False)
        anchor = self._broadcast_and_wait(size, record)
        return AnchorOutcome(anchor, created=True)

    def _record(self, size: int) -> dict[str, Any] | None:
        with self.sessions() as session:
            return CheckpointRepository(session).require(size).anchor

    def _signed_transaction(self, size: int) -> dict[str, Any]:
        with recursion_limit_kept():
            from eth_account import Account

        key = self.settings.anchor_key
        assert key is not None  # checked by anchor()
        secret = key.get_secret_value().strip()
        if not _KEY.match(secret):  # never echo the key, not even in part
            raise NotConfiguredError(
                "MICROCRED_ANCHOR_KEY is not a private key",
                expected="64 hex digits",
                found=f"{len(secret)} characters",
            )
        account = Account.from_key(secret)
        web3 = self.web3()
        with self.sessions() as session:
            row = CheckpointRepository(session).get(size)
            assert row is not None
            data = anchor_data(row.note)
        chain_id = int(_ask(lambda: web3.eth.chain_id))
        # A zero-value transaction to itself: the data is the point, and no contract is needed.
        call: dict[str, Any] = {"from": account.address, "to": account.address, "value": 0}
        call["data"] = data
        tx = {
            **call,
            "nonce": _ask(lambda: web3.eth.get_transaction_count(account.address, "pending")),
            "gas": _ask(lambda: web3.eth.estimate_gas(call)),  # type: ignore[arg-type]
            "gasPrice": _ask(lambda: web3.eth.gas_price),
            "chainId": chain_id,
        }
        del tx["from"]
        signed = account.sign_transaction(tx)
        return {
            "state": PENDING,
            "from": account.address,
            "nonce": tx["nonce"],
            "chainId": chain_id,
            "txHash": "0x" + bytes(signed.hash).hex(),
            "rawTransaction": "0x" + bytes(signed.raw_transaction).hex(),
        }

    def _claim(self, size: int, pending: dict[str, Any]) -> dict[str, Any]:
        """Record ``pending`` unless the row already has a record; returns the row's record."""
        with transaction(self.sessions) as session:
            row = CheckpointRepository(session).lock(size)
            assert row is not None
            if row.anchor is None:
                row.anchor = pending
            return dict(row.anchor)

    def _broadcast_and_wait(self, size: int, record: dict[str, Any]) -> Anchor:
        with recursion_limit_kept():
            from web3.exceptions import TransactionNotFound

        web3 = self.web3()
        tx_hash = str(record["txHash"])
        try:
            known = _ask(lambda: web3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
        except ChainUnavailableError as error:
            if not isinstance(error.__cause__, TransactionNotFound):
                raise
            known = None
        if known is None:
            if self._overtaken(record):
                self._drop(size, record)
                raise AnchorError(
                    "the pending anchor transaction can no longer be mined: another transaction "
                    "of the sender used its nonce; its record was dropped, the next run signs anew",
                    found=tx_hash,
                )
            raw = bytes.fromhex(str(record["rawTransaction"]).removeprefix("0x"))
            _ask(lambda: web3.eth.send_raw_transaction(raw))
        timeout = self.settings.anchor_timeout_seconds
        receipt = _ask(
            lambda: web3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)  # type: ignore[arg-type]
        )
        if receipt["status"] != 1:
            # Mined but reverted: it will never succeed, and resuming it would fail the same
            # way at every run. Drop the record so that the next run signs anew.
            self._drop(size, record)
            raise AnchorError(
                "the anchor transaction failed on the chain; its record was dropped, "
                "the next run signs anew",
                found=tx_hash,
            )
        block = _ask(lambda: web3.eth.get_block(receipt["blockNumber"]))
        anchor = Anchor(
            tree_size=size,
            chain_id=int(record["chainId"]),
            tx_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            block_timestamp=datetime.fromtimestamp(int(block["timestamp"]), UTC),
        )
        with transaction(self.sessions) as session:
            row = CheckpointRepository(session).lock(size)
            assert row is not None
            current = public_anchor(row.anchor)
            if current is not None:
                return current  # another run confirmed it first
            row.anchor = {"state": CONFIRMED, "anchor": anchor.to_json()}
        return anchor

    def _overtaken(self, record: dict[str, Any]) -> bool:
        """Whether the sender's mined transactions already passed this record's nonce (two runs
        that signed for different checkpoints at once), so it can never be mined."""
        sender, nonce = record.get("from"), record.get("nonce")
        if not isinstance(sender, str) or not isinstance(nonce, int):
            return False  # a record from before the nonce was kept: resumed as it is
        web3 = self.web3()
        mined = _ask(lambda: web3.eth.get_transaction_count(sender, "latest"))  # type: ignore[arg-type]
        return int(mined) > nonce

    def _drop(self, size: int, record: dict[str, Any]) -> None:
        with transaction(self.sessions) as session:
            checkpoints = CheckpointRepository(session)
            row = checkpoints.lock(size)
            if row is not None and row.anchor == record:  # unless another run moved it on
                checkpoints.clear_anchor(size)

    # ---- the periodic job ---------------------------------------------------------------------

    @property
    def periodic(self) -> bool:
        """Whether the anchoring job runs: the witness on and an interval set. It looks every
        minute whether the newest checkpoint is due (:meth:`anchor_due`)."""
        return self.enabled and self.settings.anchor_interval_minutes > 0

    def run_job(self) -> None:
        """The job: anchor if due. A failure is logged (its kind, and our own message, which
        never holds the key; never a foreign error's text, which may hold the node's URL with
        its API key) and the next run tries again."""
        try:
            outcome = self.anchor_due()
        except MicrocredError as error:
            log.warning(
                "anchoring failed, tried again next time: %s: %s", type(error).__name__, error
            )
            return
        except Exception as error:
            # Where it failed, but not its text (which may hold the node's URL and API key).
            log.warning(
                "anchoring failed, tried again next time: %s at %s",
                type(error).__name__,
                " <- ".join(
                    f"{frame.filename}:{frame.lineno} in {frame.name}"
                    for frame in reversed(traceback.extract_tb(error.__traceback__, limit=-8))
                ),
            )
            return
        if outcome is not None and outcome.created:
            anchor = outcome.anchor
            log.info("anchored checkpoint %d in transaction %s", anchor.tree_size, anchor.tx_hash)

    def anchor_due(self) -> AnchorOutcome | None:
        """Anchor the newest checkpoint if the last anchor's block is at least
        ``anchor_interval_minutes`` old (or there is none); None when nothing was due.

        A pending anchor is resumed first, whatever its age: signing another transaction
        before it is mined or dropped could reuse its nonce.
        """
        interval = self.settings.anchor_interval_minutes
        if not self.enabled or interval <= 0:
            return None
        with self.sessions() as session:
            checkpoints = CheckpointRepository(session)
            newest = checkpoints.newest_size()
            last = checkpoints.last_with_anchor()
        if last is not None:
            size, record = last
            if isinstance(record, dict) and record.get("state") == PENDING:
                return self.anchor(size)
            if size == newest:
                return None  # the newest is anchored (or its record needs a person: log anchor)
            try:
                previous = public_anchor(record)
            except AnchorError:
                previous = None  # unreadable: its time is unknown, so it does not hold us back
            if previous is not None:
                age = self.clock() - previous.block_timestamp
                if age < timedelta(minutes=interval):
                    return None
        if newest == 0:
            return None  # nothing logged yet
        return self.anchor(newest)

    # ---- reading back -------------------------------------------------------------------------

    def verify(self, size: int) -> ChainTransaction:
        """Read the anchor of checkpoint ``size`` back from the chain and check it commits to
        the stored note. Raises :class:`AnchorError`, or :class:`NotFoundError` if none."""
        with self.sessions() as session:
            row = CheckpointRepository(session).require(size)
            anchor, note = public_anchor(row.anchor), row.note
        if anchor is None:
            raise NotFoundError("this checkpoint is not anchored", found=f"size {size}")
        return verify_anchor(anchor, note, self.reader())


def _ask(call: Any) -> Any:
    """Run one chain call; its failures become :class:`ChainUnavailableError` (chained)."""
    with recursion_limit_kept():
        from web3.exceptions import Web3Exception

    try:
        return call()
    except (Web3Exception, OSError, ValueError) as error:
        raise ChainUnavailableError(
            "the chain could not be asked", found=type(error).__name__
        ) from error


__all__ = [
    "AnchorOutcome",
    "SharedAnchorReader",
    "Web3AnchorReader",
    "WitnessService",
    "public_anchor",
]
