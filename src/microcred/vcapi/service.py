"""The W3C VC-API subset the W3C test suites drive: issue, verify a credential, verify a
presentation.

* Issue signs what it is given as the configured issuer (``settings.demo_issuer``), setting
  that issuer's DID where the credential names none: with ``eddsa-rdfc-2022`` (or its draft
  name ``eddsa-2022``), or ``eddsa-jcs-2022`` (``options.cryptosuite``), or as a VC-JWT
  (``options.format`` ``vc+jwt``, returned as an ``EnvelopedVerifiableCredential``).
  ``options.credentialStatus`` (``{type: BitstringStatusListEntry, statusPurpose: revocation
  | suspension | [both]}``) attaches a status entry at a fresh index of the issuer's lists,
  which this server serves.
  With ``settings.vcapi_did_key``, a credential whose issuer is the issuer's did:key is signed
  with that key instead (for verifiers that resolve did:key only; no status entry then).
  Numbers a verifier would read differently are refused (``crypto.numbers``). It is a signing
  oracle for that issuer, so it takes an API key of that issuer with the issuer role. What it
  signs is stored as the platform's own credentials are (a status index, an audit event, a
  transparency-log entry through the hooks), without an achievement, so the lifecycle
  (revoke, suspend) applies to it.
* Verify runs the platform's :class:`~microcred.verify.Verifier`: did:key is resolved locally,
  this server's did:web issuers from the store; nothing is fetched from the network.
* A presentation's embedded credentials are each verified; its own proof (purpose
  ``authentication``) is checked with the same Data Integrity code, against the options'
  challenge and domain, and against its ``holder``.

Results follow the VC-API shape ``{verified, checks, warnings, errors}``; ``results`` adds the
verifier's explained checks.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from microcred.accounts.actor import Actor
from microcred.audit.repository import record_audit
from microcred.crypto import proofs
from microcred.crypto.canon import Limits
from microcred.crypto.did import DidResolver
from microcred.crypto.numbers import check_round_trip
from microcred.crypto.statuslist import StatusPurpose, status_entry
from microcred.crypto.work import WorkBudget
from microcred.errors import (
    FetchError,
    InputError,
    MicrocredError,
    NotConfiguredError,
    PermissionDeniedError,
    short,
)
from microcred.issuing.repository import CredentialRepository
from microcred.signing import sign_credential
from microcred.status.allocation import allocate_indices
from microcred.store.db import transaction
from microcred.store.tables import CredentialRow, IssuerRow
from microcred.types import JsonObject
from microcred.vcapi.model import VC_V1, VC_V2, check_unsecured
from microcred.verify.checks import parse_time
from microcred.verify.holder_proof import check_holder_proof, enveloped_data, is_envelope
from microcred.verify.result import Status, VerificationResult
from microcred.verify.vc1 import validity_names

MAX_PRESENTATION_CREDENTIALS = 20
"""The most credentials one presentation may hold (each costs a canonicalization or more)."""

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session, sessionmaker

    from microcred.issuers.service import IssuerService
    from microcred.issuing.issuance import IssuanceHook
    from microcred.settings import Settings
    from microcred.urls import PublicUrls
    from microcred.verification.service import VerificationService

SUITE = "eddsa-rdfc-2022"
DI_SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "eddsa-2022")  # the last: a draft name
JWT_FORMATS = frozenset({"vc+jwt", "jwt", "vc-jwt", "jwt_vc_json"})
JWT_MEDIA_TYPES = frozenset({"application/vc+jwt"})
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
STATUS_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"
# Checks that always count toward the verdict; the others can be left out with options.checks.
CORE_CHECKS = frozenset({"input", "parse", "contexts", "proof", "issuer", "internal"})
# VC-API check names (and common spellings) -> the verifier's check names.
CHECK_ALIASES = {
    "proof": "proof",
    "status": "status",
    "credentialstatus": "status",
    "revocation": "status",
    "validity": "validity",
    "expiration": "validity",
    "validfrom": "validity",
    "validuntil": "validity",
}
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


@dataclass
class VcApiResult:
    """A VC-API verification result: which checks ran, what failed, what deserves a look."""

    verified: bool
    checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    results: list[JsonObject] = field(default_factory=list)
    credential_results: list[VcApiResult] | None = None
    presentation: JsonObject | None = None

    def to_json(self) -> JsonObject:
        body: JsonObject = {
            "verified": self.verified,
            "checks": self.checks,
            "warnings": self.warnings,
            "errors": self.errors,
            "results": self.results,
        }
        if self.credential_results is not None:
            body["credentialResults"] = [r.to_json() for r in self.credential_results]
        if self.presentation is not None:
            body["verifiablePresentation"] = self.presentation
        return body


class VcApiService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        issuers: IssuerService,
        verification: VerificationService,
        settings: Settings,
        hooks: Sequence[IssuanceHook] = (),
    ) -> None:
        """``settings``: ``demo_issuer`` names the issuer that signs VC-API requests, if any
        (read at each request). ``hooks`` add their work to the transaction that stores a
        signed credential (the transparency log), as for the platform's issuance."""
        self.hooks = list(hooks)
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.issuers = issuers
        self.verification = verification
        self.settings = settings

    # ---- issue ---------------------------------------------------------------------------

    def issuer(self) -> IssuerRow:
        """The configured signing issuer, or :class:`NotConfiguredError`."""
        slug = self.settings.demo_issuer
        if not slug:
            raise NotConfiguredError(
                "this server signs no VC-API requests: no issuer is configured",
                expected="MICROCRED_DEMO_ISSUER set to an issuer's slug",
                found="none",
            )
        try:
            return self.issuers.by_slug(slug)
        except MicrocredError as exc:
            raise NotConfiguredError(
                "the configured VC-API issuer does not exist",
                expected="MICROCRED_DEMO_ISSUER naming an existing issuer",
                found=short(slug),
            ) from exc

    def issue(
        self, actor: Actor, credential: Any, options: Mapping[str, Any]
    ) -> tuple[JsonObject, CredentialRow]:
        """The signed credential (a VC-JWT enveloped), and the row that stores it."""
        issuer = self.issuer()
        if actor.issuer_id is not None and actor.issuer_id != issuer.id:
            # The route is public knowledge, so another issuer's key gets 403, not 404.
            raise PermissionDeniedError(
                "this API key belongs to another issuer than the VC-API issuer",
                expected=f"an API key of {issuer.slug}",
                found=actor.name,
            )
        actor.require(issuer.id, "issuer")
        suite = _issue_suite(options)
        purposes = _status_purposes(options)
        document = check_unsecured(credential)
        check_round_trip(document)
        if purposes and "credentialStatus" in document:
            raise InputError(
                "the credential has a credentialStatus and the options ask for another",
                expected="options.credentialStatus or the credential's own, not both",
                found=short(document["credentialStatus"]),
            )
        as_did_key = self._as_did_key(document)
        if purposes and as_did_key:
            # A verifier takes a status list only from the credential's own issuer, and the
            # lists are the did:web issuer's.
            raise InputError(
                "a credential issued as a did:key cannot carry a status entry",
                expected="no options.credentialStatus with a did:key issuer",
                found=short(document.get("issuer")),
            )
        now = self.clock().replace(microsecond=0)
        # Every credential gets an index (as the platform's do): one the credential does not
        # name is never set (the lifecycle refuses to), and a bit nobody points at is harmless.
        with transaction(self.sessions) as session:
            [(seq, index)] = allocate_indices(
                session, issuer.id, 1, length=self.settings.status_list_length, now=now
            )
            key_file = (
                self.issuers.did_key_signing_key(session, issuer.id)
                if as_did_key
                else self.issuers.signing_key(session, issuer.id)
            )
        vc_1_1 = _first_context(document) == VC_V1
        if vc_1_1:
            # VC 1.1 requires issuanceDate, and its context does not define the proof's terms.
            document.setdefault("issuanceDate", proofs.xsd_datetime(now))
            if suite != "vc-jwt":
                _add_context(document, DATA_INTEGRITY_V2)
        if purposes:
            if vc_1_1:
                _add_context(document, STATUS_CONTEXT)
            document["credentialStatus"] = self._status_entries(issuer, purposes, seq, index)
        signed = sign_credential(document, key_file, suite=suite, created=now)
        stored = enveloped(signed) if isinstance(signed, str) else signed
        row = _credential_row(issuer.id, document, stored, suite, seq, index, now)
        with transaction(self.sessions) as session:
            CredentialRepository(session).insert_signed([row])
            record_audit(
                session,
                actor.name,
                "vcapi.issued",
                _credential_id(document, options) or self.urls.credential(row.id),
                issuer_id=issuer.id,
                at=now,
                details={"type": _types(document), "suite": suite, "stored": row.id},
            )
            for hook in self.hooks:
                hook.in_transaction(session, [row])
        for hook in self.hooks:
            hook.after_commit([row])
        return stored, row

    def _as_did_key(self, document: JsonObject) -> bool:
        """Whether to sign with the issuer's did:key key rather than its did:web one: when that
        is enabled (``settings.vcapi_did_key``) and the credential's issuer is a did:key (for
        the suites whose resolvers know did:key only). Signing refuses a did:key not its own."""
        named = document.get("issuer")
        named = named.get("id") if isinstance(named, Mapping) else named
        return (
            self.settings.vcapi_did_key and isinstance(named, str) and named.startswith("did:key:")
        )

    def _status_entries(
        self, issuer: IssuerRow, purposes: list[StatusPurpose], seq: int, index: int
    ) -> JsonObject | list[JsonObject]:
        """Entries at the credential's index of the issuer's lists (a list per purpose)."""
        entries = [
            status_entry(
                list_url=self.urls.status_list(issuer.slug, purpose, seq),
                index=index,
                purpose=purpose,
            )
            for purpose in purposes
        ]
        return entries[0] if len(entries) == 1 else entries

    # ---- verify --------------------------------------------------------------------------

    def verify_credential(
        self, credential: Any, options: Mapping[str, Any], *, budget: WorkBudget | None = None
    ) -> VcApiResult:
        """``budget``: the request's canonicalization work (one of its own without it); a
        credential refused for its cost raises :class:`WorkLimitError`."""
        optional = _requested_checks(options)
        data = _unwrap_credential(credential)
        budget = budget or WorkBudget()
        verification = self.verification
        result = verification.verifier(budget=budget).verify(data)
        budget.raise_refusal()
        return _to_vcapi(verification.counted(result), optional)

    def verify_presentation(
        self,
        presentation: Any,
        options: Mapping[str, Any],
        *,
        proofless: bool = False,
        budget: WorkBudget | None = None,
    ) -> VcApiResult:
        """Every credential held, and the holder's proof, within one ``budget``; at most
        :data:`MAX_PRESENTATION_CREDENTIALS` credentials."""
        if not isinstance(presentation, Mapping):
            raise InputError(
                "the presentation is not a JSON object",
                expected="a VerifiablePresentation object",
                found=type(presentation).__name__,
            )
        vp = dict(presentation)
        credentials = vp.get("verifiableCredential", [])
        embedded = credentials if isinstance(credentials, list) else [credentials]
        if len(embedded) > MAX_PRESENTATION_CREDENTIALS:
            raise InputError(
                "the presentation holds too many credentials",
                expected=f"at most {MAX_PRESENTATION_CREDENTIALS}",
                found=str(len(embedded)),
            )
        budget = budget or WorkBudget()
        result = VcApiResult(verified=False)
        if "VerifiablePresentation" not in _types(vp):
            result.errors.append(
                f"presentation: its type {short(vp.get('type'))} "
                "does not include VerifiablePresentation"
            )
        self._presentation_proof(vp, options, result, proofless=proofless, budget=budget)
        budget.raise_refusal()
        result.credential_results = [
            self.verify_credential(c, options, budget=budget) for c in embedded
        ]
        for index, outcome in enumerate(result.credential_results):
            if not outcome.verified:
                detail = "; ".join(outcome.errors) or "not verified"
                result.errors.append(f"verifiableCredential[{index}]: {detail}")
            result.warnings += [f"verifiableCredential[{index}]: {w}" for w in outcome.warnings]
        result.verified = not result.errors
        if options.get("returnPresentation") is True:
            result.presentation = vp
        return result

    def _presentation_proof(
        self,
        vp: JsonObject,
        options: Mapping[str, Any],
        result: VcApiResult,
        *,
        proofless: bool,
        budget: WorkBudget,
    ) -> None:
        challenge, domain = options.get("challenge"), options.get("domain")
        if "proof" not in vp:
            checks = options.get("checks")
            waived = proofless or (isinstance(checks, list) and "proof" not in checks)
            if waived and challenge is None and domain is None:
                result.warnings.append(
                    "presentation: it carries no proof, so its holder is not authenticated"
                )
            else:
                result.errors.append(
                    "presentation: it carries no proof"
                    + (" (a challenge or domain was given)" if challenge or domain else "")
                )
            return
        for name, value in (("challenge", challenge), ("domain", domain)):
            if value is not None and not isinstance(value, str):
                raise InputError(f"options.{name} must be a string", found=short(value))
        # The rules are the wallet's too (verify.holder_proof): one place for both.
        for check in check_holder_proof(
            vp,
            challenge=challenge,
            domain=domain,
            resolver=self._resolver(),
            limits=Limits(budget=budget),
        ):
            if check.status == Status.SKIPPED:
                continue
            result.checks.append(check.name)
            if check.status == Status.FAILED:
                named = "" if check.name == "proof" else f"{check.name}: "
                result.errors.append(f"presentation proof: {named}{check.message}")

    def _resolver(self) -> DidResolver:
        """did:key locally; this server's own did:web documents from the store; nothing else."""

        def own_documents(url: str) -> bytes:
            slug = self.urls.issuer_slug_of_did_document_url(url)
            if slug is not None:
                try:
                    return json.dumps(self.issuers.did_document(slug)).encode()
                except MicrocredError as exc:
                    raise FetchError("no such issuer on this server", found=slug) from exc
            raise FetchError("only this server's issuers are resolved (offline)", found=url)

        return DidResolver(fetcher=own_documents)


