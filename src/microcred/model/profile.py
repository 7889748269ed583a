"""OB 3.0 Profile: the issuer (awarding body), a creator, an endorser."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from microcred.model.achievement import IdentifierEntry, Image
from microcred.model.base import Node
from microcred.model.values import Date, Iri, Number, Text, Types, fail, require_types

if TYPE_CHECKING:
    from microcred.model.credential import EndorsementCredential

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


class GeoCoordinates(Node):
    type: Literal["GeoCoordinates"] = "GeoCoordinates"
    latitude: Number
    longitude: Number


class Address(Node):
    type: Types = Field(default_factory=lambda: ["Address"])
    address_country: Text | None = None
    address_country_code: Text | None = None
    address_region: Text | None = None
    address_locality: Text | None = None
    street_address: Text | None = None
    post_office_box_number: Text | None = None
    postal_code: Text | None = None
    geo: GeoCoordinates | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "Address")
        return value

    @field_validator("address_country_code")
    @classmethod
    def _country_code(cls, value: str | None) -> str | None:
        if value is not None and not _COUNTRY_CODE.fullmatch(value):
            raise fail("not a country code", "an ISO 3166-1 alpha-2 code such as IE or DE")
        return value


class Profile(Node):
    """An entity using Open Badges; as ``issuer`` it is the awarding body."""

    id: Iri
    type: Types = Field(default_factory=lambda: ["Profile"])
    name: Text | None = None
    url: Iri | None = None
    phone: Text | None = None
    description: Text | None = None
    endorsement: list[EndorsementCredential] | None = None
    image: Image | None = None
    email: Text | None = None
    address: Address | None = None
    other_identifier: list[IdentifierEntry] | None = None
    official: Text | None = None
    parent_org: Profile | None = None
    given_name: Text | None = None
    family_name: Text | None = None
    family_name_prefix: Text | None = None
    additional_name: Text | None = None
    patronymic_name: Text | None = None
    honorific_prefix: Text | None = None
    honorific_suffix: Text | None = None
    date_of_birth: Date | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "Profile")
        return value
