"""Request and response bodies of the JSON API (camelCase on the wire, like OB 3.0)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AliasGenerator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from microcred.accounts.actor import Role
from microcred.nesting import MAX_DEPTH, too_deep_at
from microcred.surrogates import lone_surrogate_at


class Schema(BaseModel):
    model_config = ConfigDict(
        alias_generator=AliasGenerator(alias=to_camel),
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class Body(Schema):
    """A request body."""

    @model_validator(mode="before")
    @classmethod
    def _text_is_text(cls, data: Any) -> Any:
        """A lone surrogate (``"\\ud800"``) anywhere in a body, free-form JSON fields included,
        is refused here, naming its field: stored, it made the issuer unreadable; and so is JSON
        nested past MAX_DEPTH, which failed as a 500 in the serializers (issue 20)."""
        if isinstance(data, dict):
            found = lone_surrogate_at(data)
            if found is not None:
                raise PydanticCustomError(
                    "lone_surrogate",
                    "{field}: text holds a lone surrogate escape (such as \\ud800), which is "
                    "not a character; expected Unicode text",
                    {"field": found or "(body)"},
                )
            deep = too_deep_at(data)
            if deep is not None:
                raise PydanticCustomError(
                    "too_deep",
                    "{field}: JSON is nested deeper than {limit} levels; expected at most {limit}",
                    {"field": deep, "limit": MAX_DEPTH},
                )
        return data


def utc_moment(value: datetime) -> datetime:
    """An aware datetime, in UTC; one without a zone, or past year 9999 (or before year 1) once
    in UTC, is the client's error, not the database's."""
    if value.tzinfo is None:
        raise ValueError("expected a time zone (Z or +hh:mm), found none")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is outside years 1 to 9999 once in UTC") from None


UtcMoment = Annotated[datetime, AfterValidator(utc_moment)]
"""A moment the client gives: aware, and representable in UTC."""


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


class IssuerPatch(Body):
    name: str | None = None
    url: str | None = None
    email: str | None = None
    description: str | None = None
    address: dict[str, Any] | None = None
    country: str | None = None
    linkedin_organization_id: str | None = Field(default=None, max_length=40)


class ApiKeyIn(Body):
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


class AchievementIn(Body):
    achievement: dict[str, Any] = Field(
        description="OB 3.0 Achievement JSON (name, description, criteria, alignment, EU elements"
        ", ...) without id; the server assigns the id and the image"
    )
    validity_months: int | None = Field(default=None, ge=1, le=1200)
    translations: Any = Field(
        default=None,
        description='Achievement text in other languages: {"<BCP 47 tag>": {"name", "description"'
        ', "criteria", "learningOutcomes": [...]}}, each optional; the achievement\'s own text is'
        " in its inLanguage",
    )


class AchievementPatch(Body):
    achievement: dict[str, Any] | None = None
    translations: Any = Field(
        default=None,  # absent: kept; null or {}: removed
        description='Achievement text in other languages: {"<BCP 47 tag>": {"name", "description"'
        ', "criteria", "learningOutcomes": [...]}}, each optional; the achievement\'s own text is'
        " in its inLanguage",
    )
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
    translations: dict[str, Any]
    image_url: str
    created_at: datetime
    updated_at: datetime


class BadgeDesignIn(Body):
    """The badge designer's parameters (``achievements.designer``): the server draws the SVG."""

    shape: str = Field(default="circle", max_length=20)
    background: str = Field(default="#1d4ed8", max_length=20)
    border: str = Field(default="#f59e0b", max_length=20)
    text_colour: str = Field(default="#ffffff", max_length=20)
    line1: str = Field(default="", max_length=200)
    line2: str = Field(default="", max_length=200)
    icon: str = Field(default="", max_length=20)


class Recipient(Body):
    email: str | None = Field(default=None, max_length=320)
    did: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, max_length=300)


class IssueIn(Body):
    achievement_id: str
    recipient: Recipient
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    valid_from: UtcMoment | None = None
    # Per recipient (issue 19): the subject's narrative, a Result's value, an Evidence's id.
    narrative: str | None = Field(default=None, max_length=5000)
    grade: str | None = Field(default=None, max_length=100)
    evidence_url: str | None = Field(default=None, max_length=2000)


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
