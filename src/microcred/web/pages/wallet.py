"""The learner's wallet pages (signed in): what they hold, one credential's page with its
sharing panel, import, collections, the expiry timeline, a signed presentation, the PDF
record, and the claim button of a credential's private page.

Every route takes the signed-in learner and asks the services for that learner's rows only:
another learner's credential or collection is "not found", never "forbidden".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
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
from microcred.wallet.presentation import present
from microcred.wallet.record_pdf import RecordEntry, RecordLabels, render_record
from microcred.wallet.service import MAX_IMPORT_BYTES, WalletItem
from microcred.web.fetch import policy_for
from microcred.web.pages import i18n, links
from microcred.web.pages.core import error_page, get_pages, language_of, render
from microcred.web.pages.credential_view import CredentialView, build_view
from microcred.web.pages.extras import signature_snippet
from microcred.web.pages.learner_session import LearnerFormCsrf, LearnerRequired, learner_csrf

router = APIRouter(tags=["wallet"], include_in_schema=False)
WALLET = "/wallet"
PAGE_SIZE = 50
EXPIRING_SOON = timedelta(days=30)
# The import form carries one file of at most the wallet's limit, plus a few small fields.
ImportCsrf = learner_csrf(max_bytes=MAX_IMPORT_BYTES + 64 * 1024)
# A presentation form names up to a hundred credentials.
PresentCsrf = learner_csrf(max_fields=120)
ACCEPT = "application/vc+ld+json, application/ld+json, application/json;q=0.9, */*;q=0.1"
DONE = frozenset(
    {"imported", "claimed", "already", "removed", "public", "private", "collection", "profile"}
)


def _field(form: object, name: str) -> str:
    value = getattr(form, "get", lambda _n: None)(name)
    return value.strip() if isinstance(value, str) else ""


def _item_path(ref: str) -> str:
    return f"{WALLET}/credentials/{quote(ref, safe='')}"


# ---- the wallet --------------------------------------------------------------------------------


@router.get(WALLET)
def wallet_page(request: Request, learner: LearnerRequired) -> Response:
    runtime = get_pages(request).runtime
    try:
        page = max(int(request.query_params.get("page", "1")), 1)
    except ValueError:
        page = 1
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


def _our_view(runtime: Runtime, item: WalletItem) -> CredentialView:
    row = runtime.credentials.get_public(item.id)
    return build_view(runtime, row, show_name=row.name_public)


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
    view = _our_view(runtime, item) if item.kind == "ours" else None
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
    choice = _field(form, "public")
    if choice not in ("yes", "no"):
        raise InputError("no such choice", expected="yes or no", found=choice[:10])
    runtime = get_pages(request).runtime
    try:
        runtime.showcase.set_public(learner.id, ref, public=choice == "yes")
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    done = "public" if choice == "yes" else "private"
    return RedirectResponse(f"{_item_path(ref)}?done={done}", 303)


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
    credential_id, token = _field(form, "credential_id"), _field(form, "token")
    runtime = get_pages(request).runtime
    try:
        fresh = runtime.wallet.claim(learner.id, credential_id, token)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse(
        f"{_item_path(credential_id)}?done={'claimed' if fresh else 'already'}", 303
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
    upload, url, text = form.get("file"), _field(form, "url"), _field(form, "text")
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
    return RedirectResponse(f"{_item_path(item.id)}?done=imported", 303)


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


# ---- collections ---------------------------------------------------------------------------------


@router.get("/wallet/collections")
def collections_page(request: Request, learner: LearnerRequired) -> Response:
    return _collections_page(request, learner)


def _collections_page(
    request: Request, learner: LearnerRow, *, problem: str | None = None, status_code: int = 200
) -> Response:
    runtime = get_pages(request).runtime
    context = {"collections": runtime.showcase.collections(learner.id), "problem": problem}
    return render(request, "wallet/collections.html", context, status_code=status_code)


@router.post("/wallet/collections")
async def create_collection(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    form = await request.form()
    runtime = get_pages(request).runtime
    try:
        collection_id = runtime.showcase.create_collection(
            learner.id, _field(form, "name"), _field(form, "description")
        )
    except InputError:
        return _collections_page(request, learner, problem="name", status_code=422)
    except ConflictError:
        return _collections_page(request, learner, problem="too_many", status_code=409)
    ref = _field(form, "ref")
    if ref:
        _add(runtime, learner, collection_id, ref)
        return RedirectResponse(f"{_item_path(ref)}?done=collection", 303)
    return RedirectResponse(f"/wallet/collections/{collection_id}", 303)


def _add(runtime: Runtime, learner: LearnerRow, collection_id: str, ref: str) -> None:
    try:
        runtime.showcase.add_to_collection(learner.id, collection_id, ref)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error


@router.get("/wallet/collections/{collection_id}")
def collection_page(request: Request, collection_id: str, learner: LearnerRequired) -> Response:
    return _collection_page(request, learner, collection_id)


def _collection_page(
    request: Request,
    learner: LearnerRow,
    collection_id: str,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    runtime = get_pages(request).runtime
    try:
        collection, items = runtime.showcase.collection(learner.id, collection_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    public = runtime.showcase.public_refs(learner.id)
    slug = runtime.showcase.profile_slug(learner.id)
    context = {
        "collection": collection,
        "items": items,
        "public": public,
        "hidden": sum(1 for item in items if item.id not in public),
        "profile_url": runtime.urls.learner_profile(slug) if slug else None,
        "problem": problem,
    }
    return render(request, "wallet/collection.html", context, status_code=status_code)


@router.post("/wallet/collections/{collection_id}")
async def update_collection(
    request: Request, collection_id: str, learner: LearnerRow = LearnerFormCsrf
) -> Response:
    form = await request.form()
    runtime = get_pages(request).runtime
    try:
        runtime.showcase.update_collection(
            learner.id,
            collection_id,
            name=_field(form, "name"),
            description=_field(form, "description"),
            public=_field(form, "public") == "yes",
        )
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    except InputError:
        return _collection_page(request, learner, collection_id, problem="name", status_code=422)
    return RedirectResponse(f"/wallet/collections/{collection_id}", 303)


@router.post("/wallet/collections/{collection_id}/add")
async def add_to_collection(
    request: Request, collection_id: str, learner: LearnerRow = LearnerFormCsrf
) -> Response:
    form = await request.form()
    ref = _field(form, "ref")
    _add(get_pages(request).runtime, learner, collection_id, ref)
    return RedirectResponse(f"{_item_path(ref)}?done=collection", 303)


@router.post("/wallet/collections/{collection_id}/remove")
async def remove_from_collection(
    request: Request, collection_id: str, learner: LearnerRow = LearnerFormCsrf
) -> Response:
    form = await request.form()
    try:
        get_pages(request).runtime.showcase.remove_from_collection(
            learner.id, collection_id, _field(form, "ref")
        )
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse(f"/wallet/collections/{collection_id}", 303)


@router.post("/wallet/collections/{collection_id}/delete")
def delete_collection(
    request: Request, collection_id: str, learner: LearnerRow = LearnerFormCsrf
) -> Response:
    try:
        get_pages(request).runtime.showcase.delete_collection(learner.id, collection_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse("/wallet/collections", 303)


# ---- the public profile's address --------------------------------------------------------------


@router.post("/wallet/profile")
async def set_profile(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    form = await request.form()
    runtime = get_pages(request).runtime
    try:
        runtime.showcase.set_profile_slug(learner.id, _field(form, "slug"))
    except (InputError, ConflictError) as error:
        problem = "slug_taken" if isinstance(error, ConflictError) else "slug"
        return render(
            request,
            "wallet/profile_problem.html",
            {"problem": problem, "slug": _field(form, "slug")[:60]},
            status_code=409 if problem == "slug_taken" else 422,
        )
    return RedirectResponse(f"{WALLET}?done=profile", 303)


# ---- presenting and printing ---------------------------------------------------------------------


@router.get("/wallet/present")
def present_form(request: Request, learner: LearnerRequired) -> Response:
    runtime = get_pages(request).runtime
    items, total = runtime.wallet.list_credentials(learner.id, limit=100)
    context = {"items": [i for i in items if i.document is not None], "total": total}
    return render(request, "wallet/present.html", context)


@router.post("/wallet/present")
async def present_submit(request: Request, learner: LearnerRow = PresentCsrf) -> Response:
    """A Verifiable Presentation of the chosen credentials, signed with the learner's
    did:key (made on first use) and bound to the verifier's challenge and domain."""
    form = await request.form()
    refs = [r for r in form.getlist("ref") if isinstance(r, str)][:100]
    challenge, domain = _field(form, "challenge"), _field(form, "domain")
    runtime = get_pages(request).runtime
    held = runtime.wallet.get_many(learner.id, refs)
    chosen = [held[r].document for r in refs if r in held and held[r].document is not None]
    if not chosen:
        items, total = runtime.wallet.list_credentials(learner.id, limit=100)
        context = {"items": items, "total": total, "problem": "none"}
        return render(request, "wallet/present.html", context, status_code=422)
    runtime.learners.create_did(learner.id)
    key = runtime.learners.signing_key(learner.id)
    signed = present(
        [document for document in chosen if document is not None],
        key,
        challenge=challenge[:500] or None,
        domain=domain[:500] or None,
        clock=runtime.clock,
    )
    return Response(
        json.dumps(signed, ensure_ascii=False, indent=2),
        media_type="application/vp+ld+json",
        headers={
            "Content-Disposition": 'attachment; filename="presentation.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/wallet/record.pdf")
def record_pdf(request: Request, learner: LearnerRequired) -> Response:
    runtime = get_pages(request).runtime
    gettext = i18n.translations(language_of(request)).gettext
    items, _total = runtime.wallet.list_credentials(learner.id, limit=10_000)
    entries = [_record_entry(runtime, item, gettext) for item in items]
    name = learner.display_name or runtime.learners.account(learner.id).emails[0]
    pdf = render_record(
        entries,
        learner_name=name,
        generated=runtime.clock(),
        labels=RecordLabels().translated(gettext),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="learning-record.pdf"',
            "Cache-Control": "no-store",
        },
    )


_STATE_WORDS = {
    "active": "Valid",
    "expired": "Expired",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "unverified": "Not verified",
    "unconfirmed": "Issuer not confirmed",
}


def _record_entry(runtime: Runtime, item: WalletItem, gettext: Any) -> RecordEntry:
    document = item.document if isinstance(item.document, dict) else {}
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else {}
    credits = achievement.get("creditsAvailable")
    key = document.get("id")
    url = (
        runtime.urls.credential(item.id)
        if item.kind == "ours"
        else key
        if isinstance(key, str) and key.startswith(("https://", "http://"))
        else runtime.urls.wallet()
    )
    return RecordEntry(
        achievement=item.name or "",
        issuer=item.issuer_name or "",
        issued=item.added_at or runtime.clock(),
        state=gettext(_STATE_WORDS.get(item.state, item.state)),
        verification_url=url,
        valid=item.state == "active",
        valid_until=item.valid_until,
        ects=float(credits) if isinstance(credits, int | float) else None,
    )


__all__ = ["claim_sign_in_path", "router"]
