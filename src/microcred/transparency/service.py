"""The transparency log on the platform: every issuance and status change is appended, and every
append is sealed by a signed checkpoint.

- Entries are hash commitments (see :mod:`microcred.verify.log_check`): no personal data.
- Appends happen inside the transaction that stores the event, under the log lock
  (:meth:`SqlLogStore.lock`), so an event and its entry commit together or not at all.
- Each appending transaction signs one checkpoint for the tree it leaves and stores it in the
  same transaction. Signing under the lock means two checkpoints can never disagree, and a
  credential is provable the moment its transaction commits. One Ed25519 signature per
  transaction (about 50 us) is cheap next to the transaction itself; batch issuance appends a
  whole chunk in one transaction, so it signs once per chunk.
- The log key is the server's own (``issuer_id`` NULL, purpose ``log``), sealed at rest,
  created on first use under the log lock, and published in the server's DID document
  (``/.well-known/did.json``) together with its C2SP vkey.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from microcred.crypto.did import DID_CONTEXTS
from microcred.crypto.keys import PublicKey, SigningKey
from microcred.errors import AnchorError, ConflictError, InputError, NotFoundError, short
from microcred.issuers.keyring import new_key_row, open_key_row
from microcred.ledger import (
    EMPTY_ROOT,
    Checkpoint,
    LogProofError,
    consistency_proof,
    inclusion_proof,
    sign_checkpoint,
    verifier_key,
)
from microcred.ledger.anchor import Anchor
from microcred.ledger.recheck import DEFAULT_CHUNK, RecheckReport, recheck
from microcred.store.db import transaction
from microcred.store.log import NewEntry, SqlLogStore, SqlRecheckSource
from microcred.store.tables import CredentialRow, IssuerKeyRow, LogCheckpointRow
from microcred.transparency.repository import (
    LOG_PURPOSE,
    CheckpointRepository,
    LogKeyRepository,
)
from microcred.transparency.witness import public_anchor
from microcred.types import Did, JsonObject
from microcred.verify.log_check import BUNDLE_TYPE, issuance_entry, status_entry

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import sessionmaker

    from microcred.crypto.sealing import Sealer
    from microcred.urls import PublicUrls

_ANCHOR_SCAN = 1000  # rows with an anchor record looked at, newest first
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class InclusionProof:
    credential_id: str
    credential_url: str
    leaf_index: int
    checkpoint: LogCheckpointRow
    proof: list[bytes]


class TransparencyService:
    """An :class:`~microcred.issuing.issuance.IssuanceHook`; also records status changes."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        sealer: Sealer,
        anchor_enabled: bool,
    ) -> None:
        """``anchor_enabled``: inclusion proofs go to the newest anchored checkpoint."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.sealer = sealer
        self.anchor_enabled = anchor_enabled
        self._key: tuple[str, SigningKey] | None = None  # (key row id, unsealed key)

    # ---- identity -----------------------------------------------------------------------------

    @property
    def server_did(self) -> Did:
        return self.urls.server_did

    @property
    def origin(self) -> str:
        """The log's name in checkpoints (see :attr:`PublicUrls.log_origin`)."""
        return self.urls.log_origin

    # ---- appending (the issuance hook and the lifecycle's call) -----------------------------

    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None:
        self._append(
            session,
            [NewEntry(issuance_entry(c.document), c.id, c.issued_at) for c in credentials],
        )

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None:
        """Nothing: the checkpoint was signed inside the transaction (see the module doc)."""

    def record_status_change(
        self, session: Session, credential: CredentialRow, action: str, at: datetime
    ) -> None:
        """Append a commitment to a revocation, suspension or reinstatement, in the caller's
        transaction (``action`` is ``revoked``, ``suspended`` or ``reinstated``)."""
        self.record_status_changes(session, [(credential, action, at)])

    def record_status_changes(
        self, session: Session, changes: Sequence[tuple[CredentialRow, str, datetime]]
    ) -> None:
        """Several status changes of one transaction (a cascade's), in order: one append, one
        checkpoint, rather than one of each per credential."""
        self._append(
            session,
            [
                NewEntry(status_entry(self.urls.credential(row.id), action, at), row.id, at)
                for row, action, at in changes
            ],
        )

    def _append(self, session: Session, entries: Sequence[NewEntry]) -> None:
        if not entries:
            return
        store = SqlLogStore(session)
        store.lock()
        key = self._signing_key(session)
        log = store.append_entries(entries)
        self._sign(store, key, log.size, log.root())

    def _sign(self, store: SqlLogStore, key: SigningKey, size: int, root: bytes) -> None:
        now = self.clock()
        checkpoint = Checkpoint(origin=self.origin, tree_size=size, root_hash=root, timestamp=now)
        note = sign_checkpoint(checkpoint, _ed25519_secret(key))
        store.add_checkpoint(size=size, root_hash=root, note=note, at=checkpoint.timestamp)

    # ---- the log key --------------------------------------------------------------------------

    def _signing_key(self, session: Session) -> SigningKey:
        """The current log key, created if there is none. Call under the log lock."""
        row = LogKeyRepository(session).current()
        if row is None:
            return self._new_key(session)
        if self._key is not None and self._key[0] == row.id:
            return self._key[1]
        key = open_key_row(self.sealer, row)
        self._key = (row.id, key)
        return key

    def _new_key(self, session: Session) -> SigningKey:
        row, key = new_key_row(
            self.sealer,
            issuer_id=None,
            purpose=LOG_PURPOSE,
            fragment_prefix="log-",
            now=self.clock(),
        )
        LogKeyRepository(session).add(row)
        self._key = (row.id, key)
        return key

    def rotate_key(self) -> str:
        """Retire the log key; the next append is signed by a new one. Returns its vkey.

        Under the log lock, so no append signs with the retired key afterwards. Checkpoints
        already signed keep their signature (one checkpoint per tree size: re-signing the
        newest would replace evidence that bundles and anchors already hold); retired keys
        stay in the server's DID document and in every recheck, so those still verify.
        """
        with transaction(self.sessions) as session:
            SqlLogStore(session).lock()
            LogKeyRepository(session).retire_current(self.clock())
            key = self._new_key(session)
        return verifier_key(self.origin, _ed25519_public(key.public.multibase))

    def open_current_key(self) -> int:
        """Unseal the current log key, if the log has one (readiness); 1 or 0 opened."""
        with self.sessions() as session:
            row = LogKeyRepository(session).current()
        if row is None:
            return 0
        open_key_row(self.sealer, row)
        return 1

    def _log_keys(self, session: Session) -> list[IssuerKeyRow]:
        """Every log key, current first: retired ones still verify old checkpoints."""
        rows = LogKeyRepository(session).every()
        rows.sort(key=lambda k: (k.retired_at is not None, -k.created_at.timestamp()))
        return rows

    def _start(self) -> None:
        """Make the log key and the checkpoint of the empty log, if the log has neither."""
        with transaction(self.sessions) as session:
            store = SqlLogStore(session)
            store.lock()
            key = self._signing_key(session)
            if store.latest_checkpoint() is None:
                self._sign(store, key, 0, EMPTY_ROOT)

    def verifier_keys(self) -> list[str]:
        """The log keys as C2SP vkeys, current first."""
        with self.sessions() as session:
            rows = self._log_keys(session)
        if not rows:
            self._start()
            with self.sessions() as session:
                rows = self._log_keys(session)
        return [verifier_key(self.origin, _ed25519_public(r.public_multibase)) for r in rows]

    def did_document(self) -> JsonObject:
        """The server's did:web document: its log keys, and the log as a service."""
        vkeys = self.verifier_keys()
        with self.sessions() as session:
            rows = self._log_keys(session)
        did = self.server_did
        methods = [
            {
                "id": f"{did}{row.fragment}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": row.public_multibase,
            }
            for row in rows
        ]
        # Log keys sign checkpoints only, so they are listed for no verification relationship:
        # a credential claiming this DID as issuer must not verify with them.
        return {
            "@context": list(DID_CONTEXTS),
            "id": did,
            "verificationMethod": methods,
            "service": [
                {
                    "id": f"{did}#transparency-log",
                    "type": "TransparencyLog",
                    "serviceEndpoint": self.urls.log,
                    "origin": self.origin,
                    "verifierKeys": vkeys,
                }
            ],
        }

    # ---- reading ------------------------------------------------------------------------------

    def latest_checkpoint(self) -> LogCheckpointRow:
        with self.sessions() as session:
            row = SqlLogStore(session).latest_checkpoint()
        if row is None:
            self._start()
            with self.sessions() as session:
                row = SqlLogStore(session).latest_checkpoint()
        assert row is not None  # _start signed one
        return row

    def checkpoint(self, size: int) -> LogCheckpointRow:
        with self.sessions() as session:
            return CheckpointRepository(session).require(size)

    def inclusion(self, reference: str, size: int | None = None) -> InclusionProof:
        """The inclusion proof of a credential's issuance entry under a stored checkpoint
        (default: the latest). ``reference`` is the credential's id or URL."""
        credential_id = self._credential_id(reference)
        checkpoint = self.latest_checkpoint() if size is None else self.checkpoint(size)
        with self.sessions() as session:
            store = SqlLogStore(session)
            index = _leaf_index(store, credential_id, reference)
            return self._prove(store, credential_id, index, checkpoint)

    def _prove(
        self, store: SqlLogStore, credential_id: str, index: int, checkpoint: LogCheckpointRow
    ) -> InclusionProof:
        if index >= checkpoint.size:
            raise ConflictError(
                "the credential was logged after this checkpoint",
                expected=f"a checkpoint larger than {index}",
                found=f"size {checkpoint.size}",
            )
        proof = inclusion_proof(store, index, checkpoint.size)
        return InclusionProof(
            credential_id, self.urls.credential(credential_id), index, checkpoint, proof
        )

    def consistency(self, first: int, second: int) -> list[bytes]:
        """The RFC 9162 consistency proof between two tree sizes up to the latest checkpoint."""
        latest = self.latest_checkpoint().size
        if not 0 < first <= second <= latest:
            raise InputError(
                "tree sizes admit no consistency proof",
                expected=f"0 < first <= second <= {latest}",
                found=f"first {first}, second {second}",
            )
        with self.sessions() as session:
            try:
                return consistency_proof(SqlLogStore(session), first, second)
            except LogProofError as error:  # cannot happen for checked sizes; never a 500
                raise InputError(
                    error.message, expected=error.expected, found=error.found
                ) from error

    def recheck(self, *, chunk: int = DEFAULT_CHUNK) -> RecheckReport:
        """Recompute the whole stored log from its entries and compare every stored hash and
        checkpoint root, and every checkpoint's signature against the log keys (see
        :mod:`microcred.ledger.recheck`); raises :class:`RecheckError`.

        One read transaction, so appends made meanwhile are not seen half-way: SQLite's WAL
        gives the snapshot, PostgreSQL needs REPEATABLE READ for it.
        """
        with self.sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            keys = [_ed25519_public(row.public_multibase) for row in self._log_keys(session)]
            return recheck(
                SqlRecheckSource(session), origin=self.origin, log_keys=keys, chunk=chunk
            )

    def bundle(self, reference: str) -> JsonObject:
        """What an exported credential carries to prove its issuance offline.

        With the witness on, the proof is to the newest *anchored* checkpoint that holds the
        credential, when there is one, and the bundle carries its anchor.
        """
        credential_id = self._credential_id(reference)
        with self.sessions() as session:
            index = _leaf_index(SqlLogStore(session), credential_id, reference)
        anchored = None
        if self.anchor_enabled:
            anchored = self._anchored_checkpoint(after=index)
        # The checkpoint is chosen first, so the proof is built once, for it alone.
        checkpoint = self.latest_checkpoint() if anchored is None else self.checkpoint(anchored)
        with self.sessions() as session:
            proof = self._prove(SqlLogStore(session), credential_id, index, checkpoint)
        bundle: JsonObject = {
            "type": BUNDLE_TYPE,
            "credentialId": proof.credential_url,
            "leafIndex": proof.leaf_index,
            "treeSize": proof.checkpoint.size,
            "inclusionProof": [_b64(value) for value in proof.proof],
            "checkpoint": proof.checkpoint.note,
            "logKey": self.verifier_keys()[0],
            "logDid": self.server_did,
        }
        anchor = stored_anchor(proof.checkpoint)
        if anchor is not None:
            bundle["anchor"] = anchor.to_json()
        return bundle

    def _anchored_checkpoint(self, *, after: int) -> int | None:
        """The size of the newest checkpoint with a confirmed anchor that holds leaf ``after``.

        Scans down from the newest checkpoint, so it costs the checkpoints signed since the
        last anchor (the column has no index; anchors are expected often, say hourly).
        """
        with self.sessions() as session:
            checkpoints = CheckpointRepository(session)
            for row in checkpoints.with_anchor_holding(after, limit=_ANCHOR_SCAN):
                if stored_anchor(row) is not None:
                    return row.size
        return None

    def _credential_id(self, reference: str) -> str:
        prefix = self.urls.credential("")
        candidate = reference.removeprefix(prefix)
        if not _UUID.match(candidate):
            raise InputError(
                "not a credential id or URL",
                expected=f"a UUID or {prefix}<UUID>",
                found=short(reference),
            )
        return candidate


