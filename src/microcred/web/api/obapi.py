"""The 1EdTech Open Badges 3.0 API under ``/ims/ob/v3p0``: the service description, the
OAuth 2.0 endpoints (registration, token, revocation) and the learner's credentials and
profile. The authorization endpoint, which a learner's browser opens, is a page
(:mod:`microcred.web.pages.oauth_consent`).

OAuth endpoints answer in OAuth's shape (authlib's answers, passed on). The resource
endpoints refuse with the specification's ``Imsx_StatusInfo`` body: 401 with
``WWW-Authenticate: Bearer`` for a missing or dead token, 403 for a token without the scope.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from microcred.errors import ObApiError
from microcred.obapi import scopes
from microcred.obapi.service import (
    DEFAULT_PAGE,
    MAX_UPSERT_BYTES,
    Caller,
    CredentialsPage,
    HttpCall,
    OAuthAnswer,
)
from microcred.runtime import Runtime
from microcred.surrogates import json_holds_lone_surrogate
from microcred.web.deps import RuntimeDep

router = APIRouter(prefix="/ims/ob/v3p0", tags=["obapi"])

MAX_OAUTH_BYTES = 64 * 1024
FORM = "application/x-www-form-urlencoded"
# The content types upsertCredential takes for a credential with an embedded proof.
JSON_CREDENTIAL = ("application/json", "application/vc+ld+json")
T = TypeVar("T")

# imsx_codeMinorFieldValue -> HTTP status, for refusals of the resource endpoints.
_STATUS = {
    "unauthorizedrequest": 401,
    "forbidden": 403,
    "invalid_data": 400,
    "invalid_query_parameter": 400,
    "unknown": 503,
}


def _json(body: object, status: int = 200, *, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _status_info(error: ObApiError) -> Response:
    status = _STATUS.get(error.minor, 400)
    body = {
        "imsx_codeMajor": "unsupported" if error.minor == "unknown" else "failure",
        "imsx_severity": "error",
        "imsx_description": str(error),
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "microcred", "imsx_codeMinorFieldValue": error.minor}
            ]
        },
    }
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    elif status == 403:
        headers["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{error.expected}"'
    return _json(body, status, headers=headers)


def _oauth(answer: OAuthAnswer) -> Response:
    headers = dict(answer.headers)
    headers.pop("Content-Type", None)
    if answer.status in (301, 302, 303, 307):
        return Response(status_code=answer.status, headers=headers)
    return _json(answer.body, answer.status, headers=headers)


def _oauth_refusal(description: str) -> Response:
    return _json({"error": "invalid_request", "error_description": description}, 400)


async def _body(request: Request, limit: int) -> bytes | None:
    """The request body, or None past ``limit`` (read in chunks, never whole first)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _call(runtime: Runtime, request: Request, endpoint: str, **parts: object) -> HttpCall:
    return HttpCall(
        method=request.method,
        url=runtime.urls.obapi_endpoint(endpoint),
        headers=dict(request.headers),
        **parts,  # type: ignore[arg-type]
    )


async def _form_call(runtime: Runtime, request: Request, endpoint: str) -> HttpCall | Response:
    raw = await _body(request, MAX_OAUTH_BYTES)
    if raw is None:
        return _oauth_refusal(f"the request is larger than {MAX_OAUTH_BYTES} bytes")
    return _form_call_of(runtime, request, endpoint, raw)