# ---- helpers -------------------------------------------------------------------------------


def _issue_suite(options: Mapping[str, Any]) -> str:
    """``eddsa-rdfc-2022`` (the default), ``eddsa-jcs-2022``, ``eddsa-2022`` (the draft name of
    eddsa-rdfc-2022) or ``vc-jwt``, from the options."""
    suite = options.get("cryptosuite")
    jwt = options.get("format") in JWT_FORMATS or options.get("mediaType") in JWT_MEDIA_TYPES
    if jwt:
        if suite is not None or options.get("type") is not None:
            raise InputError(
                "a VC-JWT has no Data Integrity proof: cryptosuite and type do not apply",
                expected="format vc+jwt alone, or a cryptosuite",
                found=f"cryptosuite {short(suite)}, type {short(options.get('type'))}",
            )
        return "vc-jwt"
    for name in ("format", "mediaType"):
        if options.get(name) is not None and options[name] not in ("ldp_vc", "application/vc"):
            raise InputError(
                f"unsupported options.{name}",
                expected="vc+jwt (or none: a Data Integrity proof)",
                found=short(options[name]),
            )
    if suite is not None and suite not in DI_SUITES:
        raise InputError(
            "unsupported cryptosuite", expected=" or ".join(DI_SUITES), found=short(suite)
        )
    proof_type = options.get("type")
    if proof_type is not None and proof_type != "DataIntegrityProof":
        raise InputError(
            "unsupported proof type", expected="DataIntegrityProof", found=short(proof_type)
        )
    return str(suite or SUITE)


