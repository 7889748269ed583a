"""Issuing and listing an issuer's credentials."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from microcred.issuing.issuance import IssueRequest
from microcred.issuing.repository import CredentialFilter
from microcred.web.convert import credential_out
from microcred.web.deps import ActorDep, Offset, RuntimeDep
from microcred.web.schemas import CredentialOut, CredentialPage, IssueIn, UtcMoment

router = APIRouter(prefix="/api/v1/issuers/{issuer_id}/credentials", tags=["credentials"])


@router.post("", response_model=CredentialOut, status_code=201)
def issue_credential(
    issuer_id: str,
    body: IssueIn,
    actor: ActorDep,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CredentialOut:
    """Issue one credential. An ``Idempotency-Key`` header (or ``idempotencyKey``) makes a
    retry return the credential the first call issued, with status 200 instead of 201."""
    key = body.idempotency_key or idempotency_key
    request = IssueRequest(
        achievement_id=body.achievement_id,
        email=body.recipient.email,
        did=body.recipient.did,
        name=body.recipient.name,
        idempotency_key=key,
        valid_from=body.valid_from,
        narrative=body.narrative,
        grade=body.grade,
        evidence_url=body.evidence_url,
    )
    ((row, created),) = runtime.issuance.issue_reporting(actor, issuer_id, [request])
    if not created:
        response.status_code = 200
    return credential_out(runtime, row)


@router.get("", response_model=CredentialPage)
def list_credentials(
    issuer_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    achievement: str | None = None,
    state: Annotated[str | None, Query(pattern="^(active|revoked|suspended)$")] = None,
    batch: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    issued_after: Annotated[UtcMoment | None, Query(alias="issuedAfter")] = None,
    issued_before: Annotated[UtcMoment | None, Query(alias="issuedBefore")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CredentialPage:
    where = CredentialFilter(
        achievement_id=achievement,
        state=state,
        batch_id=batch,
        search=q,
        issued_after=issued_after,
        issued_before=issued_before,
    )
    rows, total = runtime.credentials.list(actor, issuer_id, where, offset=offset, limit=limit)
    return CredentialPage(
        items=[credential_out(runtime, r) for r in rows], total=total, offset=offset, limit=limit
    )


@router.get("/{credential_id}", response_model=CredentialOut)
def get_credential(
    issuer_id: str, credential_id: str, actor: ActorDep, runtime: RuntimeDep
) -> CredentialOut:
    return credential_out(runtime, runtime.credentials.get(actor, issuer_id, credential_id))
