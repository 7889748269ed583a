"""An issuer's audit log (viewer role): issuance, key rotation, settings and API key changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from microcred.web.deps import ActorDep, Offset, RuntimeDep
from microcred.web.schemas import Schema

router = APIRouter(prefix="/api/v1/issuers/{issuer_id}/audit", tags=["audit"])


class AuditEventOut(Schema):
    id: int
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]
    at: datetime


class AuditPageOut(Schema):
    items: list[AuditEventOut]
    total: int
    offset: int
    limit: int


@router.get("", response_model=AuditPageOut)
def list_audit_events(
    issuer_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    action: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPageOut:
    """Newest first. ``action`` filters by name, e.g. ``credential.issued``, ``key.rotated``,
    ``settings.changed``, ``apikey.created``, ``apikey.revoked``, ``vcapi.issued``."""
    page = runtime.audit.list(actor, issuer_id, action=action, offset=offset, limit=limit)
    return AuditPageOut(
        items=[
            AuditEventOut(
                id=e.id,
                actor=e.actor,
                action=e.action,
                subject=e.subject,
                details=e.details,
                at=e.at,
            )
            for e in page.events
        ],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )
