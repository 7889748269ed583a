"""Staff accounts' SQL.

Repositories take the caller's session and never commit: the service owns the unit of work.
Every query on issuer-owned rows filters on ``issuer_id``; a row of another issuer is simply
not found.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError

from microcred.store.repository import Repository
from microcred.store.tables import (
    SignInLimitRow,
    StaffSessionRow,
    StaffUserRow,
)


class StaffRepository(Repository):
    noun = "staff user"

    def add(self, row: StaffUserRow) -> None:
        self.session.add(row)
        self.session.flush()

    def by_email(self, email: str) -> StaffUserRow | None:
        return self.session.scalar(select(StaffUserRow).where(StaffUserRow.email == email))

    def get(self, user_id: str) -> StaffUserRow | None:
        return self.session.get(StaffUserRow, user_id)

    def lock(self, user_id: str) -> StaffUserRow | None:
        """The user, row-locked until commit: two concurrent sign-ins must not both count a
        failure (or both clear the count) from one read."""
        return self.session.get(StaffUserRow, user_id, with_for_update=True)

    def delete(self, row: StaffUserRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def for_issuer(self, issuer_id: str) -> list[StaffUserRow]:
        return list(
            self.session.scalars(
                select(StaffUserRow)
                .where(StaffUserRow.issuer_id == issuer_id)
                .order_by(StaffUserRow.created_at)
            )
        )


class StaffSessionRepository(Repository):
    """Console sessions by the digest of their id, and failed sign-ins counted in windows."""

    noun = "staff session"

    def add(self, id_hash: str, user_id: str, now: datetime, expires_at: datetime) -> None:
        self.session.execute(delete(StaffSessionRow).where(StaffSessionRow.expires_at <= now))
        self.session.add(
            StaffSessionRow(id_hash=id_hash, user_id=user_id, created_at=now, expires_at=expires_at)
        )

    def user_of(self, id_hash: str, now: datetime) -> StaffUserRow | None:
        """The user of a live session, in one query."""
        return self.session.scalar(
            select(StaffUserRow)
            .join(StaffSessionRow, StaffSessionRow.user_id == StaffUserRow.id)
            .where(StaffSessionRow.id_hash == id_hash, StaffSessionRow.expires_at > now)
        )

    def remove(self, id_hash: str) -> None:
        self.session.execute(delete(StaffSessionRow).where(StaffSessionRow.id_hash == id_hash))

    def remove_all_of(self, user_id: str) -> int:
        """End every session of this user; how many there were (expired ones included)."""
        ended = self.session.execute(
            delete(StaffSessionRow).where(StaffSessionRow.user_id == user_id)
        )
        return _rowcount(ended)

    # ---- failed sign-ins ----------------------------------------------------------------------

    def failures(self, key: str, now: datetime) -> tuple[int, datetime | None]:
        """Failures counted against ``key`` in its current window, and when that ends."""
        row = self.session.get(SignInLimitRow, key)
        if row is None or row.window_ends_at <= now:
            return 0, None
        return row.count, row.window_ends_at

    def fail(self, key: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
        """Count one failure against ``key`` (a new window once the last one ended)."""
        limit = SignInLimitRow
        self.session.execute(
            update(limit)
            .where(limit.key == key, limit.window_ends_at <= now)
            .values(count=0, window_ends_at=now + window)
        )
        bumped = self.session.execute(
            update(limit).where(limit.key == key).values(count=limit.count + 1)
        )
        if _rowcount(bumped) == 0:
            try:
                with self.session.begin_nested():
                    self.session.add(limit(key=key, count=1, window_ends_at=now + window))
            except IntegrityError:  # another worker made the row first: count on it
                self.session.execute(
                    update(limit).where(limit.key == key).values(count=limit.count + 1)
                )
        row = self.session.get(limit, key, populate_existing=True)
        assert row is not None
        return row.count, row.window_ends_at

    def clear(self, key: str) -> None:
        self.session.execute(delete(SignInLimitRow).where(SignInLimitRow.key == key))


def _rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
