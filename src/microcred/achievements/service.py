"""Achievement definitions: everything the OB 3.0 + EU model holds, a validity rule, an image.

An achievement is stored as its OB 3.0 JSON without ``id`` (the server assigns it). Credentials
embed the achievement as it was when they were issued, so editing one only bumps ``version``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor
from microcred.achievements.designer import BadgeDesign, render_svg
from microcred.achievements.images import check_badge_image
from microcred.achievements.repository import AchievementName, AchievementRepository
from microcred.achievements.texts import Translations, check_translations, with_language_maps
from microcred.audit.repository import record_audit
from microcred.errors import InputError, ModelError, short
from microcred.model import Achievement, language_tag, parse_achievement
from microcred.model.texts import MAP_FIELDS
from microcred.store.db import transaction
from microcred.store.tables import AchievementRow
from microcred.types import JsonObject
from microcred.urls import PublicUrls

MAX_VALIDITY_MONTHS = 1200


class Unchanged:
    """Marks an update argument that was not given (None means "no expiry" there)."""


UNCHANGED = Unchanged()
_SERVER_FIELDS = ("id", "image", "creator")


def _designed(image: bytes | None, design: BadgeDesign | None) -> bytes | None:
    """The image to store: the upload, or the design drawn (never both)."""
    if design is None:
        return image
    if image is not None:
        raise InputError(
            "either upload a badge image or design one, not both",
            expected="an image file or a design",
            found="both",
        )
    return render_svg(design)


def check_validity_months(value: Any) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_VALIDITY_MONTHS
    ):
        raise InputError(
            "validityMonths must be a whole number of months",
            expected=f"an integer from 1 to {MAX_VALIDITY_MONTHS}, or null for no expiry",
            found=short(value),
        )
    return value


def _refuse_language_maps(data: Mapping[str, Any]) -> None:
    # One way in for translations, so the stored definition holds the default text only.
    criteria = data.get("criteria")
    nested = criteria if isinstance(criteria, Mapping) else {}
    for key in MAP_FIELDS:
        if key in data or key in nested:
            raise ModelError(
                "translations are not part of the definition",
                field=key if key in data else f"criteria.{key}",
                expected='translations given beside the achievement: {"de": {"name": "..."}}',
            )
    for index, outcome in enumerate(data.get("learningOutcome") or ()):
        if isinstance(outcome, Mapping) and "titleMap" in outcome:
            raise ModelError(
                "translations are not part of the definition",
                field=f"learningOutcome.{index}.titleMap",
                expected='translations.<language>.learningOutcomes: ["..."]',
            )


class AchievementService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        urls: PublicUrls,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.urls = urls
        self.clock = clock

    def to_model(self, row: AchievementRow) -> Achievement:
        """The OB 3.0 Achievement a credential embeds, with server-assigned id and image."""
        return parse_achievement(self.to_json(row))

    def to_json(self, row: AchievementRow) -> JsonObject:
        definition = with_language_maps(row.definition, row.translations or {})
        data: JsonObject = {"id": self.urls.achievement(row.id), **definition}
        data["image"] = {
            "id": self.urls.achievement_image(row.id),
            "type": "Image",
            "caption": f"{row.name} badge",
        }
        return data

    def _definition(self, achievement_id: str, data: Mapping[str, Any]) -> tuple[JsonObject, str]:
        if not isinstance(data, Mapping):
            raise InputError("achievement is not a JSON object", found=type(data).__name__)
        _refuse_language_maps(data)
        definition = {k: v for k, v in data.items() if k not in _SERVER_FIELDS}
        definition.setdefault("type", ["Achievement"])
        # Parse with the id the server will assign, so every model error surfaces now.
        model = parse_achievement({"id": self.urls.achievement(achievement_id), **definition})
        checked = model.to_json()
        checked.pop("id", None)
        language = checked.get("inLanguage")
        if isinstance(language, str):
            # Its standard form (pt-br -> pt-BR), which OB 3.0's JSON Schema pattern expects
            # and translations are matched against; a tag outside the registry stays as given.
            with contextlib.suppress(ValueError):
                checked["inLanguage"] = language_tag(language)
        return checked, model.name

    def _translations(
        self, achievement_id: str, definition: JsonObject, value: object
    ) -> Translations | None:
        """Checked against the definition they translate; the whole is parsed again with its
        language maps, so a credential built from it cannot fail on them."""
        outcomes = definition.get("learningOutcome")
        language = definition.get("inLanguage")
        translations = check_translations(
            value,
            default_language=language if isinstance(language, str) else None,
            outcomes=len(outcomes) if isinstance(outcomes, list) else 0,
        )
        parse_achievement(
            {
                "id": self.urls.achievement(achievement_id),
                **with_language_maps(definition, translations),
            }
        )
        return translations or None

    def create(
        self,
        actor: Actor,
        issuer_id: str,
        data: Mapping[str, Any],
        *,
        validity_months: int | None = None,
        image: bytes | None = None,
        design: BadgeDesign | None = None,
        translations: object = None,
        session: Session | None = None,
    ) -> AchievementRow:
        """``session``: the caller's unit of work to add it in (a pathway's micro-degree is
        saved with its pathway), else one of its own. ``design``: draw the badge image with
        the badge designer (instead of an uploaded ``image``). ``translations``: see
        :func:`~microcred.achievements.texts.check_translations`."""
        actor.require(issuer_id, "issuer")
        achievement_id = str(uuid.uuid4())
        definition, name = self._definition(achievement_id, data)
        texts = self._translations(achievement_id, definition, translations)
        months = check_validity_months(validity_months)
        image = _designed(image, design)
        stored_image, media_type = check_badge_image(image) if image else (None, None)
        now = self.clock()
        row = AchievementRow(
            id=achievement_id,
            issuer_id=issuer_id,
            name=name,
            definition=definition,
            translations=texts,
            validity_months=months,
            image=stored_image,
            image_media_type=media_type,
            badge_design=design.to_json() if design else None,
            version=1,
            archived=False,
            created_at=now,
            updated_at=now,
        )
        if session is not None:
            self._add(session, actor, row)
            return row
        with transaction(self.sessions) as own:
            self._add(own, actor, row)
        return row

    def _add(self, session: Session, actor: Actor, row: AchievementRow) -> None:
        AchievementRepository(session).add(row)
        record_audit(
            session,
            actor.name,
            "achievement.created",
            self.urls.achievement(row.id),
            issuer_id=row.issuer_id,
            at=row.created_at,
            details={"name": row.name},
        )

    def update(
        self,
        actor: Actor,
        issuer_id: str,
        achievement_id: str,
        *,
        data: Mapping[str, Any] | None = None,
        validity_months: int | Unchanged | None = UNCHANGED,
        image: bytes | None = None,
        design: BadgeDesign | None = None,
        archived: bool | None = None,
        translations: object = UNCHANGED,
    ) -> AchievementRow:
        """Change the definition, translations, validity rule, image (uploaded, or drawn from
        ``design``) or archived flag; bumps ``version`` when anything changed. Translations not
        given are kept, and checked again against a new definition."""
        actor.require(issuer_id, "issuer")
        now = self.clock()
        with transaction(self.sessions) as session:
            row = self._get(session, issuer_id, achievement_id)
            changed: list[str] = []
            if data is not None:
                row.definition, row.name = self._definition(achievement_id, data)
                changed.append("definition")
            if data is not None or not isinstance(translations, Unchanged):
                given = row.translations if isinstance(translations, Unchanged) else translations
                texts = self._translations(achievement_id, row.definition, given)
                if not isinstance(translations, Unchanged) and texts != row.translations:
                    changed.append("translations")
                row.translations = texts
            if not isinstance(validity_months, Unchanged):
                row.validity_months = check_validity_months(validity_months)
                changed.append("validityMonths")
            drawn = _designed(image, design)
            if drawn is not None:
                stored, media_type = check_badge_image(drawn)
                if stored != row.image or media_type != row.image_media_type:
                    row.image, row.image_media_type = stored, media_type
                    changed.append("image")
                row.badge_design = design.to_json() if design else None
            if archived is not None:
                row.archived = archived
                changed.append("archived")
            if changed:
                row.version += 1
                row.updated_at = now
                record_audit(
                    session,
                    actor.name,
                    "achievement.updated",
                    self.urls.achievement(achievement_id),
                    issuer_id=issuer_id,
                    at=now,
                    details={"fields": changed, "version": row.version},
                )
        return row

    def get(self, actor: Actor, issuer_id: str, achievement_id: str) -> AchievementRow:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return self._get(session, issuer_id, achievement_id)

    def get_public(self, achievement_id: str) -> AchievementRow:
        with self.sessions() as session:
            return AchievementRepository(session).require_public(achievement_id)

    def list(
        self,
        actor: Actor,
        issuer_id: str,
        *,
        include_archived: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> list[AchievementRow]:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return AchievementRepository(session).list(
                issuer_id, include_archived=include_archived, offset=offset, limit=limit
            )

    def names(self, actor: Actor, issuer_id: str) -> tuple[AchievementName, ...]:
        """Id and name of every unarchived achievement of the issuer, for choosers."""
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return AchievementRepository(session).names(issuer_id)

    def public_names(self, issuer_id: str) -> tuple[AchievementName, ...]:
        """For public pages: the issuer's unarchived achievements (their definitions are
        public at their own addresses)."""
        with self.sessions() as session:
            return AchievementRepository(session).names(issuer_id)

    @staticmethod
    def _get(session: Session, issuer_id: str, achievement_id: str) -> AchievementRow:
        return AchievementRepository(session).require(issuer_id, achievement_id)