def _status_purposes(options: Mapping[str, Any]) -> list[StatusPurpose]:
    """The purposes ``options.credentialStatus`` asks a status entry for (none: no entry)."""
    wanted = options.get("credentialStatus")
    if wanted is None:
        return []
    kind = wanted.get("type") if isinstance(wanted, Mapping) else None
    if kind != "BitstringStatusListEntry":
        raise InputError(
            "unsupported options.credentialStatus",
            expected="{type: BitstringStatusListEntry, statusPurpose: revocation|suspension}",
            found=short(wanted),
        )
    raw = wanted.get("statusPurpose", "revocation")
    purposes: list[StatusPurpose] = []
    for purpose in raw if isinstance(raw, list) else [raw]:
        if purpose not in ("revocation", "suspension") or purpose in purposes:
            raise InputError(
                "unsupported options.credentialStatus.statusPurpose",
                expected="revocation, suspension, or both as a list",
                found=short(raw),
            )
        purposes.append(purpose)
    if not purposes:
        raise InputError(
            "options.credentialStatus.statusPurpose is empty",
            expected="revocation, suspension, or both",
            found="[]",
        )
    return purposes


def _credential_row(
    issuer_id: str,
    document: Mapping[str, Any],
    stored: JsonObject,
    suite: str,
    seq: int,
    index: int,
    now: datetime,
) -> CredentialRow:
    """The credential as the platform stores its own: no achievement, no recipient to mail."""
    row_id = str(uuid.uuid4())
    start_name, end_name = validity_names(document)
    return CredentialRow(
        id=row_id,
        issuer_id=issuer_id,
        achievement_id=None,
        achievement_version=None,
        batch_id=None,
        idempotency_key=f"vcapi:{row_id}",
        recipient_name=None,
        recipient_email=None,
        recipient_did=None,
        state="active",
        status_list_seq=seq,
        status_index=index,
        issued_at=now,
        valid_from=_moment(document.get(start_name)) or now,
        valid_until=_moment(document.get(end_name)),
        suite=suite,
        document=stored,
    )


