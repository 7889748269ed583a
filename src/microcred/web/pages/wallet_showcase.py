"""The wallet's showing pages (signed in): collections and the public profile's address."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from microcred.errors import ConflictError, InputError, NotFoundError, PageNotFoundError
from microcred.runtime import Runtime
from microcred.store.tables import LearnerRow
from microcred.web.pages.core import get_pages, render
from microcred.web.pages.learner_session import LearnerFormCsrf, LearnerRequired
from microcred.web.pages.wallet import WALLET, form_field, item_path

router = APIRouter(tags=["wallet"], include_in_schema=False)


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
            learner.id, form_field(form, "name"), form_field(form, "description")
        )
    except InputError:
        return _collections_page(request, learner, problem="name", status_code=422)
    except ConflictError:
        return _collections_page(request, learner, problem="too_many", status_code=409)
    ref = form_field(form, "ref")
    if ref:
        _add(runtime, learner, collection_id, ref)
        return RedirectResponse(f"{item_path(ref)}?done=collection", 303)
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
            name=form_field(form, "name"),
            description=form_field(form, "description"),
            public=form_field(form, "public") == "yes",
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
    ref = form_field(form, "ref")
    _add(get_pages(request).runtime, learner, collection_id, ref)
    return RedirectResponse(f"{item_path(ref)}?done=collection", 303)


@router.post("/wallet/collections/{collection_id}/remove")
async def remove_from_collection(
    request: Request, collection_id: str, learner: LearnerRow = LearnerFormCsrf
) -> Response:
    form = await request.form()
    try:
        get_pages(request).runtime.showcase.remove_from_collection(
            learner.id, collection_id, form_field(form, "ref")
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
        runtime.showcase.set_profile_slug(learner.id, form_field(form, "slug"))
    except (InputError, ConflictError) as error:
        problem = "slug_taken" if isinstance(error, ConflictError) else "slug"
        return render(
            request,
            "wallet/profile_problem.html",
            {"problem": problem, "slug": form_field(form, "slug")[:60]},
            status_code=409 if problem == "slug_taken" else 422,
        )
    return RedirectResponse(f"{WALLET}?done=profile", 303)


__all__ = ["router"]
