"""What the Open Badges API calls in other features, as the little it needs of each: the
learner's wallet (list, import) and the learner's account (profile, display name). The
composition root hands the real services in; tests may hand in their own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from microcred.store.tables import LearnerRow
from microcred.types import JsonObject

HeldDocument = JsonObject | str
"""A credential as issued: a JSON object (embedded proof) or a compact JWS (VC-JWT)."""


class Wallet(Protocol):
    def list_credentials(
        self, learner_id: str, *, offset: int, limit: int, since: datetime | None = None
    ) -> tuple[Sequence[object], int]:
        """One page of the learner's credentials and how many there are in all. Each item is
        a :data:`HeldDocument` or has one as its ``document`` attribute."""
        ...

    def import_bytes(self, learner_id: str, data: bytes, *, source: str) -> object:
        """Verify and keep a credential a client pushed (the same one again replaces it);
        raises the wallet's error when it is not one."""
        ...


class LearnerAccounts(Protocol):
    """The learners service, as far as the profile endpoints use it."""

    def get(self, learner_id: str) -> LearnerRow: ...

    def emails(self, learner_id: str) -> tuple[str, ...]: ...

    def set_name(self, learner_id: str, name: str) -> None: ...
