"""STUB, to be replaced: reading the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microcred.runtime import Runtime


class AuditService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
