"""Browser-facing protections: security headers, signed session cookies and CSRF tokens.

Sessions are signed cookies (HMAC-SHA256 with a key derived from the master secret) naming a
session the server keeps (``StaffService.open_session``): signing out ends it there, so a copied
cookie stops working too. A session is dropped when the user is gone, and it expires after
``SESSION_LIFETIME``.

CSRF uses a *signed* double submit: a random nonce in an HttpOnly cookie, and in each form
the HMAC of that nonce and the session id. A cookie planted from a sibling domain is useless
without the key, and a form token stops working when the session changes. POSTs whose Origin
names another site are refused as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microcred.errors import CsrfError

SESSION_COOKIE = "mc_session"
LEARNER_COOKIE = "mc_learner"  # a learner's session token (microcred.learners)
CSRF_COOKIE = "mc_csrf"
CSRF_FIELD = "csrf_token"
SESSION_LIFETIME = 12 * 3600

# Everything from our own origin, nothing inline: the few scripts (copy buttons, passkeys) are
# files under /static, and a page works without them.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
EMBED_CSP = PAGE_CSP.replace("frame-ancestors 'none'", "frame-ancestors *")


class SecurityHeaders:
    """Adds the headers every response should carry, unless a route set its own (the embed
    card allows framing; sanitised SVG images send a stricter CSP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", PAGE_CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                # same-origin: a URL may carry the recipient's private token (see public pages).
                headers.setdefault("Referrer-Policy", "same-origin")
                if "frame-ancestors *" not in headers.get("Content-Security-Policy", ""):
                    headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class Session:
    user_id: str
    session_id: str
    issued_at: int


class Keys:
    """Keys for sessions and CSRF, derived from the master secret (one secret to rotate)."""

    def __init__(
        self, master_secret: str, *, secure_cookies: bool, public_origin: str | None = None
    ) -> None:
        root = master_secret.encode()
        self.session_key = hmac.new(root, b"microcred/web/session/v1", hashlib.sha256).digest()
        self.csrf_key = hmac.new(root, b"microcred/web/csrf/v1", hashlib.sha256).digest()
        self.secure_cookies = secure_cookies
        # Behind a proxy that ends TLS, the request says http://internal while the browser
        # sends the public origin; both are ours.
        self.public_origin = public_origin

    # ---- sessions -----------------------------------------------------------------------------

    def encode_session(
        self, user_id: str, now: float | None = None, session_id: str | None = None
    ) -> str:
        session_id = session_id or secrets.token_urlsafe(16)
        payload = {"u": user_id, "s": session_id, "t": int(now or time.time())}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{_b64(self._sign(self.session_key, body))}"

    def decode_session(self, cookie: str | None, now: float | None = None) -> Session | None:
        if not cookie or len(cookie) > 1000 or "." not in cookie:
            return None
        body, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(_b64(self._sign(self.session_key, body)), signature):
            return None
        try:
            data: Any = json.loads(_unb64(body))
            session = Session(str(data["u"]), str(data["s"]), int(data["t"]))
        except (ValueError, KeyError, TypeError):
            return None
        age = (now or time.time()) - session.issued_at
        return session if 0 <= age < SESSION_LIFETIME else None

    def set_session(self, response: Response, user_id: str) -> str:
        """Put a new session in a cookie; returns its id, for the server to record."""
        session_id = secrets.token_urlsafe(16)
        response.set_cookie(
            SESSION_COOKIE,
            self.encode_session(user_id, session_id=session_id),
            max_age=SESSION_LIFETIME,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
            path="/",
        )
        return session_id

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, httponly=True, samesite="lax", secure=self.secure_cookies, path="/"
        )

    # ---- CSRF ---------------------------------------------------------------------------------

    def csrf_token(self, request: Request) -> str:
        """The token for forms on this page; sets the nonce cookie if the browser has none."""
        nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_nonce", None)
        if not nonce or len(nonce) > 100:
            nonce = secrets.token_urlsafe(24)
            request.state.csrf_nonce = nonce
        return self._csrf_for(nonce, self._session_id(request))

    def attach_csrf_cookie(self, request: Request, response: Response) -> None:
        nonce = getattr(request.state, "csrf_nonce", None)
        if nonce:
            response.set_cookie(
                CSRF_COOKIE,
                nonce,
                httponly=True,
                samesite="strict",
                secure=self.secure_cookies,
                path="/",
            )

    def check_origin_and_cookie(self, request: Request) -> None:
        """What can be refused before the body is read: a foreign Origin, no CSRF cookie."""
        origin = request.headers.get("origin")
        if origin and origin != "null" and origin not in (_own_origin(request), self.public_origin):
            raise CsrfError("cross-site form submission refused", found=origin)
        if not request.cookies.get(CSRF_COOKIE):
            raise CsrfError("the form has expired; reload the page and try again")

    def check_csrf(self, request: Request, submitted: object) -> None:
        """The form's token against the cookie's nonce and the session; the ``csrf()``
        dependency has run :meth:`check_origin_and_cookie` before the body was read."""
        nonce = request.cookies.get(CSRF_COOKIE)
        if not nonce or not isinstance(submitted, str):
            raise CsrfError("the form has expired; reload the page and try again")
        expected = self._csrf_for(nonce, self._session_id(request))
        if not hmac.compare_digest(expected, submitted):
            raise CsrfError("the form has expired; reload the page and try again")

    def _session_id(self, request: Request) -> str:
        session = self.decode_session(request.cookies.get(SESSION_COOKIE))
        staff = session.session_id if session else ""
        # A learner's form token is bound to their session too: it dies with the session.
        learner = request.cookies.get(LEARNER_COOKIE)
        if not learner:
            return staff
        return f"{staff}|{hashlib.sha256(learner.encode()).hexdigest()}"

    def _csrf_for(self, nonce: str, session_id: str) -> str:
        return _b64(self._sign(self.csrf_key, f"{nonce}|{session_id}"))

    @staticmethod
    def _sign(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
