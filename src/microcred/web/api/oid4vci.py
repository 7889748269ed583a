"""OpenID for Verifiable Credential Issuance 1.0 (pre-authorized code flow): the metadata a
wallet reads, the token, nonce and credential endpoints.

Refusals answer in OAuth's shape, ``{"error": <code>, "error_description": <text>}`` (RFC 6749
section 5.2, RFC 6750 section 3, OpenID4VCI's credential errors), since that is what wallets
parse; a missing or bad access token is 401 with ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from microcred.errors import NotFoundError, Oid4vciError
from microcred.obapi.authserver import GRANT_TYPES as OBAPI_GRANT_TYPES
from microcred.surrogates import json_holds_lone_surrogate
from microcred.types import JsonObject
from microcred.web.api import obapi
from microcred.web.deps import RuntimeDep

router = APIRouter(tags=["oid4vci"])

MAX_REQUEST_BYTES = 64 * 1024
_UNAUTHORIZED = {"invalid_token", "invalid_client"}
# error_description may hold only these characters (RFC 6749 section 5.2).
_NOT_DESCRIPTION = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")
T = TypeVar("T")


def _json(body: JsonObject, status: int = 200, *, cache: str = "no-store") -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": cache, "Access-Control-Allow-Origin": "*"},
    )


def _refusal(error: Oid4vciError) -> Response:
    description = _NOT_DESCRIPTION.sub("?", str(error))[:500]
    response = _json({"error": error.error, "error_description": description}, 400)
    if error.error in _UNAUTHORIZED:
        response.status_code = 401
        response.headers["WWW-Authenticate"] = f'Bearer error="{error.error}"'
    return response


async def _answer(work: Callable[[], T], render: Callable[[T], Response]) -> Response:
    try:
        result = await run_in_threadpool(work)
    except Oid4vciError as error:
        return _refusal(error)
    return render(result)


async def _body(request: Request) -> bytes | None:
    """The request body, or None past the size limit (read in chunks, never whole first)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(error: str) -> Response:
    return _refusal(
        Oid4vciError(error, "the request is too large", expected=f"<= {MAX_REQUEST_BYTES} bytes")
    )


# ---- metadata ----------------------------------------------------------------------------------


# Served where the public URL puts them: ``/.well-known/<name>`` followed by the public URL's
# path, if it has one (the issuer identifier ``https://host/badges`` reads its metadata at
# ``https://host/.well-known/<name>/badges``).


@router.get("/.well-known/openid-credential-issuer")
@router.get("/.well-known/openid-credential-issuer/{path:path}")
def credential_issuer_metadata(runtime: RuntimeDep, request: Request) -> Response:
    _require_our_address(runtime.urls.well_known("openid-credential-issuer"), request)
    return _json(runtime.oid4vci.issuer_metadata(), cache="public, max-age=300")


@router.get("/.well-known/oauth-authorization-server")
@router.get("/.well-known/oauth-authorization-server/{path:path}")
def authorization_server_metadata(runtime: RuntimeDep, request: Request) -> Response:
    _require_our_address(runtime.urls.well_known("oauth-authorization-server"), request)
    # One document for the one issuer: the Open Badges API's OAuth server adds its endpoints.
    document = runtime.obapi.authorization_server_metadata(
        runtime.oid4vci.authorization_server_metadata()
    )
    return _json(document, cache="public, max-age=300")


def _require_our_address(expected: str, request: Request) -> None:
    if urlsplit(expected).path != request.url.path:
        raise NotFoundError("no metadata here", expected=expected, found=request.url.path[:100])


# ---- endpoints ---------------------------------------------------------------------------------


@router.post("/oid4vci/token")
async def token(request: Request, runtime: RuntimeDep) -> Response:
    """RFC 6749 token request, form-encoded: the pre-authorized code here; the Open Badges
    API's grants (the metadata names this one token endpoint) go on to its OAuth server."""
    raw = await _body(request)
    if raw is None:
        return _too_large("invalid_request")
    if _grant_type(raw) in OBAPI_GRANT_TYPES and _client_authenticates(request):
        return await obapi.token_of(request, runtime, raw)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != (
        "application/x-www-form-urlencoded"
    ):
        return _refusal(
            Oid4vciError(
                "invalid_request",
                "the token request is not form-encoded",
                expected="application/x-www-form-urlencoded",
                found=request.headers.get("content-type", "none")[:60],
            )
        )
    parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
    if repeated:
        return _refusal(
            Oid4vciError("invalid_request", "a parameter is repeated", found=", ".join(repeated))
        )
    form = {name: values[0] for name, values in parsed.items()}
    return await _answer(lambda: runtime.oid4vci.exchange(form), lambda g: _json(g.response()))


def _grant_type(raw: bytes) -> str | None:
    values = parse_qs(raw.decode("utf-8", "replace")).get("grant_type", [])
    return values[0] if len(values) == 1 else None


def _client_authenticates(request: Request) -> bool:
    # The Open Badges API's clients always authenticate (HTTP Basic); a request without it is
    # answered here, where those grants are unsupported.
    return request.headers.get("authorization", "").lower().startswith("basic ")


@router.post("/oid4vci/nonce")
async def nonce(runtime: RuntimeDep) -> Response:
    return _json({"c_nonce": runtime.oid4vci.nonce()})


@router.post("/oid4vci/credential")
async def credential(request: Request, runtime: RuntimeDep) -> Response:
    scheme, _, access_token = request.headers.get("authorization", "").partition(" ")
    bearer = access_token.strip() if scheme.lower() == "bearer" else None
    raw = await _body(request)
    if raw is None:
        return _too_large("invalid_credential_request")
    try:
        body: object = json.loads(raw) if raw else None
        if json_holds_lone_surrogate(raw, body):
            raise ValueError("a lone surrogate is not text")
    except (ValueError, RecursionError):
        body = raw.decode("utf-8", "replace")[:40]
    return await _answer(
        lambda: runtime.oid4vci.issue_credential(bearer, body), lambda answer: _json(answer)
    )
