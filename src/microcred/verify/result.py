"""The outcome of a verification: every check named, with a status and a plain-language message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from microcred.types import JsonObject
from microcred.verify import messages


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Check:
    """``message`` is English (API, CLI). ``template`` is the message with ``{name}`` fields
    before ``params`` went in: a page looks it up in its language's catalogue and fills it in
    (:meth:`localised`). Checks built from a plain message (no template) read the same
    everywhere."""

    name: str
    status: Status
    message: str
    template: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def said(cls, name: str, status: Status, template: str, **params: object) -> Check:
        values = {key: str(value) for key, value in params.items()}
        return cls(name, status, template.format(**values), template, tuple(values.items()))

    def localised(self, gettext: Callable[[str], str]) -> str:
        """The message in the catalogue's language; the English one if the translation is
        missing or broken (a wrong field name in a catalogue must not break the page)."""
        if self.template is None:
            return self.message
        params = dict(self.params)
        if "format" in params:  # what the input was: a name from messages.FORMAT_*
            params["format"] = messages.localised_format(params["format"], gettext)
        try:
            return gettext(self.template).format(**params)
        except (KeyError, IndexError, ValueError):
            return self.message

    def to_json(self) -> JsonObject:
        return {"name": self.name, "status": self.status.value, "message": self.message}

    def to_record(self) -> JsonObject:
        """:meth:`to_json` with the template and its values, for storage (a wallet keeps a
        result and shows it later in the reader's language)."""
        record = self.to_json()
        if self.template is not None:
            record["template"] = self.template
            record["params"] = dict(self.params)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Check:
        """A check read back from :meth:`to_record` (or :meth:`to_json`: then English only)."""
        params = record.get("params")
        template = record.get("template")
        try:
            status = Status(str(record.get("status")))
        except ValueError:
            status = Status.WARNING
        return cls(
            name=str(record.get("name") or ""),
            status=status,
            message=str(record.get("message") or ""),
            template=template if isinstance(template, str) else None,
            params=tuple((str(k), str(v)) for k, v in params.items())
            if isinstance(params, dict)
            else (),
        )


class Outcome(StrEnum):
    """The overall verdict. ``ISSUER_NOT_CONFIRMED``: the signature is valid and nothing
    failed, but the key came with the credential and its controller's document did not
    confirm it is the issuer's (offline, or unreachable): never reported as verified."""

    VERIFIED = "verified"
    ISSUER_NOT_CONFIRMED = "issuer-not-confirmed"
    NOT_VERIFIED = "not-verified"


@dataclass(frozen=True)
class VerificationResult:
    """``verified`` is true only when no check failed, the proof check passed, and the issuer
    check did not end unconfirmed (see :attr:`outcome`).

    ``readable`` is false when the input could not be read at all (not JSON, not a badge image),
    which the CLI reports with its own exit code.
    """

    checks: tuple[Check, ...]
    format: str | None = None
    credential: JsonObject | None = None
    readable: bool = True
    summary: dict[str, Any] = field(default_factory=dict)
    parts: tuple[PartResult, ...] = ()
    """Credentials inside this one (a CLR's, endorsements), each verified on its own; a check
    of this result (``credentials``, ``endorsements``) says how they count toward its verdict."""

    @property
    def verified(self) -> bool:
        return self.outcome == Outcome.VERIFIED

    @property
    def outcome(self) -> Outcome:
        statuses = {c.name: c.status for c in self.checks}
        sound = (
            self.readable
            and statuses.get("proof") == Status.PASSED
            and all(c.status != Status.FAILED for c in self.checks)
        )
        if not sound:
            return Outcome.NOT_VERIFIED
        unconfirmed_part = any(
            p.role == "credential" and p.result.outcome == Outcome.ISSUER_NOT_CONFIRMED
            for p in self.parts
        )
        if statuses.get("issuer") == Status.WARNING or unconfirmed_part:
            return Outcome.ISSUER_NOT_CONFIRMED
        return Outcome.VERIFIED

    @property
    def verdict(self) -> str:
        """The outcome in English words, as the CLI and API state it."""
        return {
            Outcome.VERIFIED: messages.VERDICT_OK,
            Outcome.ISSUER_NOT_CONFIRMED: messages.VERDICT_UNCONFIRMED,
            Outcome.NOT_VERIFIED: messages.VERDICT_BAD,
        }[self.outcome]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> JsonObject:
        body: JsonObject = {
            "verified": self.verified,
            "outcome": self.outcome.value,
            "verdict": self.verdict,
            "format": self.format,
            "summary": self.summary,
            "checks": [c.to_json() for c in self.checks],
        }
        if self.parts:
            body["parts"] = [part.to_json() for part in self.parts]
        return body

    def to_record(self) -> JsonObject:
        """:meth:`to_json` with each check's template, for storage (see :meth:`Check.to_record`)."""
        record = {**self.to_json(), "checks": [c.to_record() for c in self.checks]}
        if self.parts:
            record["parts"] = [part.to_record() for part in self.parts]
        return record


@dataclass(frozen=True)
class PartResult:
    """A credential found inside another, with its own result.

    ``role`` is ``credential`` (one of a CLR's) or ``endorsement``; ``path`` says where it sits
    in the outer credential, e.g. ``credentialSubject.verifiableCredential[0]``."""

    role: str
    path: str
    result: VerificationResult

    def to_json(self) -> JsonObject:
        return {"role": self.role, "path": self.path, **self.result.to_json()}

    def to_record(self) -> JsonObject:
        return {"role": self.role, "path": self.path, **self.result.to_record()}


def unreadable(template: str, **params: object) -> VerificationResult:
    """A result for input that could not be read at all: one failed ``input`` check."""
    return VerificationResult(
        (Check.said("input", Status.FAILED, template, **params),), readable=False
    )
