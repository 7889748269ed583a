"""Entry points from JSON: check every invariant once, then hand back trusted objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from microcred.errors import ModelError, short
from microcred.model._errors import to_model_error
from microcred.model.achievement import Achievement
from microcred.model.base import Node, json_names
from microcred.model.credential import EndorsementCredential, OpenBadgeCredential
from microcred.model.profile import Profile
from microcred.types import JsonObject

_N = TypeVar("_N", bound=Node)


def _require_object(data: object, what: str) -> None:
    if not isinstance(data, Mapping):
        raise ModelError(
            f"{what} is not a JSON object",
            field="(document)",
            expected="a JSON object",
            found=short(data),
        )


def _parse(model: type[_N], data: Mapping[str, Any], what: str) -> _N:
    _require_object(data, what)
    try:
        # JSON is read by its camelCase names only; snake_case keys are extra fields there.
        return model.model_validate(dict(data), by_alias=True, by_name=False)
    except ValidationError as error:
        raise to_model_error(error, json_names()) from error


def parse_credential(data: Mapping[str, Any]) -> OpenBadgeCredential | EndorsementCredential:
    """Parse an OB 3.0 credential; the ``type`` decides between the two kinds.

    Raises :class:`~microcred.errors.ModelError` naming the first field that breaks the model.
    """
    _require_object(data, "credential")
    kind = data.get("type")
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    if "EndorsementCredential" in kinds:
        return _parse(EndorsementCredential, data, "credential")
    return _parse(OpenBadgeCredential, data, "credential")


def parse_achievement(data: Mapping[str, Any]) -> Achievement:
    """Parse an OB 3.0 Achievement (e.g. a badge template)."""
    return _parse(Achievement, data, "achievement")


def parse_profile(data: Mapping[str, Any]) -> Profile:
    """Parse an OB 3.0 Profile (e.g. an issuer)."""
    return _parse(Profile, data, "profile")


def credential_to_json(credential: OpenBadgeCredential | EndorsementCredential) -> JsonObject:
    """The JSON-LD object to sign: ``@context`` first, camelCase names, no null fields."""
    return credential.to_json()
