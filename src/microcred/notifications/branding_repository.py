"""The SQL of an issuer's mail branding: its sender settings, its templates per language, and the
badge image a credential e-mail carries. Takes the caller's session; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from microcred.achievements.images import default_badge_svg
from microcred.errors import InputError
from microcred.notifications.branding import (
    LANGUAGES,
    SENDER_NAME_LIMIT,
    Image,
    IssuerTemplate,
    MailBranding,
    check_reply_to,
    check_template,
)
from microcred.store.tables import (
    AchievementRow,
    IssuerMailSettingsRow,
    IssuerMailTemplateRow,
    IssuerRow,
)


class BrandingRepository:
    """The issuer's mail settings and templates. Takes the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def branding(self, issuer_id: str) -> MailBranding:
        issuer = self.session.get(IssuerRow, issuer_id)
        assert issuer is not None  # foreign keys
        settings = self.session.get(IssuerMailSettingsRow, issuer_id)
        templates = {
            row.language: IssuerTemplate(row.subject, row.body)
            for row in self.session.scalars(
                select(IssuerMailTemplateRow).where(IssuerMailTemplateRow.issuer_id == issuer_id)
            )
        }
        logo = (
            Image(issuer.logo, issuer.logo_media_type)
            if issuer.logo and issuer.logo_media_type
            else None
        )
        return MailBranding(
            issuer_name=issuer.name,
            logo=logo,
            sender_name=settings.sender_name if settings else None,
            reply_to=settings.reply_to if settings else None,
            templates=templates,
        )

    def badge_image(self, achievement_id: str) -> Image | None:
        """The achievement's image, or the badge the public pages draw for it without one."""
        found = self.session.execute(
            select(
                AchievementRow.image,
                AchievementRow.image_media_type,
                AchievementRow.name,
                IssuerRow.name.label("issuer_name"),
            )
            .join(IssuerRow, IssuerRow.id == AchievementRow.issuer_id)
            .where(AchievementRow.id == achievement_id)
        ).first()
        if found is None:
            return None
        if not found.image or not found.image_media_type:
            return Image(default_badge_svg(found.name, found.issuer_name), "image/svg+xml")
        return Image(found.image, found.image_media_type)

    def save_sender(
        self, issuer_id: str, sender_name: str | None, reply_to: str | None, at: datetime
    ) -> None:
        sender_name = " ".join((sender_name or "").split()) or None
        reply_to = (reply_to or "").strip() or None
        if sender_name and len(sender_name) > SENDER_NAME_LIMIT:
            raise InputError(
                "the sender name is too long",
                expected=f"at most {SENDER_NAME_LIMIT} characters",
                found=f"{len(sender_name)} characters",
            )
        if reply_to:
            check_reply_to(reply_to)
        row = self.session.get(IssuerMailSettingsRow, issuer_id)
        if row is None:
            row = IssuerMailSettingsRow(issuer_id=issuer_id, updated_at=at)
            self.session.add(row)
        row.sender_name, row.reply_to, row.updated_at = sender_name, reply_to, at

    def save_template(
        self, issuer_id: str, language: str, template: IssuerTemplate | None, at: datetime
    ) -> None:
        """Store the issuer's wording in ``language``, or remove it (back to ours) for None."""
        if language not in LANGUAGES:
            raise InputError(
                "no e-mail template for this language",
                expected=" or ".join(LANGUAGES),
                found=repr(language)[:20],
            )
        if template is None:
            self.session.execute(
                delete(IssuerMailTemplateRow).where(
                    IssuerMailTemplateRow.issuer_id == issuer_id,
                    IssuerMailTemplateRow.language == language,
                )
            )
            return
        check_template(template)
        row = self.session.get(IssuerMailTemplateRow, (issuer_id, language))
        if row is None:
            row = IssuerMailTemplateRow(issuer_id=issuer_id, language=language, updated_at=at)
            self.session.add(row)
        row.subject, row.body, row.updated_at = template.subject, template.body, at


__all__ = ["BrandingRepository"]
