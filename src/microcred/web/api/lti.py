"""The LTI 1.3 tool's endpoints, as LMS administrators paste them: ``/lti/login`` (OIDC
login initiation, GET or POST), ``/lti/launch`` (redirect and target link URI, the form
post of the id_token) and ``/lti/jwks`` (the tool's public keys)."""

from __future__ import annotations

import html
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

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
    answer = RedirectResponse(done.redirect, status_code=303)
    answer.delete_cookie(STATE_COOKIE, path="/lti/launch", secure=True, samesite="none")
    return answer


@router.get("/jwks")
def jwks(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(runtime.lti.jwks(), headers={"Cache-Control": "public, max-age=300"})


# The page the platform's registration window shows when done: it tells the platform to close
# it (Dynamic Registration 1.0, 3.6.1). No user content is written into it.
_REGISTERED = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p></main>
<script>(window.opener || window.parent)
.postMessage({{subject: "org.imsglobal.lti.close"}}, "*");</script>
</body></html>"""


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
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
