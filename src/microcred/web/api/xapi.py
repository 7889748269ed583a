"""The xAPI statements resource: an LMS or LRS sends learning records (POST a statement or
a batch, PUT one with its id), authenticated by an issuer's LRS key (HTTP Basic). Every
answer carries ``X-Experience-API-Version``; refusals say which property is wrong. Statements
with attachments come as ``multipart/mixed``; signed ones are verified first (lms/xapi_signed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from microcred.errors import MicrocredError
from microcred.lms.xapi import version_of
from microcred.lms.xapi_signed import check_attachments, is_multipart, split_multipart
from microcred.web.deps import RawBody, RuntimeDep, json_body
from microcred.web.errors import error_body, status_for

router = APIRouter(prefix="/xapi", tags=["xapi"])
VERSIONS = ["1.0.3", "2.0.0"]


def _refused(error: MicrocredError, version: str) -> JSONResponse:
    headers = {"X-Experience-API-Version": version}
    if status_for(error) == 401:
        headers["WWW-Authenticate"] = 'Basic realm="xapi"'
    return JSONResponse(
        error_body(error.code, error.message, expected=error.expected, found=error.found),
        status_code=status_for(error),
        headers=headers,
    )


@router.get("/about")
def about() -> JSONResponse:
    return JSONResponse({"version": VERSIONS}, headers={"X-Experience-API-Version": "2.0.0"})


def _receive(
    request: Request,
    runtime: RuntimeDep,
    raw: bytes,
    version_header: str | None,
    statement_id: str | None,
) -> tuple[str, list[str]]:
    identity = runtime.lms.authenticate_lrs(request.headers.get("authorization"))
    version = version_of(version_header)
    content_type = request.headers.get("content-type")
    parts: dict[str, bytes] = {}
    if is_multipart(content_type):
        multipart = split_multipart(content_type or "", raw)
        raw, parts = multipart.statements, multipart.parts
    body = json_body(raw)
    # Attachments and signatures are checked before anything is stored: a refusal keeps nothing.
    check_attachments(body, parts)
    intake = runtime.lms.receive_statements(identity, version, body, statement_id=statement_id)
    return version, intake.ids


@router.post("/statements")
def post_statements(
    request: Request,
    runtime: RuntimeDep,
    raw: RawBody,
    version: Annotated[str | None, Header(alias="X-Experience-API-Version")] = None,
) -> Response:
    """One statement (an object) or a batch (an array): the stored ids, in order."""
    answer_version = "2.0.0" if (version or "").startswith("2") else "1.0.3"
    try:
        answer_version, ids = _receive(request, runtime, raw, version, None)
    except MicrocredError as error:
        return _refused(error, answer_version)
    return JSONResponse(ids, headers={"X-Experience-API-Version": answer_version})


@router.put("/statements", status_code=204)
def put_statement(
    request: Request,
    runtime: RuntimeDep,
    raw: RawBody,
    statement_id: Annotated[str, Query(alias="statementId", max_length=64)],
    version: Annotated[str | None, Header(alias="X-Experience-API-Version")] = None,
) -> Response:
    """One statement under the id given (204; 409 if another statement has the id)."""
    answer_version = "2.0.0" if (version or "").startswith("2") else "1.0.3"
    try:
        answer_version, _ids = _receive(request, runtime, raw, version, statement_id)
    except MicrocredError as error:
        return _refused(error, answer_version)
    return Response(status_code=204, headers={"X-Experience-API-Version": answer_version})
