"""How deep JSON may nest: past :data:`MAX_DEPTH` levels it is refused, naming where.

No credential, achievement or profile needs more than a dozen levels; the serializers under us
(pydantic's, JSON-LD expansion's recursion) fail somewhere past 250 with an error that is not the
client's to read. One small limit, checked where JSON arrives, keeps that from ever being a 500.
"""

from __future__ import annotations

from typing import Final

from microcred.errors import ModelError

MAX_DEPTH: Final = 64


def too_deep_at(value: object, max_depth: int = MAX_DEPTH) -> str | None:
    """Where ``value`` first nests past ``max_depth`` arrays and objects (its first two path
    segments, then "..."), or None. Iterative, so any depth is safe to ask about."""
    stack: list[tuple[object, int, str]] = [(value, 0, "")]
    while stack:
        item, depth, where = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth >= max_depth:
            return f"{where}..." if where else "(body)"
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if depth < 2:
                step = f"[{key}]" if isinstance(item, list) else (f".{key}" if where else str(key))
                child_where = where + step
            else:
                child_where = where
            stack.append((child, depth + 1, child_where))
    return None


def refuse_deep_nesting(value: object, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`ModelError` when ``value`` nests deeper than ``max_depth`` levels."""
    found = too_deep_at(value, max_depth)
    if found is not None:
        raise ModelError(
            f"JSON is nested deeper than {max_depth} levels",
            field=found,
            expected=f"at most {max_depth} levels of arrays and objects",
            found="more",
        )