def _moment(value: Any) -> datetime | None:
    """A date-time the data model rules let through (checked before signing), else None."""
    try:
        return parse_time(value, "date") if value is not None else None
    except MicrocredError:
        return None


def enveloped(token: str) -> JsonObject:
    """A VC-JWT as VC 2.0 carries it in JSON: an ``EnvelopedVerifiableCredential``."""
    return {
        "@context": VC_V2,
        "id": f"data:application/vc+jwt,{token}",
        "type": "EnvelopedVerifiableCredential",
    }


def _add_context(document: JsonObject, url: str) -> None:
    context = document["@context"]
    context = context if isinstance(context, list) else [context]
    if url not in context:
        document["@context"] = [*context, url]


def _credential_id(signed: Mapping[str, Any], options: Mapping[str, Any]) -> str | None:
    value = signed.get("id") or options.get("credentialId")
    return value if isinstance(value, str) else None


def _first_context(document: Mapping[str, Any]) -> Any:
    context = document.get("@context")
    return context[0] if isinstance(context, list) and context else context


def _types(document: Mapping[str, Any]) -> list[str]:
    value = document.get("type", [])
    return [t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)]


def _requested_checks(options: Mapping[str, Any]) -> frozenset[str] | None:
    """The optional checks to count (None: all of them), from VC-API ``options.checks``."""
    checks = options.get("checks")
    if checks is None:
        return None
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        raise InputError(
            "options.checks must be a list of check names",
            expected="e.g. ['proof', 'credentialStatus']",
            found=short(checks),
        )
    return frozenset(CHECK_ALIASES.get(c.lower(), c.lower()) for c in checks)


