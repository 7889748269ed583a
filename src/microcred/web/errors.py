"""The one place where errors become HTTP: a status code, a stable machine code, a message."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from microcred.errors import (
    ConflictError,
    InputError,
    MicrocredError,
    NotConfiguredError,
    NotFoundError,
    PermissionDeniedError,
)

log = logging.getLogger(__name__)


class UnauthenticatedError(MicrocredError):
    code = "unauthenticated"


def status_for(error: MicrocredError) -> int:
    if isinstance(error, UnauthenticatedError):
        return 401
    if isinstance(error, NotConfiguredError):
        return 503
    if isinstance(error, PermissionDeniedError):
        return 403
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, InputError):
        return 422
    return 400


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return {"error": body}


def install(app: FastAPI) -> None:
    @app.exception_handler(MicrocredError)
    async def _microcred(_request: Request, error: MicrocredError) -> JSONResponse:
        headers = (
            {"WWW-Authenticate": "Bearer"} if isinstance(error, UnauthenticatedError) else None
        )
        return JSONResponse(
            error_body(error.code, error.message, expected=error.expected, found=error.found),
            status_code=status_for(error),
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
