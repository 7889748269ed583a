"""HTML pages: the public credential page, the verifier and the staff console.

``install(app)`` adds the security-header middleware, the HTML error pages, the static files
and the page routers to an app made by :func:`microcred.web.app.create_app`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from microcred.web.pages import (
    achievements,
    admin,
    bulk,
    bulk_files,
    charts,
    console,
    console_credentials,
    employers_console,
    europass,
    extras,
    home,
    learners,
    oauth_consent,
    pathways,
    pathways_console,
    profile,
    public,
    settings,
    verify,
    wallet,
    wallet_careers,
    wallet_present,
    wallet_showcase,
)
from microcred.web.pages.core import install_error_pages
from microcred.web.pages.employers_console import install_employer_error_pages
from microcred.web.pages.learner_session import install_learner_error_pages
from microcred.web.pages.security import SecurityHeaders

STATIC = Path(__file__).parent / "static"
routers: tuple[APIRouter, ...] = (
    home.router,
    public.router,
    verify.router,
    console.router,
    console_credentials.router,
    achievements.router,
    bulk_files.router,  # before bulk's /{batch_id}, which would take template.csv
    bulk.router,
    admin.router,
    settings.router,
    charts.router,
    extras.router,
    learners.router,
    oauth_consent.router,
    wallet.router,
    europass.router,
    wallet_showcase.router,
    wallet_present.router,
    wallet_careers.router,
    employers_console.router,
    profile.router,
    pathways.router,
    pathways_console.router,
)


def install(app: FastAPI, *, skip: tuple[APIRouter, ...] = ()) -> None:
    """``skip``: routers the app has included already (see ``web.app.FIRST``)."""
    app.add_middleware(SecurityHeaders)
    install_error_pages(app)
    install_learner_error_pages(app)
    install_employer_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in routers:
        if router not in skip:
            app.include_router(router)


__all__ = ["install", "routers"]
