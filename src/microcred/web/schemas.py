"""Request and response bodies of the JSON API (camelCase on the wire, like OB 3.0)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasGenerator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from microcred.accounts.actor import Role


class Schema(BaseModel):
    model_config = ConfigDict(
        alias_generator=AliasGenerator(alias=to_camel),
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class IssuerOut(Schema):
    id: str
    slug: str
    did: str
    name: str
    url: str | None
    email: str | None
    description: str | None
    address: dict[str, Any] | None
    country: str | None
    linkedin_organization_id: str | None = None
    created_at: datetime


class IssuerPatch(Schema):
    name: str | None = None
    url: str | None = None
    email: str | None = None
    description: str | None = None
    address: dict[str, Any] | None = None
    country: str | None = None
    linkedin_organization_id: str | None = Field(default=None, max_length=40)


class ApiKeyIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    role: Role = "issuer"


class ApiKeyOut(Schema):
    id: str
    name: str
    role: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    token: str | None = Field(default=None, description="Shown once, when the key is created")


class AchievementIn(Schema):
    achievement: dict[str, Any] = Field(
        description="OB 3.0 Achievement JSON (name, description, criteria, alignment, EU elements"
        ", ...) without id; the server assigns the id and the image"
    )
    validity_months: int | None = Field(default=None, ge=1, le=1200)


class AchievementPatch(Schema):
    achievement: dict[str, Any] | None = None
    validity_months: int | None = Field(default=None, ge=1, le=1200)
    clear_validity: bool = False
    archived: bool | None = None


class AchievementOut(Schema):
    id: str
    version: int
    name: str
    validity_months: int | None
    archived: bool
    achievement: dict[str, Any]
    image_url: str
    created_at: datetime
    updated_at: datetime


class Recipient(Schema):
    email: str | None = Field(default=None, max_length=320)
    did: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, max_length=300)


class IssueIn(Schema):
    achievement_id: str
    recipient: Recipient
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    valid_from: datetime | None = None


class CredentialOut(Schema):
    id: str
    url: str
    achievement_id: str | None  # None: issued through the VC-API, as sent
    achievement_version: int | None
    batch_id: str | None
    recipient: Recipient
    state: str
    state_reason: str | None
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    credential: dict[str, Any]


class CredentialPage(Schema):
    items: list[CredentialOut]
    total: int
    offset: int
    limit: int
