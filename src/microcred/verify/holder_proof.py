"""A presentation's holder proof, checked: the one rule set the wallet and the VC-API share.

A Verifiable Presentation is authenticated by its holder's Data Integrity proof (purpose
``authentication``). Four named checks come out of it, each a :class:`Check`:

  proof      the signature verifies with the key the resolver gives for its method
  challenge  the proof carries exactly the challenge the verifier issued
  domain     the proof is bound to the domain the verifier expected (one of a list counts)
  holder     the signing key is the holder's: its controller and its DID are the ``holder``

An expected challenge or domain of None is not checked and reported as skipped, never passed.
Enveloped credentials (VC 2.0 ``EnvelopedVerifiableCredential``) are opened here too, so both
callers read the same ``data:`` URLs. Pure: no database, no network beyond the resolver given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microcred.crypto import proofs
from microcred.crypto.canon import DEFAULT_LIMITS, Limits
from microcred.crypto.did import DidResolver
from microcred.errors import MicrocredError, short
from microcred.verify.result import Check, Status

PURPOSE = "authentication"
ENVELOPED = "EnvelopedVerifiableCredential"
VC_JWT_DATA_URL = "data:application/vc+jwt,"
# Media types other implementations write in an enveloped credential's data URL.
ENVELOPE_PREFIXES = (VC_JWT_DATA_URL, "data:application/jwt,")
CHECK_NAMES = ("proof", "challenge", "domain", "holder")


def check_holder_proof(
    presentation: Mapping[str, Any],
    *,
    challenge: str | None,
    domain: str | None,
    resolver: DidResolver,
    suite: proofs.Cryptosuite | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Check, ...]:
    """The four checks of :data:`CHECK_NAMES`, in that order; never raises on hostile input.

    ``suite``: the only cryptosuite accepted (None: any the proofs module verifies).
    """
    proof_check, verified = _proof_check(presentation, resolver, suite, limits)
    proof = single_proof(presentation)
    return (
        proof_check,
        _option_check("challenge", proof.get("challenge"), challenge),
        _option_check("domain", proof.get("domain"), domain),
        _holder_check(_named_holder(presentation.get("holder")), verified),
    )


def holder_id(holder: Any) -> str | None:
    """The holder's DID, written as a string or as an object with an ``id``; else None."""
    value = holder.get("id") if isinstance(holder, Mapping) else holder
    return value if isinstance(value, str) and value.startswith("did:") else None


def _named_holder(holder: Any) -> str | None:
    """Whatever the presentation names as its holder: a holder that is no DID cannot be the
    signing key's controller, so it fails the holder check rather than skipping it."""
    value = holder.get("id") if isinstance(holder, Mapping) else holder
    return value if isinstance(value, str) else None


def single_proof(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The document's one proof (a list of exactly one counts); empty when there is not one."""
    proof = document.get("proof")
    if isinstance(proof, list):
        proof = proof[0] if len(proof) == 1 else {}
    return proof if isinstance(proof, Mapping) else {}


def is_envelope(item: Mapping[str, Any]) -> bool:
    value = item.get("type", [])
    return ENVELOPED in (value if isinstance(value, list) else [value])


def enveloped_data(item: Mapping[str, Any]) -> str | None:
    """What an ``EnvelopedVerifiableCredential``'s VC-JWT ``data:`` URL holds (the caller
    checks that it is a compact JWS); None when its ``id`` is no such URL."""
    data = item.get("id")
    if isinstance(data, str):
        for prefix in ENVELOPE_PREFIXES:
            if data.startswith(prefix):
                return data[len(prefix) :]
    return None


def _proof_check(
    vp: Mapping[str, Any],
    resolver: DidResolver,
    suite: proofs.Cryptosuite | None,
    limits: Limits,
) -> tuple[Check, proofs.VerifiedProof | None]:
    if "proof" not in vp:
        return Check("proof", Status.FAILED, "the presentation carries no proof"), None
    try:
        verified = proofs.verify(vp, resolver, expected_purpose=PURPOSE, limits=limits)
    except MicrocredError as exc:
        return Check("proof", Status.FAILED, f"the holder's signature does not verify: {exc}"), None
    except Exception as exc:  # a canonicalizer bug must not crash the verifier's caller
        message = f"the holder's signature could not be checked ({type(exc).__name__})"
        return Check("proof", Status.FAILED, message), None
    if suite is not None and verified.cryptosuite != suite:
        message = f"the proof uses {verified.cryptosuite}, not {suite}"
        return Check("proof", Status.FAILED, message), None
    message = f"the {verified.cryptosuite} signature by {verified.method.id} is valid"
    return Check("proof", Status.PASSED, message), verified


def _option_check(name: str, found: Any, expected: str | None) -> Check:
    if expected is None:
        return Check(name, Status.SKIPPED, f"no {name} was expected")
    if found is None:
        return Check(name, Status.FAILED, f"the proof carries no {name}; expected {expected!r}")
    # A domain may be a list of them (VC Data Integrity 1.0): one must be the expected one.
    matches = (
        expected in found if isinstance(found, list) and name == "domain" else found == expected
    )
    if not matches:
        message = f"the proof's {name} {short(found)} is not the expected {expected!r}"
        return Check(name, Status.FAILED, message)
    return Check(name, Status.PASSED, f"the proof carries the expected {name}")


def _holder_check(holder: str | None, verified: proofs.VerifiedProof | None) -> Check:
    if verified is None:
        return Check("holder", Status.SKIPPED, "not checked: the proof did not verify")
    if holder is None:
        return Check("holder", Status.SKIPPED, "the presentation names no holder DID to bind")
    controller = verified.method.controller
    if holder != controller or holder != verified.method.id.split("#", 1)[0]:
        message = f"signed with a key of {controller}, not of the holder {holder}"
        return Check("holder", Status.FAILED, message)
    return Check("holder", Status.PASSED, f"signed with a key of the holder {holder}")


__all__ = [
    "CHECK_NAMES",
    "ENVELOPED",
    "VC_JWT_DATA_URL",
    "check_holder_proof",
    "enveloped_data",
    "holder_id",
    "is_envelope",
    "single_proof",
]
