"""Pathways over JSON: define (an issuer's API key), approve (a co-issuer's), read (public),
a learner's progress (the issuer's key: its own learners' progress is an issuer's business),
and a micro-degree's CLR beside its credential."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from microcred.errors import InputError, NotFoundError
from microcred.pathways.service import check_email
from microcred.store.tables import EndorsementRow
from microcred.web.deps import ActorDep, RawBody, RuntimeDep, json_body

router = APIRouter(tags=["pathways"])


def _json(data: Any, media_type: str = "application/json", status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), media_type=media_type, status_code=status)


@router.get("/api/v1/pathways")
def list_pathways(runtime: RuntimeDep) -> Response:
    """Active pathways (public: a pathway is an offer to learners)."""
    views = runtime.pathways.all(state="active")
    return _json([view.to_json(runtime.urls, public=True) for view in views])


@router.get("/api/v1/pathways/{pathway_id}")
def get_pathway(pathway_id: str, runtime: RuntimeDep) -> Response:
    view = runtime.pathways.get(pathway_id)
    if view.row.state not in ("active", "archived"):
        raise NotFoundError("no such pathway", found=pathway_id)  # drafts are not public
    # An archived one is not listed, but awarded micro-degrees still point at it.
    return _json(view.to_json(runtime.urls, public=True))


@router.get("/api/v1/issuers/{issuer_id}/pathways")
def issuer_pathways(issuer_id: str, actor: ActorDep, runtime: RuntimeDep) -> Response:
    """Every pathway the issuer owns or co-issues, pending ones included."""
    actor.require(issuer_id, "viewer")
    return _json([view.to_json(runtime.urls) for view in runtime.pathways.all(issuer_id=issuer_id)])


@router.post("/api/v1/issuers/{issuer_id}/pathways", status_code=201)
def create_pathway(issuer_id: str, body: RawBody, actor: ActorDep, runtime: RuntimeDep) -> Response:
    """The body is the pathway definition (docs/design/pathways.md); a definition that cannot
    be saved is a 422 whose ``node`` and ``reason`` say where and why."""
    actor.require(issuer_id, "issuer")  # before reading the body: another's key learns nothing
    view = runtime.pathways.create(actor, issuer_id, json_body(body))
    return _json(view.to_json(runtime.urls), status=201)


@router.put("/api/v1/issuers/{issuer_id}/pathways/{pathway_id}")
def replace_pathway(
    issuer_id: str, pathway_id: str, body: RawBody, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    """The body is the whole new definition, checked as on create; saved as the next version
    (live at once without co-issuers, else once each co-issuer approved it)."""
    actor.require(issuer_id, "issuer")
    view = runtime.pathways.update(actor, pathway_id, json_body(body), issuer_id=issuer_id)
    return _json(view.to_json(runtime.urls))


@router.patch("/api/v1/issuers/{issuer_id}/pathways/{pathway_id}")
def patch_pathway(
    issuer_id: str, pathway_id: str, body: RawBody, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    """A JSON merge patch (RFC 7386) over the latest definition (a proposed change, if one
    waits, else the live one); the result is checked and saved as PUT does."""
    actor.require(issuer_id, "issuer")
    patch = json_body(body)
    if not isinstance(patch, dict):
        raise InputError(
            "a merge patch is a JSON object", expected="object", found=type(patch).__name__
        )
    view = runtime.pathways.get(pathway_id)
    base = view.proposed if view.proposed is not None else view.definition
    merged = merge_patch(base.to_json(), patch)
    view = runtime.pathways.update(actor, pathway_id, merged, issuer_id=issuer_id)
    return _json(view.to_json(runtime.urls))


@router.post("/api/v1/issuers/{issuer_id}/pathways/{pathway_id}/archive")
def archive_pathway(
    issuer_id: str, pathway_id: str, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    view = runtime.pathways.archive(actor, pathway_id, issuer_id=issuer_id)
    return _json(view.to_json(runtime.urls))


@router.post("/api/v1/issuers/{issuer_id}/pathways/{pathway_id}/unarchive")
def unarchive_pathway(
    issuer_id: str, pathway_id: str, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    view = runtime.pathways.unarchive(actor, pathway_id, issuer_id=issuer_id)
    return _json(view.to_json(runtime.urls))


@router.get("/api/v1/issuers/{issuer_id}/pathways/{pathway_id}/versions")
def pathway_versions(
    issuer_id: str, pathway_id: str, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    """Every definition the pathway has had, and a proposed one, for its issuers."""
    return _json(runtime.pathways.versions(actor, pathway_id, issuer_id))


@router.post("/api/v1/issuers/{issuer_id}/pathways/{pathway_id}/approval")
def approve_pathway(
    issuer_id: str, pathway_id: str, body: RawBody, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    """The co-issuer approves the version awaiting approval; body ``{"version": N}``
    (optional) refuses with 409 if that is not the one waiting."""
    actor.require(issuer_id, "issuer")
    data = json_body(body) if body.strip() else {}
    version = data.get("version") if isinstance(data, dict) else None
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise InputError("version must be a whole number", found=type(version).__name__)
    view = runtime.pathways.approve(actor, pathway_id, issuer_id, version=version)
    return _json(view.to_json(runtime.urls))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@router.get("/api/v1/issuers/{issuer_id}/pathways/{pathway_id}/progress")
def pathway_progress(
    issuer_id: str,
    pathway_id: str,
    email: Annotated[str, Query(max_length=320)],
    actor: ActorDep,
    runtime: RuntimeDep,
) -> Response:
    actor.require(issuer_id, "viewer")
    view = runtime.pathways.get(pathway_id)
    if issuer_id not in {i for i, _name, _at in view.issuers}:
        raise NotFoundError("no such pathway", found=pathway_id)
    (progress,) = runtime.pathways.progress(check_email(email), pathway_id=pathway_id)
    # Done or not for every part; which credential did it only for the pathway's issuers' own
    # (the rest of a learner's wallet is not an issuer's to read).
    dids = {
        runtime.urls.issuer_did(runtime.issuers.get_public(i).slug) for i, _n, _a in view.issuers
    }
    return _json(progress.to_json(runtime.urls, shown=lambda held: held.issuer in dids))


@router.post("/api/v1/issuers/{issuer_id}/pathways/{pathway_id}/endorsements", status_code=201)
def endorse_pathway(
    issuer_id: str, pathway_id: str, body: RawBody, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    """The issuer endorses the pathway: body ``{"comment": "..."}`` (optional); the answer is
    the signed EndorsementCredential."""
    actor.require(issuer_id, "issuer")
    data = json_body(body) if body.strip() else {}
    comment = data.get("comment") if isinstance(data, dict) else None
    if comment is not None and not isinstance(comment, str):
        raise InputError("comment must be text", found=type(comment).__name__)
    row = runtime.endorsements.endorse(actor, issuer_id, pathway_id, comment)
    return _json(row.document, "application/vc+ld+json", status=201)


@router.post("/api/v1/issuers/{issuer_id}/endorsements", status_code=201)
def endorse(issuer_id: str, body: RawBody, actor: ActorDep, runtime: RuntimeDep) -> Response:
    """The issuer endorses another issuer's achievement or another issuer: body
    ``{"achievement": ID}`` or ``{"issuer": ID}``, optional ``"comment"``; the answer is the
    signed EndorsementCredential."""
    actor.require(issuer_id, "issuer")
    data = json_body(body)
    if not isinstance(data, dict):
        raise InputError("the body must be a JSON object", found=type(data).__name__)
    named = [key for key in ("achievement", "issuer") if key in data]
    if len(named) != 1 or not isinstance(data[named[0]], str):
        raise InputError(
            "name what is endorsed",
            expected='exactly one of "achievement" or "issuer", an id',
            found=", ".join(sorted(data)) or "nothing",
        )
    comment = data.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise InputError("comment must be text", found=type(comment).__name__)
    row = runtime.endorsement_book.endorse(actor, issuer_id, named[0], data[named[0]], comment)
    return _json(row.document, "application/vc+ld+json", status=201)


@router.post("/api/v1/issuers/{issuer_id}/endorsements/external", status_code=201)
def submit_external_endorsement(
    issuer_id: str, body: RawBody, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    """The endorsed issuer submits an EndorsementCredential an external organisation signed
    (the body, as JSON); stored only once our verifier verified it."""
    row = runtime.endorsement_book.submit(actor, issuer_id, body)
    return _json(_endorsement_json(runtime.endorsement_book.url(row.id), row), status=201)


@router.post("/api/v1/issuers/{issuer_id}/endorsements/{endorsement_id}/check")
def recheck_endorsement(
    issuer_id: str, endorsement_id: str, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    """Verify an external endorsement of the issuer's again (its endorser may have withdrawn it).
    One this server signed (of an achievement, an issuer or a pathway) answers its standing as
    recorded: its withdrawal is recorded when it happens."""
    actor.require(issuer_id, "issuer")
    try:
        book = runtime.endorsement_book.get(endorsement_id)
    except NotFoundError:
        book = None
    if book is None or book.endorsed_issuer_id != issuer_id:
        # Not one of the book's for this issuer: one of its endorsements of a pathway, or none.
        own = runtime.endorsements.own(issuer_id, endorsement_id)
        return _json(
            {
                "id": own.id,
                "url": runtime.endorsements.url(own.pathway_id, own.id),
                "subjectType": "pathway",
                "subjectId": own.pathway_id,
                "state": "withdrawn" if own.withdrawn_at else "verified",
            }
        )
    row = runtime.endorsement_book.recheck(endorsement_id)
    return _json(_endorsement_json(runtime.endorsement_book.url(row.id), row))


@router.delete("/api/v1/issuers/{issuer_id}/endorsements/{endorsement_id}")
def withdraw_endorsement(
    issuer_id: str, endorsement_id: str, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    try:
        row = runtime.endorsements.withdraw(actor, issuer_id, endorsement_id)
    except NotFoundError:
        other = runtime.endorsement_book.withdraw(actor, issuer_id, endorsement_id)
        return _json({"id": other.document["id"], "withdrawn": True})
    return _json({"id": row.document["id"], "withdrawn": True})


@router.get("/endorsements/{endorsement_id}")
def any_endorsement(endorsement_id: str, runtime: RuntimeDep) -> Response:
    """An endorsement of an achievement or issuer as signed (ours), or as submitted (external)."""
    row = runtime.endorsement_book.get(endorsement_id)
    return _json(row.document, "application/vc+ld+json")


def _endorsement_json(url: str, row: EndorsementRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": url,
        "subjectType": row.subject_type,
        "subjectId": row.subject_id,
        "endorser": row.endorser,
        "state": row.state,
        "reason": row.reason,
        "checkedAt": row.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


@router.get("/pathways/{pathway_id}/endorsements/{endorsement_id}")
def endorsement(pathway_id: str, endorsement_id: str, runtime: RuntimeDep) -> Response:
    """An endorsement exactly as signed (withdrawn ones too: their status says so)."""
    row = runtime.endorsements.get(pathway_id, endorsement_id)
    return _json(row.document, "application/vc+ld+json")


@router.get("/credentials/{credential_id}/clr")
def credential_clr(credential_id: str, runtime: RuntimeDep) -> Response:
    """A micro-degree's CLR 2.0 record: its part credentials, verbatim, signed by its issuer."""
    runtime.credentials.get_public(credential_id)
    return _json(runtime.pathways.clr(credential_id), "application/vc+ld+json")
