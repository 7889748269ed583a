"""Issuer settings in the console: the profile (name, website, description, LinkedIn
organisation id), the logo, and the e-mail to recipients (sender name, Reply-To, wording per
language, preview). Anyone on the staff may look; only owners change anything."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from microcred.accounts.actor import ROLES, Actor
from microcred.errors import (
    ConflictError,
    InputError,
    MicrocredError,
    NotFoundError,
    PageNotFoundError,
)
from microcred.notifications.branding import LANGUAGES, VARIABLES, IssuerTemplate
from microcred.web.pages.core import SmallFormCsrf, csrf, get_pages, render, require
from microcred.web.pages.i18n import language_name

router = APIRouter(prefix="/console/settings", include_in_schema=False)

Viewer = Annotated[Actor, Depends(require("viewer"))]
Issuer = Annotated[Actor, Depends(require("issuer"))]
Owner = Annotated[Actor, Depends(require("owner"))]
LOGO_BYTES = 512 * 1024
LogoCsrf = csrf(max_bytes=LOGO_BYTES + 16 * 1024, signed_in=True)
TemplateCsrf = csrf(max_bytes=64 * 1024)
PROFILE_FIELDS = ("name", "url", "email", "description", "linkedin_organization_id")
# The preview is the message's own HTML: nothing runs, nothing is fetched, only we frame it.
PREVIEW_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
)


def _issuer(actor: Actor) -> str:
    assert actor.issuer_id is not None  # staff users always act for one issuer
    return actor.issuer_id


@router.get("")
def profile_page(request: Request, actor: Viewer) -> Response:
    return _profile(request, actor, {"done": request.query_params.get("done")})


def _profile(
    request: Request, actor: Actor, context: dict[str, Any], status_code: int = 200
) -> Response:
    runtime = get_pages(request).runtime
    issuer = runtime.issuers.get(actor, _issuer(actor))
    renewals = [
        (a, runtime.expiry_reminders.renewal_url(a.id))
        for a in runtime.achievements.public_names(issuer.id)
    ]
    return render(
        request,
        "console/settings.html",
        {"issuer": issuer, "renewals": renewals, **context},
        status_code=status_code,
    )


@router.post("/profile", dependencies=[SmallFormCsrf])
async def save_profile(request: Request, actor: Owner) -> Response:
    form = await request.form()
    changes = {field: str(form.get(field) or "").strip() or None for field in PROFILE_FIELDS}
    try:
        if not changes["name"]:
            raise InputError("the issuer needs a name", expected="a name", found="nothing")
        get_pages(request).runtime.issuers.update(actor, _issuer(actor), changes)
    except MicrocredError as error:
        return _profile(request, actor, {"error": error, "form": changes}, 422)
    return RedirectResponse("/console/settings?done=profile", 303)


@router.post("/logo", dependencies=[LogoCsrf])
async def save_logo(request: Request, actor: Owner) -> Response:
    form = await request.form()
    try:
        upload = form.get("logo")
        if not isinstance(upload, UploadFile):
            raise InputError("choose a logo file", expected="a PNG or SVG file", found="nothing")
        data = await upload.read(LOGO_BYTES + 1)
        if len(data) > LOGO_BYTES:
            raise InputError(
                "the logo is too large",
                expected=f"at most {LOGO_BYTES // 1024} KiB",
                found="more",
            )
        get_pages(request).runtime.issuers.set_logo(actor, _issuer(actor), data)
    except MicrocredError as error:
        return _profile(request, actor, {"error": error}, 422)
    finally:
        await form.close()  # the spooled upload
    return RedirectResponse("/console/settings?done=logo", 303)


@router.post("/renewal/{achievement_id}", dependencies=[SmallFormCsrf])
async def save_renewal(request: Request, achievement_id: str, actor: Issuer) -> Response:
    """Where recipients renew a credential of this achievement (told in expiry reminders)."""
    form = await request.form()
    try:
        get_pages(request).runtime.expiry_reminders.set_renewal_url(
            actor, achievement_id, str(form.get("renewal_url") or "")
        )
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    except MicrocredError as error:
        return _profile(request, actor, {"error": error}, 422)
    return RedirectResponse("/console/settings?done=renewal#renewals-h", 303)


# ---- staff and roles (owners only: the list shows everyone's address) ----------------------


@router.get("/staff")
def staff_page(request: Request, actor: Owner) -> Response:
    return _staff(request, actor, {"done": request.query_params.get("done")})


def _staff(
    request: Request, actor: Actor, context: dict[str, Any], status_code: int = 200
) -> Response:
    users = get_pages(request).runtime.staff.list(actor, _issuer(actor))
    response = render(
        request,
        "console/staff.html",
        {"users": users, "roles": ROLES, **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/staff", dependencies=[SmallFormCsrf])
async def add_staff(request: Request, actor: Owner) -> Response:
    form = await request.form()
    entered = {k: str(form.get(k) or "").strip() for k in ("email", "name", "role")}
    try:
        get_pages(request).runtime.staff.create(
            actor,
            _issuer(actor),
            email=entered["email"],
            name=entered["name"],
            role=entered["role"],  # type: ignore[arg-type]  # checked by the service
            password=str(form.get("password") or ""),
        )
    except MicrocredError as error:
        return _staff(request, actor, {"error": error, "entered": entered}, 422)
    return RedirectResponse("/console/settings/staff?done=added", 303)


@router.post("/staff/{user_id}/role", dependencies=[SmallFormCsrf])
async def change_role(request: Request, user_id: str, actor: Owner) -> Response:
    form = await request.form()
    try:
        get_pages(request).runtime.staff.set_role(
            actor, _issuer(actor), user_id, str(form.get("role") or "")
        )
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    except MicrocredError as error:
        status = 409 if isinstance(error, ConflictError) else 422
        return _staff(request, actor, {"error": error}, status)
    return RedirectResponse("/console/settings/staff?done=role", 303)


@router.get("/staff/{user_id}/remove")
def remove_staff_page(request: Request, user_id: str, actor: Owner) -> Response:
    """Asks first: removing ends the person's sessions and revokes their API keys at once."""
    runtime = get_pages(request).runtime
    user = next((u for u in runtime.staff.list(actor, _issuer(actor)) if u.id == user_id), None)
    if user is None:
        raise PageNotFoundError("no such staff user", found=user_id[:40])
    keys = runtime.staff.keys_made_by(actor, _issuer(actor), user.id)
    response = render(request, "console/staff_remove.html", {"user": user, "keys": keys})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/staff/{user_id}/remove", dependencies=[SmallFormCsrf])
