"""Europass's SQL: issuers' legal identifiers."""

from __future__ import annotations

from datetime import datetime

from microcred.store.repository import Repository
from microcred.store.tables import EuropassLegalIdentifierRow


class LegalIdentifierRepository(Repository):
    noun = "legal identifier"

    def get(self, issuer_id: str) -> str | None:
        row = self.session.get(EuropassLegalIdentifierRow, issuer_id)
        return row.notation if row is not None else None

    def put(self, issuer_id: str, notation: str, now: datetime) -> None:
        row = self.session.get(EuropassLegalIdentifierRow, issuer_id)
        if row is None:
            self.session.add(
                EuropassLegalIdentifierRow(issuer_id=issuer_id, notation=notation, updated_at=now)
            )
        else:
            row.notation, row.updated_at = notation, now
        self.session.flush()
