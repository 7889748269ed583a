"""Credentials inside credentials: a CLR 2.0's records and Open Badges endorsements.

A ``ClrCredential`` holds the learner's credentials in ``credentialSubject.verifiableCredential``,
each signed by its own issuer; its ``association`` entries relate achievements to each other.
Open Badges 3.0 lets a credential, its issuer profile and its achievement (and the achievement's
creator) carry ``endorsement`` (EndorsementCredential objects) and ``endorsementJwt`` (the same as
VC-JWTs). The verifier verifies each one on its own (:func:`embedded_parts` says where they
are); this module only finds them and reads what the page shows about a CLR.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from microcred.types import JsonObject

CLR_TYPE = "ClrCredential"
MAX_PARTS = 200
"""The most embedded credentials verified in one input (each costs a canonicalization)."""
MAX_DEPTH = 3
"""How deep credentials may nest (a CLR's credential's achievement's endorsement is 2)."""


@dataclass(frozen=True)
class Embedded:
    role: str  # "credential" or "endorsement"
    path: str
    data: Mapping[str, Any] | str  # a credential object, or a VC-JWT


def is_clr(credential: Mapping[str, Any]) -> bool:
    return CLR_TYPE in _types(credential)


def clr_problem(credential: Mapping[str, Any]) -> str | None:
    """What makes a ``ClrCredential`` unusable, or None: a ClrSubject holding credentials."""
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        return "credentialSubject is not an object"
    if "ClrSubject" not in _types(subject):
        return "credentialSubject.type does not include ClrSubject"
    held = subject.get("verifiableCredential")
    if not isinstance(held, list) or not held:
        return "credentialSubject.verifiableCredential holds no credentials"
    if not all(isinstance(item, dict | str) for item in held):
        return "credentialSubject.verifiableCredential holds something that is not a credential"
    return None


def embedded_parts(credential: Mapping[str, Any]) -> list[Embedded]:
    """Every credential held or endorsement carried directly by ``credential``, in order."""
    found: list[Embedded] = []
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if is_clr(credential) and isinstance(subject, Mapping):
        for index, item in enumerate(_list(subject.get("verifiableCredential"))):
            if isinstance(item, dict | str):
                found.append(
                    Embedded("credential", f"credentialSubject.verifiableCredential[{index}]", item)
                )
    found += _endorsements(credential, "")
    found += _endorsements(credential.get("issuer"), "issuer.")
    for index, one in enumerate(subjects):
        prefix = "credentialSubject." if len(subjects) == 1 else f"credentialSubject[{index}]."
        if not isinstance(one, Mapping):
            continue
        achievements = one.get("achievement")
        many = isinstance(achievements, list)
        for position, achievement in enumerate(_list(achievements)):
            where = f"{prefix}achievement[{position}]." if many else f"{prefix}achievement."
            found += _endorsements(achievement, where)
            if isinstance(achievement, Mapping):
                found += _endorsements(achievement.get("creator"), f"{where}creator.")
    return found


def _endorsements(node: Any, prefix: str) -> Iterator[Embedded]:
    if not isinstance(node, Mapping):
        return
    for name in ("endorsement", "endorsementJwt"):
        values = node.get(name)
        many = isinstance(values, list)
        for index, value in enumerate(_list(values)):
            if isinstance(value, dict | str):
                path = f"{prefix}{name}[{index}]" if many else f"{prefix}{name}"
                yield Embedded("endorsement", path, value)


def associations(credential: Mapping[str, Any]) -> list[JsonObject]:
    """A CLR's associations between achievements, each with the names of both ends."""
    subject = credential.get("credentialSubject")
    if not is_clr(credential) or not isinstance(subject, Mapping):
        return []
    names = _achievement_names(subject)
    shown: list[JsonObject] = []
    for item in _list(subject.get("association")):
        if not isinstance(item, Mapping):
            continue
        source, target = item.get("sourceId"), item.get("targetId")
        shown.append(
            {
                "type": _text(item.get("associationType")),
                "source": _text(source),
                "target": _text(target),
                "sourceName": names.get(source) if isinstance(source, str) else None,
                "targetName": names.get(target) if isinstance(target, str) else None,
            }
        )
    return shown


def _achievement_names(subject: Mapping[str, Any]) -> dict[str, str]:
    """Achievement id -> name, from the CLR's own list and from the credentials it holds."""
    achievements = list(_list(subject.get("achievement")))
    for held in _list(subject.get("verifiableCredential")):
        inner = held.get("credentialSubject") if isinstance(held, Mapping) else None
        for one in _list(inner):
            if isinstance(one, Mapping):
                achievements += _list(one.get("achievement"))
    names: dict[str, str] = {}
    for achievement in achievements:
        if isinstance(achievement, Mapping):
            key, name = achievement.get("id"), achievement.get("name")
            if isinstance(key, str) and isinstance(name, str):
                names.setdefault(key, name)
    return names


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _types(node: Mapping[str, Any]) -> set[str]:
    return {t for t in _list(node.get("type")) if isinstance(t, str)}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
