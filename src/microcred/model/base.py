"""The base of every model class: camelCase JSON names, extra fields kept, None never written."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from microcred.model._errors import to_model_error
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

    def __init__(self, **data: Any) -> None:
        # Building a node in Python fails the same way as parsing one: with a ModelError.
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise to_model_error(error, json_names()) from error

    # Pydantic calls a custom __init__ for every nested node it validates, which would turn the
    # inner failure into a ModelError with a truncated path. This marker (the one pydantic puts
    # on BaseModel.__init__ and RootModel.__init__) keeps nested validation inside pydantic-core.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def to_json(self) -> JsonObject:
        """The JSON object for this node: camelCase names, fields that are None left out."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return data


def json_names() -> dict[str, str]:
    """Python field name -> JSON name, over every node class (for error paths)."""
    names: dict[str, str] = {}
    pending: list[type[Node]] = [Node]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        for name, info in cls.model_fields.items():
            alias = info.serialization_alias or info.alias
            if alias is not None and alias != name:
                names[name] = alias
    return names
