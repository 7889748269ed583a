"""A per-achievement credential template: the bulk fast path for building credentials.

``build_credential`` validates the whole OB 3.0 model on every call, so a batch of 100,000
awards of one achievement validates the same issuer profile and achievement 100,000 times. A
template runs ``build_credential`` once per subject *shape* (which of DID, hashed e-mail, name
and validUntil are present) with recognisable placeholder values, notes where each placeholder
landed, and afterwards only copies the containers on those paths and puts the real values in.
The fixed parts (issuer, achievement) are shared between documents: callers must not mutate
them (signing and storing do not). ``tests/platform/test_bulk_template.py`` checks that the
output equals ``build_credential``'s for every shape; anything the template cannot vouch for
(a datetime with sub-second precision, a value equal to a placeholder) takes the slow path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from microcred.model import Achievement, build_credential
from microcred.model.identity import IdentityObject
from microcred.model.profile import Profile
from microcred.model.subject import AchievementSubject
from microcred.model.values import Timestamp
from microcred.types import JsonObject

_ID = "https://placeholder.microcred.invalid/credential"
_DID = "did:example:microcred-placeholder-subject"
_NAME = "microcred placeholder name"
_HASH = "sha256$" + "0" * 63 + "1"
_SALT = "f" * 31 + "e"
_FROM = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)
_UNTIL = datetime(1902, 3, 4, 5, 6, 7, tzinfo=UTC)
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
PLACEHOLDERS = {
    _ID: "id",
    _DID: "did",
    _NAME: "name",
    _HASH: "hash",
    _SALT: "salt",
    _FROM.strftime(_STAMP): "valid_from",
    _UNTIL.strftime(_STAMP): "valid_until",
}

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class _Shape:
    document: JsonObject
    slots: tuple[tuple[Path, str], ...]  # where each placeholder sits, by value name


class CredentialTemplate:
    """Build credentials awarding ``achievement`` from ``issuer``, equal to ``build_credential``."""

    def __init__(self, *, issuer: Profile, achievement: Achievement) -> None:
        self.issuer = issuer
        self.achievement = achievement
        self._shapes: dict[tuple[bool, bool, bool, bool], _Shape] = {}

    def build(
        self,
        *,
        id: str,
        valid_from: datetime,
        valid_until: datetime | None = None,
        did: str | None = None,
        identity: IdentityObject | None = None,
        name: str | None = None,
    ) -> JsonObject:
        values: dict[str, Any] = {"id": id, "did": did, "name": name}
        if identity is not None:
            values["hash"], values["salt"] = identity.identity_hash, identity.salt
        if not self._eligible(values, identity, valid_from, valid_until):
            return self._slow(id, valid_from, valid_until, did, identity, name)
        # Written as the model writes them (offset and fractions kept), not normalised to UTC.
        values["valid_from"] = str(Timestamp(valid_from))
        if valid_until is not None:
            values["valid_until"] = str(Timestamp(valid_until))
        key = (did is not None, identity is not None, name is not None, valid_until is not None)
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = self._shape(*key)
        return _fill(shape, values)

    @staticmethod
    def _eligible(
        values: dict[str, Any],
        identity: IdentityObject | None,
        valid_from: datetime,
        valid_until: datetime | None,
    ) -> bool:
        if any(isinstance(v, str) and v in PLACEHOLDERS for v in values.values()):
            return False
        if identity is not None and not (
            identity.hashed and identity.identity_type == "emailAddress" and identity.salt
        ):
            return False
        moments = [valid_from] if valid_until is None else [valid_from, valid_until]
        return all(m.tzinfo is not None for m in moments)

    def _slow(
        self,
        id: str,
        valid_from: datetime,
        valid_until: datetime | None,
        did: str | None,
        identity: IdentityObject | None,
        name: str | None,
    ) -> JsonObject:
        data: dict[str, Any] = {"achievement": self.achievement}
        if did is not None:
            data["id"] = did
        if identity is not None:
            data["identifier"] = [identity]
        if name is not None:
            data["name"] = name
        return build_credential(
            id=id,
            issuer=self.issuer,
            achievement=self.achievement,
            subject=AchievementSubject(**data),
            valid_from=valid_from,
            valid_until=valid_until,
        )

    def _shape(self, has_did: bool, has_identity: bool, has_name: bool, has_until: bool) -> _Shape:
        identity = (
            IdentityObject(
                hashed=True, identity_hash=_HASH, identity_type="emailAddress", salt=_SALT
            )
            if has_identity
            else None
        )
        document = self._slow(
            _ID,
            _FROM,
            _UNTIL if has_until else None,
            _DID if has_did else None,
            identity,
            _NAME if has_name else None,
        )
        slots: list[tuple[Path, str]] = []
        _find(document, (), slots)
        return _Shape(document, tuple(slots))


def _find(node: Any, path: Path, slots: list[tuple[Path, str]]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _find(v, (*path, k), slots)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _find(v, (*path, i), slots)
    elif isinstance(node, str) and node in PLACEHOLDERS:
        slots.append((path, PLACEHOLDERS[node]))


def _fill(shape: _Shape, values: dict[str, Any]) -> JsonObject:
    """A copy of the shape's document sharing every container no placeholder lives in."""
    result: JsonObject = dict(shape.document)
    copied: set[Path] = {()}
    for path, name in shape.slots:
        node: Any = result
        for depth, step in enumerate(path[:-1]):
            prefix = path[: depth + 1]
            child = node[step]
            if prefix not in copied:
                child = dict(child) if isinstance(child, dict) else list(child)
                node[step] = child
                copied.add(prefix)
            node = child
        node[path[-1]] = values[name]
    return result
