"""Rows of ``instance_settings``: one value per name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microcred.store.tables import InstanceSettingRow


class InstanceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> str | None:
        row = self.session.get(InstanceSettingRow, name)
        return row.value if row is not None else None

    def get_or_add(self, name: str, value: str, now: datetime) -> str:
        """The stored value, or ``value`` stored now (another process's, if it was first)."""
        stored = self.get(name)
        if stored is not None:
            return stored
        try:
            with self.session.begin_nested():
                self.session.add(InstanceSettingRow(name=name, value=value, updated_at=now))
        except IntegrityError:  # stored by another process since our read
            row = self.session.get(InstanceSettingRow, name, populate_existing=True)
            if row is None:
                raise
            return row.value
        return value

    def put(self, name: str, value: str, now: datetime) -> None:
        row = self.session.get(InstanceSettingRow, name, with_for_update=True)
        if row is None:
            self.session.add(InstanceSettingRow(name=name, value=value, updated_at=now))
        else:
            row.value = value
            row.updated_at = now


__all__ = ["InstanceRepository"]
