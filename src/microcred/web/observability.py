"""Every request: a request id (the caller's ``X-Request-ID`` when it is a sane token, a new
one otherwise, echoed in the response), one structured log line, and the request metrics.

Pure ASGI (no BaseHTTPMiddleware): it adds microseconds, not a task per request. The route is
the matched template (``/credentials/{credential_id}``), so neither logs nor metric labels
carry ids, tokens or query strings.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microcred.operations.logs import request_id
from microcred.operations.metrics import Metrics

log = logging.getLogger("microcred.request")
_SANE_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")
UNMATCHED = "(unmatched)"


class Observability:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        rid = given if given and _SANE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = _route(scope)
            method = str(scope.get("method", ""))
            self.metrics.observe_request(method, route, status, seconds)
            log.info(
                "%s %s %d",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "ms": round(seconds * 1000, 2),
                },
            )
            request_id.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _route(scope: Scope) -> str:
    """The template of the route that answered (FastAPI puts it in the scope), or a mount."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    root = scope.get("root_path", "")
    app_root = scope.get("app_root_path")
    if isinstance(app_root, str) and app_root and app_root != root:
        return f"{app_root}/*"  # a mount (static files)
    return UNMATCHED
