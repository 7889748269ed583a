"""The exceptions microcred raises.

Every error derives from :class:`MicrocredError`, whose ``diagnostics()`` explains what was
expected and what was found. Foreign exceptions (cryptography, pyoxigraph, json) never escape a
public function: they are re-raised as one of these, chained with ``raise ... from``.

    MicrocredError
    ├── InputError               input that cannot be read at all (not JSON, not a PNG, ...)
    │   ├── ModelError           well-formed input that breaks the data model (names the field)
    │   ├── FormTooLargeError    an HTML form past its size limit
    │   ├── NoQrCodeError        a picture with no QR code that decodes
    │   ├── BundleError          a log proof bundle that does not fit the format
    │   ├── PathwayError         a pathway definition that cannot be saved (names the node)
    │   └── GoalError            a career goal the matcher cannot read (empty, too long, script)
    ├── ContextError             a JSON-LD context the bundle does not hold, or a bad @context
    ├── CanonicalizationError    RDF conversion or canonicalization failed or exceeded a limit
    │   └── WorkLimitError       a graph refused for the work it would cost (hostile input)
    ├── KeyResolutionError       a key or DID that cannot be decoded or resolved
    ├── ProofError               a proof that cannot be created or does not verify
    ├── StatusListError          a malformed status list or status entry
    ├── BakingError              an image that cannot be baked or unbaked
    ├── SealingError             a sealed secret that cannot be opened (wrong master secret)
    ├── FetchError               a URL that could not be fetched (offline, too large, timeout)
    │   ├── UrlRefusedError      a URL the server will not go to (scheme, private address)
    │   └── UnreachableError     a host that did not answer (no such name, refused, timed out)
    ├── MailError                a message that was not delivered (``temporary`` or not)
    ├── LogProofError            a Merkle proof that does not verify, or cannot exist
    │   ├── CheckpointError      a checkpoint that is garbage, of another log, or unsigned
    │   ├── AnchorError          an anchor that does not commit to its checkpoint
    │   └── AuditError           two checkpoints that are not one append-only log
    ├── LogStoreError            a log store missing a node, or an append that lost a race
    │   └── RecheckError         a stored log that is not what its entries hash to
    ├── ChainUnavailableError    the chain holding an anchor cannot be asked
    ├── NotFoundError            no such thing, or not one the caller may see
    │   └── PageNotFoundError    the same, on an HTML page
    ├── ConflictError            the request clashes with the current state
    │   └── EmailInUseError      an address another learner has verified
    ├── PermissionDeniedError    the caller may see it but not do this
    │   ├── PageForbiddenError   a console page the signed-in role may not open
    │   └── CsrfError            a form without a valid anti-forgery token
    ├── UnauthenticatedError     an API call without a valid API key
    ├── SignInRequiredError      a page that needs a signed-in user
    │   ├── LearnerSignInRequiredError  a learner's page, and no learner signed in
    │   └── EmployerSignInRequiredError  an employer's console page, and no employer signed in
    ├── SignInError              wrong e-mail or password (not told apart)
    │   └── AccountLockedError   too many failed sign-ins; ``until`` says when to retry
    ├── RateLimitedError         too many requests of one kind; ``retry_after`` in seconds
    ├── LinkInvalidError         an e-mailed link that is unknown, used, expired or for another use
    ├── NotConfiguredError       the server is not set up for this (no signing issuer, ...)
    ├── Oid4vciError             an OpenID4VCI request refused; ``error`` is the OAuth error code
    ├── OAuthRefusedError        an OAuth authorization request that cannot go back to its client
    ├── ObApiError               an Open Badges API call refused; ``minor`` is the imsx code
    ├── LtiError                 an LTI login or launch refused (token, nonce, deployment)
    └── SignedStatementError     an xAPI signature, attachment hash or part refused (400)

Every class has a stable machine ``code`` that the HTTP API returns beside the message.
"""

from __future__ import annotations

from datetime import datetime


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


