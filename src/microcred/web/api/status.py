"""Published status lists: ``GET /status/{slug}/{purpose}/{seq}``, anyone may read them.

Caches may keep a response for what is left of the signature's freshness (see
:mod:`microcred.status.lists`); revalidation with ``If-None-Match`` is cheap.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Header, Path, Response

from microcred.web.deps import RuntimeDep

router = APIRouter(tags=["public"])

MEDIA_TYPE = "application/vc+ld+json"
MAX_SEQ = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL


@router.head("/status/{slug}/{purpose}/{seq}", include_in_schema=False)
@router.get("/status/{slug}/{purpose}/{seq}")
def status_list(
    slug: Annotated[str, Path(max_length=64)],
    purpose: Annotated[str, Path(max_length=32)],
    seq: Annotated[int, Path(ge=1, le=MAX_SEQ)],
    runtime: RuntimeDep,
    if_none_match: Annotated[str | None, Header(max_length=2000)] = None,
) -> Response:
    """The signed BitstringStatusListCredential."""
    published = runtime.status_lists.published(slug, purpose, seq)
    # Sorted keys: the same list gives the same bytes (and ETag) whether it was just signed or
    # read back from a PostgreSQL JSONB column, which does not keep key order.
    body = json.dumps(
        published.document, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": f"public, max-age={max(published.fresh_for, 0)}",
        "ETag": etag,
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "ETag",
    }
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


def _matches(header: str, etag: str) -> bool:
    """RFC 9110 If-None-Match: weak comparison, a list of tags, or ``*``."""
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags
