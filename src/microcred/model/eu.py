"""EU micro-credential elements (Council Recommendation 2022/C 243/02, Annex I) that OB 3.0 lacks.

The JSON-LD terms live in the ``https://w3id.org/microcred/eu-mc/v1`` context; the mapping of
every Annex I element is explained in ``docs/design/eu-microcredential.md``.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, field_validator

from microcred.model.base import Node
from microcred.model.texts import LanguageMap
from microcred.model.values import Iri, Text, Types, fail, require_types

EU_MC_CONTEXT = "https://w3id.org/microcred/eu-mc/v1"
EU_MC_NAMESPACE = "https://w3id.org/microcred/eu-mc#"
ELM_NAMESPACE = "http://data.europa.eu/snb/model/elm/"
ECTS_IRI = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
"""The Europass concept for the European Credit Transfer System (as in the Commission's sample)."""

_EQF_BASE = "http://data.europa.eu/snb/eqf/"


class EqfLevel(IntEnum):
    """A European Qualifications Framework level, written as its Europass concept IRI."""

    LEVEL_1 = 1
    LEVEL_2 = 2
    LEVEL_3 = 3
    LEVEL_4 = 4
    LEVEL_5 = 5
    LEVEL_6 = 6
    LEVEL_7 = 7
    LEVEL_8 = 8

    @property
    def iri(self) -> str:
        return f"{_EQF_BASE}{self.value}"


def _eqf(value: Any) -> EqfLevel:
    # JSON carries the concept IRI; Python code passes an EqfLevel. A bare 6 is refused, since
    # it would be written back as an IRI and the round trip would change the document.
    expected = f"an EQF level IRI {_EQF_BASE}1 ... {_EQF_BASE}8"
    if isinstance(value, EqfLevel):
        return value
    if not isinstance(value, str) or not value.startswith(_EQF_BASE):
        raise fail("not an EQF level", expected)
    number = value[len(_EQF_BASE) :]
    if not number.isdigit() or not 1 <= int(number) <= 8:
        raise fail(f"EQF level {number!r} does not exist", expected)
    return EqfLevel(int(number))


EqfLevelIri = Annotated[
    EqfLevel, BeforeValidator(_eqf), PlainSerializer(lambda level: level.iri, return_type=str)
]


class ParticipationForm(StrEnum):
    """Annex I: form of participation in the learning activity."""

    ONLINE = "online"
    ONSITE = "onsite"
    BLENDED = "blended"
    VOLUNTEERING = "volunteering"
    WORK_EXPERIENCE = "work-experience"


class AssessmentType(StrEnum):
    """Annex I: type of assessment (our controlled list; the Recommendation gives none)."""

    WRITTEN_EXAM = "written-exam"
    ORAL_EXAM = "oral-exam"
    ONLINE_TEST = "online-test"
    PRACTICAL_DEMONSTRATION = "practical-demonstration"
    PROJECT = "project"
    PORTFOLIO = "portfolio"
    ARTEFACT = "artefact"
    PEER_ASSESSMENT = "peer-assessment"
    CONTINUOUS_ASSESSMENT = "continuous-assessment"


class QualityAssurance(StrEnum):
    """Annex I: type of quality assurance used to underpin the micro-credential."""

    INTERNAL = "internal"
    EXTERNAL = "external"
    ACCREDITATION = "accreditation"


class AssessmentSupervision(StrEnum):
    """Annex I (optional): supervision and identity verification during assessment."""

    UNSUPERVISED_NO_ID_VERIFICATION = "unsupervised-no-id-verification"
    SUPERVISED_NO_ID_VERIFICATION = "supervised-no-id-verification"
    SUPERVISED_ONLINE_ID_VERIFICATION = "supervised-online-id-verification"
    SUPERVISED_ONSITE_ID_VERIFICATION = "supervised-onsite-id-verification"


class Stackability(StrEnum):
    """Annex I (optional): integration / stackability options."""

    STAND_ALONE = "stand-alone"
    STACKABLE = "stackable"


class LearningOutcome(Node):
    """One expected learning outcome (ELM ``LearningOutcome``), optionally tied to ESCO skills."""

    id: Iri | None = None
    type: Types = "LearningOutcome"
    title: Text
    title_map: LanguageMap | None = None  # translations (context microcred/i18n/v1)
    related_esco_skill: list[Iri] | None = Field(default=None, alias="relatedESCOSkill")

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "LearningOutcome")
        return value


EU_FIELDS = (
    "eqf_level",
    "volume_of_learning",
    "credit_system",
    "learning_outcome",
    "assessment_type",
    "participation_form",
    "quality_assurance",
    "accreditation",
    "prerequisites",
    "assessment_supervision",
    "stackability",
    "further_information",
)
"""Achievement fields from the EU extension; any of them makes it an EU micro-credential."""
