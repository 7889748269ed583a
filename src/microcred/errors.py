"""The exceptions microcred raises.

Every error derives from :class:`MicrocredError`, whose ``diagnostics()`` explains what was
expected and what was found. Foreign exceptions (cryptography, pyoxigraph, json) never escape a
public function: they are re-raised as one of these, chained with ``raise ... from``.

    MicrocredError
    ├── InputError            input that cannot be read at all (not JSON, not a PNG, ...)
    │   └── ModelError        well-formed input that breaks the data model (names the field)
    ├── ContextError          a JSON-LD context the bundle does not hold, or a bad @context
    ├── CanonicalizationError RDF conversion or canonicalization failed or exceeded a limit
    ├── KeyResolutionError             a key or DID that cannot be decoded or resolved
    ├── ProofError            a proof that cannot be created or does not verify
    ├── StatusListError       a malformed status list or status entry
    ├── BakingError           an image that cannot be baked or unbaked
    ├── NotFoundError         no such thing, or not one the caller may see
    ├── ConflictError         the request clashes with the current state
    ├── PermissionDeniedError the caller may see it but not do this
    └── NotConfiguredError    the server is not set up for this (no signing issuer, ...)

Every class has a stable machine ``code`` that the HTTP API returns beside the message.
"""

from __future__ import annotations


class MicrocredError(Exception):
    """Root of every microcred error."""

    code = "error"

    def __init__(self, message: str, *, expected: str | None = None, found: str | None = None):
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.found = found

    def diagnostics(self) -> str:
        """A multi-line explanation fit for a person: the message, then expected and found."""
        lines = [self.message]
        if self.expected is not None:
            lines.append(f"expected: {self.expected}")
        if self.found is not None:
            lines.append(f"found: {self.found}")
        return "\n".join(lines)

    def __str__(self) -> str:
        parts = [self.message]
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        if self.found is not None:
            parts.append(f"found {self.found}")
        return "; ".join(parts)


class InputError(MicrocredError):
    """Input that cannot be read: not JSON, not an image, too large."""

    code = "invalid_input"


class ModelError(InputError):
    """Input that is readable but breaks the data model. ``field`` is a dotted path."""

    code = "invalid_model"

    def __init__(
        self,
        message: str,
        *,
        field: str,
        expected: str | None = None,
        found: str | None = None,
    ):
        super().__init__(f"{field}: {message}", expected=expected, found=found)
        self.field = field


class ContextError(MicrocredError):
    """A JSON-LD context that is not bundled, or an @context of the wrong shape."""

    code = "unknown_context"


class CanonicalizationError(MicrocredError):
    """JSON-LD to RDF conversion or RDFC-1.0 canonicalization failed or hit a work limit."""

    code = "canonicalization_failed"


class KeyResolutionError(MicrocredError):
    """A key, multikey or DID that cannot be decoded or resolved."""

    code = "key_resolution_failed"


class ProofError(MicrocredError):
    """A proof that cannot be created, or that does not verify."""

    code = "invalid_proof"


class StatusListError(MicrocredError):
    """A malformed bitstring status list, status list credential or status entry."""

    code = "invalid_status_list"


class BakingError(MicrocredError):
    """An image that cannot be baked or unbaked."""

    code = "baking_failed"


class NotFoundError(MicrocredError):
    """No such thing, or one that belongs to another issuer (the two are not told apart)."""

    code = "not_found"


class ConflictError(MicrocredError):
    """The request clashes with the current state (a duplicate, a revoked credential, ...)."""

    code = "conflict"


class PermissionDeniedError(MicrocredError):
    """The caller is known but may not do this."""

    code = "permission_denied"


class NotConfiguredError(MicrocredError):
    """The server is not set up for this request (for example no VC-API signing issuer)."""

    code = "not_configured"


def short(value: object, limit: int = 60) -> str:
    """A printable, bounded rendering of a found value for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
