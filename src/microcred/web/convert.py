"""Rows to API bodies."""

from __future__ import annotations

from microcred.runtime import Runtime
from microcred.store.tables import AchievementRow, ApiKeyRow, CredentialRow, IssuerRow
from microcred.web.schemas import AchievementOut, ApiKeyOut, CredentialOut, IssuerOut, Recipient


def issuer_out(runtime: Runtime, row: IssuerRow) -> IssuerOut:
    return IssuerOut(
        id=row.id,
        slug=row.slug,
        did=runtime.urls.issuer_did(row.slug),
        name=row.name,
        url=row.url,
        email=row.email,
        description=row.description,
        address=row.address,
        country=row.country,
        created_at=row.created_at,
    )


def api_key_out(row: ApiKeyRow, token: str | None = None) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        role=row.role,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        token=token,
    )


def achievement_out(runtime: Runtime, row: AchievementRow) -> AchievementOut:
    return AchievementOut(
        id=row.id,
        version=row.version,
        name=row.name,
        validity_months=row.validity_months,
        archived=row.archived,
        achievement=runtime.achievements.to_json(row),
        translations=row.translations or {},
        image_url=runtime.urls.achievement_image(row.id),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def credential_out(runtime: Runtime, row: CredentialRow) -> CredentialOut:
    return CredentialOut(
        id=row.id,
        url=runtime.urls.credential(row.id),
        achievement_id=row.achievement_id,
        achievement_version=row.achievement_version,
        batch_id=row.batch_id,
        recipient=Recipient(
            email=row.recipient_email, did=row.recipient_did, name=row.recipient_name
        ),
        state=row.state,
        state_reason=row.state_reason,
        issued_at=row.issued_at,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        credential=row.document,
    )
