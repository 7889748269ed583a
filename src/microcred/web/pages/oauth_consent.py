"""The OAuth 2.0 authorization endpoint of the Open Badges API, as the learner sees it: the
consent screen naming the app and what it asks for, the learner's Allow or Deny, and the
learner's list of apps with access (``/account/apps``), each with a revoke button.

Someone not signed in as a learner is sent to sign in first and comes back here. A request
that cannot go back to its app (unknown client, a redirect URI it did not register) is shown
as an error page, never redirected.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from microcred.errors import OAuthRefusedError
from microcred.obapi import scopes
from microcred.obapi.service import AUTHORIZATION_PARAMETERS, ConsentRequest, HttpCall
from microcred.store.tables import LearnerRow
from microcred.web.pages.core import error_page, get_pages, render
from microcred.web.pages.learner_session import (
    LearnerFormCsrf,
    LearnerRequired,
    current_learner,
    sign_in_redirect,
)
from microcred.web.pages.security import PAGE_CSP

router = APIRouter()

AUTHORIZE_PATH = "/ims/ob/v3p0/oauth/authorize"
# What the consent screen calls each scope (the template holds the words, per language).
SCOPE_WORDS = {
    scopes.CREDENTIAL_READ: "credential_read",
    scopes.CREDENTIAL_UPSERT: "credential_upsert",
    scopes.PROFILE_READ: "profile_read",
    scopes.PROFILE_UPDATE: "profile_update",
    scopes.OFFLINE_ACCESS: "offline",
}


def _call(request: Request, method: str, parameters: list[tuple[str, str]]) -> HttpCall:
    urls = get_pages(request).runtime.urls
    return HttpCall(
        method=method,
        url=urls.obapi_endpoint("oauth/authorize"),
        headers=dict(request.headers),
        query=parameters,
    )


def _source(url: str | None) -> str | None:
    """A CSP source for ``url``'s origin; None for what a page should not name."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc and " " not in parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _consent_csp(consent: ConsentRequest) -> str:
    """The page policy, letting the app's logo show and the form's answer go back to the app
    (a redirect after a form is held to form-action)."""
    policy = PAGE_CSP
    logo = _source(consent.logo_uri)
    if logo and logo.startswith("https://"):
        policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {logo}")
    back = _source(consent.redirect_uri)
    if back:
        policy = policy.replace("form-action 'self'", f"form-action 'self' {back}")
    return policy


def _redirect(location: str | None) -> Response:
    # 303: after the consent form's POST the browser goes on with a GET.
    return RedirectResponse(location or "/", status_code=303)


@router.get(AUTHORIZE_PATH)
async def authorize(request: Request) -> Response:
    learner = current_learner(request)
    if learner is None:
        return sign_in_redirect(request)
    runtime = get_pages(request).runtime
    call = _call(request, "GET", list(request.query_params.multi_items()))
    try:
        result = await run_in_threadpool(runtime.obapi.consent_request, call, learner.id)
    except OAuthRefusedError as error:
        return error_page(request, 400, error)
    if not isinstance(result, ConsentRequest):
        return _redirect(result.location)
    return render(
        request,
        "oauth/consent.html",
        {
            "consent": result,
            "scopes": [SCOPE_WORDS[s] for s in result.scopes if s in SCOPE_WORDS],
            "client_host": urlsplit(result.client_uri or "").hostname or "",
            "redirect_host": urlsplit(result.redirect_uri).hostname or result.redirect_uri,
            "action": AUTHORIZE_PATH,
        },
        headers={"Content-Security-Policy": _consent_csp(result), "Cache-Control": "no-store"},
    )


@router.post(AUTHORIZE_PATH)
async def decide(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    form = await request.form()
    decision = form.get("decision")
    parameters = [
        (name, value)
        for name, value in form.multi_items()
        if name in AUTHORIZATION_PARAMETERS and isinstance(value, str)
    ]
    runtime = get_pages(request).runtime
    call = _call(request, "POST", parameters)
    try:
        answer = await run_in_threadpool(
            lambda: runtime.obapi.decide(call, learner.id, approve=decision == "approve")
        )
    except OAuthRefusedError as error:
        return error_page(request, 400, error)
    return _redirect(answer.location)


# ---- the learner's apps ------------------------------------------------------------------------


@router.get("/account/apps")
async def apps(request: Request, learner: LearnerRequired) -> Response:
    runtime = get_pages(request).runtime
    listed = await run_in_threadpool(runtime.obapi.authorised_apps, learner.id)
    return render(
        request,
        "oauth/apps.html",
        {"apps": listed, "revoked": request.query_params.get("done") == "revoked"},
    )


@router.post("/account/apps/revoke")
async def revoke_app(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    client_id = (await request.form()).get("client_id")
    runtime = get_pages(request).runtime
    if isinstance(client_id, str) and client_id:
        await run_in_threadpool(runtime.obapi.revoke_app, learner.id, client_id)
    return RedirectResponse("/account/apps?done=revoked", status_code=303)