def _unwrap_credential(credential: Any) -> Mapping[str, Any] | str:
    """A credential object, or the JWT inside an EnvelopedVerifiableCredential / given bare."""
    if isinstance(credential, str):
        return _compact_jws(credential)
    if not isinstance(credential, Mapping):
        raise InputError(
            "verifiableCredential is not a credential",
            expected="a JSON object (or a VC-JWT)",
            found=type(credential).__name__,
        )
    if is_envelope(credential):
        data = enveloped_data(credential)
        if data is not None:
            return _compact_jws(data)
        raise InputError(
            "unsupported enveloped credential",
            expected="id: data:application/vc+jwt,<JWT>",
            found=short(credential.get("id")),
        )
    return credential


def _compact_jws(text: str) -> str:
    # The verifier also reads JSON text, but a credential sent as a string must be a VC-JWT:
    # a JSON object in a string is not a map, and Data Integrity refuses it.
    if not COMPACT_JWS.fullmatch(text):
        raise InputError(
            "the credential is a string but not a VC-JWT",
            expected="a credential object, or a compact JWS (header.payload.signature)",
            found=short(text),
        )
    return text


def _to_vcapi(result: VerificationResult, optional: frozenset[str] | None) -> VcApiResult:
    out = VcApiResult(verified=False, results=[c.to_json() for c in result.checks])
    for check in result.checks:
        counted = check.name in CORE_CHECKS or optional is None or check.name in optional
        if check.status == Status.SKIPPED:
            continue
        if not counted:
            if check.status == Status.FAILED:
                out.warnings.append(f"{check.name} (not requested): {check.message}")
            continue
        out.checks.append(check.name)
        if check.status == Status.FAILED:
            out.errors.append(f"{check.name}: {check.message}")
        elif check.status == Status.WARNING:
            out.warnings.append(f"{check.name}: {check.message}")
    proof = result.check("proof")
    out.verified = (
        result.readable and proof is not None and proof.status == Status.PASSED and not out.errors
    )
    return out


__all__ = ["VcApiResult", "VcApiService"]
