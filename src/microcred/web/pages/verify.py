"""The verifier page: paste JSON or a JWS/JWT, upload a baked PNG/SVG, give a URL, or upload a
photo of a QR code (``capture`` opens the phone's camera; no script needed); see every check,
in the reader's language. Fetching goes through the guarded client in
:mod:`microcred.web.fetch`; the rest lives in :class:`VerificationService`."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from microcred.errors import RateLimitedError
from microcred.verification.service import QrOutcome
from microcred.verify import Status, VerificationResult
from microcred.verify import messages as m
from microcred.verify.messages import localised_format
from microcred.verify.qr import MAX_IMAGE_BYTES, is_plain_picture
from microcred.web.deps import client_of
from microcred.web.fetch import policy_for
from microcred.web.pages import i18n
from microcred.web.pages.core import csrf, get_pages, language_of, render
from microcred.web.pages.reading import Localized, name_in, reader_languages

router = APIRouter(include_in_schema=False)

MAX_INPUT_BYTES = 2 * 1024 * 1024
ACCEPT = (
    "application/vc+ld+json, application/ld+json, application/json;q=0.9, "
    "application/vc+jwt;q=0.9, image/png;q=0.8, image/svg+xml;q=0.8, */*;q=0.1"
)
# What the status check says when the issuer withdrew the credential (for the headline).
REVOKED_TEMPLATES = frozenset({m.REVOKED, m.REVOKED_BECAUSE, m.OB2_REVOKED, m.OB2_REVOKED_BECAUSE})
SUSPENDED_TEMPLATES = frozenset({m.SUSPENDED})
# Two file inputs (badge image, QR photo): a browser sends both parts, even the empty one.
VerifyCsrf = csrf(max_files=2, max_bytes=MAX_IMAGE_BYTES + 64 * 1024)


@router.get("/verify")
async def verify_form(request: Request) -> Response:
    pages = get_pages(request)
    return await pages.credential_pages.serve_form(
        request,
        "verify",
        language_of(request),
        pages.keys,
        lambda: render(request, "verify.html", {"result": None}),
    )


@router.post("/verify", dependencies=[VerifyCsrf])
async def verify_submit(request: Request) -> Response:
    form = await request.form()  # parsed (with limits) by the CSRF check
    upload, qr, text, url = form.get("file"), form.get("qr"), form.get("text"), form.get("url")
    picture: bytes | None = None
    data: bytes | None = None
    try:
        if isinstance(qr, UploadFile) and qr.filename:
            picture = await qr.read(MAX_IMAGE_BYTES + 1)
        elif isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_IMAGE_BYTES + 1)
        elif isinstance(text, str) and text.strip():
            data = text.strip().encode("utf-8")
    finally:
        await form.close()
    service = get_pages(request).runtime.verification
    policy = policy_for(request.app.state, get_pages(request).runtime.settings)
    fetch_document, fetcher = policy.fetcher(accept=ACCEPT), policy.fetcher()
    given_url = url.strip() if isinstance(url, str) else ""
    if picture is not None and len(picture) > MAX_IMAGE_BYTES:
        return _too_large(request)
    # Photos of QR codes may be larger than credentials and badges.
    if data is not None and len(data) > (
        MAX_IMAGE_BYTES if is_plain_picture(data) else MAX_INPUT_BYTES
    ):
        return _too_large(request)
    if picture is None and data is None and not given_url:
        return render(request, "verify.html", {"result": None, "empty": True}, status_code=422)
    try:
        # Bounded per client like the API; a graph refused for its cost shows as a failed check.
        # Python work in a turn of the process's lane; fetches give the turn up meanwhile.
        throttle = get_pages(request).runtime.verify_throttle
        lane = throttle.lane
        fetch_document, fetcher = lane.waits(fetch_document), lane.waits(fetcher)
        with throttle.admit(client_of(request)) as budget:
            if picture is not None:
                outcome = await run_in_threadpool(
                    lane.in_turn(service.verify_qr),
                    picture,
                    fetch_document=fetch_document,
                    fetcher=fetcher,
                    budget=budget,
                )
            elif data is not None:
                outcome = await run_in_threadpool(
                    lane.in_turn(service.verify_upload),
                    data,
                    fetch_document=fetch_document,
                    fetcher=fetcher,
                    budget=budget,
                )
            else:
                result = await run_in_threadpool(
                    lane.in_turn(service.verify_url),
                    given_url,
                    fetch_document=fetch_document,
                    fetcher=fetcher,
                    budget=budget,
                )
                outcome = QrOutcome(result, None)
    except RateLimitedError as error:
        minutes = max(1, math.ceil(error.retry_after / 60))
        return render(
            request,
            "verify.html",
            {"result": None, "limited": minutes},
            status_code=429,
            headers={"Retry-After": str(error.retry_after)},
        )
    return render(
        request,
        "verify.html",
        {
            "result": outcome.result,
            "checks": _localised(request, outcome.result),
            "achievement_name": _achievement_name(request, outcome.result.summary),
            "parts": _parts(request, outcome.result),
            "input_format": localised_format(
                outcome.result.format or "", i18n.translations(language_of(request)).gettext
            ),
            "qr_text": outcome.text,
            "issuer": service.issuer_of(outcome.result),
            "withdrawn": withdrawn(outcome.result),
            "reason": service.status_reason(outcome.result) or _stated_reason(outcome.result),
            "failing_parts": get_pages(request).runtime.pathways.failing_parts(
                outcome.result.summary.get("id")
            ),
            "pasted": text if isinstance(text, str) else "",
            "url": given_url,
        },
    )


def withdrawn(result: VerificationResult) -> str | None:
    """``revoked`` or ``suspended`` when the failed status check says the issuer did so."""
    check = result.check("status")
    if check is None or check.status != Status.FAILED:
        return None
    if check.template in REVOKED_TEMPLATES:
        return "revoked"
    if check.template in SUSPENDED_TEMPLATES:
        return "suspended"
    return None


def _achievement_name(request: Request, summary: dict[str, Any]) -> Localized:
    """The achievement's name in the reader's language, when the credential translates it."""
    name = summary.get("achievement")
    default = summary.get("achievementLanguage")
    names = summary.get("achievementNames")
    return name_in(
        names if isinstance(names, dict) else {},
        name if isinstance(name, str) else "",
        default if isinstance(default, str) else None,
        reader_languages(request),
    )


def _stated_reason(result: VerificationResult) -> str | None:
    """The reason the status check quotes (another server's status message, or an Open
    Badges 2.0 revocation list's); ours comes from the credential's row."""
    check = result.check("status")
    return dict(check.params).get("reason") if check is not None else None


def _too_large(request: Request) -> Response:
    return render(request, "verify.html", {"result": None, "too_large": True}, status_code=413)


def _localised(request: Request, result: VerificationResult) -> list[tuple[Any, str]]:
    """Each check with its message in the page's language (the API keeps English)."""
    gettext = i18n.translations(language_of(request)).gettext
    return [(check, check.localised(gettext)) for check in result.checks]


def _parts(request: Request, result: VerificationResult) -> list[dict[str, Any]]:
    """The credentials inside (a CLR's, endorsements), each with its own localised checks."""
    return [
        {
            "role": part.role,
            "path": part.path,
            "verified": part.result.verified,
            "outcome": part.result.outcome.value,
            "name": _achievement_name(request, part.result.summary).text
            or part.result.summary.get("name"),
            "issuer": (part.result.summary.get("issuer") or {}).get("name")
            or (part.result.summary.get("issuer") or {}).get("id"),
            "checks": _localised(request, part.result),
            "parts": _parts(request, part.result),
        }
        for part in result.parts
    ]
