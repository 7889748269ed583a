"""The staff console: sign-in and -out, a dashboard, issuing, and status changes.

Every route takes its actor from :func:`require`, so each one states the role it needs; the
services check the same actor again.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from microcred.accounts.actor import Actor
from microcred.errors import (
    AccountLockedError,
    ConflictError,
    InputError,
    MicrocredError,
    NotFoundError,
    PageNotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SignInError,
)
from microcred.issuing.issuance import IssueRequest
from microcred.issuing.repository import CredentialFilter
from microcred.web.deps import client_of
from microcred.web.pages import charts
from microcred.web.pages.core import (
    SmallFormCsrf,
    all_achievements,
    current_user,
    get_pages,
    render,
    require,
    safe_next,
)
from microcred.web.pages.credential_view import live_state
from microcred.web.pages.europass import edc_download
from microcred.web.pages.security import SESSION_COOKIE, SESSION_LIFETIME

router = APIRouter(prefix="/console", include_in_schema=False)

Viewer = Annotated[Actor, Depends(require("viewer"))]
Issuer = Annotated[Actor, Depends(require("issuer"))]
ACTIONS = ("revoke", "suspend", "reinstate")
STATES = ("active", "expired", "suspended", "revoked")


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    if current_user(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), 303)
    return render(request, "sign_in.html", {"next": request.query_params.get("next", "")})


@router.post("/sign-in", dependencies=[SmallFormCsrf])
async def sign_in(request: Request) -> Response:
    form = await request.form()
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    target = str(form.get("next") or "")
    pages = get_pages(request)
    try:
        user = pages.runtime.staff.authenticate(email, password, client=client_of(request))
    except AccountLockedError:
        context = {"next": target, "email": email, "problem": "locked"}
        return render(request, "sign_in.html", context, status_code=429)
    except RateLimitedError as error:
        context = {"next": target, "email": email, "problem": "limited"}
        headers = {"Retry-After": str(error.retry_after)}
        return render(request, "sign_in.html", context, status_code=429, headers=headers)
    except SignInError:
        context = {"next": target, "email": email, "problem": "wrong"}
        return render(request, "sign_in.html", context, status_code=401)
    response = RedirectResponse(safe_next(target), 303)
    session_id = pages.keys.set_session(response, user.id)
    pages.runtime.staff.open_session(user.id, session_id, timedelta(seconds=SESSION_LIFETIME))
    return response


@router.post("/sign-out", dependencies=[SmallFormCsrf])
def sign_out(request: Request) -> Response:
    pages = get_pages(request)
    session = pages.keys.decode_session(request.cookies.get(SESSION_COOKIE))
    if session is not None:  # ended on the server: a copy of the cookie dies with it
        pages.runtime.staff.end_session(session.session_id)
    response = RedirectResponse("/console/sign-in", 303)
    pages.keys.clear_session(response)
    return response


@router.get("")
def dashboard(request: Request, actor: Viewer) -> Response:
    runtime = get_pages(request).runtime
    issuer_id = _issuer_id(actor)
    state = request.query_params.get("state")
    state = state if state in STATES else None
    now = runtime.clock()
    # "Valid" means active and not past validUntil; "expired" is active but past it.
    where = CredentialFilter(
        state="active" if state == "expired" else state,
        unexpired_at=now if state == "active" else None,
        expired_at=now if state == "expired" else None,
    )
    credentials, total = runtime.credentials.list(actor, issuer_id, where, limit=50)
    achievements = all_achievements(runtime, actor, issuer_id)
    names = {a.id: a.name for a in achievements}
    rows = [
        (row, names.get(row.achievement_id or "", ""), live_state(runtime, row))
        for row in credentials
    ]
    return render(
        request,
        "console/dashboard.html",
        {
            "issuer": runtime.issuers.get_public(issuer_id),
            "achievements": achievements,
            "credentials": rows,
            "total": total,
            "state": state,
            "figures": charts.figures(runtime, actor, issuer_id),
        },
    )


@router.get("/issue")
def issue_form(request: Request, actor: Issuer) -> Response:
    # "Issue" beside an achievement links here with it chosen (an unknown id selects nothing).
    chosen = str(request.query_params.get("achievement") or "")[:100]
    values = {"achievement": chosen}
    return _issue_page(request, actor, {"values": values} if chosen else {})


@router.post("/issue", dependencies=[SmallFormCsrf])
async def issue(request: Request, actor: Issuer) -> Response:
    form = await request.form()
    fields = ("achievement", "email", "name", "did", "narrative", "grade", "evidence_url")
    values = {k: str(form.get(k) or "").strip() for k in fields}
    key = str(form.get("key") or "")
    issue_request = IssueRequest(
        achievement_id=values["achievement"],
        email=values["email"] or None,
        did=values["did"] or None,
        name=values["name"] or None,
        narrative=values["narrative"] or None,
        grade=values["grade"] or None,
        evidence_url=values["evidence_url"] or None,
        # The form's one-time key makes a double submit issue once.
        idempotency_key=f"console:{key}" if 8 <= len(key) <= 100 else None,
    )
    runtime = get_pages(request).runtime
    try:
        (row,) = runtime.issuance.issue(actor, _issuer_id(actor), [issue_request])
    except MicrocredError as error:
        return _issue_page(request, actor, {"values": values, "error": error}, 422)
    return RedirectResponse(f"/console/credentials/{row.id}?done=issued", 303)


def _issue_page(
    request: Request, actor: Actor, context: dict[str, object], status_code: int = 200
) -> Response:
    runtime = get_pages(request).runtime
    achievements = all_achievements(runtime, actor, _issuer_id(actor))
    return render(
        request,
        "console/issue.html",
        {"achievements": achievements, "key": secrets.token_urlsafe(16), **context},
        status_code=status_code,
    )


@router.get("/credentials/{credential_id}")
def credential_detail(request: Request, credential_id: str, actor: Viewer) -> Response:
    return _detail(request, actor, credential_id, {"done": request.query_params.get("done")})


def _detail(
    request: Request,
    actor: Actor,
    credential_id: str,
    context: dict[str, object],
    status_code: int = 200,
) -> Response:
    pages = get_pages(request)
    runtime = pages.runtime
    try:
        row = runtime.credentials.get(actor, _issuer_id(actor), credential_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    achievement: object = (
        runtime.achievements.get(actor, _issuer_id(actor), row.achievement_id)
        if row.achievement_id is not None
        else {"name": str(row.document.get("name") or row.id)}  # issued through the VC-API
    )
    public_url = runtime.urls.credential(row.id)
    return render(
        request,
        "console/credential.html",
        {
            "row": row,
            "achievement": achievement,
            "state": live_state(runtime, row),
            "public_url": public_url,
            "recipient_url": runtime.recipients.private_url_for(actor, _issuer_id(actor), row.id),
            "counters": runtime.events.of_credential(actor, _issuer_id(actor), row.id),
            "actions": ACTIONS,
            "legal_identifier": runtime.europass.legal_identifier(_issuer_id(actor)),
            **context,
        },
        status_code=status_code,
    )


@router.get("/credentials/{credential_id}/edc")
def credential_edc(request: Request, credential_id: str, actor: Viewer) -> Response:
    """The credential as a sealed European Digital Credential (``?part=ID`` adds parts)."""
    runtime = get_pages(request).runtime
    parts = request.query_params.getlist("part")
    try:
        sealed = runtime.europass.export(actor, _issuer_id(actor), credential_id, parts=parts)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    except InputError as error:
        return _detail(request, actor, credential_id, {"error": error}, status_code=409)
    return edc_download(sealed, credential_id)


@router.post("/credentials/{credential_id}/{action}", dependencies=[SmallFormCsrf])
async def change_status(
    request: Request, credential_id: str, action: str, actor: Issuer
) -> Response:
    if action not in ACTIONS:
        raise PageNotFoundError("no such action", found=action[:40])
    form = await request.form()
    reason = str(form.get("reason") or "") or None  # the service checks and trims it
    if action == "revoke" and form.get("confirm") != "yes":
        # Revocation is final: the form's checkbox says the issuer knows (checked here too,
        # for a browser that ignores "required").
        unconfirmed = InputError(
            "confirm that revoking is final", expected="the box ticked", found="not ticked"
        )
        return _detail(request, actor, credential_id, {"error": unconfirmed}, 422)
    lifecycle = get_pages(request).runtime.lifecycle
    change = {
        "revoke": lifecycle.revoke,
        "suspend": lifecycle.suspend,
        "reinstate": lifecycle.reinstate,
    }[action]
    try:
        change(actor, _issuer_id(actor), credential_id, reason=reason)
    except PermissionDeniedError:
        raise
    except MicrocredError as error:
        status = 409 if isinstance(error, ConflictError) else 422
        return _detail(request, actor, credential_id, {"error": error}, status)
    return RedirectResponse(f"/console/credentials/{credential_id}?done={action}", 303)


def _issuer_id(actor: Actor) -> str:
    # Staff always belong to one issuer (StaffUserRow.issuer_id is not nullable).
    assert actor.issuer_id is not None
    return actor.issuer_id
