"""Liveness, readiness and metrics for the operator's load balancer and Prometheus.

``/healthz`` and ``/readyz`` are public (they say nothing secret: check names and reasons).
``/metrics`` asks for ``Authorization: Bearer $MICROCRED_METRICS_TOKEN`` when a token is
configured; without one it answers only clients on loopback (a scraper on the same host),
and nobody else is told it exists.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from microcred.errors import NotFoundError, UnauthenticatedError
from microcred.operations.metrics import CONTENT_TYPE
from microcred.web.deps import RuntimeDep

router = APIRouter(tags=["operations"])
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
def healthz() -> JSONResponse:
    """The process is alive and answering (nothing else is checked)."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get("/readyz")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """200 when every check passes, 503 naming the checks that failed and why."""
    report = runtime.operations.readiness()
    return JSONResponse(
        report.to_json(), status_code=200 if report.ready else 503, headers=NO_STORE
    )


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, runtime: RuntimeDep) -> Response:
    token = runtime.settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.get_secret_value().encode()
        ):
            raise UnauthenticatedError(
                "metrics need the metrics token",
                expected="Authorization: Bearer <MICROCRED_METRICS_TOKEN>",
                found="another token" if given else "no token",
            )
    elif not _loopback(request.client.host if request.client else None):
        raise NotFoundError("no such page", found="/metrics")
    return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE, headers=NO_STORE)


def _loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"  # Starlette's test client (an in-process caller)
