"""Revoking, suspending and reinstating an issuer's credentials."""

from __future__ import annotations

from fastapi import APIRouter

from microcred.web.convert import credential_out
from microcred.web.deps import ActorDep, RuntimeDep
from microcred.web.schemas import Body, CredentialOut

router = APIRouter(
    prefix="/api/v1/issuers/{issuer_id}/credentials/{credential_id}", tags=["lifecycle"]
)


class ReasonIn(Body):
    """Why: required (1-500 characters) to revoke or suspend, optional to reinstate."""

    reason: str | None = None


@router.post("/revoke", response_model=CredentialOut)
def revoke(
    issuer_id: str,
    credential_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    body: ReasonIn | None = None,
) -> CredentialOut:
    """Revoke for good: the revocation list says so from now on (409 if already revoked)."""
    reason = body.reason if body else None
    return credential_out(
        runtime, runtime.lifecycle.revoke(actor, issuer_id, credential_id, reason)
    )


@router.post("/suspend", response_model=CredentialOut)
def suspend(
    issuer_id: str,
    credential_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    body: ReasonIn | None = None,
) -> CredentialOut:
    """Suspend an active credential until it is reinstated (409 unless active)."""
    reason = body.reason if body else None
    return credential_out(
        runtime, runtime.lifecycle.suspend(actor, issuer_id, credential_id, reason)
    )


@router.post("/reinstate", response_model=CredentialOut)
def reinstate(
    issuer_id: str,
    credential_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    body: ReasonIn | None = None,
) -> CredentialOut:
    """Lift a suspension (409 unless suspended; a revoked credential stays revoked)."""
    reason = body.reason if body else None
    return credential_out(
        runtime, runtime.lifecycle.reinstate(actor, issuer_id, credential_id, reason)
    )
