"""What other features do with a learner's data: each one that keeps rows of its own about a
learner (the wallet, OAuth grants, ...) implements :class:`LearnerDataHook`, and the composition
root hands them all to :class:`~microcred.learners.service.LearnerService`."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session


class LearnerDataHook(Protocol):
    """One feature's part of a learner's export and deletion. Its section in the export is
    named after the hook's feature package (``microcred.wallet...`` gives ``"wallet"``)."""

    def export(self, session: Session, learner_id: str) -> dict[str, object]:
        """Everything this feature holds about the learner, as JSON-ready values."""
        ...

    def delete(self, session: Session, learner_id: str) -> None:
        """Delete every row this feature holds about the learner, in the caller's transaction
        (which deletes the learner after the hooks, so rows that point at it go first)."""
        ...