class PathwayError(InputError):
    """A pathway's requirement tree that cannot be saved: ``node`` is the id of the node at
    fault (``definition`` for the whole), ``reason`` a stable word (cycle, unsatisfiable,
    unknown_part, duplicate_part, invalid)."""

    code = "invalid_pathway"

    def __init__(
        self,
        message: str,
        *,
        node: str,
        reason: str,
        expected: str | None = None,
        found: str | None = None,
    ):
        super().__init__(f"node {node!r}: {message}", expected=expected, found=found)
        self.node = node
        self.reason = reason


class GoalError(InputError):
    """A career goal the matcher cannot read: empty, too long, or in a script it does not handle."""

    code = "invalid_goal"


class ContextError(MicrocredError):
    """A JSON-LD context that is not bundled, or an @context of the wrong shape."""

    code = "unknown_context"


class CanonicalizationError(MicrocredError):
    """JSON-LD to RDF conversion or RDFC-1.0 canonicalization failed or hit a work limit."""

    code = "canonicalization_failed"


class WorkLimitError(CanonicalizationError):
    """A graph refused for the work canonicalizing it would cost (blank nodes built to make
    RDFC-1.0 explode), or because the request or the server spent its budget for such work."""

    code = "work_limit"


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


class Oid4vciError(MicrocredError):
    """An OpenID for Verifiable Credential Issuance request refused. ``error`` is the code the
    protocol names (``invalid_grant``, ``invalid_token``, ``invalid_proof``, ``invalid_nonce``,
    ...); the wallet gets it in OAuth's error body, never in ours."""

    code = "openid_issuance_refused"

    def __init__(
        self, error: str, message: str, *, expected: str | None = None, found: str | None = None
    ) -> None:
        super().__init__(message, expected=expected, found=found)
        self.error = error


class FormTooLargeError(InputError):
    code = "form_too_large"


class NoQrCodeError(InputError):
    """The picture was read, but holds no QR code that could be decoded."""

    code = "no_qr_code"


class BundleError(InputError):
    """A proof bundle that does not fit the format. ``template`` and ``params`` are its
    message before filling in, so a page can show the failed check in its language."""

    code = "invalid_log_bundle"

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = {key: str(value) for key, value in params.items()}
        super().__init__(template.format(**self.params))


class SealingError(MicrocredError):
    """A sealed secret that cannot be opened: wrong master secret, wrong owner or corrupted."""

    code = "sealing_failed"


class FetchError(MicrocredError):
    """A URL could not be fetched (offline, refused, too large, timed out)."""

    code = "fetch_failed"


class UrlRefusedError(FetchError):
    """The URL points somewhere the server will not go (scheme, credentials, address)."""

    code = "url_refused"


class UnreachableError(FetchError):
    """The host did not answer: its name does not resolve, it refused the connection, or it
    took too long. What it would have served could not be checked (not: it was wrong)."""

    code = "unreachable"


