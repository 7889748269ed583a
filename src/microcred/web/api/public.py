"""What anyone may read: issuer profiles and DID documents, credentials, achievement images.

Public responses carry no recipient data beyond what the signed credential itself holds.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from microcred.achievements.images import default_badge_svg
from microcred.crypto.baking import bake_png, bake_svg, default_badge_png
from microcred.errors import NotFoundError, short
from microcred.model import OB_V3_CONTEXT, VC_V2_CONTEXT
from microcred.web.deps import RuntimeDep, get_runtime
from microcred.web.pages.achievement_page import achievement_page
from microcred.web.pages.issuer_page import issuer_page
from microcred.web.pages.public import credential_page, prefers_html

router = APIRouter(tags=["public"])

JSON_LD = "application/ld+json"
PUBLIC_CACHE = "public, max-age=300"


def _json(
    document: object, media_type: str = "application/json", cache: str = PUBLIC_CACHE
) -> Response:
    return Response(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        media_type=media_type,
        headers={"Cache-Control": cache, "Access-Control-Allow-Origin": "*"},
    )


@router.get("/issuers/{slug}")
def issuer_profile(slug: str, runtime: RuntimeDep, request: Request) -> Response:
    """The issuer's OB 3.0 Profile: what its did:web resolves to besides the DID document. A
    browser gets the issuer's page instead; ``?format=json`` asks for the JSON whatever the
    Accept header says."""
    if request.query_params.get("format") != "json" and prefers_html(request):
        return issuer_page(request, slug)
    issuer = runtime.issuers.by_slug(slug)
    profile = {
        "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
        **runtime.issuers.profile(issuer),
    }
    endorsements = runtime.endorsement_book.standing_documents("issuer", issuer.id)
    if endorsements:
        profile["endorsement"] = endorsements
    response = _json(profile, JSON_LD)
    response.headers["Vary"] = "Accept"
    return response


@router.get("/issuers/{slug}/did.json")
def issuer_did_document(slug: str, runtime: RuntimeDep) -> Response:
    return _json(runtime.issuers.did_document(slug), "application/did+ld+json")


@router.get("/issuers/{slug}/logo")
def issuer_logo(slug: str, runtime: RuntimeDep) -> Response:
    issuer = runtime.issuers.by_slug(slug)
    if not issuer.logo:
        raise NotFoundError("this issuer has no logo", found=short(slug))
    return _image(issuer.logo, issuer.logo_media_type or "application/octet-stream")


@router.get("/achievements/{achievement_id}")
def achievement(achievement_id: str, runtime: RuntimeDep, request: Request) -> Response:
    """The OB 3.0 Achievement; a browser gets its page instead (``?format=json`` asks for the
    JSON whatever the Accept header says)."""
    if request.query_params.get("format") != "json" and prefers_html(request):
        return achievement_page(request, achievement_id)
    row = runtime.achievements.get_public(achievement_id)
    document = runtime.achievements.to_json(row)
    endorsements = runtime.endorsement_book.standing_documents("achievement", row.id)
    if endorsements:
        document = {**document, "endorsement": endorsements}
    response = _json(document, JSON_LD)
    response.headers["Vary"] = "Accept"  # browsers get the page at the same address
    return response


@router.get("/achievements/{achievement_id}/image")
def achievement_image(achievement_id: str, runtime: RuntimeDep) -> Response:
    row = runtime.achievements.get_public(achievement_id)
    if row.image:
        return _image(row.image, row.image_media_type or "application/octet-stream")
    issuer = runtime.issuers.get_public(row.issuer_id)
    return _image(default_badge_svg(row.name, issuer.name), "image/svg+xml")


@router.get("/credentials/{credential_id}")
async def credential(credential_id: str, request: Request) -> Response:
    """The credential exactly as signed; a browser asking for HTML gets the credential page
    (async, and no dependencies to solve: a kept page is answered without a worker thread,
    see ``page_cache``)."""
    if prefers_html(request):
        return await credential_page(request, credential_id)
    runtime = get_runtime(request)
    row = await run_in_threadpool(runtime.credentials.get_public, credential_id)
    response = _json(row.document, "application/vc+ld+json", cache="no-cache")
    response.headers["Vary"] = "Accept"
    return response


@router.get("/credentials/{credential_id}/badge.png")
def credential_png(credential_id: str, runtime: RuntimeDep) -> Response:
    row = runtime.credentials.get_public(credential_id)
    image = None
    if row.achievement_id is not None:  # else issued through the VC-API: the default badge
        achievement_row = runtime.achievements.get_public(row.achievement_id)
        if achievement_row.image_media_type == "image/png":
            image = achievement_row.image
    baked = bake_png(image or default_badge_png(), _compact(row.document))
    return _download(baked, "image/png", f"{credential_id}.png")


@router.get("/credentials/{credential_id}/badge.svg")
def credential_svg(credential_id: str, runtime: RuntimeDep) -> Response:
    row = runtime.credentials.get_public(credential_id)
    if row.achievement_id is None:  # issued through the VC-API: the default badge
        issuer = runtime.issuers.get_public(row.issuer_id)
        image = default_badge_svg(str(row.document.get("name") or ""), issuer.name)
    else:
        achievement_row = runtime.achievements.get_public(row.achievement_id)
        if achievement_row.image_media_type == "image/svg+xml" and achievement_row.image:
            image = achievement_row.image
        else:
            issuer = runtime.issuers.get_public(row.issuer_id)
            image = default_badge_svg(achievement_row.name, issuer.name)
    baked = bake_svg(image, _compact(row.document))
    return _download(baked, "image/svg+xml", f"{credential_id}.svg")


def _compact(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _image(data: bytes, media_type: str) -> Response:
    headers = {"Cache-Control": PUBLIC_CACHE, "X-Content-Type-Options": "nosniff"}
    if media_type == "image/svg+xml":
        # An SVG opened directly must not run anything, even if sanitising missed something.
        headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
    return Response(data, media_type=media_type, headers=headers)


def _download(data: bytes, media_type: str, filename: str) -> Response:
    response = _image(data, media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-cache"
    return response
