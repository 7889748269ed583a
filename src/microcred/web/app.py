"""The FastAPI application: every API router is mounted here, by name (one module of
:mod:`microcred.web.api` per feature, each exporting ``router``); the HTML pages, their
middleware and static files come from :mod:`microcred.web.pages`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from microcred import __version__
from microcred.runtime import Runtime
from microcred.web import errors, pages
from microcred.web.api import (
    achievements,
    audit,
    batches,
    careers,
    credentials,
    employers,
    europass,
    issuers,
    lifecycle,
    lms,
    log,
    lti,
    obapi,
    oid4vci,
    operations,
    pathways,
    public,
    status,
    vcapi,
    verify,
    webhooks,
    xapi,
)
from microcred.web.observability import Observability
from microcred.web.pages import public as public_pages
from microcred.web.pages import verify as verify_pages

# In this order, the order they were always mounted in: where two paths could match, the first wins.
API_ROUTERS = (
    achievements.router,
    audit.router,
    batches.router,
    careers.router,
    credentials.router,
    employers.router,
    europass.router,
    issuers.router,
    lifecycle.router,
    log.router,
    obapi.router,
    oid4vci.router,
    operations.router,
    pathways.router,
    public.router,
    status.router,
    vcapi.router,
    verify.router,
    webhooks.router,
    lms.router,
    lti.router,
    xapi.router,
)
# Matched first, in this order: the routes strangers call most (credential pages and JSON,
# verification). A router is a list scanned in order, and each route tried costs a few
# microseconds, ~40 routers deep for a page. Taking these first changes no answer: no route
# mounted before one of theirs in the order above could match a path of theirs with a common
# method (tests/platform/test_route_order.py checks every pair).
FIRST = (public.router, vcapi.router, verify.router, public_pages.router, verify_pages.router)


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for start in runtime.on_startup:
            start()
        try:
            yield
        finally:
            for stop in reversed(runtime.on_shutdown):
                stop()

    app = FastAPI(
        title="microcred",
        version=__version__,
        description="Open Badges 3.0 micro-credentials: issue, verify, revoke.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    errors.install(app)
    for router in FIRST:
        app.include_router(router)
    for router in API_ROUTERS:
        if router not in FIRST:
            app.include_router(router)
    pages.install(app, skip=FIRST)
    # Outermost: it sees every answer, the error pages' too.
    app.add_middleware(Observability, metrics=runtime.metrics)
    return app
