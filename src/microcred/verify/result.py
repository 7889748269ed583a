"""The outcome of a verification: every check named, with a status and a plain-language message."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from microcred.types import JsonObject


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str

    def to_json(self) -> JsonObject:
        return {"name": self.name, "status": self.status.value, "message": self.message}


@dataclass(frozen=True)
class VerificationResult:
    """``verified`` is true only when no check failed and the proof check passed.

    ``readable`` is false when the input could not be read at all (not JSON, not a badge image),
    which the CLI reports with its own exit code.
    """

    checks: tuple[Check, ...]
    format: str | None = None
    credential: JsonObject | None = None
    readable: bool = True
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        statuses = {c.name: c.status for c in self.checks}
        return (
            self.readable
            and statuses.get("proof") == Status.PASSED
            and all(c.status != Status.FAILED for c in self.checks)
        )

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> JsonObject:
        return {
            "verified": self.verified,
            "format": self.format,
            "summary": self.summary,
            "checks": [c.to_json() for c in self.checks],
        }
