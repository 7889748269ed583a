"""The routers the app matches first (``web.app.FIRST``) change no answer: no route mounted
before one of theirs in the declared order could match a path of theirs with a common method,
and among themselves they keep the declared order."""

from __future__ import annotations

from fastapi import APIRouter

from microcred.web import app as web_app
from microcred.web import pages

STATIC = ("/static/{path:path}", frozenset({"GET", "HEAD"}))


def declared() -> list[APIRouter | None]:
    """Every router in the order the app mounted them before FIRST (None: static files)."""
    return [*web_app.API_ROUTERS, None, *pages.routers]


def routes(router: APIRouter | None) -> list[tuple[str, frozenset[str]]]:
    if router is None:
        return [STATIC]
    return [(r.path, frozenset(getattr(r, "methods", None) or ())) for r in router.routes]


def may_overlap(first: str, second: str) -> bool:
    """Whether some path could match both templates: segment by segment, a parameter (or a
    segment with one inside) may be anything, a ``:path`` parameter the rest of the path."""
    a, b = first.strip("/").split("/"), second.strip("/").split("/")
    for i in range(max(len(a), len(b))):
        x, y = (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
        if (x and ":path}" in x) or (y and ":path}" in y):
            return True
        if x is None or y is None:
            return False
        if "{" not in x and "{" not in y and x != y:
            return False
    return True


def test_may_overlap_reads_templates_as_starlette_matches_them() -> None:
    assert may_overlap("/credentials/{id}", "/credentials/verify")
    assert may_overlap("/static/{path:path}", "/static/a/b")
    assert may_overlap("/credentials/{id}/badge.png", "/credentials/x/{name}")
    assert not may_overlap("/credentials/{id}", "/credentials/{id}/embed")
    assert not may_overlap("/verify", "/api/v1/verify")


def test_routers_matched_first_shadow_nothing() -> None:
    order = declared()
    clashes = []
    for router in web_app.FIRST:
        earlier = [r for r in order[: order.index(router)] if r not in web_app.FIRST]
        for path, methods in routes(router):
            for other in earlier:
                for other_path, other_methods in routes(other):
                    if methods & other_methods and may_overlap(path, other_path):
                        clashes.append((path, other_path))
    assert clashes == []


def test_routers_matched_first_keep_their_declared_order() -> None:
    order = declared()
    positions = [order.index(router) for router in web_app.FIRST]
    assert positions == sorted(positions)
