"""The SQL of employers' contact requests and of the handles their searches found."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from microcred.store.repository import Repository
from microcred.store.tables import (
    ContactRequestRow,
    EmployerHandleRow,
    EmployerRow,
    EmployerSessionRow,
    EmployerStaffRow,
    SkillShareRow,
)


class ContactRepository(Repository):
    noun = "contact request"

    def employer(self, employer_id: str) -> EmployerRow | None:
        return self.session.get(EmployerRow, employer_id)

    # ---- handles ------------------------------------------------------------------------------

    def remember_handles(
        self, employer_id: str, found: Iterable[tuple[str, str]], at: datetime
    ) -> None:
        """(handle, learner) pairs a search of this employer just found."""
        for handle, learner_id in found:
            row = self.session.get(EmployerHandleRow, (employer_id, handle))
            if row is not None:
                row.found_at = at
                continue
            try:  # two searches at once may both find her: the first row stands
                with self.session.begin_nested():
                    self.session.add(
                        EmployerHandleRow(
                            employer_id=employer_id,
                            handle=handle,
                            learner_id=learner_id,
                            found_at=at,
                        )
                    )
            except IntegrityError:
                continue

    def learner_found(self, employer_id: str, handle: str) -> str | None:
        """The learner this employer's searches found under ``handle``, if she still shares
        something (one who withdrew everything cannot be asked any more)."""
        query = (
            select(EmployerHandleRow.learner_id)
            .where(EmployerHandleRow.employer_id == employer_id, EmployerHandleRow.handle == handle)
            .where(
                select(SkillShareRow.learner_id)
                .where(SkillShareRow.learner_id == EmployerHandleRow.learner_id)
                .exists()
            )
        )
        return self.session.scalar(query)

    # ---- requests -----------------------------------------------------------------------------

    def add(self, row: ContactRequestRow) -> bool:
        """False when this employer already asked this learner (the unique key decides, so
        two requests racing cannot both be made)."""
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return False
        return True

    def between(self, employer_id: str, learner_id: str) -> ContactRequestRow | None:
        return self.session.scalar(
            select(ContactRequestRow).where(
                ContactRequestRow.employer_id == employer_id,
                ContactRequestRow.learner_id == learner_id,
            )
        )

    def made_since(self, employer_id: str, since: datetime) -> int:
        query = select(func.count()).where(
            ContactRequestRow.employer_id == employer_id, ContactRequestRow.created_at >= since
        )
        return int(self.session.scalar(query) or 0)

    def of_employer(self, employer_id: str, *, limit: int) -> list[ContactRequestRow]:
        query = (
            select(ContactRequestRow)
            .where(ContactRequestRow.employer_id == employer_id)
            .order_by(ContactRequestRow.created_at.desc(), ContactRequestRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def of_learner(self, learner_id: str, *, limit: int) -> list[tuple[ContactRequestRow, str]]:
        """The learner's requests with the employer's name, newest first."""
        query = (
            select(ContactRequestRow, EmployerRow.name)
            .join(EmployerRow, EmployerRow.id == ContactRequestRow.employer_id)
            .where(ContactRequestRow.learner_id == learner_id)
            .order_by(ContactRequestRow.created_at.desc(), ContactRequestRow.id)
            .limit(limit)
        )
        return [(row, name) for row, name in self.session.execute(query)]

    def learners_request(self, learner_id: str, request_id: str) -> ContactRequestRow:
        """One of the learner's requests (another learner's is not found)."""
        row = self.session.get(ContactRequestRow, request_id)
        return self.found(
            row if row is not None and row.learner_id == learner_id else None, request_id
        )

    def forget_learner(self, learner_id: str) -> None:
        self.session.execute(
            delete(ContactRequestRow).where(ContactRequestRow.learner_id == learner_id)
        )
        self.session.execute(
            delete(EmployerHandleRow).where(EmployerHandleRow.learner_id == learner_id)
        )


class EmployerStaffRepository(Repository):
    noun = "staff member"

    def add(self, row: EmployerStaffRow) -> None:
        self.session.add(row)

    def by_token(self, token_hash: str) -> tuple[EmployerStaffRow, EmployerRow] | None:
        query = (
            select(EmployerStaffRow, EmployerRow)
            .join(EmployerRow, EmployerRow.id == EmployerStaffRow.employer_id)
            .where(EmployerStaffRow.token_hash == token_hash, EmployerStaffRow.revoked_at.is_(None))
        )
        found = self.session.execute(query).first()
        return (found[0], found[1]) if found is not None else None

    def get(self, employer_id: str, staff_id: str) -> EmployerStaffRow:
        """One of this employer's staff (another employer's is not found)."""
        row = self.session.get(EmployerStaffRow, staff_id)
        return self.found(
            row if row is not None and row.employer_id == employer_id else None, staff_id
        )

    def current(self, employer_id: str, staff_id: str) -> EmployerStaffRow | None:
        """This employer's staff member, unless revoked."""
        row = self.session.get(EmployerStaffRow, staff_id)
        ok = row is not None and row.employer_id == employer_id and row.revoked_at is None
        return row if ok else None

    def of_employer(self, employer_id: str) -> list[EmployerStaffRow]:
        query = (
            select(EmployerStaffRow)
            .where(EmployerStaffRow.employer_id == employer_id)
            .order_by(EmployerStaffRow.created_at, EmployerStaffRow.id)
        )
        return list(self.session.scalars(query))


class EmployerSessionRepository(Repository):
    noun = "employer session"

    def add(self, row: EmployerSessionRow) -> None:
        self.session.add(row)

    def live(self, id_hash: str, now: datetime) -> EmployerSessionRow | None:
        row = self.session.get(EmployerSessionRow, id_hash)
        return row if row is not None and row.expires_at > now else None

    def remove(self, id_hash: str) -> None:
        self.session.execute(
            delete(EmployerSessionRow).where(EmployerSessionRow.id_hash == id_hash)
        )

    def remove_expired(self, now: datetime) -> None:
        over = EmployerSessionRow.expires_at <= now
        self.session.execute(delete(EmployerSessionRow).where(over))
