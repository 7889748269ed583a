"""The FastAPI application. API routers are found in :mod:`microcred.web.api` (one module
each, exporting ``router``), so a feature adds its routes without touching this file; the
HTML pages, their middleware and static files come from :mod:`microcred.web.pages`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from microcred import __version__
from microcred.runtime import Runtime
from microcred.web import api, errors, pages


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
    for module in sorted(m.name for m in pkgutil.iter_modules(api.__path__)):
        app.include_router(importlib.import_module(f"{api.__name__}.{module}").router)
    pages.install(app)
    return app
