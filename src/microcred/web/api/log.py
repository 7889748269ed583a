"""The transparency log, public: checkpoints, inclusion and consistency proofs, the server's DID
document with the log key, and a credential's offline proof bundle. Hashes are base64."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from microcred.transparency.service import checkpoint_json
from microcred.web.deps import RuntimeDep

router = APIRouter(tags=["transparency log"])

# Checkpoints and proofs for a fixed size never change; the latest checkpoint does, and so,
# with the witness on, does a checkpoint until it is anchored (its anchor is added to it).
IMMUTABLE = "public, max-age=31536000, immutable"
UNTIL_ANCHORED = "public, max-age=300"
FRESH = "no-cache"
MAX_SIZE = 2**63 - 1
Size = Annotated[int, Path(ge=0, le=MAX_SIZE)]


def _json(document: object, cache: str, media_type: str = "application/json") -> Response:
    return Response(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        media_type=media_type,
        headers={"Cache-Control": cache, "Access-Control-Allow-Origin": "*"},
    )


def _b64(values: list[bytes]) -> list[str]:
    return [base64.b64encode(v).decode("ascii") for v in values]


@router.get("/log/checkpoint")
def latest_checkpoint(runtime: RuntimeDep) -> Response:
    """The newest signed checkpoint (tree size, root hash, time, the signed note, and its
    anchor on a chain if it has one)."""
    service = runtime.transparency
    body = checkpoint_json(service.latest_checkpoint(), service.origin)
    return _json({**body, "logKey": service.verifier_keys()[0]}, FRESH)


@router.get("/log/checkpoint/{size}")
def checkpoint_by_size(size: Size, runtime: RuntimeDep) -> Response:
    service = runtime.transparency
    body = checkpoint_json(service.checkpoint(size), service.origin)
    waiting = runtime.settings.anchor_enabled and body["anchor"] is None
    return _json(body, UNTIL_ANCHORED if waiting else IMMUTABLE)


@router.get("/log/inclusion")
def inclusion(
    runtime: RuntimeDep,
    credential: Annotated[str, Query(min_length=1, max_length=2000)],
    size: Annotated[int | None, Query(ge=1, le=MAX_SIZE)] = None,
) -> Response:
    """Inclusion of a credential's issuance entry under a checkpoint (default: the latest)."""
    proof = runtime.transparency.inclusion(credential, size)
    body = {
        "credentialId": proof.credential_url,
        "leafIndex": proof.leaf_index,
        "treeSize": proof.checkpoint.size,
        "rootHash": base64.b64encode(proof.checkpoint.root_hash).decode("ascii"),
        "inclusionProof": _b64(proof.proof),
        "checkpoint": proof.checkpoint.note,
    }
    return _json(body, FRESH if size is None else IMMUTABLE)


@router.get("/log/consistency")
def consistency(
    runtime: RuntimeDep,
    first: Annotated[int, Query(ge=1, le=MAX_SIZE)],
    second: Annotated[int, Query(ge=1, le=MAX_SIZE)],
) -> Response:
    proof = runtime.transparency.consistency(first, second)
    return _json({"first": first, "second": second, "consistencyProof": _b64(proof)}, IMMUTABLE)


@router.get("/.well-known/did.json")
def server_did_document(runtime: RuntimeDep) -> Response:
    """The server's own did:web document: the log keys and where the log lives."""
    return _json(runtime.transparency.did_document(), FRESH, "application/did+ld+json")


@router.get("/credentials/{credential_id}/log-bundle")
def log_bundle(credential_id: str, runtime: RuntimeDep) -> Response:
    """A proof bundle to keep beside an exported credential: offline proof of its issuance."""
    return _json(runtime.transparency.bundle(credential_id), FRESH)