class MailError(MicrocredError):
    """A message was not delivered. ``temporary`` says whether trying again may help."""

    code = "mail_failed"

    def __init__(
        self,
        message: str,
        *,
        temporary: bool,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        super().__init__(message, expected=expected, found=found)
        self.temporary = temporary


class LogProofError(MicrocredError):
    """A Merkle proof that does not verify, or arguments for which no proof exists.

    A log verifier never returns ``False``: it returns ``None`` or raises one of these."""

    code = "invalid_log_proof"


class CheckpointError(LogProofError):
    """A checkpoint that is garbage, comes from another log, or carries no valid signature."""

    code = "invalid_checkpoint"


class AnchorError(LogProofError):
    """An anchor record that is malformed, or whose transaction commits to something else."""

    code = "invalid_anchor"


class AuditError(LogProofError):
    """The two checkpoints do not describe one append-only log."""

    code = "log_audit_failed"


class LogStoreError(MicrocredError):
    """A log store that is missing a node, or an append that lost a race with another writer."""

    code = "log_store_failed"


class RecheckError(LogStoreError):
    """The stored log is not what its entries hash to."""

    code = "log_recheck_failed"


class ChainUnavailableError(MicrocredError):
    """The chain could not be asked about an anchor (no network, RPC error, timeout): never a
    failure of the log, whose verification does not depend on the chain."""

    code = "chain_unavailable"


class PageNotFoundError(NotFoundError):
    """A missing thing on an HTML page (rendered as a page, not as JSON)."""

    code = "page_not_found"


class PageForbiddenError(PermissionDeniedError):
    """A signed-in user without the role a console page needs."""

    code = "page_forbidden"


class CsrfError(PermissionDeniedError):
    code = "csrf_failed"


class UnauthenticatedError(MicrocredError):
    """An API call without a valid API key."""

    code = "unauthenticated"


class SignInRequiredError(MicrocredError):
    code = "sign_in_required"


class SignInError(MicrocredError):
    """Wrong e-mail or password (deliberately not told apart)."""

    code = "sign_in_failed"


class AccountLockedError(SignInError):
    code = "account_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__("too many failed sign-ins; try again later", found=until.isoformat())
        self.until = until


# ---- learners (microcred.learners) -------------------------------------------------------------


class LearnerSignInRequiredError(SignInRequiredError):
    """A learner's page opened by someone not signed in as a learner (pages send them to
    ``/sign-in``)."""

    code = "learner_sign_in_required"


class EmployerSignInRequiredError(SignInRequiredError):
    """An employer's console page opened without an employer's session (pages send them to
    ``/employers/sign-in``)."""

    code = "employer_sign_in_required"


class RateLimitedError(MicrocredError):
    """Too many requests of one kind (sign-in links for an address, from a client).
    ``retry_after`` is the number of seconds until the next one is accepted."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, expected: str | None = None) -> None:
        super().__init__(message, expected=expected, found=f"retry in {retry_after} s")
        self.retry_after = retry_after


class LinkInvalidError(MicrocredError):
    """An e-mailed link that is unknown, already used, expired or meant for another use (the
    cases are not told apart: a guesser learns nothing)."""

    code = "link_invalid"


class EmailInUseError(ConflictError):
    """An address another learner has verified (nothing more about that account is said)."""

    code = "email_in_use"


# ---- the Open Badges 3.0 API and its OAuth 2.0 server (microcred.obapi) -----------------------


class OAuthRefusedError(MicrocredError):
    """An OAuth 2.0 authorization request that cannot go back to the client (unknown client,
    a redirect URI it did not register): the learner is told, nothing is redirected.
    ``error`` is the OAuth error code."""

    code = "oauth_refused"

    def __init__(
        self, error: str, message: str, *, expected: str | None = None, found: str | None = None
    ) -> None:
        super().__init__(message, expected=expected, found=found)
        self.error = error


class ObApiError(MicrocredError):
    """An Open Badges API call refused. ``minor`` is the spec's ``imsx_codeMinorFieldValue``
    (``unauthorizedrequest``, ``forbidden``, ``invalid_data``, ...); the client gets an
    ``Imsx_StatusInfo`` body, never ours."""

    code = "obapi_refused"

    def __init__(
        self, minor: str, message: str, *, expected: str | None = None, found: str | None = None
    ) -> None:
        super().__init__(message, expected=expected, found=found)
        self.minor = minor


def short(value: object, limit: int = 60) -> str:
    """A printable, bounded rendering of a found value for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class LtiError(MicrocredError):
    """An LTI 1.3 login or launch refused: an id_token that is forged, expired, replayed or
    for another tool, an unknown platform or deployment, an unsupported message."""

    code = "lti_refused"


class SignedStatementError(MicrocredError):
    """An xAPI multipart body, attachment or statement signature an LRS must refuse (400, as
    xAPI says): a bad signature, a payload that differs, a hash mismatch, a missing part.
    ``field`` names the statement property or part at fault."""

    code = "invalid_signed_statement"

    def __init__(
        self, message: str, *, field: str, expected: str | None = None, found: str | None = None
    ):
        super().__init__(f"{field}: {message}", expected=expected, found=found)
        self.field = field
