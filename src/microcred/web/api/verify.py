"""Public verification: anyone may POST a credential, its URL or a picture of its QR code, and
get every check back.

No API key: verifying is what strangers do. The body is limited like every upload, URLs go
through the guarded fetcher (no private addresses, size and time limits), nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from microcred.errors import InputError, short
from microcred.verification.service import QrOutcome
from microcred.web.deps import client_of, get_runtime, json_body, raw_body
from microcred.web.fetch import policy_for
from microcred.web.pages.verify import ACCEPT, MAX_INPUT_BYTES

router = APIRouter(prefix="/api/v1", tags=["verify"])

EXAMPLE = {"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "...": "..."}}
FIELDS = ("credential", "url", "qr")
# The cheap shape of a QR picture request, the only one allowed past MAX_INPUT_BYTES.
_QR_REQUEST = re.compile(rb'\s*\{\s*"qr"\s*:\s*"')


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
                            "credential": {"description": "a JSON object, or JSON / JWT text"},
                            "url": {"type": "string", "format": "uri"},
                            "qr": {
                                "type": "string",
                                "format": "byte",
                                "description": "a PNG, JPEG, WebP or GIF picture of a QR code, "
                                "base64 (the code's URL or credential is then verified)",
                            },
                        },
                    },
                    "example": EXAMPLE,
                }
            },
        }
    },
)
async def verify(request: Request) -> JSONResponse:
    """Verify ``{"credential": ...}`` (an object, or JSON/JWT/JWS text), ``{"url": "https://..."}``
    (a credential, a baked PNG/SVG or an OB 2.0 hosted assertion) or ``{"qr": "<base64
    picture>"}``. Answers 200 with ``verified``, ``outcome`` (``verified``,
    ``issuer-not-confirmed`` or ``not-verified``) and its ``verdict`` in words, ``format``,
    ``summary``, ``checks``, ``issuer`` and ``qr`` (the code's text) whether or not it verified;
    422 only when the request itself is malformed."""
    # Read here, not through dependencies (solving them was a tenth of a verification's cost).
    runtime = get_runtime(request)
    body = await raw_body(request)
    # The body itself is capped by raw_body (8 MB, so a QR picture up to about 6 MB in base64);
    # everything but a picture must fit the smaller credential limit, refused before parsing
    # (a large nested array costs many times its size to parse).
    if len(body) > MAX_INPUT_BYTES and not _QR_REQUEST.match(body):
        raise _too_large(len(body), MAX_INPUT_BYTES)
    request_data = _request_object(body)
    given = [name for name in FIELDS if request_data.get(name) is not None]
    if len(given) != 1:
        raise InputError(
            "give exactly one of credential, url or qr",
            expected='{"credential": ...}, {"url": "https://..."} or {"qr": "<base64>"}',
            found=", ".join(sorted(request_data)) or "none",
        )
    if given[0] != "qr" and len(body) > MAX_INPUT_BYTES:
        raise _too_large(len(body), MAX_INPUT_BYTES)
    service = runtime.verification
    policy = policy_for(request.app.state, runtime.settings)
    fetch_document, fetcher = policy.fetcher(accept=ACCEPT), policy.fetcher()
    value = request_data[given[0]]
    picture = _picture(value) if given[0] == "qr" else None
    url = _url(value) if given[0] == "url" else None
    data = _credential(value) if given[0] == "credential" else None

    lane = runtime.verify_throttle.lane
    fetch_document, fetcher = lane.waits(fetch_document), lane.waits(fetcher)

    def work() -> tuple[QrOutcome, dict[str, Any]]:
        # In one worker thread, in its turn of the process's lane (store/stamps.py: one read of
        # the change stamps for every cache): the verification and what the answer adds.
        with lane.turn(), runtime.stamps.pinned():
            if picture is not None:
                outcome = service.verify_qr(
                    picture, fetch_document=fetch_document, fetcher=fetcher, budget=budget
                )
            elif url is not None:
                result = service.verify_url(
                    url, fetch_document=fetch_document, fetcher=fetcher, budget=budget
                )
                outcome = QrOutcome(result, None)
            else:
                assert data is not None
                result = service.verify_document(data, fetcher=fetcher, budget=budget)
                outcome = QrOutcome(result, None)
            budget.raise_refusal()  # a graph refused for its cost: 422, not "not verified"
            result = outcome.result
            issuer = service.issuer_of(result)
            answer: dict[str, Any] = {
                **result.to_json(),
                "issuer": {
                    "id": issuer.id,
                    "name": issuer.name,
                    "registeredHere": issuer.local is not None,
                    "profile": issuer.profile,
                },
                "statusReason": service.status_reason(result),
                # A micro-degree of ours: the parts that no longer hold (whatever its policy).
                "failingParts": service.kept(
                    "failing parts",
                    result.summary.get("id"),
                    lambda: runtime.pathways.failing_parts(result.summary.get("id")),
                ),
            }
        return outcome, answer

    # One budget of hard canonicalization work for the whole request, drawn from the client's.
    # A credential given as it is is tried on the event loop first (no hand-off, no lock
    # contention); what would wait on the network or a child process runs in a worker thread.
    with runtime.verify_throttle.admit(client_of(request)) as budget:
        done = lane.on_loop(work) if data is not None else None
        outcome, answer = done if done is not None else await run_in_threadpool(work)
    if given[0] == "qr":
        answer["qr"] = outcome.text
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


def _credential(value: Any) -> bytes | dict[str, Any]:
    if isinstance(value, dict):
        return value  # read once, strictly (no key twice), and verified as read
    if isinstance(value, str):
        return value.encode()
    raise InputError(
        "credential must be an object or a string",
        expected="a JSON object, or JSON / JWT text",
        found=type(value).__name__,
    )


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError("url must be a string", expected="an http(s) URL", found=short(value))
    return value.strip()


def _picture(value: Any) -> bytes:
    if not isinstance(value, str):
        raise InputError(
            "qr must be a base64 string", expected="a base64 picture", found=type(value).__name__
        )
    text = value.strip()
    if text.startswith("data:") and "," in text:  # a data: URL as a browser's FileReader makes
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(
            "qr is not base64", expected="a base64 picture", found=short(text)
        ) from exc


def _too_large(size: int, limit: int) -> InputError:
    return InputError(
        "the request is too large", expected=f"at most {limit} bytes", found=f"{size} bytes"
    )


def _request_object(body: bytes) -> dict[str, Any]:
    data = json_body(body, strict=True)
    if not isinstance(data, dict):
        raise InputError(
            "the request body is not a JSON object",
            expected='{"credential": ...}, {"url": ...} or {"qr": ...}',
            found=type(data).__name__,
        )
    return data
