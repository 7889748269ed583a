"""The learner's wallet pages (signed in): what they hold, one credential's page with its
sharing panel, import, collections, the expiry timeline, a signed presentation, the PDF
record, and the claim button of a credential's private page.

Every route takes the signed-in learner and asks the services for that learner's rows only:
another learner's credential or collection is "not found", never "forbidden".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from microcred.errors import (
    ConflictError,
    FetchError,
    InputError,
    MicrocredError,
    NotFoundError,
    PageNotFoundError,
    UrlRefusedError,
)
from microcred.issuing.recipients import LINK_PARAMETER
from microcred.runtime import Runtime
from microcred.store.tables import LearnerRow
from microcred.verify.result import Check
from microcred.wallet.service import MAX_IMPORT_BYTES, WalletItem
from microcred.web.fetch import policy_for
from microcred.web.pages import i18n, links
from microcred.web.pages.core import error_page, get_pages, language_of, render
from microcred.web.pages.credential_view import CredentialView, build_view
from microcred.web.pages.europass import can_export, held_eu_elements, our_eu_elements
from microcred.web.pages.extras import signature_snippet
from microcred.web.pages.learner_session import LearnerFormCsrf, LearnerRequired, learner_csrf
from microcred.web.pages.reading import reader_languages

router = APIRouter(tags=["wallet"], include_in_schema=False)
WALLET = "/wallet"
MAX_PAGE = 1_000_000
PAGE_SIZE = 50
EXPIRING_SOON = timedelta(days=30)
# The import form carries one file of at most the wallet's limit, plus a few small fields.
ImportCsrf = learner_csrf(max_bytes=MAX_IMPORT_BYTES + 64 * 1024)
ACCEPT = "application/vc+ld+json, application/ld+json, application/json;q=0.9, */*;q=0.1"
DONE = frozenset(
    {"imported", "claimed", "already", "removed", "public", "private", "collection", "profile"}
)


def form_field(form: object, name: str) -> str:
    value = getattr(form, "get", lambda _n: None)(name)
    return value.strip() if isinstance(value, str) else ""


def item_path(ref: str) -> str:
    return f"{WALLET}/credentials/{quote(ref, safe='')}"


# ---- the wallet --------------------------------------------------------------------------------


@router.get(WALLET)
def wallet_page(request: Request, learner: LearnerRequired) -> Response:
    runtime = get_pages(request).runtime
    text = request.query_params.get("page", "1")
    # A page past MAX_PAGE reached the database as an offset past 64 bits (issue 20).
    page = int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_PAGE else 1
    items, total = runtime.wallet.list_credentials(
        learner.id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    done = request.query_params.get("done")
    context = {
        "items": items,
        "total": total,
        "page": page,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "public": runtime.showcase.public_refs(learner.id),
        "notices": runtime.wallet_notices.notices(learner.id),
        # Pathways the learner has begun (one part done) or completed.
        "pathways": [p for p in runtime.pathways.learner_progress(learner.id) if p.tree.used()],
        "profile_slug": learner.profile_slug,
        "profile_url": runtime.urls.learner_profile(learner.profile_slug)
        if learner.profile_slug
        else None,
        "soon": runtime.clock() + EXPIRING_SOON,
        "done": done if done in DONE else None,
    }
    return render(request, "wallet/wallet.html", context)


@router.post("/wallet/notices/{notice_id}/dismiss")
def dismiss_notice(
    request: Request, notice_id: str, learner: LearnerRow = LearnerFormCsrf
) -> Response:
    try:
        get_pages(request).runtime.wallet_notices.dismiss(learner.id, notice_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse(WALLET, 303)


# ---- one held credential ------------------------------------------------------------------------


@dataclass(frozen=True)
class SharePanel:
    """How the learner shows one credential: its public address and what LinkedIn, a web
    page or an e-mail signature take. Ours: the issuer's public page; imported: the
    learner's public profile page of it (only once the learner made it public)."""

    url: str
    linkedin_add: str
    linkedin_share: str
    embed: str
    signature: str | None


