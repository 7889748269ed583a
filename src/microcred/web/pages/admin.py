"""Console administration: API keys (owner) and the audit log (viewer and up), with paging."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from microcred.accounts.actor import ROLES, Actor
from microcred.errors import InputError, MicrocredError, NotFoundError, PageNotFoundError
from microcred.web.pages.core import SmallFormCsrf, get_pages, render, require

router = APIRouter(prefix="/console", include_in_schema=False)

Viewer = Annotated[Actor, Depends(require("viewer"))]
Owner = Annotated[Actor, Depends(require("owner"))]
PAGE_SIZE = 50
MAX_KEY_NAME = 200


@router.get("/api-keys")
def api_keys(request: Request, actor: Owner) -> Response:
    return _keys_page(request, actor, {"done": request.query_params.get("done")})


@router.post("/api-keys", dependencies=[SmallFormCsrf])
async def create_key(request: Request, actor: Owner) -> Response:
    form = await request.form()
    name = str(form.get("name") or "").strip()
    role = str(form.get("role") or "issuer")
    runtime = get_pages(request).runtime
    try:
        if not name or len(name) > MAX_KEY_NAME:
            raise InputError(
                "give the key a name", expected=f"1 to {MAX_KEY_NAME} characters", found=name[:40]
            )
        row, token = runtime.issuers.create_api_key(actor, _issuer(actor), name, role)  # type: ignore[arg-type]  # checked by the service
    except MicrocredError as error:
        return _keys_page(request, actor, {"error": error, "name": name}, 422)
    # Rendered, not redirected: the token exists only in this response (no-store) and is never
    # stored in clear, so it cannot be shown again.
    return _keys_page(request, actor, {"new_key": row, "token": token}, 201)


@router.post("/api-keys/{key_id}/revoke", dependencies=[SmallFormCsrf])
def revoke_key(request: Request, key_id: str, actor: Owner) -> Response:
    try:
        get_pages(request).runtime.issuers.revoke_api_key(actor, _issuer(actor), key_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse("/console/api-keys?done=revoked", 303)


def _keys_page(
    request: Request, actor: Actor, context: dict[str, Any], status_code: int = 200
) -> Response:
    keys = get_pages(request).runtime.issuers.list_api_keys(actor, _issuer(actor))
    keys.sort(key=lambda k: (k.revoked_at is not None, k.created_at), reverse=False)
    response = render(
        request,
        "console/api_keys.html",
        {"keys": keys, "roles": ROLES, **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/audit")
def audit_log(request: Request, actor: Viewer) -> Response:
    page = _page_number(request.query_params.get("page"))
    action = (request.query_params.get("action") or "").strip()[:64] or None
    audit = get_pages(request).runtime.audit
    result = audit.list(
        actor, _issuer(actor), action=action, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    pages = max(1, -(-result.total // PAGE_SIZE))
    return render(
        request,
        "console/audit.html",
        {
            "events": result.events,
            "names": audit.names(actor, _issuer(actor), result.events),
            "total": result.total,
            "page": page,
            "pages": pages,
            "action": action or "",
        },
    )


def _page_number(text: str | None) -> int:
    return (
        int(text) if text and text.isascii() and text.isdigit() and 0 < int(text) < 1_000_000 else 1
    )


def _issuer(actor: Actor) -> str:
    assert actor.issuer_id is not None  # staff always belong to one issuer
    return actor.issuer_id
