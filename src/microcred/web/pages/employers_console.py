"""The employers' console: sign in with the organisation's token, search learners who opted
in (by skill, occupation or credential), see only what each shared with a presentation the
browser verifies (``/static/employer-verify.js``), and ask to contact them.

The organisation's token or a staff member's own (``careers/employer_staff.py``) signs in. The
session is a signed cookie (``mc_employer``) naming a session kept on the server, the employer,
the staff member and the first characters of that token's hash: signing out ends the session
for every copy of the cookie, and revoking a staff token ends that person's sessions at once.
Every route reads the employer from it: an employer's pages show its own searches and
requests, nobody else's.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRouter

from microcred.careers.contact import MAX_MESSAGE
from microcred.careers.employer_staff import SignedInStaff
from microcred.errors import (
    ConflictError,
    EmployerSignInRequiredError,
    InputError,
    NotFoundError,
    RateLimitedError,
)
from microcred.web.pages.core import SmallFormCsrf, get_pages, render
from microcred.web.pages.security import SESSION_LIFETIME
from microcred.web.pages.wallet import form_field

router = APIRouter(tags=["employers"], include_in_schema=False)

EMPLOYER_COOKIE = "mc_employer"
_HASH_PART = 16


def current_employer(request: Request) -> SignedInStaff | None:
    """Who the console session names (``employer:<id>:<staff id or ->:<token hash start>``),
    if that token still stands."""
    pages = get_pages(request)
    session = pages.keys.decode_session(request.cookies.get(EMPLOYER_COOKIE))
    if session is None or not session.user_id.startswith("employer:"):
        return None
    parts = session.user_id.removeprefix("employer:").split(":")
    if len(parts) != 3:
        return None
    employer_id, staff_id, hash_part = parts
    return pages.runtime.employer_staff.session_of(
        session.session_id, employer_id, None if staff_id == "-" else staff_id, hash_part
    )


def require_employer(request: Request) -> SignedInStaff:
    who = current_employer(request)
    if who is None:
        raise EmployerSignInRequiredError("sign in as an employer")
    return who


EmployerRequired = Annotated[SignedInStaff, Depends(require_employer)]


def _employer_form(request: Request, _form: None = SmallFormCsrf) -> SignedInStaff:
    return require_employer(request)


EmployerFormCsrf = Depends(_employer_form)


def _page(request: Request, template: str, who: SignedInStaff | None, **context: Any) -> Response:
    response = render(request, template, {"who": who, **context})
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- signing in and out -------------------------------------------------------------------------


@router.get("/employers")
def employers_home(request: Request) -> Response:
    target = "/employers/search" if current_employer(request) else "/employers/sign-in"
    return RedirectResponse(target, 303)


@router.get("/employers/sign-in")
def sign_in_form(request: Request) -> Response:
    return _page(request, "employers/sign_in.html", None, problem=None)


@router.post("/employers/sign-in", dependencies=[SmallFormCsrf])
async def sign_in(request: Request) -> Response:
    form = await request.form()
    runtime = get_pages(request).runtime
    who = runtime.employer_staff.who(form_field(form, "token").strip()[:200])
    if who is None:
        return render(request, "employers/sign_in.html", {"problem": "wrong"}, status_code=401)
    keys = get_pages(request).keys
    session_id = secrets.token_urlsafe(24)
    runtime.employer_staff.open_session(who, session_id, timedelta(seconds=SESSION_LIFETIME))
    redirect = RedirectResponse("/employers/search", 303)
    redirect.set_cookie(
        EMPLOYER_COOKIE,
        keys.encode_session(
            f"employer:{who.employer.id}:{who.staff_id or '-'}:{who.token_hash[:_HASH_PART]}",
            session_id=session_id,
        ),
        max_age=SESSION_LIFETIME,
        httponly=True,
        samesite="lax",
        secure=keys.secure_cookies,
        path="/employers",
    )
    return redirect


@router.post("/employers/sign-out", dependencies=[SmallFormCsrf])
def sign_out(request: Request) -> Response:
    pages = get_pages(request)
    keys = pages.keys
    session = keys.decode_session(request.cookies.get(EMPLOYER_COOKIE))
    if session is not None:  # ended on the server: a copy of the cookie no longer signs in
        pages.runtime.employer_staff.end_session(session.session_id)
    redirect = RedirectResponse("/employers/sign-in", 303)
    redirect.delete_cookie(
        EMPLOYER_COOKIE,
        httponly=True,
        samesite="lax",
        secure=keys.secure_cookies,
        path="/employers",
    )
    return redirect


# ---- search -------------------------------------------------------------------------------------


@router.get("/employers/search")
def search_form(request: Request, who: EmployerRequired) -> Response:
    return _page(request, "employers/search.html", who, found=None, query={}, problem=None)


@router.post("/employers/search")
async def search(request: Request, who: SignedInStaff = EmployerFormCsrf) -> Response:
    """A search runs on POST: it is rate limited and logged, so no link may start one."""
    form = await request.form()
    query = {
        name: form_field(form, name).strip()[:300]
        for name in ("skills", "occupation", "credential")
    }
    skills = [s.strip() for s in query["skills"].split(",") if s.strip()][:50]
    runtime = get_pages(request).runtime
    status = 200
    found = None
    problem: str | None = None
    detail = ""
    try:
        if not (skills or query["occupation"] or query["credential"]):
            raise InputError("nothing to search for")
        found = runtime.employer_presentations.search(
            who.employer,
            skills=skills or None,
            occupation=query["occupation"] or None,
            credential=query["credential"] or None,
        )
    except RateLimitedError:
        problem, status = "limited", 429
    except NotFoundError as error:
        problem, detail, status = "input", error.found or "", 404
    except InputError as error:
        problem, detail, status = "input", error.found or "", 422
    response = render(
        request,
        "employers/search.html",
        {
            "who": who,
            "found": found,
            "query": query,
            "problem": problem,
            "problem_detail": detail,
            "max_message": MAX_MESSAGE,
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- contact requests ---------------------------------------------------------------------------


@router.post("/employers/contact")
async def ask(request: Request, who: SignedInStaff = EmployerFormCsrf) -> Response:
    form = await request.form()
    runtime = get_pages(request).runtime
    try:
        runtime.employer_contact.ask(
            who.employer,
            form_field(form, "learner")[:40],
            form_field(form, "message")[: MAX_MESSAGE * 2],
            asked_by=who.staff_name,
        )
    except RateLimitedError:
        return RedirectResponse("/employers/requests?done=limited", 303)
    except ConflictError:
        return RedirectResponse("/employers/requests?done=already", 303)
    except (NotFoundError, InputError):
        return RedirectResponse("/employers/requests?done=refused", 303)
    return RedirectResponse("/employers/requests?done=asked", 303)


@router.get("/employers/requests")
def requests(request: Request, who: EmployerRequired, done: str = "") -> Response:
    runtime = get_pages(request).runtime
    return _page(
        request,
        "employers/requests.html",
        who,
        requests=runtime.employer_contact.requests_of(who.employer),
        done=done if done in ("asked", "limited", "already", "refused") else "",
    )


def install_employer_error_pages(app: FastAPI) -> None:
    @app.exception_handler(EmployerSignInRequiredError)
    async def _sign_in(_request: Request, _error: EmployerSignInRequiredError) -> Response:
        return RedirectResponse("/employers/sign-in", status_code=303)


__all__ = ["EMPLOYER_COOKIE", "current_employer", "install_employer_error_pages", "router"]
