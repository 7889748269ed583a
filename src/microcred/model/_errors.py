"""Turn a pydantic ValidationError into a ModelError that names the field, expected and found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from microcred.errors import ModelError, short

# What a person should have written, for pydantic's own error types.
_EXPECTED = {
    "missing": "a value (the field is required)",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "an integer",
    "float_type": "a number",
}


def dotted_path(loc: Sequence[int | str], aliases: Mapping[str, str] | None = None) -> str:
    """``("a", 1, "b")`` -> ``a[1].b``; union members (our ``~name`` tags, pydantic's
    ``tagged-union[...]`` and ``list[...]``) are left out.

    A node built in Python reports its snake_case names; ``aliases`` turns them into the JSON
    names, so a path reads the same whichever way the node was made.
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith(("~", "tagged-union[", "list[")):
            continue  # names pydantic gives to union members, not JSON fields
        else:
            name = (aliases or {}).get(part, part)
            path = f"{path}.{name}" if path else name
    return path


def to_model_error(error: ValidationError, json_names: Mapping[str, str]) -> ModelError:
    """The first problem as a ModelError; the message says how many more there were."""
    problems = error.errors(include_url=False)
    first: ErrorDetails = problems[0]
    context = first.get("ctx") or {}
    loc: list[int | str] = list(first["loc"])
    if "subfield" in context:
        loc.append(str(context["subfield"]))
    expected = str(context.get("expected") or _EXPECTED.get(first["type"], first["msg"]))
    if "found" in context:
        found = str(context["found"])
    else:
        found = "nothing" if first["type"] == "missing" else short(first["input"])
    message = first["msg"] if first["type"] == "microcred" else first["msg"].lower()
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    field = dotted_path(loc, json_names) or "(document)"
    return ModelError(message, field=field, expected=expected, found=found)
