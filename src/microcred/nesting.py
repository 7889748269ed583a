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
    if not _nests_deeper(value, max_depth):
        return None  # the common case, asked of every request body: no paths are built
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


def _nests_deeper(value: object, max_depth: int) -> bool:
    """Whether ``value`` nests past ``max_depth``: only containers are visited."""
    containers = (dict, list)
    if not isinstance(value, containers):
        return False
    stack: list[tuple[dict[object, object] | list[object], int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth >= max_depth:
            return True
        children = item.values() if isinstance(item, dict) else item
        below = depth + 1
        stack.extend((child, below) for child in children if isinstance(child, containers))
    return False


def text_nests_deeper(raw: bytes | str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether JSON text opens more than ``max_depth`` arrays or objects at once, read before
    parsing: ``json.loads`` recurses in C as deep as the interpreter's recursion limit allows,
    and a library that raised that limit turns a hostile body into a crash, not an error."""
    text = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    if text.count(b"[") + text.count(b"{") <= max_depth:
        return False  # cannot nest deeper than it has brackets: the common case, no scan
    depth = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > max_depth:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


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
