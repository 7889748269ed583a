"""OB 3.0 Achievement and the nodes it holds (Image, Criteria, Alignment, ResultDescription ...)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from microcred.model.base import Node
from microcred.model.eu import (
    ECTS_IRI,
    EU_FIELDS,
    AssessmentSupervision,
    AssessmentType,
    EqfLevelIri,
    LearningOutcome,
    ParticipationForm,
    QualityAssurance,
    Stackability,
)
from microcred.model.texts import LanguageMap
from microcred.model.values import (
    Duration,
    Iri,
    LanguageCode,
    Number,
    Text,
    Types,
    Url,
    fail,
    require_types,
)

if TYPE_CHECKING:
    from microcred.model.credential import EndorsementCredential
    from microcred.model.profile import Profile

# OB 3.0 extensible enumerations: a listed term, or a private one written "ext:Name".
_EXT_TERM = re.compile(r"ext:[A-Za-z0-9.\-_]+")
ACHIEVEMENT_TYPES = frozenset(
    [
        "Achievement",
        "ApprenticeshipCertificate",
        "Assessment",
        "Assignment",
        "AssociateDegree",
        "Award",
        "Badge",
        "BachelorDegree",
        "Certificate",
        "CertificateOfCompletion",
        "Certification",
        "CommunityService",
        "Competency",
        "Course",
        "CoCurricular",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "Fieldwork",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "LearningProgram",
        "License",
        "Membership",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "MasterCertificate",
        "MasterDegree",
        "MicroCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    ]
)
ALIGNMENT_TARGET_TYPES = frozenset(
    [
        "ceasn:Competency",
        "ceterms:Credential",
        "CFItem",
        "CFRubric",
        "CFRubricCriterion",
        "CFRubricCriterionLevel",
        "CTDL",
    ]
)
RESULT_TYPES = frozenset(
    [
        "GradePointAverage",
        "LetterGrade",
        "Percent",
        "PerformanceLevel",
        "PredictedScore",
        "RawScore",
        "Result",
        "RubricCriterion",
        "RubricCriterionLevel",
        "RubricScore",
        "ScaledScore",
        "Status",
    ]
)
IDENTIFIER_TYPES = frozenset(
    [
        "sourcedId",
        "systemId",
        "productId",
        "userName",
        "accountId",
        "emailAddress",
        "nationalIdentityNumber",
        "isbn",
        "issn",
        "lisSourcedId",
        "oneRosterSourcedId",
        "sisSourcedId",
        "ltiContextId",
        "ltiDeploymentId",
        "ltiToolId",
        "ltiPlatformId",
        "ltiUserId",
        "identifier",
    ]
)


def check_ext_enum(value: str, allowed: frozenset[str], what: str) -> str:
    """Accept a term of an OB extensible enumeration, or an ``ext:`` term."""
    if value in allowed or _EXT_TERM.fullmatch(value):
        return value
    raise fail(f"unknown {what}", f"one of the OB 3.0 {what} terms, or ext:<Name>")


class Image(Node):
    id: Iri
    type: Literal["Image"] = "Image"
    caption: Text | None = None


class Criteria(Node):
    id: Iri | None = None
    narrative: Text | None = None
    narrative_map: LanguageMap | None = None  # translations (context microcred/i18n/v1)


class Alignment(Node):
    type: Types = Field(default_factory=lambda: ["Alignment"])
    target_name: Text
    target_url: Url
    target_description: Text | None = None
    target_framework: Text | None = None
    target_code: Text | None = None
    target_type: Text | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "Alignment")
        return value

    @field_validator("target_type")
    @classmethod
    def _target_type(cls, value: str | None) -> str | None:
        return (
            None if value is None else check_ext_enum(value, ALIGNMENT_TARGET_TYPES, "targetType")
        )


class IdentifierEntry(Node):
    type: Literal["IdentifierEntry"] = "IdentifierEntry"
    identifier: Text
    identifier_type: Text

    @field_validator("identifier_type")
    @classmethod
    def _identifier_type(cls, value: str) -> str:
        return check_ext_enum(value, IDENTIFIER_TYPES, "identifierType")


class Related(Node):
    id: Iri
    type: Types = Field(default_factory=lambda: ["Related"])
    in_language: LanguageCode | None = None
    version: Text | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "Related")
        return value


class RubricCriterionLevel(Node):
    id: Iri
    type: Types = Field(default_factory=lambda: ["RubricCriterionLevel"])
    alignment: list[Alignment] | None = None
    description: Text | None = None
    level: Text | None = None
    name: Text
    points: Text | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "RubricCriterionLevel")
        return value


class ResultDescription(Node):
    id: Iri
    type: Types = Field(default_factory=lambda: ["ResultDescription"])
    alignment: list[Alignment] | None = None
    allowed_value: list[Text] | None = None
    name: Text
    required_level: Iri | None = None
    required_value: Text | None = None
    result_type: Text
    rubric_criterion_level: list[RubricCriterionLevel] | None = None
    value_max: Text | None = None
    value_min: Text | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "ResultDescription")
        return value

    @field_validator("result_type")
    @classmethod
    def _result_type(cls, value: str) -> str:
        return check_ext_enum(value, RESULT_TYPES, "resultType")


class Achievement(Node):
    """What is recognised: one Achievement is awarded in many credentials."""

    id: Iri
    type: Types = Field(default_factory=lambda: ["Achievement"])
    name: Text
    description: Text
    criteria: Criteria
    # Translations of name and description (context https://w3id.org/microcred/i18n/v1).
    name_map: LanguageMap | None = None
    description_map: LanguageMap | None = None
    achievement_type: Text | None = None
    alignment: list[Alignment] | None = None
    creator: Profile | None = None
    credits_available: Number | None = None
    endorsement: list[EndorsementCredential] | None = None
    field_of_study: Text | None = None
    human_code: Text | None = None
    image: Image | None = None
    in_language: LanguageCode | None = None
    other_identifier: list[IdentifierEntry] | None = None
    related: list[Related] | None = None
    result_description: list[ResultDescription] | None = None
    specialization: Text | None = None
    tag: list[Text] | None = None
    version: Text | None = None
    # EU micro-credential extension (context https://w3id.org/microcred/eu-mc/v1).
    eqf_level: EqfLevelIri | None = None
    volume_of_learning: Duration | None = None
    credit_system: Iri | None = None
    learning_outcome: list[LearningOutcome] | None = None
    assessment_type: list[AssessmentType] | None = None
    participation_form: ParticipationForm | None = None
    quality_assurance: list[QualityAssurance] | None = None
    accreditation: Iri | None = None
    prerequisites: Text | None = None
    assessment_supervision: AssessmentSupervision | None = None
    stackability: Stackability | None = None
    further_information: Iri | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "Achievement")
        return value

    @field_validator("achievement_type")
    @classmethod
    def _achievement_type(cls, value: str | None) -> str | None:
        return (
            None if value is None else check_ext_enum(value, ACHIEVEMENT_TYPES, "achievementType")
        )

    @property
    def has_translations(self) -> bool:
        """True when any text of the achievement carries a language map."""
        return bool(
            self.name_map
            or self.description_map
            or self.criteria.narrative_map
            or any(o.title_map for o in self.learning_outcome or ())
        )

    @property
    def is_eu_microcredential(self) -> bool:
        """True when the achievement carries any EU micro-credential element."""
        return any(getattr(self, name) is not None for name in EU_FIELDS)

    @model_validator(mode="after")
    def _eu_elements_complete(self) -> Achievement:
        # Annex I elements are mandatory as a set: a partial EU micro-credential is refused.
        if not self.is_eu_microcredential:
            return self
        required = {
            "learningOutcome": self.learning_outcome,
            "assessmentType": self.assessment_type,
            "participationForm": self.participation_form,
            "qualityAssurance": self.quality_assurance,
        }
        for name, value in required.items():
            if not value:
                raise fail(
                    f"EU micro-credential element {name} is missing",
                    f"{name} (mandatory in Annex I of Council Recommendation 2022/C 243/02)",
                    subfield=name,
                    found=value,
                )
        if self.credits_available is None and self.volume_of_learning is None:
            raise fail(
                "EU micro-credential has no notional workload",
                "creditsAvailable (ECTS) or volumeOfLearning (ISO 8601 duration)",
                subfield="creditsAvailable",
            )
        if self.credits_available is not None and self.credit_system is None:
            raise fail(
                "creditsAvailable has no credit system",
                f"creditSystem, e.g. {ECTS_IRI} (ECTS)",
                subfield="creditSystem",
            )
        return self
