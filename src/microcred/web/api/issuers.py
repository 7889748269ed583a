"""The issuer's own organisation, its signing key and its API keys."""

from __future__ import annotations

from fastapi import APIRouter

from microcred.web.convert import api_key_out, issuer_out
from microcred.web.deps import ActorDep, RawBody, RuntimeDep
from microcred.web.schemas import ApiKeyIn, ApiKeyOut, IssuerOut, IssuerPatch

router = APIRouter(prefix="/api/v1/issuers/{issuer_id}", tags=["issuers"])


@router.get("", response_model=IssuerOut)
def get_issuer(issuer_id: str, actor: ActorDep, runtime: RuntimeDep) -> IssuerOut:
    return issuer_out(runtime, runtime.issuers.get(actor, issuer_id))


@router.patch("", response_model=IssuerOut)
def patch_issuer(
    issuer_id: str, body: IssuerPatch, actor: ActorDep, runtime: RuntimeDep
) -> IssuerOut:
    changes = body.model_dump(exclude_unset=True, by_alias=False)
    return issuer_out(runtime, runtime.issuers.update(actor, issuer_id, changes))


@router.put("/logo", status_code=204)
def put_logo(
    issuer_id: str,
    image: RawBody,
    actor: ActorDep,
    runtime: RuntimeDep,
) -> None:
    runtime.issuers.set_logo(actor, issuer_id, image)


@router.post("/keys/rotate")
def rotate_key(issuer_id: str, actor: ActorDep, runtime: RuntimeDep) -> dict[str, str]:
    return {"verificationMethod": runtime.issuers.rotate_key(actor, issuer_id)}


@router.get("/api-keys", response_model=list[ApiKeyOut])
def list_api_keys(issuer_id: str, actor: ActorDep, runtime: RuntimeDep) -> list[ApiKeyOut]:
    return [api_key_out(k) for k in runtime.issuers.list_api_keys(actor, issuer_id)]


@router.post("/api-keys", response_model=ApiKeyOut, status_code=201)
def create_api_key(
    issuer_id: str, body: ApiKeyIn, actor: ActorDep, runtime: RuntimeDep
) -> ApiKeyOut:
    row, token = runtime.issuers.create_api_key(actor, issuer_id, body.name, body.role)
    return api_key_out(row, token)


@router.delete("/api-keys/{key_id}", status_code=204)
def revoke_api_key(issuer_id: str, key_id: str, actor: ActorDep, runtime: RuntimeDep) -> None:
    runtime.issuers.revoke_api_key(actor, issuer_id, key_id)
