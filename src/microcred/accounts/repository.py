"""Staff accounts' SQL.

Repositories take the caller's session and never commit: the service owns the unit of work.
Every query on issuer-owned rows filters on ``issuer_id``; a row of another issuer is simply
not found.
"""

from __future__ import annotations

from sqlalchemy import select

from microcred.store.repository import Repository
from microcred.store.tables import (
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

    def for_issuer(self, issuer_id: str) -> list[StaffUserRow]:
        return list(
            self.session.scalars(
                select(StaffUserRow)
                .where(StaffUserRow.issuer_id == issuer_id)
                .order_by(StaffUserRow.created_at)
            )
        )
