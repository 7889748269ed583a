"""Verifiable Presentations: a learner shows chosen credentials, signed with their own key.

A presentation (W3C VC Data Model 2.0, section 4.13) wraps credentials exactly as they were
issued: a Data Integrity secured credential is embedded as it is, a VC-JWT travels as an
``EnvelopedVerifiableCredential`` whose ``id`` is a ``data:application/vc+jwt,`` URL. The holder
(the learner's DID) signs the whole presentation with a Data Integrity proof, ``eddsa-rdfc-2022``,
purpose ``authentication``; a verifier's ``challenge`` and ``domain`` go into that proof, so the
presentation cannot be replayed to another verifier or at another time.

Verifying goes the other way, each step a named check (see :class:`PresentationResult`):

  presentation  the document is a VerifiablePresentation with the VC 2.0 context and a holder
  proof         the holder's proof verifies (purpose authentication; did:key resolved locally)
  challenge     the proof carries exactly the challenge the verifier issued
  domain        the proof is bound to the domain the verifier expected
  holder        the proof's key is controlled by the presentation's holder
  credentials   every embedded credential passes the platform's :class:`Verifier`

The proof, challenge, domain and holder checks are :mod:`microcred.verify.holder_proof`'s,
shared with the VC-API's ``/presentations/verify``. Pure functions: documents and keys in,
documents and results out; no database, no network (the verifier and resolver passed in decide
what may be fetched).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microcred.crypto import jose, multibase, proofs
from microcred.crypto.canon import DEFAULT_LIMITS, Limits
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import KeyFile
from microcred.errors import InputError, MicrocredError, ProofError, short
from microcred.types import JsonObject
from microcred.verify.holder_proof import (
    ENVELOPED,
    VC_JWT_DATA_URL,
    check_holder_proof,
    enveloped_data,
    holder_id,
    is_envelope,
)
from microcred.verify.result import Check, Status, VerificationResult
from microcred.verify.verifier import Verifier

VC_V2 = "https://www.w3.org/ns/credentials/v2"
SUITE: proofs.Cryptosuite = "eddsa-rdfc-2022"
JCS_SUITE: proofs.Cryptosuite = "eddsa-jcs-2022"
PURPOSE = "authentication"
MAX_CREDENTIALS = 100  # a presentation is signed and verified in one request
CHECK_NAMES = ("presentation", "proof", "challenge", "domain", "holder", "credentials")

Credential = Mapping[str, Any] | str
"""A credential as issued: a secured JSON-LD document, or a compact VC-JWT."""


# ---- building and signing ------------------------------------------------------------------


def enveloped(token: str) -> JsonObject:
    """A VC-JWT as an ``EnvelopedVerifiableCredential`` (VC 2.0 section 4.13.1)."""
    token = token.strip()
    if not jose.looks_like_jwt(token):
        raise InputError(
            "the credential is a string but not a VC-JWT",
            expected="a compact JWS (header.payload.signature)",
            found=short(token),
        )
    # A list, though VC 2.0 also allows the bare string: the reference reads only lists here.
    return {"@context": [VC_V2], "id": VC_JWT_DATA_URL + token, "type": ENVELOPED}


def build_presentation(
    credentials: Sequence[Credential], *, holder: str, presentation_id: str | None = None
) -> JsonObject:
    """An unsigned presentation of ``credentials`` by ``holder`` (a DID)."""
    if not isinstance(holder, str) or not holder.startswith("did:"):
        raise InputError("the holder is not a DID", expected="did:...", found=short(holder))
    if isinstance(credentials, str | bytes | Mapping):
        raise InputError(
            "credentials must be a list",
            expected="a list of credentials",
            found=type(credentials).__name__,
        )
    if not 1 <= len(credentials) <= MAX_CREDENTIALS:
        raise InputError(
            "a presentation holds at least one credential, and at most a hundred",
            expected=f"1 to {MAX_CREDENTIALS} credentials",
            found=f"{len(credentials)} credentials",
        )
    presentation: JsonObject = {"@context": [VC_V2], "type": ["VerifiablePresentation"]}
    if presentation_id is not None:
        presentation["id"] = presentation_id
    presentation["holder"] = holder
    presentation["verifiableCredential"] = [
        _embeddable(credential, index) for index, credential in enumerate(credentials)
    ]
    return presentation


def sign_presentation(
    presentation: Mapping[str, Any],
    key: KeyFile,
    *,
    challenge: str | None,
    domain: str | None,
    created: datetime | None = None,
    clock: proofs.Clock = proofs.utc_now,
    suite: proofs.Cryptosuite = SUITE,
) -> JsonObject:
    """A copy of ``presentation`` with the holder's ``authentication`` proof.

    ``challenge`` and ``domain`` are the verifier's; pass None only where the verifier gave
    none (a presentation without a challenge can be replayed by anyone who sees it).
    ``suite``: ``eddsa-jcs-2022`` where a browser checks the proof itself (JSON in canonical
    order, no RDF), whose proof carries the presentation's ``@context``.
    """
    if suite not in (SUITE, JCS_SUITE):
        raise ProofError(
            "presentations are signed with EdDSA", expected=f"{SUITE} or {JCS_SUITE}", found=suite
        )
    holder = holder_id(presentation.get("holder"))
    if holder != key.controller:
        raise ProofError(
            "the signing key is not the holder's",
            expected=f"a key of the holder {short(holder)}",
            found=key.controller,
        )
    if key.key.algorithm != "Ed25519":
        raise ProofError(
            f"{suite} signs with Ed25519", expected="an Ed25519 key", found=key.key.algorithm
        )
    if "proof" in presentation:
        raise ProofError(
            "the presentation already has a proof", expected="an unsigned presentation"
        )
    proof: JsonObject = {
        "type": "DataIntegrityProof",
        "cryptosuite": suite,
        "created": proofs.xsd_datetime(created or clock()),
        "verificationMethod": key.verification_method,
        "proofPurpose": PURPOSE,
    }
    for name, value in (("challenge", challenge), ("domain", domain)):
        if value is None:
            continue
        if not isinstance(value, str) or not value:
            raise InputError(f"the {name} is not a string", found=short(value))
        proof[name] = value
    if suite == JCS_SUITE:
        proof["@context"] = presentation.get("@context")
    # The proof options (challenge, domain) are part of the signed proof configuration, which
    # proofs.sign does not take: hash with its code, then sign as it does.
    data = proofs._hash_data(presentation, proof, suite, limits=None)
    proof["proofValue"] = multibase.encode_b58btc(key.key.sign(data))
    return {**presentation, "proof": proof}


def present(
    credentials: Sequence[Credential],
    key: KeyFile,
    *,
    challenge: str | None,
    domain: str | None,
    presentation_id: str | None = None,
    created: datetime | None = None,
    clock: proofs.Clock = proofs.utc_now,
    suite: proofs.Cryptosuite = SUITE,
) -> JsonObject:
    """Build and sign in one step: the holder is the key's controller (the learner's DID)."""
    unsigned = build_presentation(
        credentials, holder=key.controller, presentation_id=presentation_id
    )
    return sign_presentation(
        unsigned, key, challenge=challenge, domain=domain, created=created, clock=clock, suite=suite
    )


# ---- verifying -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PresentationResult:
    """``verified`` only when no check failed and the holder's proof passed.

    ``checks`` are the presentation's own (names in :data:`CHECK_NAMES`); ``credentials`` holds
    the verifier's result for each embedded credential, in order.
    """

    checks: tuple[Check, ...]
    credentials: tuple[VerificationResult, ...] = ()
    holder: str | None = None

    @property
    def verified(self) -> bool:
        statuses = {c.name: c.status for c in self.checks}
        return statuses.get("proof") == Status.PASSED and all(
            c.status != Status.FAILED for c in self.checks
        )

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def failures(self) -> tuple[str, ...]:
        """``name: message`` for each failed check, e.g. ``challenge: ...``."""
        return tuple(f"{c.name}: {c.message}" for c in self.checks if c.status == Status.FAILED)

    def raise_for_failure(self) -> None:
        """Raise :class:`ProofError` naming every failed check, unless verified."""
        if not self.verified:
            raise ProofError(
                "the presentation does not verify",
                expected="every check passed",
                found="; ".join(self.failures) or "no proof check",
            )

    def to_json(self) -> JsonObject:
        return {
            "verified": self.verified,
            "holder": self.holder,
            "checks": [c.to_json() for c in self.checks],
            "credentials": [r.to_json() for r in self.credentials],
        }


def verify_presentation(
    presentation: Any,
    *,
    challenge: str | None,
    domain: str | None,
    verifier: Verifier,
    resolver: DidResolver | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> PresentationResult:
    """Check the holder's proof, the verifier's challenge and domain, and every credential.

    ``challenge``/``domain`` are what this verifier expects (None: not checked, and the check
    is reported as skipped). ``verifier`` verifies the embedded credentials (its resolver,
    status lists and fetcher apply); ``resolver`` resolves the holder's key (default: did:key
    only, offline). Never raises on hostile input: every failure is a check.
    """
    if not isinstance(presentation, Mapping):
        shape = Check("presentation", Status.FAILED, _not_a_presentation(presentation))
        return PresentationResult((shape,))
    vp = dict(presentation)
    holder = holder_id(vp.get("holder"))
    checks = [_shape_check(vp, holder)]
    checks += check_holder_proof(
        vp,
        challenge=challenge,
        domain=domain,
        resolver=resolver or DidResolver(),
        suite=SUITE,
        limits=limits,
    )
    results = tuple(verifier.verify(c) for c in _credentials_to_verify(vp, checks))
    if not any(c.name == "credentials" for c in checks):
        checks.append(_credentials_check(results))
    return PresentationResult(tuple(checks), results, holder)


# ---- the checks ----------------------------------------------------------------------------


def _shape_check(vp: Mapping[str, Any], holder: str | None) -> Check:
    problems = []
    context = vp.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not contexts or contexts[0] != VC_V2:
        problems.append(f"its first @context is not {VC_V2} (found {short(context)})")
    types = vp.get("type")
    if "VerifiablePresentation" not in (types if isinstance(types, list) else [types]):
        problems.append(f"its type {short(types)} does not include VerifiablePresentation")
    if holder is None:
        problems.append(f"it names no holder DID (found {short(vp.get('holder'))})")
    if problems:
        return Check("presentation", Status.FAILED, "; ".join(problems))
    return Check("presentation", Status.PASSED, f"a Verifiable Presentation by {holder}")


def _credentials_to_verify(vp: Mapping[str, Any], checks: list[Check]) -> list[Credential]:
    """What the verifier gets for each embedded credential; a failed check where none can be."""
    value = vp.get("verifiableCredential")
    items = value if isinstance(value, list) else [] if value is None else [value]
    if not items:
        checks.append(Check("credentials", Status.FAILED, "the presentation holds no credential"))
        return []
    if len(items) > MAX_CREDENTIALS:
        message = f"{len(items)} credentials: at most {MAX_CREDENTIALS} are verified"
        checks.append(Check("credentials", Status.FAILED, message))
        return []
    out: list[Credential] = []
    for index, item in enumerate(items):
        try:
            out.append(_unwrapped(item, index))
        except MicrocredError as exc:
            checks.append(Check("credentials", Status.FAILED, str(exc)))
            return []
    return out


def _credentials_check(results: Sequence[VerificationResult]) -> Check:
    failed = []
    for index, result in enumerate(results):
        if not result.verified:
            reasons = "; ".join(
                f"{c.name}: {c.message}" for c in result.checks if c.status == Status.FAILED
            )
            failed.append(f"verifiableCredential[{index}]: {reasons or 'not verified'}")
    if failed:
        return Check("credentials", Status.FAILED, " | ".join(failed))
    return Check("credentials", Status.PASSED, f"all {len(results)} credentials verify")


# ---- helpers -------------------------------------------------------------------------------


def _embeddable(credential: Any, index: int) -> JsonObject:
    """A credential as it goes into ``verifiableCredential``: embedded, or enveloped."""
    if isinstance(credential, str):
        return enveloped(credential)
    if not isinstance(credential, Mapping):
        raise InputError(
            f"credential [{index}] is neither a credential object nor a VC-JWT",
            found=type(credential).__name__,
        )
    if is_envelope(credential):
        _unwrapped(credential, index)  # refuses an envelope we cannot open
        return dict(credential)
    if "VerifiableCredential" not in _types(credential):
        raise InputError(
            f"credential [{index}] is not a Verifiable Credential",
            expected="type including VerifiableCredential",
            found=short(credential.get("type")),
        )
    if "proof" not in credential:
        raise InputError(
            f"credential [{index}] is not secured",
            expected="a credential with its issuer's proof",
            found="no proof",
        )
    return dict(credential)


def _unwrapped(item: Any, index: int) -> Credential:
    """The credential the verifier checks: the JWT inside an envelope, or the object."""
    if not isinstance(item, Mapping):
        raise InputError(
            f"verifiableCredential[{index}] is not an object",
            expected="a credential or an EnvelopedVerifiableCredential",
            found=type(item).__name__,
        )
    if not is_envelope(item):
        return item
    token = enveloped_data(item)
    if token is not None and jose.looks_like_jwt(token):
        return token
    raise InputError(
        f"verifiableCredential[{index}] is an envelope this verifier cannot open",
        expected=f"id: {VC_JWT_DATA_URL}<JWT>",
        found=short(item.get("id")),
    )


def _types(document: Mapping[str, Any]) -> list[str]:
    value = document.get("type", [])
    return [t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)]


def _not_a_presentation(value: Any) -> str:
    return f"not a JSON object but {type(value).__name__}: expected a VerifiablePresentation"


__all__ = [
    "CHECK_NAMES",
    "Credential",
    "PresentationResult",
    "build_presentation",
    "enveloped",
    "present",
    "sign_presentation",
    "verify_presentation",
]
