"""The operations feature's SQL: the schema revision, counts for metrics, job failures.

Repositories take the caller's session and never commit: the service owns the unit of work.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from microcred.store.repository import Repository
from microcred.store.tables import CredentialRow, JobFailureRow


class OperationsRepository(Repository):
    noun = "operations record"

    def ping(self) -> None:
        self.session.execute(text("SELECT 1"))

    def schema_revision(self) -> str | None:
        """The revision Alembic recorded (None before the first migration)."""
        try:
            value = self.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None
        return None if value is None else str(value)

    def credential_counts(self) -> dict[str, int]:
        """Stored credentials by state (``active``, ``revoked``, ``suspended``)."""
        rows = self.session.execute(
            select(CredentialRow.state, func.count()).group_by(CredentialRow.state)
        )
        return {str(state): int(count) for state, count in rows}

    def job_failures(self) -> dict[str, int]:
        rows = self.session.execute(select(JobFailureRow.task, JobFailureRow.failures))
        return {str(task): int(count) for task, count in rows}

    def count_job_failure(self, task: str, at: datetime) -> None:
        """One more failed attempt of ``task`` (an update, or the first row)."""
        changed = self.session.execute(
            update(JobFailureRow)
            .where(JobFailureRow.task == task)
            .values(failures=JobFailureRow.failures + 1, last_failed_at=at)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            self.session.add(JobFailureRow(task=task, failures=1, last_failed_at=at))
