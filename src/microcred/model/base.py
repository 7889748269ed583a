"""The base of every model class: camelCase JSON names, extra fields kept, None never written."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from microcred.types import JsonObject


class Node(BaseModel):
    """A JSON-LD node of the OB 3.0 model.

    Unknown fields are kept (OB 3.0 is extensible) and written back unchanged. Python code builds
    nodes with snake_case names; JSON is always read by its camelCase names (see ``parse``).
    """

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        hide_input_in_errors=False,
    )

    def to_json(self) -> JsonObject:
        """The JSON object for this node: camelCase names, fields that are None left out."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return data
