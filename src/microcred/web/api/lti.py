"""The LTI 1.3 tool's endpoints, as LMS administrators paste them: ``/lti/login`` (OIDC
login initiation, GET or POST), ``/lti/launch`` (redirect and target link URI, the form
post of the id_token) and ``/lti/jwks`` (the tool's public keys)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from microcred.errors import InputError
from microcred.lms.lti.deep_linking import DeepLinking
from microcred.web.deps import RawBody, RuntimeDep
from microcred.web.pages.core import language_of
from microcred.web.pages.i18n import translations

router = APIRouter(prefix="/lti", tags=["lti"])
STATE_COOKIE = "mc_lti_state"


def _form(raw: bytes) -> dict[str, str]:
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def _login(request: Request, runtime: RuntimeDep, raw: bytes) -> Response:
    params = {**dict(request.query_params), **_form(raw)}
    redirect = runtime.lti.login(params)
    answer = RedirectResponse(redirect.url, status_code=302)
    # In the LMS's frame this is a third-party cookie: None + Secure, or it is never sent.
    answer.set_cookie(
        STATE_COOKIE,
        redirect.state,
        max_age=600,
        httponly=True,
        secure=True,
        samesite="none",
        path="/lti/launch",
    )
    return answer


@router.get("/login")
def login(request: Request, runtime: RuntimeDep) -> Response:
    """OIDC third-party login initiation (the platform may send it as a GET...)."""
    return _login(request, runtime, b"")


@router.post("/login")
def login_form(request: Request, runtime: RuntimeDep, raw: RawBody) -> Response:
    """... or as a form POST."""
    return _login(request, runtime, raw)


@router.post("/launch")
def launch(request: Request, runtime: RuntimeDep, raw: RawBody) -> Response:
    form = _form(raw)
    done = runtime.lti.launch(
        form.get("id_token", ""),
        form.get("state", ""),
        cookie_state=request.cookies.get(STATE_COOKIE),
    )
    if isinstance(done, DeepLinking):
        page: Response = HTMLResponse(_choice_page(request, done), headers=_lti_headers())
    else:
        page = RedirectResponse(done.redirect, status_code=303)
    page.delete_cookie(STATE_COOKIE, path="/lti/launch", secure=True, samesite="none")
    return page


NO_STORE = {"Cache-Control": "no-store"}
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")


def _lti_headers(form_to: str | None = None) -> dict[str, str]:
    """The LTI pages are shown in the LMS's frame (or a window it opened and listens to): any
    ancestor may frame them (a page is useless without the single-use ticket or code its
    launch carried), the opener is kept, scripts and styles come from our files only, and a
    form may post to the platform's return URL alone."""
    forms = "'self'"
    if form_to:
        parts = urlsplit(form_to)
        origin = f"{parts.scheme}://{parts.netloc}"
        if _ORIGIN.fullmatch(origin):
            forms += f" {origin}"
    policy = (
        "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
        f"object-src 'none'; base-uri 'none'; form-action {forms}; frame-ancestors *"
    )
    return {
        **NO_STORE,
        "Content-Security-Policy": policy,
        "Cross-Origin-Opener-Policy": "unsafe-none",
    }


_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/lti.css"></head>
<body><main><h1>{title}</h1>{body}</main>
<script src="/static/lti.js"></script></body></html>"""


_MINIMUM = "Minimum score (0 to 1) from the gradebook; empty: earned by opening the link"


def _choice_page(request: Request, choice: DeepLinking) -> str:
    """The instructor's choice: which achievement, and earned by opening or by a score."""
    language = language_of(request)
    gettext = translations(language).gettext
    options = "".join(
        f'<option value="{html.escape(a.id)}">{html.escape(a.name)}</option>'
        for a in choice.achievements
    )
    body = (
        '<form method="post" action="/lti/deep-link">'
        f'<input type="hidden" name="ticket" value="{html.escape(choice.ticket)}">'
        f'<label for="achievement">{html.escape(gettext("Achievement"))}</label>'
        f'<select id="achievement" name="achievement_id" required>{options}</select>'
        f'<label for="min_score">{html.escape(gettext(_MINIMUM))}</label>'
        '<input id="min_score" name="min_score" type="number" min="0" max="1" step="0.01">'
        f'<button type="submit">{html.escape(gettext("Place in the course"))}</button></form>'
    )
    title = html.escape(gettext("Place an achievement in this course"))
    return _PAGE.format(lang=language, title=title, body=body)


@router.post("/deep-link")
def deep_link(request: Request, runtime: RuntimeDep, raw: RawBody) -> HTMLResponse:
    """The instructor's choice: the rule is made and the signed answer goes to the platform
    (an auto-submitted form to its deep linking return URL)."""
    form = _form(raw)
    text = form.get("min_score", "").strip()
    try:
        minimum = float(text) if text else None
    except ValueError as exc:
        raise InputError("the minimum score is not a number", found=text[:20]) from exc
    answer = runtime.lti_deep_linking.respond(
        form.get("ticket", ""), form.get("achievement_id", ""), minimum, runtime.clock()
    )
    gettext = translations(language_of(request)).gettext
    body = (
        f'<form id="back" method="post" action="{html.escape(answer.return_url)}">'
        f'<input type="hidden" name="JWT" value="{html.escape(answer.jwt)}">'
        f'<button type="submit">{html.escape(gettext("Continue"))}</button></form>'
    )
    title = html.escape(gettext("Returning to the course"))
    return HTMLResponse(
        _PAGE.format(lang=language_of(request), title=title, body=body),
        headers=_lti_headers(answer.return_url),
    )


@router.get("/jwks")
def jwks(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(runtime.lti.jwks(), headers={"Cache-Control": "public, max-age=300"})


# The page the platform's registration window shows when done: it tells the platform to close
# it (Dynamic Registration 1.0, 3.6.1). No user content is written into it.
_REGISTERED = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/lti.css"></head>
<body data-lti-close><main><h1>{title}</h1><p>{text}</p></main>
<script src="/static/lti.js"></script></body></html>"""


@router.get("/register/{code}")
def register(
    code: str,
    request: Request,
    runtime: RuntimeDep,
    openid_configuration: str = "",
    registration_token: str | None = None,
) -> HTMLResponse:
    """LTI Dynamic Registration: the link an issuer's owner made, opened by the platform."""
    runtime.lti_registration.register(code, openid_configuration, registration_token)
    language = language_of(request)
    gettext = translations(language).gettext
    page = _REGISTERED.format(
        lang=language,
        title=html.escape(gettext("microcred is registered")),
        text=html.escape(
            gettext("The learning platform has registered microcred. You can close this window.")
        ),
    )
    return HTMLResponse(page, headers=_lti_headers())