def _held(runtime: Runtime, learner: LearnerRow, ref: str) -> WalletItem:
    try:
        return runtime.wallet.get(learner.id, ref)
    except NotFoundError as error:
        raise PageNotFoundError("no such credential in your wallet", found=error.found) from error


def _our_view(runtime: Runtime, item: WalletItem, languages: Sequence[str] = ()) -> CredentialView:
    row = runtime.credentials.get_public(item.id)
    return build_view(runtime, row, show_name=row.name_public, languages=languages)


def _share_panel(
    runtime: Runtime, item: WalletItem, view: CredentialView | None, slug: str | None, shown: bool
) -> SharePanel | None:
    if view is not None:
        return SharePanel(
            url=view.url,
            linkedin_add=view.linkedin_add,
            linkedin_share=view.linkedin_share,
            embed=links.embed_snippet(f"{view.url}/embed", view.name),
            signature=signature_snippet(view, runtime.urls),
        )
    if slug is None or not shown:
        return None
    url = runtime.urls.learner_public_credential(slug, item.id)
    name = item.name or ""
    issued = item.added_at or runtime.clock()
    return SharePanel(
        url=url,
        linkedin_add=links.linkedin_add_url(
            name=name,
            organization=item.issuer_name or "",
            issued=issued,
            expires=item.valid_until,
            url=url,
            credential_id=item.id,
        ),
        linkedin_share=links.linkedin_share_url(url),
        embed=links.embed_snippet(f"{url}/embed", name),
        signature=None,
    )


def localised_checks(request: Request, item: WalletItem) -> list[tuple[Check, str]]:
    """The verifier's result kept at import, each check in the page's language."""
    gettext = i18n.translations(language_of(request)).gettext
    records = (item.verification or {}).get("checks") or []
    checks = [Check.from_record(r) for r in records if isinstance(r, dict)]
    return [(check, check.localised(gettext)) for check in checks]


@router.get("/wallet/credentials/{ref}")
def held_page(request: Request, ref: str, learner: LearnerRequired) -> Response:
    runtime = get_pages(request).runtime
    item = _held(runtime, learner, ref)
    view = _our_view(runtime, item, reader_languages(request)) if item.kind == "ours" else None
    shown = item.id in runtime.showcase.public_refs(learner.id)
    slug = runtime.showcase.profile_slug(learner.id)
    collections = runtime.showcase.collections(learner.id)
    done = request.query_params.get("done")
    context = {
        "item": item,
        "c": view,
        "checks": localised_checks(request, item) if item.kind == "imported" else [],
        "parts": runtime.wallet.parts(learner.id, item.id) if item.kind == "imported" else [],
        "public": shown,
        "share": _share_panel(runtime, item, view, slug, shown),
        "profile_url": runtime.urls.learner_profile(slug) if slug else None,
        "collections": collections,
        "in_collections": {c.id for c in collections if item.id in c.refs},
        "removable": item.kind == "imported" or runtime.wallet.is_claim_only(learner.id, item.id),
        "eu": our_eu_elements(view)
        if view is not None
        else held_eu_elements(item, language_of(request)),
        "edc_export": can_export(runtime, item),
        "done": done if done in DONE else None,
    }
    return render(request, "wallet/credential.html", context)


@router.get("/wallet/credentials/{ref}/download")
def download(request: Request, ref: str, learner: LearnerRequired) -> Response:
    """The credential as issued: JSON, or the compact JWT."""
    item = _held(get_pages(request).runtime, learner, ref)
    if item.document is None:
        raise PageNotFoundError("this credential has no document to download", found=ref[:40])
    if isinstance(item.document, str):
        body, media, suffix = item.document, "application/vc+jwt", "jwt"
    else:
        body = json.dumps(item.document, ensure_ascii=False, indent=2)
        media, suffix = "application/vc+ld+json", "json"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="credential-{item.id[:36]}.{suffix}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/wallet/credentials/{ref}/visibility")
