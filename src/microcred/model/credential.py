"""OB 3.0 credentials: OpenBadgeCredential (alias AchievementCredential) and EndorsementCredential.

``proof``, ``refreshService`` and ``termsOfUse`` are kept as extra fields, untouched: checking
them is the verifier's work, and the model must hand them back byte for byte.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from microcred.model.achievement import Achievement, Image
from microcred.model.base import Node
from microcred.model.eu import EU_MC_CONTEXT
from microcred.model.profile import Profile
from microcred.model.subject import AchievementSubject
from microcred.model.texts import I18N_CONTEXT
from microcred.model.values import Iri, Text, Timestamp, Types, fail, require_types, type_list

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3_CONTEXTS = frozenset(
    {
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        OB_V3_CONTEXT,
    }
)
"""The OB 3.0 context URLs we bundle; a credential must name one of them."""

_DIGITS = re.compile(r"\d+")


def _iri_or_profile(value: Any) -> str:
    return "~iri" if isinstance(value, str) else "~profile"


def _one_or_many(value: Any) -> str:
    return "~many" if isinstance(value, list) else "~one"


IssuerRef = Annotated[
    Annotated[Iri, Tag("~iri")] | Annotated[Profile, Tag("~profile")],
    Discriminator(_iri_or_profile),
]
"""OB 3.0 ProfileRef: the issuer's IRI, or its Profile inline."""


class Evidence(Node):
    id: Iri | None = None
    type: Types = Field(default_factory=lambda: ["Evidence"])
    narrative: Text | None = None
    name: Text | None = None
    description: Text | None = None
    genre: Text | None = None
    audience: Text | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "Evidence")
        return value


class CredentialSchema(Node):
    id: Iri
    type: Text


CredentialSchemas = Annotated[
    Annotated[CredentialSchema, Tag("~one")] | Annotated[list[CredentialSchema], Tag("~many")],
    Discriminator(_one_or_many),
]


class CredentialStatus(Node):
    """A status entry of a method we do not model; only its id and type are checked."""

    id: Iri
    type: Text


def _index(value: Any) -> str | int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return value
    raise fail("not a status list index", 'decimal digits, e.g. "94567" (or the number 94567)')


class BitstringStatusListEntry(Node):
    """W3C Bitstring Status List entry: bit ``statusListIndex`` of ``statusListCredential``."""

    id: Iri
    type: Literal["BitstringStatusListEntry"] = "BitstringStatusListEntry"
    status_purpose: Text
    # The spec writes the index as a string; issuers also send a JSON number, which means the same.
    status_list_index: Annotated[str | int, BeforeValidator(_index)]
    status_list_credential: Iri


def _status_kind(value: Any) -> str:
    # Called on JSON when parsing and on model instances when serializing.
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "~bitstring" if kind == "BitstringStatusListEntry" else "~other"


Status = Annotated[
    Annotated[BitstringStatusListEntry, Tag("~bitstring")]
    | Annotated[CredentialStatus, Tag("~other")],
    Discriminator(_status_kind),
]


class EndorsementSubject(Node):
    id: Iri
    type: Types = Field(default_factory=lambda: ["EndorsementSubject"])
    endorsement_comment: Text | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "EndorsementSubject")
        return value


