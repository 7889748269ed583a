"""STUB, to be replaced: a Verifier that knows this server's issuers and status lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from microcred.verify import Verifier

if TYPE_CHECKING:
    from microcred.runtime import Runtime


class VerificationService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def verifier(self) -> Verifier:
        return Verifier()
