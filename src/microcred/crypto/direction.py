"""Text with a base direction (``@direction``), written to RDF as the reference writes it.

JSON-LD 1.1 leaves the RDF form of ``{"@value": "...", "@language": "ar", "@direction": "rtl"}``
to an option. The Data Integrity cryptosuites (and jsonld.js, as they call it) use
``rdfDirection: "i18n-datatype"``: a literal whose datatype is
``https://www.w3.org/ns/i18n#`` + the language in lower case + ``_`` + the direction, e.g.
``"..."^^<https://www.w3.org/ns/i18n#ar_rtl>`` (no language: ``#_rtl``). So the direction is
part of the signed statements: change it and the proof fails.

pyoxigraph writes a language-tagged value with a direction as RDF 1.2 directional text (turned
into the datatype form by :func:`as_i18n_literal`), and drops the direction of a value without a
language: :func:`typed_directions` gives such values their datatype before parsing. A default
direction in a context would reach plain strings the same lossy way, so it is refused.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from microcred.errors import CanonicalizationError, short

I18N = "https://www.w3.org/ns/i18n#"
DIRECTIONS = frozenset({"ltr", "rtl"})
_MAX_DEPTH = 256


def i18n_datatype(language: str | None, direction: str) -> str:
    return f"{I18N}{(language or '').lower()}_{direction}"


def as_i18n_literal(literal: ox.Literal) -> ox.Literal:
    """A directional literal as the i18n-datatype literal the reference writes."""
    assert literal.direction is not None
    direction = str(literal.direction)  # pyoxigraph's BaseDirection prints as "ltr" / "rtl"
    _check_direction(direction)
    return ox.Literal(
        literal.value, datatype=ox.NamedNode(i18n_datatype(literal.language, direction))
    )


def typed_directions(node: Any, _depth: int = 0) -> Any:
    """``node`` with every value object that has a direction and no language given its
    i18n datatype (``@type``); ``node`` itself when there is none. Refuses a direction that is
    not ``ltr``/``rtl`` and a default direction set in a context."""
    if _depth > _MAX_DEPTH:
        return node  # the general path refuses such depth with its own bound
    if isinstance(node, list):
        items = [typed_directions(item, _depth + 1) for item in node]
        return items if any(a is not b for a, b in zip(items, node, strict=True)) else node
    if not isinstance(node, dict):
        return node
    if "@context" in node:
        _refuse_default_direction(node["@context"], 0)
    if "@direction" in node and "@value" in node:
        direction = node["@direction"]
        if direction is None:
            return node
        _check_direction(direction)
        if "@language" in node:
            return node  # pyoxigraph keeps it as directional text: as_i18n_literal converts
        typed = {k: v for k, v in node.items() if k != "@direction"}
        typed["@type"] = i18n_datatype(None, direction)
        return typed
    changed = {key: typed_directions(value, _depth + 1) for key, value in node.items()}
    return changed if any(changed[k] is not node[k] for k in node) else node


def _refuse_default_direction(context: Any, depth: int) -> None:
    if depth > 32:
        return
    if isinstance(context, list):
        for item in context:
            _refuse_default_direction(item, depth + 1)
    elif isinstance(context, dict):
        for key, value in context.items():
            if key == "@direction" and value is not None:
                raise CanonicalizationError(
                    "a context sets a default base direction (@direction), which the signed "
                    "statements would not carry for text without a language",
                    expected="@direction on each value object instead",
                    found=f"@direction {short(value)} in a context",
                )
            if isinstance(value, dict | list):
                _refuse_default_direction(value, depth + 1)


def _check_direction(direction: Any) -> None:
    if direction not in DIRECTIONS:
        raise CanonicalizationError(
            "a base direction (@direction) is not valid",
            expected="ltr or rtl",
            found=short(direction),
        )
