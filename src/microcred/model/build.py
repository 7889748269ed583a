"""Builders for unsigned credentials. Each result goes through ``parse_credential`` before it is
returned, so a builder cannot produce a document the parser would refuse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from microcred.model.achievement import Achievement, Image
from microcred.model.credential import (
    OB_V3_CONTEXT,
    VC_V2_CONTEXT,
    BitstringStatusListEntry,
    CredentialSchema,
    CredentialStatus,
    Evidence,
    OpenBadgeCredential,
)
from microcred.model.eu import EU_MC_CONTEXT
from microcred.model.identity import IdentityObject
from microcred.model.parse import parse_credential
from microcred.model.profile import Profile
from microcred.model.subject import AchievementSubject, Result
from microcred.model.texts import I18N_CONTEXT
from microcred.types import JsonObject


def credential_contexts(achievement: Achievement, extra: Sequence[str] = ()) -> list[str]:
    """The ``@context`` list for a credential awarding ``achievement``."""
    contexts = [VC_V2_CONTEXT, OB_V3_CONTEXT]
    if achievement.is_eu_microcredential:
        contexts.append(EU_MC_CONTEXT)
    if achievement.has_translations:
        contexts.append(I18N_CONTEXT)
    contexts.extend(c for c in extra if c not in contexts)
    return contexts


def _subject_json(
    subject: str | IdentityObject | AchievementSubject,
    achievement: Achievement,
    result: Sequence[Result],
) -> JsonObject:
    if isinstance(subject, AchievementSubject):
        data = subject.to_json()
    elif isinstance(subject, IdentityObject):
        data = {"type": ["AchievementSubject"], "identifier": [subject.to_json()]}
    else:
        data = {"id": subject, "type": ["AchievementSubject"]}
    data["achievement"] = achievement.to_json()
    if result:
        data["result"] = [r.to_json() for r in result]
    return data


def _status_json(
    status: BitstringStatusListEntry
    | CredentialStatus
    | Sequence[BitstringStatusListEntry | CredentialStatus]
    | None,
) -> JsonObject | list[JsonObject] | None:
    if status is None:
        return None
    if isinstance(status, Sequence):
        return [s.to_json() for s in status]
    return status.to_json()


def build_credential(
    *,
    id: str,
    issuer: Profile,
    achievement: Achievement,
    subject: str | IdentityObject | AchievementSubject,
    valid_from: datetime,
    valid_until: datetime | None = None,
    awarded_date: datetime | None = None,
    name: str | None = None,
    description: str | None = None,
    image: Image | None = None,
    result: Sequence[Result] = (),
    evidence: Sequence[Evidence] = (),
    credential_status: BitstringStatusListEntry
    | CredentialStatus
    | Sequence[BitstringStatusListEntry | CredentialStatus]
    | None = None,
    credential_schema: Sequence[CredentialSchema] = (),
    extra_contexts: Sequence[str] = (),
) -> JsonObject:
    """An unsigned OpenBadgeCredential as the JSON-LD object to sign.

    ``subject`` is the learner: a DID or other IRI, a hashed identity (see
    :func:`hashed_email_identity`), or a full AchievementSubject (its achievement is replaced).
    ``name`` defaults to the achievement's name. Datetimes must be timezone-aware; anything the
    parser would refuse raises :class:`~microcred.errors.ModelError` here too.
    """
    document: dict[str, Any] = {
        "@context": credential_contexts(achievement, extra_contexts),
        "id": id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.name if name is None else name,
        "description": description,
        "image": None if image is None else image.to_json(),
        "issuer": issuer.to_json(),
        "validFrom": valid_from,
        "validUntil": valid_until,
        "awardedDate": awarded_date,
        "credentialSubject": _subject_json(subject, achievement, result),
        "evidence": [e.to_json() for e in evidence] or None,
        "credentialSchema": [s.to_json() for s in credential_schema] or None,
        "credentialStatus": _status_json(credential_status),
    }
    credential = parse_credential({k: v for k, v in document.items() if v is not None})
    assert isinstance(credential, OpenBadgeCredential)
    return credential.to_json()
