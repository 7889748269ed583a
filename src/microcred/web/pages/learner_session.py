"""The signed-in learner, for every page: who it is, the dependency that requires one, the CSRF
check for learner forms, and the session cookie.

``current_learner`` lives in :mod:`~microcred.web.pages.core` (every page's header shows
who is signed in) and is re-exported here. The cookie (``mc_learner``) holds a random token;
the server keeps its SHA-256 with the session's times (:mod:`microcred.learners.service`).
Form tokens are bound to it (see :meth:`Keys._session_id`), so a learner's form stops
validating when the session changes.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from microcred.errors import LearnerSignInRequiredError, RateLimitedError
from microcred.learners.service import SESSION_MAX
from microcred.store.tables import LearnerRow
from microcred.web.errors import error_body
from microcred.web.pages.core import (
    SMALL_FORM_BYTES,
    csrf,
    current_learner,
    get_pages,
    render,
)
from microcred.web.pages.security import LEARNER_COOKIE

# Requests answered in JSON when rate limited (every other limit is a learner's page).
JSON_PATHS = ("/api/", "/credentials/verify", "/credentials/issue", "/presentations/verify")

SIGN_IN_PATH = "/sign-in"


def require_learner(request: Request) -> LearnerRow:
    learner = current_learner(request)
    if learner is None:
        raise LearnerSignInRequiredError("sign in to see your account")
    return learner


LearnerRequired = Annotated[LearnerRow, Depends(require_learner)]
"""A route parameter ``learner: LearnerRequired``: the signed-in learner; anyone else is
redirected to ``/sign-in?next=<this page>``."""


def learner_csrf(
    *, max_bytes: int = SMALL_FORM_BYTES, max_fields: int = 20, max_files: int = 1
) -> Any:
    """The dependency a signed-in learner's form POST declares: the CSRF check of
    :func:`~microcred.web.pages.core.csrf` with the route's limits, then a signed-in learner
    (the token is bound to the learner's session, so a form from before sign-out fails)."""
    form_check = csrf(max_bytes=max_bytes, max_fields=max_fields, max_files=max_files)

    def check(request: Request, _form: None = form_check) -> LearnerRow:
        return require_learner(request)

    return Depends(check)


LearnerFormCsrf = learner_csrf()
"""``learner: LearnerRow = LearnerFormCsrf`` on a small learner form's POST."""


def set_learner_cookie(request: Request, response: Response, session_token: str) -> None:
    keys = get_pages(request).keys
    response.set_cookie(
        LEARNER_COOKIE,
        session_token,
        max_age=int(SESSION_MAX.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=keys.secure_cookies,
        path="/",
    )


def clear_learner_cookie(request: Request, response: Response) -> None:
    keys = get_pages(request).keys
    response.delete_cookie(
        LEARNER_COOKIE, httponly=True, samesite="lax", secure=keys.secure_cookies, path="/"
    )


def sign_in_redirect(request: Request) -> RedirectResponse:
    query = f"?{request.url.query}" if request.url.query else ""
    target = quote(f"{request.url.path}{query}", safe="/")
    return RedirectResponse(f"{SIGN_IN_PATH}?next={target}", status_code=303)


def install_learner_error_pages(app: FastAPI) -> None:
    """Handlers for the learner pages' errors (a subclass's handler wins over its base's)."""

    @app.exception_handler(LearnerSignInRequiredError)
    async def _sign_in(request: Request, _error: LearnerSignInRequiredError) -> Response:
        return sign_in_redirect(request)

    @app.exception_handler(RateLimitedError)
    async def _rate_limited(request: Request, error: RateLimitedError) -> Response:
        seconds = max(1, math.ceil(error.retry_after))
        if request.url.path.startswith(JSON_PATHS):  # the public verify APIs' limits
            return JSONResponse(
                error_body(error.code, error.message, expected=error.expected, found=error.found),
                status_code=429,
                headers={"Retry-After": str(seconds)},
            )
        return render(
            request,
            "learner/rate_limited.html",
            {"minutes": max(1, math.ceil(seconds / 60))},
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )


__all__ = [
    "LearnerFormCsrf",
    "LearnerRequired",
    "clear_learner_cookie",
    "current_learner",
    "install_learner_error_pages",
    "learner_csrf",
    "require_learner",
    "set_learner_cookie",
]
