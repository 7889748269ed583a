"""STUB, to be replaced: the transparency log (issue 5) on the platform."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from microcred.store.tables import CredentialRow

if TYPE_CHECKING:
    from microcred.runtime import Runtime


class TransparencyService:
    """An :class:`~microcred.services.issuance.IssuanceHook`; also records status changes."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None:
        pass

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None:
        pass

    def record_status_change(
        self, session: Session, credential: CredentialRow, action: str, at: datetime
    ) -> None:
        """Append a commitment to a revocation, suspension or reinstatement, in the caller's
        transaction (``action`` is ``revoked``, ``suspended`` or ``reinstated``)."""