async def set_visibility(
    request: Request, ref: str, learner: LearnerRow = LearnerFormCsrf
) -> Response:
    form = await request.form()
    choice = form_field(form, "public")
    if choice not in ("yes", "no"):
        raise InputError("no such choice", expected="yes or no", found=choice[:10])
    runtime = get_pages(request).runtime
    try:
        runtime.showcase.set_public(learner.id, ref, public=choice == "yes")
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    done = "public" if choice == "yes" else "private"
    return RedirectResponse(f"{item_path(ref)}?done={done}", 303)


@router.post("/wallet/credentials/{ref}/remove")
def remove_held(request: Request, ref: str, learner: LearnerRow = LearnerFormCsrf) -> Response:
    try:
        get_pages(request).runtime.wallet.remove(learner.id, ref)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    except ConflictError as error:
        return error_page(request, 409, error)
    return RedirectResponse(f"{WALLET}?done=removed", 303)


# ---- claiming from the private page ----------------------------------------------------------


@router.post("/wallet/claim")
async def claim(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    """The private page's "Add to my wallet" (the recipient's token proves the link)."""
    form = await request.form()
    credential_id, token = form_field(form, "credential_id"), form_field(form, "token")
    runtime = get_pages(request).runtime
    try:
        fresh = runtime.wallet.claim(learner.id, credential_id, token)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse(
        f"{item_path(credential_id)}?done={'claimed' if fresh else 'already'}", 303
    )


def claim_sign_in_path(credential_id: str, token: str | None) -> str:
    """Where a visitor who is not signed in goes to claim: sign in, then back to the private
    page (whose button then works)."""
    back = (
        f"/credentials/{quote(credential_id, safe='')}?{urlencode({LINK_PARAMETER: token or ''})}"
    )
    return f"/sign-in?{urlencode({'next': back})}"


# ---- importing -----------------------------------------------------------------------------------


@router.get("/wallet/import")
def import_form(request: Request, learner: LearnerRequired) -> Response:
    return render(request, "wallet/import.html", {"url": "", "text": ""})


@router.post("/wallet/import")
async def import_submit(request: Request, learner: LearnerRow = ImportCsrf) -> Response:
    form = await request.form()
    upload, url, text = form.get("file"), form_field(form, "url"), form_field(form, "text")
    data: bytes | None = None
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_IMPORT_BYTES + 1)
        elif text:
            data = text.encode("utf-8")
    finally:
        await form.close()
    runtime = get_pages(request).runtime
    policy = policy_for(request.app.state, runtime.settings)
    try:
        if data is not None:
            item = await run_in_threadpool(
                runtime.wallet.import_bytes,
                learner.id,
                data,
                source="upload",
                fetcher=policy.fetcher(),
            )
        elif url:
            item = await run_in_threadpool(
                runtime.wallet.import_url,
                learner.id,
                url,
                fetch_document=policy.fetcher(accept=ACCEPT),
                fetcher=policy.fetcher(),
            )
        else:
            return _import_problem(request, "empty", None, url, text, 422)
    except (UrlRefusedError, FetchError) as error:
        return _import_problem(request, "fetch", error, url, text, 422)
    except ConflictError as error:
        return _import_problem(request, "already", error, url, text, 409)
    except (InputError, NotFoundError) as error:
        return _import_problem(request, "not_credential", error, url, text, 422)
    return RedirectResponse(f"{item_path(item.id)}?done=imported", 303)


def _import_problem(
    request: Request,
    problem: str,
    error: MicrocredError | None,
    url: str,
    text: str,
    status_code: int,
) -> Response:
    context = {"problem": problem, "error": error, "url": url, "text": text[:20000]}
    return render(request, "wallet/import.html", context, status_code=status_code)


# ---- the expiry timeline -------------------------------------------------------------------------


@router.get("/wallet/timeline")
def timeline(request: Request, learner: LearnerRequired) -> Response:
    runtime = get_pages(request).runtime
    now = runtime.clock()
    items = runtime.wallet.timeline(learner.id)
    context = {
        "past": [i for i in items if i.valid_until is not None and i.valid_until <= now],
        "coming": [i for i in items if i.valid_until is not None and i.valid_until > now],
        "soon": now + EXPIRING_SOON,
    }
    return render(request, "wallet/timeline.html", context)


__all__ = ["claim_sign_in_path", "form_field", "item_path", "localised_checks", "router"]
