"""Public pages: a credential for people (same URL as its JSON), its embeddable card, the
counting share redirect, the recipient's name choice, and the language switcher."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from microcred.accounts.staff import actor_for
from microcred.errors import (
    InputError,
    NotFoundError,
    PageForbiddenError,
    PageNotFoundError,
    PermissionDeniedError,
)
from microcred.issuing.recipients import LINK_PARAMETER
from microcred.runtime import Runtime
from microcred.store.tables import CredentialRow
from microcred.web.pages import i18n, links
from microcred.web.pages.core import (
    SmallFormCsrf,
    current_user,
    error_page,
    get_pages,
    language_of,
    render,
    safe_next,
)
from microcred.web.pages.credential_view import build_view, wallet_offer
from microcred.web.pages.extras import og_image_url, signature_snippet
from microcred.web.pages.reading import reader_languages
from microcred.web.pages.security import EMBED_CSP
from microcred.web.pages.wallet import claim_sign_in_path

router = APIRouter(include_in_schema=False)

_HTML = ("text/html", "application/xhtml+xml")
_JSON = ("application/json", "application/ld+json", "application/vc+ld+json")


def prefers_html(request: Request) -> bool:
    """True when the Accept header ranks HTML above every JSON type (browsers do; API
    clients and ``*/*`` get JSON, the credential's canonical form)."""
    html = json = 0.0
    for item in request.headers.get("accept", "").split(",")[:50]:
        media, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.strip().lower()
        if media in _HTML:
            html = max(html, quality)
        elif media in _JSON:
            json = max(json, quality)
    return html > json


def _endorsements(
    runtime: Runtime, achievement_id: str | None, issuer_id: str
) -> list[dict[str, object]]:
    """The achievement's and the issuer's endorsements, ours and external, with their state."""
    book = runtime.endorsement_book
    shown = book.shown("issuer", issuer_id)
    if achievement_id is not None:
        shown = book.shown("achievement", achievement_id) + shown
    return [
        {
            "issuer": e.endorser,
            "comment": e.comment,
            "url": e.url,
            "state": e.state,
            "external": e.external,
        }
        for e in shown
    ]


async def credential_page(request: Request, credential_id: str) -> Response:
    """The page, from the cache of anonymous views when it may (``page_cache``)."""
    pages = get_pages(request)
    return await pages.credential_pages.serve(
        request,
        credential_id,
        language_of(request),
        pages.keys,
        lambda: _credential_page(request, credential_id),
    )


def _credential_page(request: Request, credential_id: str) -> Response:
    pages = get_pages(request)
    runtime = pages.runtime
    row = _public_row(request, credential_id)
    token = request.query_params.get(LINK_PARAMETER)
    recipient = runtime.recipients.is_recipient(row.id, token)
    view = build_view(runtime, row, show_name=row.name_public, languages=reader_languages(request))
    response = render(
        request,
        "credential.html",
        {
            "c": view,
            "qr": links.qr_svg(view.url, view.name),
            "embed": links.embed_snippet(f"{view.url}/embed", view.name),
            "signature": signature_snippet(view, runtime.urls),
            "og_image": og_image_url(view),
            "certificate_url": f"/credentials/{view.id}/certificate.pdf",
            "share": {channel: share_path(view.id, channel) for channel in links.SHARE_CHANNELS},
            "recipient": _recipient_panel(row, token) if recipient else None,
            "done": request.query_params.get("done") if recipient else None,
            "wallet_offer": wallet_offer(runtime, row, token) if recipient else None,
            "claim_sign_in": claim_sign_in_path(row.id, token) if recipient else None,
            "micro_degree": _micro_degree(runtime, row.id, row.document),
            "endorsements": _endorsements(runtime, row.achievement_id, row.issuer_id),
        },
    )
    if recipient:
        # The private link: never cached or indexed; the first visit counts as the claim,
        # after the answer is sent (not a signed-in staff member's visit: they are not the
        # recipient).
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        if current_user(request) is None:
            response.background = BackgroundTask(runtime.events.record, row.id, "claimed")
    return response


def _micro_degree(
    runtime: Runtime, credential_id: str, document: dict[str, Any]
) -> dict[str, Any] | None:
    """A micro-degree's parts (each linked to its credential, with its digest) in its
    evidence's order, its CLR and its pathway; None for any other credential."""
    try:
        award, parts = runtime.pathways.award_of(credential_id)
    except NotFoundError:
        return None
    failing = set(award.failing or [])
    order = [e.get("id") for e in document.get("evidence") or [] if isinstance(e, dict)]
    parts.sort(key=lambda part: order.index(part.url) if part.url in order else len(order))
    return {
        "pathway": f"/pathways/{award.pathway_id}",
        "clr": f"/credentials/{credential_id}/clr",
        "parts": [
            {
                "name": part.name or part.url or part.part_ref,
                "url": part.url,
                "digest": part.digest,
                "failing": part.part_ref in failing,
            }
            for part in parts
        ],
    }


def _public_row(request: Request, credential_id: str) -> CredentialRow:
    try:
        return get_pages(request).runtime.credentials.get_public(credential_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error


def _recipient_panel(row: CredentialRow, token: str | None) -> dict[str, Any]:
    subject = row.document.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    name = subject.get("name") if isinstance(subject, dict) else None
    return {"token": token, "has_name": isinstance(name, str) and bool(name)}


def share_path(credential_id: str, channel: str) -> str:
    return f"/credentials/{quote(credential_id, safe='')}/share/{channel}"


@router.get("/credentials/{credential_id}/share/{channel}")
def share(request: Request, credential_id: str, channel: str) -> Response:
    """Counts a share, then sends the browser on to the link the page would have shown.

    The target is rebuilt here from the stored credential, never read from the request, so
    this cannot be used as an open redirect.
    """
    if channel not in links.SHARE_CHANNELS:
        raise PageNotFoundError("no such way to share", found=channel[:40])
    runtime = get_pages(request).runtime
    row = _public_row(request, credential_id)
    view = build_view(runtime, row, show_name=False)
    target = view.linkedin_add if channel == "linkedin-add" else view.linkedin_share
    return RedirectResponse(
        target,
        303,
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"},
        background=BackgroundTask(runtime.events.record, row.id, "shared", channel=channel),
    )


@router.post("/credentials/{credential_id}/name", dependencies=[SmallFormCsrf])
async def choose_name_display(request: Request, credential_id: str) -> Response:
    """The recipient shows or hides their name on the public page (private link only)."""
    form = await request.form()
    token = str(form.get("token") or "")
    show = form.get("show")
    runtime = get_pages(request).runtime
    if show not in ("yes", "no"):
        error = InputError("no such choice", expected="yes or no", found=str(show)[:10])
        return error_page(request, 422, error)
    # A signed-in staff member using the link acts as themselves, not as the recipient.
    user = await run_in_threadpool(current_user, request)
    by = actor_for(user).name if user is not None else "recipient"
    try:
        await run_in_threadpool(
            runtime.recipients.set_name_public, credential_id, token, public=show == "yes", by=by
        )
    except PermissionDeniedError as error:
        raise PageForbiddenError(error.message) from error
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    done = "shown" if show == "yes" else "hidden"
    query = urlencode({LINK_PARAMETER: token, "done": done})
    return RedirectResponse(f"/credentials/{quote(credential_id, safe='')}?{query}", 303)


@router.get("/credentials/{credential_id}/embed")
def credential_embed(credential_id: str, request: Request) -> Response:
    """A small card other sites may frame (the only page that allows it)."""
    pages = get_pages(request)
    row = _public_row(request, credential_id)
    view = build_view(
        pages.runtime, row, show_name=row.name_public, languages=reader_languages(request)
    )
    response = render(request, "embed.html", {"c": view})
    response.headers["Content-Security-Policy"] = EMBED_CSP
    return response


@router.get("/privacy")
def privacy(request: Request) -> Response:
    """What the server keeps about learners (the OB 3.0 API's discovery document links it)."""
    return render(request, "legal/privacy.html")


@router.get("/terms")
def terms(request: Request) -> Response:
    return render(request, "legal/terms.html")


@router.post("/language", dependencies=[SmallFormCsrf])
async def choose_language(request: Request) -> Response:
    form = await request.form()
    language = str(form.get("lang") or "")
    response = RedirectResponse(safe_next(str(form.get("next") or ""), "/verify"), 303)
    if language in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=get_pages(request).keys.secure_cookies,
            httponly=True,
        )
    return response
