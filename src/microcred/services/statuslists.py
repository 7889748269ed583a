"""STUB, to be replaced: signed BitstringStatusListCredentials, published by the server.

Contract: ``signed_list(slug, purpose, seq) -> JsonObject`` returns the current signed list
credential (raises NotFoundError for an unknown list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from microcred.errors import NotFoundError
from microcred.types import JsonObject

if TYPE_CHECKING:
    from microcred.runtime import Runtime


class StatusListService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def signed_list(self, slug: str, purpose: str, seq: int) -> JsonObject:
        raise NotFoundError("status lists are not published yet", found=f"{slug}/{purpose}/{seq}")
