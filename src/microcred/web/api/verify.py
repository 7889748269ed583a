"""Public verification: anyone may POST a credential (or its URL) and get every check back.

No API key: verifying is what strangers do. The body is limited like every upload, URLs go
through the guarded fetcher (no private addresses, size and time limits), nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from microcred.errors import InputError, short
from microcred.web.deps import RawBody, RuntimeDep, json_body
from microcred.web.fetch import policy_for
from microcred.web.pages.remote import verify_url
from microcred.web.pages.verify import MAX_INPUT_BYTES, issuer_of, status_reason, verify_bytes

router = APIRouter(prefix="/api/v1", tags=["verify"])

EXAMPLE = {"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "...": "..."}}


@router.post(
    "/verify",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "credential": {"description": "a JSON object, or JSON / VC-JWT text"},
                            "url": {"type": "string", "format": "uri"},
                        },
                    },
                    "example": EXAMPLE,
                }
            },
        }
    },
)
async def verify(request: Request, body: RawBody, runtime: RuntimeDep) -> JSONResponse:
    """Verify ``{"credential": ...}`` (an object, or JSON/JWT text) or ``{"url": "https://..."}``
    (a credential, a baked PNG/SVG or an OB 2.0 hosted assertion). Answers 200 with
    ``verified``, ``format``, ``summary``, ``checks`` and ``issuer`` whether or not it verified;
    422 only when the request itself is malformed."""
    if len(body) > MAX_INPUT_BYTES:
        raise InputError(
            "the request is too large",
            expected=f"at most {MAX_INPUT_BYTES} bytes",
            found=f"{len(body)} bytes",
        )
    request_data = _request_object(body)
    credential, url = request_data.get("credential"), request_data.get("url")
    if (credential is None) == (url is None):
        raise InputError(
            "give either a credential or a URL",
            expected='{"credential": ...} or {"url": "https://..."}',
            found=", ".join(sorted(request_data)) or "neither",
        )
    policy = policy_for(request.app.state, runtime.settings)
    if url is not None:
        if not isinstance(url, str) or not url.strip():
            raise InputError("url must be a string", expected="an http(s) URL", found=short(url))
        result = await run_in_threadpool(verify_url, runtime, url.strip(), policy)
    else:
        if isinstance(credential, dict):
            data = json.dumps(credential).encode()
        elif isinstance(credential, str):
            data = credential.encode()
        else:
            raise InputError(
                "credential must be an object or a string",
                expected="a JSON object, or JSON / VC-JWT text",
                found=type(credential).__name__,
            )
        result = await run_in_threadpool(verify_bytes, runtime, data, policy)
    issuer = issuer_of(runtime, result)
    answer: dict[str, Any] = {
        **result.to_json(),
        "issuer": {
            "id": issuer["id"],
            "name": issuer["name"],
            "registeredHere": issuer["local"] is not None,
            "profile": issuer["profile"],
        },
        "statusReason": status_reason(runtime, result),
    }
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


def _request_object(body: bytes) -> dict[str, Any]:
    data = json_body(body)
    if not isinstance(data, dict):
        raise InputError(
            "the request body is not a JSON object",
            expected='{"credential": ...} or {"url": ...}',
            found=type(data).__name__,
        )
    return data
