"""The Open Badges 3.0 data model with the EU micro-credential elements.

Parse, don't validate: :func:`parse_credential`, :func:`parse_achievement` and
:func:`parse_profile` check every invariant once and raise
:class:`~microcred.errors.ModelError` (naming the field, what was expected and what was found);
the objects they return are trusted from then on. ``to_json()`` gives back the JSON-LD object.
"""

from __future__ import annotations

from microcred.model.achievement import (
    Achievement,
    Alignment,
    Criteria,
    IdentifierEntry,
    Image,
    Related,
    ResultDescription,
    RubricCriterionLevel,
)
from microcred.model.build import build_credential, credential_contexts
from microcred.model.credential import (
    OB_V3_CONTEXT,
    OB_V3_CONTEXTS,
    VC_V2_CONTEXT,
    BitstringStatusListEntry,
    CredentialSchema,
    CredentialStatus,
    EndorsementCredential,
    EndorsementSubject,
    Evidence,
    OpenBadgeCredential,
    VerifiableCredential,
)
from microcred.model.eu import (
    ECTS_IRI,
    ELM_NAMESPACE,
    EU_MC_CONTEXT,
    EU_MC_NAMESPACE,
    AssessmentSupervision,
    AssessmentType,
    EqfLevel,
    LearningOutcome,
    ParticipationForm,
    QualityAssurance,
    Stackability,
)
from microcred.model.identity import (
    IdentityObject,
    hashed_email_identity,
    identity_matches,
    normalize_email,
)
from microcred.model.parse import (
    credential_to_json,
    parse_achievement,
    parse_credential,
    parse_profile,
)
from microcred.model.profile import Address, GeoCoordinates, Profile
from microcred.model.subject import AchievementSubject, Result
from microcred.model.texts import I18N_CONTEXT, LanguageMap, language_tag
from microcred.model.values import Timestamp

AchievementCredential = OpenBadgeCredential
"""OB 3.0 names the same class both ways."""

__all__ = [
    "ECTS_IRI",
    "ELM_NAMESPACE",
    "EU_MC_CONTEXT",
    "EU_MC_NAMESPACE",
    "I18N_CONTEXT",
    "OB_V3_CONTEXT",
    "OB_V3_CONTEXTS",
    "VC_V2_CONTEXT",
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Address",
    "Alignment",
    "AssessmentSupervision",
    "AssessmentType",
    "BitstringStatusListEntry",
    "CredentialSchema",
    "CredentialStatus",
    "Criteria",
    "EndorsementCredential",
    "EndorsementSubject",
    "EqfLevel",
    "Evidence",
    "GeoCoordinates",
    "IdentifierEntry",
    "IdentityObject",
    "Image",
    "LanguageMap",
    "LearningOutcome",
    "OpenBadgeCredential",
    "ParticipationForm",
    "Profile",
    "QualityAssurance",
    "Related",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "Stackability",
    "Timestamp",
    "VerifiableCredential",
    "build_credential",
    "credential_contexts",
    "credential_to_json",
    "hashed_email_identity",
    "identity_matches",
    "language_tag",
    "normalize_email",
    "parse_achievement",
    "parse_credential",
    "parse_profile",
]
