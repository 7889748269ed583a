"""A credential's life after issuance: revoke, suspend, reinstate; and expiry for display.

States and moves (revocation is final)::

    active --suspend--> suspended --reinstate--> active
    active | suspended --revoke--> revoked

Each move is one transaction: the list bit, the credential's state, an audit event and a
transparency-log entry land together or not at all. The bits mirror the state exactly: a
revoked credential has its revocation bit set and its suspension bit clear. Copies a wallet
took by OpenID4VCI (``followers``) move with their original, in the same transaction.
Credentials that depend on another (a micro-degree on its parts, ``hooks``) are moved as the
hook says, in the same transaction too, and the hook hears after the commit.

Expiry is not a stored state: it follows from ``validUntil`` (set at issuance from the
achievement's validity) and the clock, see :mod:`microcred.status.expiry`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from sqlalchemy.orm import Session

from microcred.accounts.actor import SYSTEM, Actor
from microcred.audit.repository import AuditRepository
from microcred.crypto import jose
from microcred.crypto.statuslist import BitstringStatusList
from microcred.errors import ConflictError, InputError, MicrocredError, NotFoundError
from microcred.issuing.repository import CredentialRepository
from microcred.status.expiry import EffectiveState, effective_state
from microcred.status.repository import StatusListRepository
from microcred.store.db import transaction
from microcred.store.tables import CredentialRow
from microcred.verify.holder_proof import enveloped_data, is_envelope

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

    from microcred.transparency.service import TransparencyService
    from microcred.urls import PublicUrls

MAX_REASON = 500
Followers: TypeAlias = Callable[[Session, str], list[str]]
OnChange: TypeAlias = Callable[[str, str, datetime], None]


@dataclass(frozen=True)
class Dependent:
    """A credential that moves because another did: ``move`` is revoke, suspend or reinstate,
    ``reason`` the state reason it gets (it names the credential that moved first)."""

    issuer_id: str
    credential_id: str
    move: Literal["revoke", "suspend", "reinstate"]
    reason: str


@dataclass(frozen=True)
class Moved:
    """A credential that changed state: one of ours (``ref`` its id), or one a wallet holds
    from another issuer (``ref`` the wallet item's id), as its re-verification found."""

    ref: str
    action: str  # revoked | suspended | reinstated
    title: str
    url: str
    scope: tuple[str, ...] | None = None
    """Only these dependents (a hook's own keys: one chunk of a large cascade run as jobs);
    None: all of them."""


class LifecycleHook(Protocol):
    """Work on a move in its transaction (the credentials that depend on the one that
    moved), and after its commit (telling people)."""

    def on_move(self, session: Session, moved: Moved, now: datetime) -> list[Dependent]: ...

    def depended_on(self, session: Session, refs: Sequence[str]) -> set[str]:
        """Which of ``refs`` (credentials just moved as dependents) something depends on in
        turn: only those are asked about with :meth:`on_move` (one question for a whole
        cascade rather than one per credential)."""
        ...

    def after_moves(self, moved: Sequence[tuple[CredentialRow, str]]) -> None: ...


class StatusHook(Protocol):
    """Work that lands with status changes, in their transaction (webhook events)."""

    def statuses_changed(
        self, session: Session, changes: Sequence[tuple[CredentialRow, str]], at: datetime
    ) -> None: ...


@dataclass(frozen=True)
class _Move:
    action: Literal["revoked", "suspended", "reinstated"]
    allowed_from: frozenset[str]
    to_state: str
    needs_reason: bool
    bits: dict[str, bool]  # purpose -> the value its bit gets


_MOVES = {
    "revoke": _Move(
        "revoked",
        frozenset({"active", "suspended"}),
        "revoked",
        True,
        {"revocation": True, "suspension": False},
    ),
    "suspend": _Move("suspended", frozenset({"active"}), "suspended", True, {"suspension": True}),
    "reinstate": _Move(
        "reinstated", frozenset({"suspended"}), "active", False, {"suspension": False}
    ),
}


def check_reason(reason: str | None, *, required: bool) -> str | None:
    """The reason, stripped; InputError when it is required and missing, or too long."""
    text = reason.strip() if reason else ""
    if not text:
        if required:
            raise InputError("a reason is required", expected="1-500 characters", found="none")
        return None
    if len(text) > MAX_REASON:
        raise InputError(
            "reason is too long", expected=f"at most {MAX_REASON} characters", found=str(len(text))
        )
    return text


def _check_named(move: _Move, row: CredentialRow) -> None:
    """A bit the credential names no list for would change nothing a verifier sees (a VC-API
    credential signed without a status entry, or with one purpose only): refuse the move."""
    named = _status_purposes(row.document)
    for purpose, value in move.bits.items():
        if value and purpose not in named:
            raise ConflictError(
                f"this credential names no {purpose} status list, so verifiers would not see it "
                f"{move.action}",
                expected=f"a credential with a {purpose} status entry",
                found=", ".join(sorted(named)) or "no status entry",
            )


def _status_purposes(document: dict[str, Any]) -> set[str]:
    """The purposes of the credential's status entries (a VC-JWT's from its payload)."""
    if is_envelope(document):
        token = enveloped_data(document)
        try:
            _, document = jose.decode_unverified(token or "")
        except MicrocredError:
            return set()
    status = document.get("credentialStatus")
    entries = status if isinstance(status, list) else [status]
    return {
        str(entry.get("statusPurpose"))
        for entry in entries
        if isinstance(entry, dict) and entry.get("statusPurpose")
    }


class LifecycleService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        transparency: TransparencyService,
        followers: Followers | None = None,
        on_change: OnChange | None = None,
        hooks: list[LifecycleHook] | None = None,
        status_hooks: Sequence[StatusHook] = (),
    ) -> None:
        """``followers``: the credentials that share a credential's fate (the copies a wallet
        took by OpenID4VCI), found in the caller's transaction; each follows every move.
        ``on_change(credential_id, move, at)``: called after a move commits (the recipient's
        e-mail), for the credential moved and its dependents (a micro-degree that follows its
        parts), not its followers (the same recipient's copies). ``hooks``: features whose
        credentials depend on others (pathways), asked for dependents in the transaction and
        told after it commits. ``status_hooks``: work that lands inside each move's transaction,
        dependents' moves included (webhook events)."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.transparency = transparency
        self.followers = followers
        self.on_change = on_change
        self.hooks = hooks if hooks is not None else []
        self.status_hooks = list(status_hooks)
        self.batch_flush = True

    def revoke(
        self, actor: Actor, issuer_id: str, credential_id: str, reason: str | None
    ) -> CredentialRow:
        """Revoke for good; ConflictError if already revoked."""
        return self._move("revoke", actor, issuer_id, credential_id, reason)

    def suspend(
        self, actor: Actor, issuer_id: str, credential_id: str, reason: str | None
    ) -> CredentialRow:
        """Suspend an active credential until it is reinstated."""
        return self._move("suspend", actor, issuer_id, credential_id, reason)

    def reinstate(
        self, actor: Actor, issuer_id: str, credential_id: str, reason: str | None = None
    ) -> CredentialRow:
        """Lift a suspension; a revoked credential cannot be reinstated."""
        return self._move("reinstate", actor, issuer_id, credential_id, reason)

    def effective_state(self, row: CredentialRow, now: datetime | None = None) -> EffectiveState:
        return effective_state(row, now or self.clock())

    def _move(
        self, name: str, actor: Actor, issuer_id: str, credential_id: str, reason: str | None
    ) -> CredentialRow:
        move = _MOVES[name]
        actor.require(issuer_id, "issuer")
        text = check_reason(reason, required=move.needs_reason)
        now = self.clock().replace(microsecond=0)
        with transaction(self.sessions) as session:
            # Another issuer's credential is "no such credential": its existence is not told.
            row = CredentialRepository(session).lock(issuer_id, credential_id)
            if row.state not in move.allowed_from:
                raise ConflictError(
                    f"a {row.state} credential cannot be {move.action}",
                    expected=" or ".join(sorted(move.allowed_from)),
                    found=row.state,
                )
            _check_named(move, row)
            log: list[tuple[CredentialRow, str, datetime]] = []
            self._apply(session, move, row, text, actor, now, log)
            for follower_id in self.followers(session, row.id) if self.followers else ():
                follower = CredentialRepository(session).lock(issuer_id, follower_id)
                if follower.state in move.allowed_from:
                    self._apply(session, move, follower, text, actor, now, log)
            moved: list[tuple[CredentialRow, str]] = [(row, move.action)]
            self._dependents(session, self._moved(row, move.action), actor, now, moved, log)
            # The log entries of every credential moved here: one append, one checkpoint.
            self.transparency.record_status_changes(session, log)
        self._tell(moved, now)
        return row

    def followed(self, moved: Moved) -> None:
        """Another issuer's credential a wallet holds changed state: what depends on it here
        (a micro-degree) moves as its hooks say, in one transaction."""
        now = self.clock().replace(microsecond=0)
        done: list[tuple[CredentialRow, str]] = []
        with transaction(self.sessions) as session:
            log: list[tuple[CredentialRow, str, datetime]] = []
            if moved.scope is None or not self.batch_flush:
                self._dependents(session, moved, SYSTEM, now, done, log)
            else:
                # A chunk of a large cascade: its many small writes flushed together (what it
                # reads back, the status lists, it holds in the session already).
                with session.no_autoflush:
                    self._dependents(session, moved, SYSTEM, now, done, log)
            self.transparency.record_status_changes(session, log)
        self._tell(done, now)

    def _tell(self, moved: list[tuple[CredentialRow, str]], now: datetime) -> None:
        """After the commit: the recipients' e-mail and the hooks, for each credential moved."""
        for moved_row, action in moved:
            if self.on_change is not None:
                self.on_change(moved_row.id, action, now)
        for hook in self.hooks:
            hook.after_moves(moved)

    def _moved(self, row: CredentialRow, action: str) -> Moved:
        subject = row.document.get("credentialSubject") or {}
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        name = achievement.get("name") if isinstance(achievement, dict) else None
        return Moved(row.id, action, str(name or row.id), self.urls.credential(row.id))

    def _dependents(
        self,
        session: Session,
        moved: Moved,
        actor: Actor,
        now: datetime,
        done: list[tuple[CredentialRow, str]],
        log: list[tuple[CredentialRow, str, datetime]],
        depth: int = 0,
    ) -> None:
        """Move what depends on ``moved`` (and, a few levels deep, on those), in this
        transaction; a dependent already in the target state is left as it is. The
        dependents of one move are locked, their bits set and their events written together
        (a part thousands of micro-degrees counted moves them in a few statements)."""
        if depth > 4:
            return
        for hook in self.hooks:
            dependents = hook.on_move(session, moved, now)
            if not dependents:
                continue
            targets = CredentialRepository(session).lock_many(
                [(d.issuer_id, d.credential_id) for d in dependents]
            )
            moves: list[tuple[_Move, CredentialRow, str | None]] = []
            for dependent in dependents:
                target = targets.get(dependent.credential_id)
                if target is None:
                    raise NotFoundError("no such credential", found=dependent.credential_id)
                move = _MOVES[dependent.move]
                if target.state in move.allowed_from:
                    moves.append((move, target, dependent.reason[:MAX_REASON]))
            self._apply_many(session, moves, actor, now, log)
            done.extend((target, move.action) for move, target, _reason in moves)
            onward = set().union(
                *(h.depended_on(session, [t.id for _m, t, _r in moves]) for h in self.hooks)
            )
            for move, target, _reason in moves:
                if target.id in onward:
                    self._dependents(
                        session, self._moved(target, move.action), actor, now, done, log, depth + 1
                    )

    def _apply(
        self,
        session: Session,
        move: _Move,
        row: CredentialRow,
        reason: str | None,
        actor: Actor,
        now: datetime,
        log: list[tuple[CredentialRow, str, datetime]],
    ) -> None:
        self._apply_many(session, [(move, row, reason)], actor, now, log)

    def _apply_many(
        self,
        session: Session,
        moves: Sequence[tuple[_Move, CredentialRow, str | None]],
        actor: Actor,
        now: datetime,
        log: list[tuple[CredentialRow, str, datetime]],
    ) -> None:
        """Credentials' moves: their status bits (each list read, changed and written once),
        states and audit events; their log entries go on ``log``, which the caller appends
        before its transaction ends."""
        if not moves:
            return
        bits: dict[tuple[str, str, int], dict[int, bool]] = {}
        for move, row, _reason in moves:
            for purpose, value in move.bits.items():
                key = (row.issuer_id, purpose, row.status_list_seq)
                bits.setdefault(key, {})[row.status_index] = value
        status_lists = StatusListRepository(session)
        for (issuer_id, purpose, seq), changes in sorted(bits.items()):
            _set_bits(status_lists, issuer_id, seq, purpose, changes, now)
        events = []
        by_action: dict[str, list[tuple[CredentialRow, str]]] = {}
        for move, row, reason in moves:
            previous = row.state
            row.state, row.state_reason = move.to_state, reason
            events.append(
                {
                    "issuer_id": row.issuer_id,
                    "actor": actor.name,
                    "action": f"credential.{move.action}",
                    "subject": self.urls.credential(row.id),
                    "details": {"reason": reason, "from": previous},
                    "at": now,
                }
            )
            log.append((row, move.action, now))
            by_action.setdefault(move.action, []).append((row, move.action))
        AuditRepository(session).record_many(events)
        for changed in by_action.values():
            for status_hook in self.status_hooks:
                status_hook.statuses_changed(session, changed, now)

    def set_status_bit(
        self,
        session: Session,
        *,
        issuer_id: str,
        seq: int,
        index: int,
        purpose: str,
        value: bool,
        now: datetime,
    ) -> None:
        """One status bit of a signed document kept outside the credentials table (an
        endorsement), in the caller's transaction."""
        _set_bit(StatusListRepository(session), issuer_id, seq, index, purpose, value, now)


def _set_bit(
    status_lists: StatusListRepository,
    issuer_id: str,
    seq: int,
    index: int,
    purpose: str,
    value: bool,
    now: datetime,
) -> None:
    _set_bits(status_lists, issuer_id, seq, purpose, {index: value}, now)


def _set_bits(
    status_lists: StatusListRepository,
    issuer_id: str,
    seq: int,
    purpose: str,
    changes: dict[int, bool],
    now: datetime,
) -> None:
    """Bits of one list (index -> value), in one read and one write of the list."""
    # Locked: two status changes on one list must not both rewrite the bits from one read.
    status_list = status_lists.lock(issuer_id, purpose, seq)
    if status_list is None:
        raise NotFoundError(
            "the credential's status list is missing",
            expected=f"{purpose} list {seq}",
            found="none",
        )
    bits = BitstringStatusList.from_bytes(status_list.bits, allow_small=True)
    changed = [(index, value) for index, value in changes.items() if bits.get(index) != value]
    if not changed:
        return
    for index, value in changed:
        bits.set(index, value)
    status_list.bits = bits.to_bytes()
    status_list.changed_at = now
    status_list.signed = None  # the kept signature no longer says the truth
    status_list.signed_at = None
