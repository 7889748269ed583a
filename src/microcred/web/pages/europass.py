"""Europass on the pages: the learner's wallet downloads a credential issued here as a sealed
European Digital Credential; the wallet and the console show the EU elements of either kind."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from microcred.accounts.actor import Actor
from microcred.errors import InputError, NotFoundError, PageNotFoundError
from microcred.europass.elements import edc_payload, eu_elements
from microcred.runtime import Runtime
from microcred.types import JsonObject
from microcred.wallet.service import WalletItem
from microcred.web.pages.core import SmallFormCsrf, error_page, get_pages, require
from microcred.web.pages.credential_view import CredentialView
from microcred.web.pages.learner_session import LearnerRequired

router = APIRouter(include_in_schema=False)
Owner = Annotated[Actor, Depends(require("owner"))]
EDC_MEDIA_TYPE = "application/json"


def edc_download(sealed: JsonObject, credential_id: str) -> Response:
    name = f"credential-{credential_id[:36]}.edc.json"
    return Response(
        json.dumps(sealed, ensure_ascii=False, indent=2),
        media_type=EDC_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def can_export(runtime: Runtime, item: WalletItem) -> bool:
    """A credential issued here whose issuer has the legal identifier an EDC needs."""
    if item.kind != "ours":
        return False
    try:
        row = runtime.credentials.get_public(item.id)
    except NotFoundError:
        return False
    return runtime.europass.legal_identifier(row.issuer_id) is not None


def our_eu_elements(view: CredentialView) -> dict[str, Any]:
    """Ours, as the public page lists them, with the credits in the same list."""
    if not view.eu:
        return {}
    eu = dict(view.eu)
    if view.credits is not None:
        credits = int(view.credits) if view.credits.is_integer() else view.credits
        eu["credits"] = str(credits)
    return eu


def held_eu_elements(item: WalletItem, language: str) -> dict[str, Any]:
    """An imported European Digital Credential's EU elements (ours come with the view)."""
    payload = edc_payload(item.document) if item.kind == "imported" else None
    return eu_elements(payload, language) if payload is not None else {}


@router.get("/wallet/credentials/{ref}/edc")
def wallet_edc(request: Request, ref: str, learner: LearnerRequired) -> Response:
    """The held credential (one issued here) as a sealed European Digital Credential."""
    runtime = get_pages(request).runtime
    try:
        item = runtime.wallet.get(learner.id, ref)
    except NotFoundError as error:
        raise PageNotFoundError("no such credential in your wallet", found=error.found) from error
    if item.kind != "ours":
        raise PageNotFoundError(
            "only a credential issued on this server can be exported as a European Digital "
            "Credential here",
            found=ref[:40],
        )
    try:
        sealed = runtime.europass.export_issued(item.id)
    except InputError as error:
        return error_page(request, 409, error)
    return edc_download(sealed, item.id)


def _field(form: object, name: str) -> str:
    value = getattr(form, "get", lambda _n: None)(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/console/europass/legal-identifier", dependencies=[SmallFormCsrf])
async def set_legal_identifier(request: Request, actor: Owner) -> Response:
    """An owner sets the legal identifier from a credential's page, and goes back to it."""
    form = await request.form()
    credential_id = _field(form, "credential_id")
    runtime = get_pages(request).runtime
    assert actor.issuer_id is not None  # staff belong to one issuer
    try:
        runtime.europass.set_legal_identifier(actor, actor.issuer_id, _field(form, "notation"))
    except InputError as error:
        return error_page(request, 422, error)
    back = quote(credential_id[:36], safe="")
    return RedirectResponse(f"/console/credentials/{back}?done=legal-id", 303)


__all__ = ["can_export", "edc_download", "held_eu_elements", "our_eu_elements", "router"]
