"""Learner pages: magic-link sign-in, the link's confirmation page, sign-out, and the account
page (name, addresses, DID, export, sign out everywhere, deletion).

Following a link only shows a page; the link is used by that page's POST (a CSRF-protected
button), so a mail scanner that fetches every link in a message does not spend it.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from microcred.errors import (
    ConflictError,
    EmailInUseError,
    InputError,
    LinkInvalidError,
    MicrocredError,
    NotFoundError,
    SignInError,
)
from microcred.learners.mail import ADD_EMAIL, SIGN_IN
from microcred.model import normalize_email
from microcred.store.tables import LearnerRow
from microcred.web.pages.core import (
    SmallFormCsrf,
    csrf,
    get_pages,
    language_of,
    render,
    safe_next,
)
from microcred.web.pages.learner_session import (
    LearnerFormCsrf,
    LearnerRequired,
    clear_learner_cookie,
    current_learner,
    learner_csrf,
    set_learner_cookie,
)
from microcred.web.pages.security import LEARNER_COOKIE

router = APIRouter(tags=["learners"], include_in_schema=False)
ACCOUNT = "/account"
# Messages the account page shows after a redirect (?done=...), by key.
DONE = frozenset({"name", "sent", "added", "removed", "did", "passkey", "passkey_removed"})
# A passkey's answer is a few kilobytes; the form around it stays small.
PASSKEY_FORM_BYTES = 80 * 1024
PasskeyFormCsrf = learner_csrf(max_bytes=PASSKEY_FORM_BYTES)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _field(form: object, name: str) -> str:
    value = getattr(form, "get", lambda _n: None)(name)
    return value if isinstance(value, str) else ""


# ---- signing in ---------------------------------------------------------------------------------


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"), ACCOUNT)
    if current_learner(request) is not None:
        return RedirectResponse(target, 303)
    return render(request, "learner/sign_in.html", {"next": target, "email": ""})


@router.post("/sign-in", dependencies=[SmallFormCsrf])
async def sign_in_request(request: Request) -> Response:
    form = await request.form()
    email, target = _field(form, "email"), safe_next(_field(form, "next"), ACCOUNT)
    runtime = get_pages(request).runtime
    try:
        runtime.learners.request_sign_in(
            email, client=_client(request), language=language_of(request), next_path=target
        )
    except InputError:
        context = {"next": target, "email": email, "problem": "address"}
        return render(request, "learner/sign_in.html", context, status_code=422)
    # The same page whether or not the address has an account: nothing to enumerate.
    return render(request, "learner/check_mail.html", {"purpose": SIGN_IN})


@router.get("/sign-in/{token}")
def sign_in_confirm_page(request: Request, token: str) -> Response:
    runtime = get_pages(request).runtime
    try:
        preview = runtime.learners.preview(token, SIGN_IN)
    except LinkInvalidError:
        return _link_invalid(request)
    return _confirm_page(request, SIGN_IN, preview.email, f"/sign-in/{token}")


@router.post("/sign-in/{token}", dependencies=[SmallFormCsrf])
def sign_in_confirm(request: Request, token: str) -> Response:
    runtime = get_pages(request).runtime
    try:
        signed_in = runtime.learners.sign_in(token, replacing=request.cookies.get(LEARNER_COOKIE))
    except LinkInvalidError:
        return _link_invalid(request)
    response = RedirectResponse(safe_next(signed_in.next_path, ACCOUNT), 303)
    set_learner_cookie(request, response, signed_in.session_token)
    return response


@router.post("/sign-out", dependencies=[SmallFormCsrf])
def sign_out(request: Request) -> Response:
    get_pages(request).runtime.learners.sign_out(request.cookies.get(LEARNER_COOKIE))
    response = RedirectResponse("/sign-in", 303)
    clear_learner_cookie(request, response)
    return response


def _confirm_page(request: Request, purpose: str, email: str, action: str) -> Response:
    response = render(
        request, "learner/confirm.html", {"purpose": purpose, "email": email, "action": action}
    )
    # The token is in this page's address: keep it out of caches and referrers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _link_invalid(request: Request) -> Response:
    response = render(request, "learner/link_invalid.html", status_code=400)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# ---- the account --------------------------------------------------------------------------------


@router.get("/account")
def account(request: Request, learner: LearnerRequired) -> Response:
    done = request.query_params.get("done")
    return _account_page(request, learner, done=done if done in DONE else None)


def _account_page(
    request: Request,
    learner: LearnerRow,
    *,
    done: str | None = None,
    problem: str | None = None,
    email: str = "",
    sent_to: str = "",
    status_code: int = 200,
) -> Response:
    runtime = get_pages(request).runtime
    data = runtime.learners.account(learner.id)
    context = {
        "account": data,
        "passkeys": runtime.learner_passkeys.passkeys(learner.id),
        "done": done,
        "problem": problem,
        "email": email,
        "sent_to": sent_to,
    }
    return render(request, "learner/account.html", context, status_code=status_code)


@router.post("/account/name")
async def set_name(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    form = await request.form()
    try:
        get_pages(request).runtime.learners.set_name(learner.id, _field(form, "name"))
    except InputError:
        return _account_page(request, learner, problem="name", status_code=422)
    return RedirectResponse(f"{ACCOUNT}?done=name", 303)


@router.post("/account/emails")
async def add_email(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    form = await request.form()
    email = _field(form, "email")
    runtime = get_pages(request).runtime
    try:
        runtime.learners.request_email(
            learner.id, email, client=_client(request), language=language_of(request)
        )
    except InputError:
        return _account_page(request, learner, problem="address", email=email, status_code=422)
    except EmailInUseError:
        return _account_page(request, learner, problem="in_use", email=email, status_code=409)
    except ConflictError:
        return _account_page(request, learner, problem="yours", email=email, status_code=409)
    return _account_page(request, learner, done="sent", sent_to=normalize_email(email))


@router.post("/account/emails/remove")
async def remove_email(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    form = await request.form()
    try:
        get_pages(request).runtime.learners.remove_email(learner.id, _field(form, "email"))
    except NotFoundError:
        return _account_page(request, learner, problem="unknown_address", status_code=404)
    except ConflictError:
        return _account_page(request, learner, problem="last", status_code=409)
    return RedirectResponse(f"{ACCOUNT}?done=removed", 303)


@router.get("/account/emails/verify/{token}")
def verify_email_page(request: Request, token: str) -> Response:
    runtime = get_pages(request).runtime
    try:
        preview = runtime.learners.preview(token, ADD_EMAIL)
    except LinkInvalidError:
        return _link_invalid(request)
    return _confirm_page(request, ADD_EMAIL, preview.email, f"/account/emails/verify/{token}")


@router.post("/account/emails/verify/{token}", dependencies=[SmallFormCsrf])
def verify_email(request: Request, token: str) -> Response:
    runtime = get_pages(request).runtime
    try:
        runtime.learners.confirm_email(token)
    except LinkInvalidError:
        return _link_invalid(request)
    except EmailInUseError:
        return render(request, "learner/email_in_use.html", status_code=409)
    # Signed in (on this browser) or not, the address is now the account's.
    target = f"{ACCOUNT}?done=added" if current_learner(request) else "/sign-in"
    return RedirectResponse(target, 303)


# ---- passkeys -----------------------------------------------------------------------------------


def _json(data: str | dict[str, object], status_code: int = 200) -> Response:
    body = data if isinstance(data, str) else json.dumps(data)
    return Response(
        body,
        status_code=status_code,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _json_error(error: MicrocredError, status_code: int) -> Response:
    return JSONResponse(
        {"error": error.message, "code": error.code},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


@router.post("/account/passkeys/options")
def passkey_options(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    return _json(get_pages(request).runtime.learner_passkeys.registration_options(learner.id))


@router.post("/account/passkeys")
async def add_passkey(request: Request, learner: LearnerRow = PasskeyFormCsrf) -> Response:
    form = await request.form()
    try:
        get_pages(request).runtime.learner_passkeys.register(learner.id, _field(form, "credential"))
    except InputError as error:
        return _json_error(error, 422)
    except ConflictError as error:
        return _json_error(error, 409)
    return _json({"ok": True})


@router.post("/account/passkeys/remove")
async def remove_passkey(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    form = await request.form()
    try:
        get_pages(request).runtime.learner_passkeys.remove(
            learner.id, _field(form, "credential_id")
        )
    except NotFoundError:
        return _account_page(request, learner, problem="unknown_passkey", status_code=404)
    return RedirectResponse(f"{ACCOUNT}?done=passkey_removed", 303)


@router.post("/passkeys/sign-in/options", dependencies=[SmallFormCsrf])
def passkey_sign_in_options(request: Request) -> Response:
    return _json(get_pages(request).runtime.learner_passkeys.authentication_options())


@router.post("/passkeys/sign-in", dependencies=[csrf(max_bytes=PASSKEY_FORM_BYTES)])
async def passkey_sign_in(request: Request) -> Response:
    form = await request.form()
    runtime = get_pages(request).runtime
    try:
        signed_in = runtime.learner_passkeys.sign_in(
            _field(form, "credential"), replacing=request.cookies.get(LEARNER_COOKIE)
        )
    except InputError as error:
        return _json_error(error, 422)
    except SignInError as error:
        return _json_error(error, 401)
    response = _json({"redirect": safe_next(_field(form, "next"), ACCOUNT)})
    set_learner_cookie(request, response, signed_in.session_token)
    return response


@router.post("/account/did")
def create_did(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    get_pages(request).runtime.learners.create_did(learner.id)
    return RedirectResponse(f"{ACCOUNT}?done=did", 303)


@router.get("/account/export.json")
def export(request: Request, learner: LearnerRequired) -> Response:
    data = get_pages(request).runtime.learners.export(learner.id)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="microcred-account.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/account/sign-out-everywhere")
def sign_out_everywhere(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    get_pages(request).runtime.learners.sign_out_everywhere(learner.id)
    response = RedirectResponse("/sign-in", 303)
    clear_learner_cookie(request, response)
    return response


@router.post("/account/delete")
async def delete_account(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    form = await request.form()
    try:
        get_pages(request).runtime.learners.delete(
            learner.id, confirmation=_field(form, "confirmation")
        )
    except InputError:
        return _account_page(request, learner, problem="confirm", status_code=422)
    request.state.learner = None  # the page below is for a visitor now
    response = render(request, "learner/deleted.html")
    clear_learner_cookie(request, response)
    return response


__all__ = ["router"]
