"""STUB, to be replaced: e-mail to each recipient, sent by jobs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from microcred.store.tables import CredentialRow

if TYPE_CHECKING:
    from microcred.jobs.queue import JobQueue
    from microcred.runtime import Runtime


class NotificationService:
    """An :class:`~microcred.services.issuance.IssuanceHook`: rows in, jobs after commit."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def register_jobs(self, queue: JobQueue) -> None:
        pass

    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None:
        pass

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None:
        pass
