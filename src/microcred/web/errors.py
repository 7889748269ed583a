"""The one place where errors become HTTP: a status code, a stable machine code, a message."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from microcred import errors as e

log = logging.getLogger(__name__)

# Each error class's HTTP status; an error takes the entry of its nearest listed ancestor.
# Context, canonicalization, key, proof, status-list and baking errors stay at 400: what the
# client sent could not be processed, and clients already rely on that status.
STATUS: dict[type[e.MicrocredError], int] = {
    e.MicrocredError: 400,
    e.InputError: 422,  # ModelError, BundleError, NoQrCodeError: the client's input
    e.WorkLimitError: 422,  # a graph built to cost more than it may: refused, not "not verified"
    e.LogProofError: 422,  # a proof or checkpoint the client sent does not verify
    e.FetchError: 502,  # an address the client named could not be read from upstream
    e.UrlRefusedError: 422,  # an address the client named that we will not go to
    e.ChainUnavailableError: 503,
    e.MailError: 503,
    e.SealingError: 500,  # our own keys: a server fault, never the client's
    e.LogStoreError: 500,  # our own log store
    e.NotFoundError: 404,
    e.ConflictError: 409,
    e.PermissionDeniedError: 403,
    e.UnauthenticatedError: 401,
    e.SignInRequiredError: 401,
    e.SignInError: 401,
    e.AccountLockedError: 429,
    e.NotConfiguredError: 503,
    e.RateLimitedError: 429,  # with Retry-After
    e.LinkInvalidError: 400,
    e.Oid4vciError: 400,  # answered in OAuth's error shape by web/api/oid4vci.py
    e.OAuthRefusedError: 400,  # shown to the learner on an HTML page (web/pages/oauth_consent.py)
    e.ObApiError: 400,  # answered as Imsx_StatusInfo by web/api/obapi.py, with its own status
    e.LtiError: 401,  # the platform's id_token (or login) was not accepted
    e.SignedStatementError: 400,  # xAPI: a signature, attachment hash or part refused
}


def status_for(error: e.MicrocredError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return {"error": body}


def install(app: FastAPI) -> None:
    @app.exception_handler(e.MicrocredError)
    async def _microcred(_request: Request, error: e.MicrocredError) -> JSONResponse:
        headers = (
            {"WWW-Authenticate": "Bearer"} if isinstance(error, e.UnauthenticatedError) else None
        )
        status = status_for(error)
        if status == 500:
            # Our own fault (a key that will not open, an unreadable log): the code says which,
            # the details stay in our log, never in the answer.
            log.error("%s answered %d: %s", type(error).__name__, status, error)
            return JSONResponse(
                error_body(error.code, "something went wrong on our side"), status_code=status
            )
        where = (
            {"node": error.node, "reason": error.reason}
            if isinstance(error, e.PathwayError)
            else {}
        )
        return JSONResponse(
            error_body(
                error.code, error.message, expected=error.expected, found=error.found, **where
            ),
            status_code=status,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": e.get("msg", ""),
            }
            for e in error.errors()
        ]
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        return JSONResponse(
            error_body(
                "invalid_request",
                f"{first['field']}: {first['message']}" if first["field"] else first["message"],
                problems=problems,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(error.detail)),
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            error_body("internal_error", "something went wrong on our side"), status_code=500
        )
