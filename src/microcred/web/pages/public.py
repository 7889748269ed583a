"""Public pages: a credential for people (same URL as its JSON), its embeddable card, and
the language switcher."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from microcred.errors import NotFoundError
from microcred.web.pages import i18n, links
from microcred.web.pages.core import CsrfChecked, PageNotFoundError, get_pages, render, safe_next
from microcred.web.pages.credential_view import build_view
from microcred.web.pages.extras import signature_snippet
from microcred.web.pages.security import EMBED_CSP

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


def credential_page(request: Request, credential_id: str) -> Response:
    pages = get_pages(request)
    runtime = pages.runtime
    try:
        row = runtime.credentials.get_public(credential_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    show = request.query_params.get("show")
    view = build_view(runtime, row, show_name=pages.keys.name_allowed(row.id, show))
    embed_url = f"{view.url}/embed"
    certificate = f"/credentials/{view.id}/certificate.pdf"
    return render(
        request,
        "credential.html",
        {
            "c": view,
            "qr": links.qr_svg(view.url, view.name),
            "embed": links.embed_snippet(embed_url, view.name),
            "signature": signature_snippet(view, runtime.settings.base_url),
            "og_image": f"{view.url}/og.png",
            # The name-showing token carries over to the certificate, as to the page.
            "certificate_url": f"{certificate}?show={show}" if view.recipient_name else certificate,
        },
    )


@router.get("/credentials/{credential_id}/embed")
def credential_embed(credential_id: str, request: Request) -> Response:
    """A small card other sites may frame (the only page that allows it)."""
    pages = get_pages(request)
    try:
        row = pages.runtime.credentials.get_public(credential_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    view = build_view(pages.runtime, row, show_name=False)
    response = render(request, "embed.html", {"c": view})
    response.headers["Content-Security-Policy"] = EMBED_CSP
    return response


@router.post("/language", dependencies=[CsrfChecked])
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