def checkpoint_json(row: LogCheckpointRow, origin: str) -> JsonObject:
    anchor = stored_anchor(row)
    return {
        "origin": origin,
        "treeSize": row.size,
        "rootHash": _b64(row.root_hash),
        "timestamp": row.at.isoformat().replace("+00:00", "Z"),
        "note": row.note,
        "anchor": None if anchor is None else anchor.to_json(),
    }


def stored_anchor(row: LogCheckpointRow) -> Anchor | None:
    """The checkpoint's confirmed anchor; None if there is none, it is pending, or the stored
    record is unreadable (an anchor is extra evidence, never a reason to fail a read)."""
    try:
        return public_anchor(row.anchor)
    except AnchorError:
        return None


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _ed25519_secret(key: SigningKey) -> Ed25519PrivateKey:
    native = key.native
    if not isinstance(native, Ed25519PrivateKey):
        raise InputError("the log key must be Ed25519", found=key.algorithm)
    return native


def _leaf_index(store: SqlLogStore, credential_id: str, reference: str) -> int:
    """The index of the credential's issuance entry (its first leaf)."""
    leaves = store.leaves_for_credential(credential_id)
    if not leaves:
        raise NotFoundError("this credential is not in the log", found=short(reference))
    return leaves[0].index


def _ed25519_public(multibase: str) -> Ed25519PublicKey:
    native = PublicKey.from_multibase(multibase).native
    if not isinstance(native, Ed25519PublicKey):
        raise InputError("the log key must be Ed25519", found=short(multibase))
    return native


__all__ = ["InclusionProof", "TransparencyService", "checkpoint_json", "stored_anchor"]
