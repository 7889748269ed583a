"""What every page shares: the Jinja2 environments (one per language), rendering, the
signed-in staff user, and the errors pages turn into HTML instead of JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.types import Message

from microcred.accounts.actor import Actor, Role
from microcred.accounts.staff import actor_for
from microcred.achievements.repository import AchievementName
from microcred.errors import (
    CsrfError,
    FormTooLargeError,
    MicrocredError,
    PageForbiddenError,
    PageNotFoundError,
    SignInRequiredError,
)
from microcred.runtime import Runtime
from microcred.store.tables import LearnerRow, StaffUserRow
from microcred.web.pages import i18n, reading
from microcred.web.pages.page_cache import PublicPageCache
from microcred.web.pages.security import LEARNER_COOKIE, SESSION_COOKIE, Keys

TEMPLATES = Path(__file__).parent / "templates"
_RANK = {"viewer": 0, "issuer": 1, "owner": 2}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Pages:
    """Per-app state for the HTML side, built lazily from the runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.keys = Keys(
            runtime.settings.master_secret.get_secret_value(),
            secure_cookies=runtime.settings.base_url.startswith("https://"),
            public_origin=_origin(runtime.settings.base_url),
        )
        self._environments: dict[str, Environment] = {}
        self.credential_pages = PublicPageCache(runtime)

    def environment(self, language: str) -> Environment:
        if language not in self._environments:
            env = Environment(
                loader=FileSystemLoader(TEMPLATES),
                autoescape=select_autoescape(default=True, default_for_string=True),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
            env.filters["date"] = lambda value, form="long": i18n.format_date(value, language, form)
            env.filters["datetime"] = lambda value: i18n.format_datetime(value, language)
            env.filters["number"] = lambda value: i18n.format_number(value, language)
            env.filters["urlencode_path"] = lambda value: quote(str(value), safe="/")
            env.globals["lang_attrs"] = reading.lang_attrs
            env.globals["credential_name"] = _credential_name
            env.globals["achievement_name"] = _achievement_name
            self._environments[language] = env
        return self._environments[language]


def get_pages(request: Request) -> Pages:
    state = request.app.state
    pages: Pages | None = getattr(state, "pages", None)
    if pages is None:
        pages = state.pages = Pages(state.runtime)
    return pages


async def _pages_dependency(request: Request) -> Pages:
    return get_pages(request)  # async: no thread-pool hand-off (see web/deps.py)


PagesDep = Annotated[Pages, Depends(_pages_dependency)]


@pass_context
def _credential_name(context: Any, document: object, fallback: str | None) -> reading.Localized:
    """For templates: a held credential's achievement name in the reader's language."""
    return reading.credential_name(context["request"], document, fallback)


@pass_context
def _achievement_name(context: Any, achievement: AchievementName) -> reading.Localized:
    """For templates: a listed achievement's name in the reader's language."""
    return reading.name_in(
        achievement.translated,
        achievement.name,
        achievement.language,
        reading.reader_languages(context["request"]),
    )


def language_of(request: Request) -> str:
    return i18n.negotiate(
        request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    pages = get_pages(request)
    language = language_of(request)
    user = current_user(request)
    learner = current_learner(request)
    values: dict[str, Any] = {
        "request": request,
        "lang": language,
        "languages": i18n.LANGUAGES,
        "csrf_token": pages.keys.csrf_token(request),
        "user": user,
        "learner": learner,
        "here": _here(request),
        "base_url": pages.runtime.settings.base_url,
        **(context or {}),
    }
    html = pages.environment(language).get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    response.headers.setdefault("Cache-Control", "no-store" if user or learner else "no-cache")
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    response.headers["Content-Language"] = language
    pages.keys.attach_csrf_cookie(request, response)
    return response


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"


def safe_next(target: str | None, default: str = "/console") -> str:
    """A local path to return to; anything else (//evil, https://...) becomes ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def current_user(request: Request) -> StaffUserRow | None:
    if hasattr(request.state, "staff_user"):
        user: StaffUserRow | None = request.state.staff_user
        return user
    pages = get_pages(request)
    session = pages.keys.decode_session(request.cookies.get(SESSION_COOKIE))
    # The server's record of the session, not only the cookie's signature (signed out: None).
    user = (
        pages.runtime.staff.session_user(session.user_id, session.session_id) if session else None
    )
    request.state.staff_user = user
    return user


def current_learner(request: Request) -> LearnerRow | None:
    """The learner signed in on this browser, or None; looked up once per request (see
    :mod:`microcred.web.pages.learner_session`, which builds the learner pages on it)."""
    if hasattr(request.state, "learner"):
        learner: LearnerRow | None = request.state.learner
        return learner
    runtime = get_pages(request).runtime
    learner = runtime.learners.learner_for_session(request.cookies.get(LEARNER_COOKIE))
    request.state.learner = learner
    return learner


def require(role: Role) -> Callable[[Request], Actor]:
    """A dependency: the signed-in staff user acting with at least ``role``."""

    def dependency(request: Request) -> Actor:
        user = current_user(request)
        if user is None:
            raise SignInRequiredError("sign in to use the console")
        if _RANK.get(user.role, -1) < _RANK[role]:
            raise PageForbiddenError(f"this needs the {role} role", expected=role, found=user.role)
        return actor_for(user)

    return dependency


def all_achievements(runtime: Runtime, actor: Actor, issuer_id: str) -> tuple[AchievementName, ...]:
    """Id and name of every (unarchived) achievement of the issuer, for choosers."""
    return runtime.achievements.names(actor, issuer_id)


# Most forms are a few fields; routes that take files declare their own larger limit.
SMALL_FORM_BYTES = 64 * 1024


def csrf(
    *,
    max_bytes: int,
    max_fields: int = 20,
    max_files: int = 1,
    signed_in: bool = False,
) -> Any:
    """The dependency every page-form POST declares, with the route's own limits.

    What needs no body is refused first (a foreign Origin, no CSRF cookie, and with
    ``signed_in`` no staff session); the body is then parsed while it is counted, and more
    than ``max_bytes`` is a clear 413 (a declared Content-Length before anything is read),
    so nobody can make the server spool an unbounded upload; last the token is compared.
    The parsed form is cached on the request: the route's ``await request.form()`` gets
    this one and cannot raise the limits.
    """

    async def check(request: Request) -> None:
        keys = get_pages(request).keys
        keys.check_origin_and_cookie(request)
        if signed_in and current_user(request) is None:
            raise SignInRequiredError("sign in to use the console")
        _cap_body(request, max_bytes)
        form = await request.form(max_files=max_files, max_fields=max_fields)
        keys.check_csrf(request, form.get("csrf_token"))

    return Depends(check)


def _cap_body(request: Request, limit: int) -> None:
    def too_large(found: str) -> FormTooLargeError:
        return FormTooLargeError(
            "the form is too large", expected=f"at most {limit} bytes", found=found
        )

    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(f"{declared} bytes")
    receive = request.receive
    seen = 0

    async def counted() -> Message:
        # A chunked body, or a Content-Length that lied, stops at the limit too.
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(f"more than {limit} bytes")
        return message

    request._receive = counted  # Starlette reads the body through this channel


SmallFormCsrf = csrf(max_bytes=SMALL_FORM_BYTES)


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequiredError)
    async def _sign_in(request: Request, _error: SignInRequiredError) -> Response:
        target = quote(_here(request), safe="/")
        return RedirectResponse(f"/console/sign-in?next={target}", status_code=303)

    @app.exception_handler(PageForbiddenError)
    async def _forbidden(request: Request, error: PageForbiddenError) -> Response:
        return error_page(request, 403, error)

    @app.exception_handler(PageNotFoundError)
    async def _not_found(request: Request, error: PageNotFoundError) -> Response:
        return error_page(request, 404, error)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, error: CsrfError) -> Response:
        return error_page(request, 403, error)

    @app.exception_handler(FormTooLargeError)
    async def _too_large(request: Request, error: FormTooLargeError) -> Response:
        # The rest of the body is not read: the connection closes after this answer.
        return error_page(request, 413, error, headers={"Connection": "close"})


def error_page(
    request: Request,
    status_code: int,
    error: MicrocredError,
    *,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status": status_code, "error": error},
        status_code=status_code,
        headers=headers,
    )
