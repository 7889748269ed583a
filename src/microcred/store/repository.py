"""What every repository shares: the caller's session, and "this row, or not found".

Repositories take the caller's session and never commit: the service owns the unit of work, so
a credential, its status index, its audit event and its log entry land together or not at all.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from sqlalchemy.orm import Session

from microcred.errors import NotFoundError, short

RowT = TypeVar("RowT")


class Repository:
    noun: ClassVar[str] = "row"
    """What a missing row is called in the error: ``no such <noun>``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def found(self, row: RowT | None, key: str | int, *, noun: str | None = None) -> RowT:
        """``row``, or :class:`NotFoundError` naming the noun and the key that was asked for.

        Another issuer's row is looked up as missing too, so its existence does not leak."""
        if row is None:
            found = short(key) if isinstance(key, str) else str(key)
            raise NotFoundError(f"no such {noun or self.noun}", found=found)
        return row


__all__ = ["Repository"]
