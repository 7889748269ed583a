"""Lone surrogates: JSON's ``"\\ud800"`` escape decodes to a Python string that is not text.

JSON lets a string escape half of a UTF-16 pair on its own; Python decodes it to a code point
between U+D800 and U+DFFF that no UTF-8 encoder accepts, so it fails wherever it is next written
out (a page, a signature's hash, the database). Input is refused where it arrives, naming the
field (:func:`refuse_lone_surrogates`); text already stored is mended with U+FFFD, the
replacement character (:func:`replace_lone_surrogates`). A pair of escapes that make one
character (``"\\ud83d\\ude00"``) is ordinary text and never touched.
"""

from __future__ import annotations

import re
from typing import Any

from microcred.errors import ModelError

_SURROGATE = re.compile("[\ud800-\udfff]")
# The escape a lone surrogate arrives as in JSON text, so text without one is passed at C speed.
_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")

EXPECTED = "Unicode text (a surrogate escape such as \\ud83d only as half of a pair)"


def has_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def may_hold_surrogate_escape(json_text: str | bytes) -> bool:
    """False when JSON text certainly decodes to no surrogate (it has no ``\\uD8..`` escape)."""
    if isinstance(json_text, str):
        return _ESCAPE.search(json_text) is not None
    return _ESCAPE_BYTES.search(json_text) is not None


def lone_surrogate_at(value: object, path: str = "") -> str | None:
    """The dotted path of the first key or string holding a lone surrogate, or None.

    A bad key is reported at the object that holds it. ``path`` prefixes what is returned.
    Iterative, so no nesting depth the JSON parser allowed can overflow the stack here.
    """
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return where
        elif isinstance(item, dict):
            children: list[tuple[object, str]] = []
            for key, child in item.items():
                if isinstance(key, str) and has_lone_surrogate(key):
                    return where
                children.append((child, f"{where}.{key}" if where else str(key)))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(c, f"{where}[{i}]") for i, c in enumerate(item)]))
    return None


def refuse_lone_surrogates(value: object, *, field: str = "") -> None:
    """Raise :class:`ModelError` naming the field when ``value`` holds a lone surrogate."""
    found = lone_surrogate_at(value, field)
    if found is not None:
        raise ModelError(
            "text holds a lone surrogate escape (such as \\ud800), which is not a character",
            field=found or "(body)",
            expected=EXPECTED,
            found="half of a surrogate pair on its own",
        )


def replace_lone_surrogates(value: Any) -> tuple[Any, int]:
    """``value`` with each lone surrogate (in keys and strings) replaced by U+FFFD, and how many
    strings changed. Returns ``value`` itself when nothing changed."""
    if isinstance(value, str):
        if not has_lone_surrogate(value):
            return value, 0
        return _SURROGATE.sub("\ufffd", value), 1
    if isinstance(value, dict):
        changed = 0
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key, key_changes = replace_lone_surrogates(key)
            new_item, item_changes = replace_lone_surrogates(item)
            out[new_key] = new_item
            changed += key_changes + item_changes
        return (out, changed) if changed else (value, 0)
    if isinstance(value, list):
        changed = 0
        items = []
        for item in value:
            new_item, item_changes = replace_lone_surrogates(item)
            items.append(new_item)
            changed += item_changes
        return (items, changed) if changed else (value, 0)
    return value, 0


def json_holds_lone_surrogate(json_text: str | bytes, value: object) -> bool:
    """Whether ``value``, decoded from ``json_text``, holds a lone surrogate (cheap when the text
    has no surrogate escape at all)."""
    return may_hold_surrogate_escape(json_text) and lone_surrogate_at(value) is not None