async def remove_staff(request: Request, user_id: str, actor: Owner) -> Response:
    try:
        removed = get_pages(request).runtime.staff.remove(actor, _issuer(actor), user_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    except MicrocredError as error:
        status = 409 if isinstance(error, ConflictError) else 422
        return _staff(request, actor, {"error": error}, status)
    if removed.id == actor.user_id:  # they removed themselves: their session is gone too
        return RedirectResponse("/console/sign-in", 303)
    return RedirectResponse("/console/settings/staff?done=removed", 303)


# ---- e-mail ---------------------------------------------------------------------------------


@router.get("/mail")
def mail_page(request: Request, actor: Viewer) -> Response:
    return _mail(request, actor, {"done": request.query_params.get("done")})


def _mail(
    request: Request, actor: Actor, context: dict[str, Any], status_code: int = 200
) -> Response:
    branding = get_pages(request).runtime.mail_settings.branding(actor, _issuer(actor))
    response = render(
        request,
        "console/mail_settings.html",
        {
            "branding": branding,
            "mail_languages": LANGUAGES,
            "language_names": {lang: language_name(lang) for lang in LANGUAGES},
            "variables": VARIABLES,
            **context,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/mail/sender", dependencies=[SmallFormCsrf])
async def save_sender(request: Request, actor: Owner) -> Response:
    form = await request.form()
    try:
        get_pages(request).runtime.mail_settings.save_sender(
            actor,
            _issuer(actor),
            str(form.get("sender_name") or ""),
            str(form.get("reply_to") or ""),
        )
    except MicrocredError as error:
        return _mail(request, actor, {"error": error}, 422)
    return RedirectResponse("/console/settings/mail?done=sender", 303)


@router.post("/mail/templates/{language}", dependencies=[TemplateCsrf])
async def save_template(request: Request, language: str, actor: Owner) -> Response:
    form = await request.form()
    action = str(form.get("action") or "save")
    draft = IssuerTemplate(str(form.get("subject") or ""), str(form.get("body") or ""))
    service = get_pages(request).runtime.mail_settings
    try:
        if language not in LANGUAGES:
            raise InputError(
                "no e-mail template for this language",
                expected=" or ".join(LANGUAGES),
                found=language[:20],
            )
        if action == "preview":
            preview = service.preview(actor, _issuer(actor), language, draft)
            return _mail(
                request, actor, {"preview": preview, "draft": draft, "draft_language": language}
            )
        service.save_template(
            actor, _issuer(actor), language, None if action == "delete" else draft
        )
    except MicrocredError as error:
        return _mail(
            request,
            actor,
            {"error": error, "draft": draft, "draft_language": language},
            422,
        )
    return RedirectResponse(f"/console/settings/mail?done={action}#mail-{language}", 303)


@router.get("/mail/preview/{language}")
def preview(request: Request, language: str, actor: Viewer) -> Response:
    """The stored wording's message as HTML, for the preview frame."""
    built = get_pages(request).runtime.mail_settings.preview(actor, _issuer(actor), language)
    return HTMLResponse(
        built.html,
        headers={"Content-Security-Policy": PREVIEW_CSP, "Cache-Control": "no-store"},
    )


__all__ = ["router"]