def _form_call_of(
    runtime: Runtime, request: Request, endpoint: str, raw: bytes
) -> HttpCall | Response:
    if _media_type(request) != FORM:
        return _oauth_refusal(f"the request must be {FORM}")
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    names = [name for name, _value in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        # RFC 6749 section 3.2: a parameter must not be sent more than once.
        return _oauth_refusal(f"repeated parameter: {', '.join(repeated)}"[:200])
    return _call(runtime, request, endpoint, form=pairs)


async def _in_thread(work: Callable[[], T]) -> T:
    return await run_in_threadpool(work)


# ---- discovery ---------------------------------------------------------------------------------


@router.get("/discovery")
def discovery(runtime: RuntimeDep) -> Response:
    """The service description document; open to anyone, as the specification requires."""
    return _json(
        runtime.obapi.service_description(),
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


# ---- OAuth 2.0 ---------------------------------------------------------------------------------


@router.post("/oauth/register", status_code=201)
async def register(request: Request, runtime: RuntimeDep) -> Response:
    raw = await _body(request, MAX_OAUTH_BYTES)
    if raw is None:
        return _oauth_refusal(f"the registration is larger than {MAX_OAUTH_BYTES} bytes")
    try:
        metadata: object = json.loads(raw)
        if json_holds_lone_surrogate(raw, metadata):
            raise ValueError("a lone surrogate is not text")
    except (ValueError, RecursionError):
        return _oauth_refusal("the registration is not JSON")
    call = _call(runtime, request, "oauth/register", json=metadata)
    return _oauth(await _in_thread(lambda: runtime.obapi.register(call)))


@router.post("/oauth/token")
async def token(request: Request, runtime: RuntimeDep) -> Response:
    call = await _form_call(runtime, request, "oauth/token")
    if isinstance(call, Response):
        return call
    return _oauth(await _in_thread(lambda: runtime.obapi.token(call)))


async def token_of(request: Request, runtime: RuntimeDep, raw: bytes) -> Response:
    """The token endpoint for a request whose body another route has read: the RFC 8414
    metadata names OpenID4VCI's token endpoint, which hands these grants on to here."""
    call = _form_call_of(runtime, request, "oauth/token", raw)
    if isinstance(call, Response):
        return call
    return _oauth(await _in_thread(lambda: runtime.obapi.token(call)))


@router.post("/oauth/revoke")
async def revoke(request: Request, runtime: RuntimeDep) -> Response:
    call = await _form_call(runtime, request, "oauth/revoke")
    if isinstance(call, Response):
        return call
    return _oauth(await _in_thread(lambda: runtime.obapi.revoke(call)))


# ---- the learner's credentials and profile -----------------------------------------------------


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _caller(runtime: Runtime, request: Request, scope: str) -> Caller:
    bearer = _bearer(request)
    return await _in_thread(lambda: runtime.obapi.caller(bearer, scope))


def _paging_links(runtime: Runtime, page: CredentialsPage) -> str:
    urls, limit, offset, total = runtime.urls, page.limit, page.offset, page.total
    since = page.since.isoformat() if page.since else None

    def at(start: int) -> str:
        return urls.obapi_credentials_page(limit=limit, offset=start, since=since)

    last = max(0, (total - 1) // limit * limit)
    links = []
    if offset + limit < total:
        links.append((at(offset + limit), "next"))
    links.append((at(last), "last"))
    links.append((at(0), "first"))
    if offset > 0:
        links.append((at(max(0, offset - limit)), "prev"))
    return ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links)


def _number(name: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdecimal():
        raise ObApiError(
            "invalid_query_parameter",
            f"{name} is not a whole number",
            expected="digits",
            found=value[:12],
        )
    return int(value)


def _moment(name: str, value: str | None) -> datetime | None:
    """An RFC 3339 date-time with its offset (``2026-01-15T09:00:00Z``), as the API asks."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ObApiError(
            "invalid_query_parameter",
            f"{name} is not a date-time with a time zone",
            expected="RFC 3339, for example 2026-01-15T09:00:00Z",
            found=value[:40],
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-14:00 is in year 10000 once in UTC (issue 20)
        raise ObApiError(
            "invalid_query_parameter",
            f"{name} is outside years 1 to 9999 once in UTC",
            expected="RFC 3339, for example 2026-01-15T09:00:00Z",
            found=value[:40],
        ) from None


@router.get("/credentials")
async def get_credentials(
    request: Request,
    runtime: RuntimeDep,
    limit: Annotated[str | None, Query(max_length=12)] = None,
    offset: Annotated[str | None, Query(max_length=12)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    try:
        caller = await _caller(runtime, request, scopes.CREDENTIAL_READ)
        page_size = _number("limit", limit, DEFAULT_PAGE)
        start = _number("offset", offset, 0)
        after = _moment("since", since)
        page = await _in_thread(
            lambda: runtime.obapi.credentials(caller, offset=start, limit=page_size, since=after)
        )
    except ObApiError as error:
        return _status_info(error)
    return _json(
        page.body(),
        headers={"X-Total-Count": str(page.total), "Link": _paging_links(runtime, page)},
    )


@router.post("/credentials")
async def upsert_credential(request: Request, runtime: RuntimeDep) -> Response:
    try:
        caller = await _caller(runtime, request, scopes.CREDENTIAL_UPSERT)
        media = _media_type(request)
        if media not in (*JSON_CREDENTIAL, "text/plain"):
            raise ObApiError(
                "invalid_data",
                "the credential must be sent as JSON or as a compact JWS",
                expected="application/json, application/vc+ld+json or text/plain",
                found=media[:60] or "no content type",
            )
        raw = await _body(request, MAX_UPSERT_BYTES)
        if raw is None:
            raise ObApiError(
                "invalid_data", "the credential is too large", expected=f"<= {MAX_UPSERT_BYTES}"
            )
        as_jws = media == "text/plain"
        done = await _in_thread(lambda: runtime.obapi.upsert_credential(caller, raw, as_jws=as_jws))
    except ObApiError as error:
        return _status_info(error)
    # The answer is the credential as sent, in the form it was sent.
    return Response(
        raw,
        status_code=201 if done.created else 200,
        media_type=media,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/profile")
async def get_profile(request: Request, runtime: RuntimeDep) -> Response:
    try:
        caller = await _caller(runtime, request, scopes.PROFILE_READ)
        profile = await _in_thread(lambda: runtime.obapi.profile(caller))
    except ObApiError as error:
        return _status_info(error)
    return _json(profile)


@router.put("/profile")
async def put_profile(request: Request, runtime: RuntimeDep) -> Response:
    try:
        caller = await _caller(runtime, request, scopes.PROFILE_UPDATE)
        raw = await _body(request, MAX_OAUTH_BYTES)
        try:
            body: object = json.loads(raw) if raw else None
            if raw and json_holds_lone_surrogate(raw, body):
                raise ValueError("a lone surrogate is not text")
        except (ValueError, RecursionError):
            body = None
        profile = await _in_thread(lambda: runtime.obapi.update_profile(caller, body))
    except ObApiError as error:
        return _status_info(error)
    return _json(profile)
