"""A learner's public profile: ``/learners/<slug>`` lists only what the learner made public,
and each imported credential they show has its own page and embeddable card there (credentials
issued here link to their issuer's public page instead)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from microcred.errors import NotFoundError, PageNotFoundError
from microcred.wallet.service import WalletItem
from microcred.wallet.showcase import PublicProfile
from microcred.web.pages.core import get_pages, render
from microcred.web.pages.security import EMBED_CSP
from microcred.web.pages.wallet import localised_checks

router = APIRouter(tags=["profile"], include_in_schema=False)


def _profile(request: Request, slug: str) -> PublicProfile:
    try:
        return get_pages(request).runtime.showcase.public_profile(slug)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error


def _public_item(request: Request, slug: str, ref: str) -> tuple[PublicProfile, WalletItem]:
    try:
        return get_pages(request).runtime.showcase.public_item(slug, ref)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error


def _link(request: Request, profile: PublicProfile, item: WalletItem) -> str:
    urls = get_pages(request).runtime.urls
    if item.kind == "ours":
        return urls.credential(item.id)
    return urls.learner_public_credential(profile.slug, item.id)


@router.get("/learners/{slug}")
def profile_page(request: Request, slug: str) -> Response:
    profile = _profile(request, slug)
    context = {
        "profile": profile,
        "link": {item.id: _link(request, profile, item) for item in profile.items},
        "url": get_pages(request).runtime.urls.learner_profile(profile.slug),
    }
    return render(request, "profile/profile.html", context)


@router.get("/learners/{slug}/credentials/{ref}")
def public_credential(request: Request, slug: str, ref: str) -> Response:
    profile, item = _public_item(request, slug, ref)
    context = {
        "profile": profile,
        "item": item,
        "checks": localised_checks(request, item) if item.kind == "imported" else [],
        "link": _link(request, profile, item),
        "profile_url": get_pages(request).runtime.urls.learner_profile(profile.slug),
    }
    return render(request, "profile/credential.html", context)


@router.get("/learners/{slug}/credentials/{ref}/embed")
def public_embed(request: Request, slug: str, ref: str) -> Response:
    profile, item = _public_item(request, slug, ref)
    response = render(
        request, "profile/embed.html", {"item": item, "link": _link(request, profile, item)}
    )
    response.headers["Content-Security-Policy"] = EMBED_CSP
    return response


__all__ = ["router"]
