"""All of the OAuth server's SQL: registered clients, authorization codes, token pairs.

Secrets, codes and tokens arrive here as SHA-256 digests. Spending a code is a conditional
UPDATE (two requests racing with one code cannot both win); a refresh token's row is locked
while it is exchanged, so two refreshes with one token are served one after the other and the
second finds it rotated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import CursorResult

from microcred.store.repository import Repository
from microcred.store.tables import OAuthClientRow, OAuthCodeRow, OAuthTokenRow


@dataclass(frozen=True)
class AuthorisedClient:
    """A client holding live tokens of a learner: what the learner's apps page lists."""

    client: OAuthClientRow
    scopes: tuple[str, ...]
    first_granted_at: datetime
    last_used_at: datetime


class OAuthRepository(Repository):
    noun = "OAuth client"

    # ---- clients --------------------------------------------------------------------------------

    def add_client(self, row: OAuthClientRow) -> None:
        self.session.add(row)
        self.session.flush()

    def client(self, client_id: str) -> OAuthClientRow | None:
        return self.session.get(OAuthClientRow, client_id)

    def clients(self, client_ids: Sequence[str]) -> dict[str, OAuthClientRow]:
        rows = self.session.scalars(
            select(OAuthClientRow).where(OAuthClientRow.client_id.in_(list(client_ids)))
        )
        return {row.client_id: row for row in rows}

    # ---- authorization codes --------------------------------------------------------------------

    def add_code(self, row: OAuthCodeRow) -> None:
        self.session.add(row)
        self.session.flush()

    def code(self, code_hash: str) -> OAuthCodeRow | None:
        return self.session.get(OAuthCodeRow, code_hash)

    def spend_code(self, code_hash: str, now: datetime) -> bool:
        """Mark the code used; False when it already was, or has expired."""
        return bool(
            self._rowcount(
                update(OAuthCodeRow)
                .where(
                    OAuthCodeRow.code_hash == code_hash,
                    OAuthCodeRow.used_at.is_(None),
                    OAuthCodeRow.expires_at > now,
                )
                .values(used_at=now)
            )
        )

    def forget_expired_codes(self, now: datetime) -> None:
        """Codes past their lifetime can only be refused; a used one is kept until then so a
        replay within its lifetime is recognised (and its tokens revoked)."""
        self.session.execute(delete(OAuthCodeRow).where(OAuthCodeRow.expires_at <= now))

    # ---- tokens ---------------------------------------------------------------------------------

    def add_token(self, row: OAuthTokenRow) -> None:
        self.session.add(row)
        self.session.flush()

    def live_access(self, access_hash: str, now: datetime) -> OAuthTokenRow | None:
        """The row of an access token that is neither expired, rotated nor revoked."""
        return self.session.scalar(
            select(OAuthTokenRow).where(
                OAuthTokenRow.access_hash == access_hash,
                OAuthTokenRow.access_expires_at > now,
                OAuthTokenRow.rotated_at.is_(None),
                OAuthTokenRow.revoked_at.is_(None),
            )
        )

    def lock_refresh(self, refresh_hash: str) -> OAuthTokenRow | None:
        """The row holding this refresh token, whatever its state, locked until the caller's
        transaction ends (SELECT ... FOR UPDATE; SQLite's write lock covers it there)."""
        return self.session.scalar(
            select(OAuthTokenRow)
            .where(OAuthTokenRow.refresh_hash == refresh_hash)
            .with_for_update()
        )

    def by_token(self, token_hash: str, *, refresh_first: bool) -> OAuthTokenRow | None:
        """The row holding this access or refresh token, whatever its state."""
        by_access = select(OAuthTokenRow).where(OAuthTokenRow.access_hash == token_hash)
        by_refresh = select(OAuthTokenRow).where(OAuthTokenRow.refresh_hash == token_hash)
        first, second = (by_refresh, by_access) if refresh_first else (by_access, by_refresh)
        return self.session.scalar(first) or self.session.scalar(second)

    def rotate(self, access_hash: str, now: datetime) -> None:
        """Retire a token pair whose refresh token was exchanged for a new pair."""
        self.session.execute(
            update(OAuthTokenRow)
            .where(OAuthTokenRow.access_hash == access_hash, OAuthTokenRow.rotated_at.is_(None))
            .values(rotated_at=now)
        )

    def revoke_grant(self, grant_id: str, now: datetime) -> int:
        """Revoke every token pair one approval led to; how many were still unrevoked."""
        return self._rowcount(
            update(OAuthTokenRow)
            .where(OAuthTokenRow.grant_id == grant_id, OAuthTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def revoke_client_for(self, learner_id: str, client_id: str, now: datetime) -> int:
        return self._rowcount(
            update(OAuthTokenRow)
            .where(
                OAuthTokenRow.learner_id == learner_id,
                OAuthTokenRow.client_id == client_id,
                OAuthTokenRow.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )

    def authorised_clients(self, learner_id: str, now: datetime) -> list[AuthorisedClient]:
        """Clients with a token pair of the learner that still works (an unexpired access
        token, or a refresh token that can still be exchanged)."""
        rows = self.session.scalars(
            select(OAuthTokenRow)
            .where(
                OAuthTokenRow.learner_id == learner_id,
                OAuthTokenRow.revoked_at.is_(None),
                OAuthTokenRow.rotated_at.is_(None),
                or_(
                    OAuthTokenRow.access_expires_at > now,
                    OAuthTokenRow.refresh_expires_at > now,
                ),
            )
            .order_by(OAuthTokenRow.issued_at)
        ).all()
        clients = self.clients(sorted({row.client_id for row in rows}))
        seen: dict[str, AuthorisedClient] = {}
        for row in rows:
            scopes = tuple(row.scope.split())
            earlier = seen.get(row.client_id)
            if earlier is not None:
                scopes = tuple(dict.fromkeys((*earlier.scopes, *scopes)))
            seen[row.client_id] = AuthorisedClient(
                client=clients[row.client_id],
                scopes=scopes,
                first_granted_at=earlier.first_granted_at if earlier else row.issued_at,
                last_used_at=row.issued_at,
            )
        return sorted(seen.values(), key=lambda item: item.client.client_name.lower())

    def tokens_of(self, learner_id: str) -> list[OAuthTokenRow]:
        return list(
            self.session.scalars(
                select(OAuthTokenRow)
                .where(OAuthTokenRow.learner_id == learner_id)
                .order_by(OAuthTokenRow.issued_at)
            )
        )

    def count_live_tokens(self, learner_id: str, now: datetime) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(OAuthTokenRow)
                .where(
                    OAuthTokenRow.learner_id == learner_id,
                    OAuthTokenRow.revoked_at.is_(None),
                    OAuthTokenRow.rotated_at.is_(None),
                    OAuthTokenRow.access_expires_at > now,
                )
            )
            or 0
        )

    def delete_learner(self, learner_id: str) -> None:
        """Every code and token of the learner (the learner's account is being deleted)."""
        self.session.execute(delete(OAuthTokenRow).where(OAuthTokenRow.learner_id == learner_id))
        self.session.execute(delete(OAuthCodeRow).where(OAuthCodeRow.learner_id == learner_id))

    def _rowcount(self, statement: object) -> int:
        result = self.session.execute(statement)  # type: ignore[call-overload]
        assert isinstance(result, CursorResult)
        return int(result.rowcount)
