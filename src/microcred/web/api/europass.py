"""Europass: an issuer's legal identifier, and its credentials as sealed European Digital
Credentials."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from microcred.web.deps import ActorDep, RuntimeDep

router = APIRouter(prefix="/api/v1/issuers/{issuer_id}", tags=["europass"])


class LegalIdentifierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notation: str = Field(min_length=1, max_length=64)


@router.put("/europass/legal-identifier", status_code=204)
def put_legal_identifier(
    issuer_id: str, body: LegalIdentifierIn, actor: ActorDep, runtime: RuntimeDep
) -> None:
    """The legal (eIDAS) identifier the issuer's EDCs carry (owners only)."""
    runtime.europass.set_legal_identifier(actor, issuer_id, body.notation)


@router.get("/credentials/{credential_id}/edc")
def get_edc(
    issuer_id: str,
    credential_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    part: Annotated[list[str] | None, Query(max_length=50)] = None,
) -> dict[str, Any]:
    """The credential as an ELM v3 European Digital Credential, JAdES-sealed with the issuer's
    key; ``part`` (repeatable) names part credentials, exported as sub-achievements."""
    return runtime.europass.export(actor, issuer_id, credential_id, parts=part or [])
