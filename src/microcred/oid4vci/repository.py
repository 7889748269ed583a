"""All of OpenID4VCI's SQL: offers' pre-authorized codes, access tokens, used nonces, and the
link from a credential to the copies re-issued to wallets' keys.

Codes and tokens arrive here as SHA-256 digests; taking one is a conditional UPDATE, so two
requests racing with the same code or token cannot both win.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from microcred.store.repository import Repository
from microcred.store.tables import (
    Oid4vciCopyRow,
    Oid4vciOfferRow,
    Oid4vciTokenRow,
    Oid4vciUsedNonceRow,
)


class Oid4vciRepository(Repository):
    noun = "credential offer"

    def add_offer(
        self, code_hash: str, credential_id: str, *, now: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            Oid4vciOfferRow(
                code_hash=code_hash,
                credential_id=credential_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        self.session.flush()

    def take_offer(self, code_hash: str, now: datetime) -> str | None:
        """Mark the offer's code used; its credential id, or None when the code is unknown,
        used or expired."""
        credential_id = self.session.scalar(
            select(Oid4vciOfferRow.credential_id).where(Oid4vciOfferRow.code_hash == code_hash)
        )
        if credential_id is None:
            return None
        taken = self._rowcount(
            update(Oid4vciOfferRow)
            .where(
                Oid4vciOfferRow.code_hash == code_hash,
                Oid4vciOfferRow.used_at.is_(None),
                Oid4vciOfferRow.expires_at > now,
            )
            .values(used_at=now)
        )
        return credential_id if taken else None

    def add_token(
        self, token_hash: str, credential_id: str, *, now: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            Oid4vciTokenRow(
                token_hash=token_hash,
                credential_id=credential_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        self.session.flush()

    def live_token(self, token_hash: str, now: datetime) -> str | None:
        """The credential id an unspent, unexpired token is for, or None."""
        return self.session.scalar(
            select(Oid4vciTokenRow.credential_id).where(
                Oid4vciTokenRow.token_hash == token_hash,
                Oid4vciTokenRow.spent_at.is_(None),
                Oid4vciTokenRow.expires_at > now,
            )
        )

    def spend_token(self, token_hash: str, now: datetime) -> bool:
        return bool(
            self._rowcount(
                update(Oid4vciTokenRow)
                .where(
                    Oid4vciTokenRow.token_hash == token_hash,
                    Oid4vciTokenRow.spent_at.is_(None),
                    Oid4vciTokenRow.expires_at > now,
                )
                .values(spent_at=now)
            )
        )

    def use_nonce(self, nonce_hash: str, expires_at: datetime) -> bool:
        """Record a nonce as used, in a savepoint; False when it already was (the primary key
        refuses a second use, whatever races), leaving the caller's transaction usable."""
        try:
            with self.session.begin_nested():
                self.session.add(Oid4vciUsedNonceRow(nonce_hash=nonce_hash, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def link_copy(self, copy_id: str, original_id: str, holder_did: str, *, now: datetime) -> bool:
        """Record that ``copy_id`` re-issues ``original_id`` to ``holder_did``; False when
        that link already exists (the same key asked again and got the same copy)."""
        if self.session.get(Oid4vciCopyRow, copy_id) is not None:
            return False
        self.session.add(
            Oid4vciCopyRow(
                copy_id=copy_id, original_id=original_id, holder_did=holder_did, created_at=now
            )
        )
        self.session.flush()
        return True

    def copies_of(self, original_id: str) -> list[Oid4vciCopyRow]:
        return list(
            self.session.scalars(
                select(Oid4vciCopyRow)
                .where(Oid4vciCopyRow.original_id == original_id)
                .order_by(Oid4vciCopyRow.created_at, Oid4vciCopyRow.copy_id)
            )
        )

    def forget_expired(self, now: datetime) -> None:
        """Delete offers, tokens and used nonces past their expiry (they can never match)."""
        for table in (Oid4vciOfferRow, Oid4vciTokenRow, Oid4vciUsedNonceRow):
            self.session.execute(delete(table).where(table.expires_at <= now))

    def _rowcount(self, statement: object) -> int:
        result = self.session.execute(statement)  # type: ignore[call-overload]
        assert isinstance(result, CursorResult)
        return result.rowcount


__all__ = ["Oid4vciRepository"]