class VerifiableCredential(Node):
    """What OB 3.0 credentials share with a VC 2.0 credential."""

    context: list[Any] = Field(validation_alias="@context", serialization_alias="@context")
    id: Iri
    type: Types
    name: Text | None = None
    description: Text | None = None
    issuer: IssuerRef
    valid_from: Timestamp
    valid_until: Timestamp | None = None
    awarded_date: Timestamp | None = None
    credential_schema: CredentialSchemas | None = None
    # VC 2.0 allows several status entries (ours: a revocation and a suspension list).
    credential_status: Status | list[Status] | None = None

    @field_validator("context")
    @classmethod
    def _context(cls, value: list[Any]) -> list[Any]:
        if not value or value[0] != VC_V2_CONTEXT:
            raise fail("@context does not begin with VC 2.0", f"{VC_V2_CONTEXT!r} first")
        if not OB_V3_CONTEXTS.intersection(c for c in value if isinstance(c, str)):
            raise fail("@context has no OB 3.0 context", f"one of {sorted(OB_V3_CONTEXTS)}")
        for item in value:
            if not isinstance(item, str | dict):
                raise fail("@context entry is neither a URL nor an object", "URL strings")
        return value

    @model_validator(mode="after")
    def _window(self) -> VerifiableCredential:
        if self.valid_until is not None and self.valid_until.value < self.valid_from.value:
            raise fail(
                "validUntil is before validFrom",
                f"a date-time not before {self.valid_from}",
                subfield="validUntil",
                found=str(self.valid_until),
            )
        return self

    @property
    def types(self) -> tuple[str, ...]:
        return type_list(self.type)

    @property
    def issuer_id(self) -> str:
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id


class OpenBadgeCredential(VerifiableCredential):
    """An awarded achievement (OB 3.0 AchievementCredential, also typed OpenBadgeCredential)."""

    type: Types = Field(default_factory=lambda: ["VerifiableCredential", "OpenBadgeCredential"])
    image: Image | None = None
    credential_subject: AchievementSubject
    evidence: list[Evidence] | None = None
    endorsement: list[EndorsementCredential] | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(
            value, "VerifiableCredential", any_of=("OpenBadgeCredential", "AchievementCredential")
        )
        return value

    @model_validator(mode="after")
    def _translations_have_their_context(self) -> OpenBadgeCredential:
        if (
            self.credential_subject.achievement.has_translations
            and I18N_CONTEXT not in self.context
        ):
            raise fail(
                "translated achievement text is used but its context is absent",
                f"@context including {I18N_CONTEXT!r}",
                subfield="@context",
                found=self.context,
            )
        return self

    @model_validator(mode="after")
    def _eu_microcredential(self) -> OpenBadgeCredential:
        if not self.credential_subject.achievement.is_eu_microcredential:
            return self
        if EU_MC_CONTEXT not in self.context:
            raise fail(
                "EU micro-credential terms are used but their context is absent",
                f"@context including {EU_MC_CONTEXT!r}",
                subfield="@context",
                found=self.context,
            )
        # Annex I: the awarding body and its country must be named in the credential itself.
        issuer = self.issuer
        if isinstance(issuer, str) or not issuer.name:
            raise fail(
                "the awarding body is not named",
                "issuer as a Profile with a name",
                subfield="issuer" if isinstance(issuer, str) else "issuer.name",
                found=issuer if isinstance(issuer, str) else None,
            )
        address = issuer.address
        if address is None or not (address.address_country_code or address.address_country):
            raise fail(
                "the awarding body's country is not given",
                "issuer.address with addressCountryCode (ISO 3166-1 alpha-2)",
                subfield="issuer.address",
            )
        return self

    @property
    def achievement(self) -> Achievement:
        return self.credential_subject.achievement


class EndorsementCredential(VerifiableCredential):
    """A claim by an endorser about an achievement, a profile or a credential."""

    type: Types = Field(default_factory=lambda: ["VerifiableCredential", "EndorsementCredential"])
    name: Text
    credential_subject: EndorsementSubject

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "VerifiableCredential", "EndorsementCredential")
        return value


# Achievement and Profile refer to EndorsementCredential, which needs them: resolve the cycle here.
_namespace = {
    "EndorsementCredential": EndorsementCredential,
    "Profile": Profile,
    "Achievement": Achievement,
}
Profile.model_rebuild(_types_namespace=_namespace)
Achievement.model_rebuild(_types_namespace=_namespace)
AchievementSubject.model_rebuild(_types_namespace=_namespace)
OpenBadgeCredential.model_rebuild(_types_namespace=_namespace)
EndorsementCredential.model_rebuild(_types_namespace=_namespace)
