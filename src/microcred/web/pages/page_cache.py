"""The public credential page, rendered once per version and kept.

Only the anonymous view is kept: a request with a query string (the recipient's private link
carries its token there), a staff session or a learner session cookie is rendered as always,
and never stored. The kept HTML differs between visitors in one thing, their CSRF token (the
language switcher is a form): it is stored with a placeholder and filled in per request.

A kept page is current while its key and version hold:

* the key: credential id and language, and what of the credential's row can change (state,
  reason, whether the name is shown, and whether it has expired by now): read per request with
  one small query, so a revocation, suspension, reinstatement or expiry is seen at once;
* the version: the change stamps (``store/stamps.py``) of every table except those the page
  does not read (other credentials, the log, batches, wallets, ...): an issuer's profile, an
  achievement, an endorsement or a pathway changed in any process is seen at the next request;
* and at most ``SECONDS``, for what changes with time alone (an endorsement's expiry).

The ETag names the version and the visitor's token, so a browser's revalidation of an
unchanged page is a 304 without a body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from microcred.runtime import Runtime
from microcred.status.expiry import is_expired
from microcred.store.stamps import StampedCache
from microcred.web.pages.security import LEARNER_COOKIE, SESSION_COOKIE, Keys

SECONDS = 60.0
SIZE = 2048  # kept pages per process (each language counts once): ~8-20 KB each
# Where the visitor's CSRF token goes in a kept page: NUL never occurs in rendered HTML.
_TOKEN = "\x00csrf\x00"  # noqa: S105 (a placeholder, no secret)
# Tables the page does not read: writing them (issuing other credentials, say) keeps it.
NOT_READ = (
    "credentials",  # this credential's own row is in the key instead
    "status_lists",
    "status_indices",
    "log_leaves",
    "log_nodes",
    "log_checkpoints",
    "batches",
    "batch_rows",
    "staged_uploads",
    "notifications",
    "expiry_reminders",
    "webhook_deliveries",
    "webhook_attempts",
    "webhook_expiries",
    "wallet_claims",
    "wallet_items",
    "wallet_shares",
    "wallet_collections",
    "wallet_collection_entries",
    "wallet_notices",
    "learners",
    "learner_emails",
    "learner_tokens",
    "learner_passkeys",
    "oauth_codes",
    "oauth_tokens",
    "oid4vci_offers",
    "oid4vci_tokens",
    "oid4vci_copies",
    "lms_statements",
    "lms_progress",
    "lms_learners",
    "lms_awards",
    "lti_launches",
    "employer_searches",
    "employer_hits",
    "api_keys",
)


@dataclass(frozen=True)
class KeptPage:
    html: str  # with _TOKEN where the visitor's CSRF token goes
    status_code: int
    headers: tuple[tuple[str, str], ...]
    digest: str


class PublicPageCache:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._pages: StampedCache[tuple[object, ...], KeptPage] = StampedCache(
            runtime.stamps, (), all_but=NOT_READ, size=SIZE, seconds=SECONDS
        )

    @property
    def hits(self) -> int:
        return self._pages.hits

    async def serve(
        self,
        request: Request,
        credential_id: str,
        language: str,
        keys: Keys,
        render: Callable[[], Response],
    ) -> Response:
        """The page from the cache when the request may have it, else ``render()`` (kept when
        the request is anonymous). ``keys`` give this visitor's CSRF token and cookie.

        A kept page is answered on the event loop after one small read (the row's state and
        the stamps): handing it to a worker thread cost as much CPU as the answer itself.
        Rendering runs in a worker thread."""
        if not _anonymous(request):
            return await run_in_threadpool(render)
        reading, state = self.runtime.credentials.page_state(credential_id, self.runtime.stamps)
        if state is None:  # no such credential: the page's own 404
            return await run_in_threadpool(render)
        key = (
            credential_id,
            language,
            state.state,
            state.state_reason,
            state.name_public,
            is_expired(state.valid_until, self.runtime.clock()),
        )
        return await self._answer(request, key, reading, keys, render)

    async def serve_form(
        self,
        request: Request,
        name: str,
        language: str,
        keys: Keys,
        render: Callable[[], Response],
    ) -> Response:
        """A page that shows no stored row, only forms (the verifier's): kept per language, and
        under the same stamps as the credential page (what the layout reads)."""
        if not _anonymous(request):
            return await run_in_threadpool(render)
        reading = self.runtime.stamps.read()
        return await self._answer(request, ("form", name, language), reading, keys, render)

    async def _answer(
        self,
        request: Request,
        key: tuple[object, ...],
        reading: Mapping[str, int],
        keys: Keys,
        render: Callable[[], Response],
    ) -> Response:
        token = keys.csrf_token(request)
        with self.runtime.stamps.pinned(reading):
            found = self._pages.peek(key)
        if found is not None:
            kept = found
        else:
            kept, rendered = await run_in_threadpool(self._render, key, reading, token, render)
            if rendered is not None:  # this request rendered it: answer with that response
                rendered.headers["ETag"] = _etag(kept.digest, token)
                return rendered
        headers = dict(kept.headers)
        headers["ETag"] = _etag(kept.digest, token)
        answer: Response
        if _matches(request.headers.get("if-none-match"), headers["ETag"]):
            answer = Response(status_code=304, headers=headers)
        else:
            answer = HTMLResponse(
                kept.html.replace(_TOKEN, token), status_code=kept.status_code, headers=headers
            )
        keys.attach_csrf_cookie(request, answer)  # a first visit gets its nonce, as render() does
        return answer

    def _render(
        self,
        key: tuple[object, ...],
        reading: Mapping[str, int],
        token: str,
        render: Callable[[], Response],
    ) -> tuple[KeptPage, Response | None]:
        """In a worker thread: the page kept (by this request, whose response comes with it,
        or meanwhile by another)."""
        with self.runtime.stamps.pinned(reading):
            rendered: list[Response] = []

            def keep() -> KeptPage:
                response = render()
                rendered.append(response)
                body = bytes(response.body).decode()
                headers = tuple(
                    (name, value)
                    for name, value in response.headers.items()
                    if name.lower() not in ("content-length", "set-cookie", "etag")
                )
                digest = hashlib.sha256(repr(key).encode() + response.body).hexdigest()[:20]
                return KeptPage(body.replace(token, _TOKEN), response.status_code, headers, digest)

            kept = self._pages.get(key, keep)
        return kept, rendered[0] if rendered else None


def _etag(digest: str, token: str) -> str:
    return f'W/"{digest}.{hashlib.sha256(token.encode()).hexdigest()[:12]}"'


def _anonymous(request: Request) -> bool:
    cookies = request.cookies
    return not request.url.query and SESSION_COOKIE not in cookies and LEARNER_COOKIE not in cookies


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    return any(tag.strip() in (etag, "*") for tag in header.split(","))


__all__ = ["NOT_READ", "PublicPageCache"]
