"""Achievements' SQL (scoped to their issuer, or public by id).

Repositories take the caller's session and never commit: the service owns the unit of work.
Every query on issuer-owned rows filters on ``issuer_id``; a row of another issuer is simply
not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from microcred.store.repository import Repository
from microcred.store.tables import (
    AchievementRow,
)


class AchievementRepository(Repository):
    noun = "achievement"

    def require(self, issuer_id: str, achievement_id: str) -> AchievementRow:
        return self.found(self.get(issuer_id, achievement_id), achievement_id)

    def require_public(self, achievement_id: str) -> AchievementRow:
        return self.found(self.get_public(achievement_id), achievement_id)

    def add(self, row: AchievementRow) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, issuer_id: str, achievement_id: str) -> AchievementRow | None:
        return self.session.scalar(
            select(AchievementRow).where(
                AchievementRow.issuer_id == issuer_id, AchievementRow.id == achievement_id
            )
        )

    def get_public(self, achievement_id: str) -> AchievementRow | None:
        """For public pages and images, which are not scoped to a signed-in issuer."""
        return self.session.get(AchievementRow, achievement_id)

    def list(
        self, issuer_id: str, *, include_archived: bool = False, offset: int = 0, limit: int = 50
    ) -> list[AchievementRow]:
        query = select(AchievementRow).where(AchievementRow.issuer_id == issuer_id)
        if not include_archived:
            query = query.where(AchievementRow.archived.is_(False))
        query = query.order_by(AchievementRow.created_at, AchievementRow.id)
        return list(self.session.scalars(query.offset(offset).limit(limit)))

    def names(self, issuer_id: str) -> tuple[AchievementName, ...]:
        """Id and name of every unarchived achievement of the issuer, oldest first (for
        choosers: no definition, no image)."""
        # Of the definition only its language, extracted in SQL: a chooser lists every
        # achievement, and definitions run to kilobytes each.
        language = AchievementRow.definition["inLanguage"].as_string()
        query = (
            select(AchievementRow.id, AchievementRow.name, AchievementRow.translations, language)
            .where(AchievementRow.issuer_id == issuer_id, AchievementRow.archived.is_(False))
            .order_by(AchievementRow.created_at, AchievementRow.id)
        )
        return tuple(
            AchievementName(id, name, tag if isinstance(tag, str) else None, _names(translations))
            for id, name, translations, tag in self.session.execute(query)
        )


@dataclass(frozen=True)
class AchievementName:
    id: str
    name: str
    language: str | None = None
    """The language of ``name`` (the definition's inLanguage)."""
    translated: Mapping[str, str] = field(default_factory=dict)
    """Language tag -> the name in that language."""


def _names(translations: object) -> dict[str, str]:
    if not isinstance(translations, dict):
        return {}
    return {
        tag: texts["name"]
        for tag, texts in translations.items()
        if isinstance(texts, dict) and isinstance(texts.get("name"), str)
    }
