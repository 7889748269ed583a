"""STUB, to be replaced: revoke, suspend, reinstate, expiry."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microcred.runtime import Runtime


class LifecycleService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
