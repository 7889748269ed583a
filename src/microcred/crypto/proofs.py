"""Data Integrity proofs with the EdDSA cryptosuites ``eddsa-rdfc-2022`` and ``eddsa-jcs-2022``.

Both follow the W3C vc-di-eddsa steps: transform the unsecured document (RDFC-1.0 or JCS), hash
it, canonicalize and hash the proof configuration, sign ``hash(proof config) || hash(document)``
with Ed25519, encode the signature as multibase base58btc in ``proofValue``.

Credentials signed elsewhere also use two older names for the RDFC steps, which we verify (and
sign, for interop tests): the ``Ed25519Signature2020`` proof type (no ``cryptosuite``; its terms
come from the ed25519-2020 context) and the draft cryptosuite name ``eddsa-2022``.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from microcred.crypto import jcs, multibase
from microcred.crypto.canon import Limits, canonicalize
from microcred.crypto.did import DidResolver, VerificationMethod
from microcred.crypto.keys import SigningKey
from microcred.errors import (
    CanonicalizationError,
    ContextError,
    KeyResolutionError,
    MicrocredError,
    ProofError,
    short,
)
from microcred.types import JsonObject

Cryptosuite = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"]
CRYPTOSUITES: tuple[Cryptosuite, ...] = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
ED25519_2020 = "Ed25519Signature2020"
"""A proof type whose name is its suite; verified with the RDFC steps of eddsa-rdfc-2022."""
LEGACY_CRYPTOSUITES = ("eddsa-2022",)
"""Draft names of eddsa-rdfc-2022, same steps, still found in signed credentials."""
RDFC_SUITES = frozenset({"eddsa-rdfc-2022", ED25519_2020, *LEGACY_CRYPTOSUITES})
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def xsd_datetime(moment: datetime) -> str:
    """``2024-05-01T10:00:00Z``: second precision, always UTC, as the vectors write it."""
    if moment.tzinfo is None:
        raise ProofError(
            "datetime has no timezone", expected="an aware UTC datetime", found=str(moment)
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class VerifiedProof:
    """What a verified proof tells: which key signed, for whom, when, with which suite."""

    cryptosuite: str  # a Cryptosuite, a legacy name, or ED25519_2020
    method: VerificationMethod
    created: str | None
    proof_purpose: str
    proof_id: str | None = None


@dataclass(frozen=True)
class ProofOutcome:
    """One proof of a set or chain: its place (1-based), id, and what verifying it gave."""

    index: int
    proof_id: str | None
    verified: VerifiedProof | None
    error: ProofError | None

    @property
    def label(self) -> str:
        """How a reader tells this proof from the others: its id, else its position."""
        return self.proof_id or f"#{self.index}"


def sign(
    document: Mapping[str, Any],
    key: SigningKey,
    *,
    verification_method: str,
    cryptosuite: Cryptosuite | Literal["Ed25519Signature2020", "eddsa-2022"] = "eddsa-rdfc-2022",
    proof_purpose: str = "assertionMethod",
    created: datetime | None = None,
    clock: Clock = utc_now,
) -> JsonObject:
    """A copy of ``document`` with a ``DataIntegrityProof`` added (an ``Ed25519Signature2020``
    proof when asked: we issue Data Integrity, the older type is for interop tests; or
    ``eddsa-2022``, the draft name of eddsa-rdfc-2022, for verifiers that know only that)."""
    if cryptosuite not in (*CRYPTOSUITES, *LEGACY_CRYPTOSUITES, ED25519_2020):
        raise ProofError(
            "unsupported cryptosuite",
            expected=" or ".join((*CRYPTOSUITES, *LEGACY_CRYPTOSUITES)),
            found=short(cryptosuite),
        )
    if key.algorithm != "Ed25519":
        raise ProofError(
            f"{cryptosuite} signs with Ed25519", expected="an Ed25519 key", found=key.algorithm
        )
    if "proof" in document:
        raise ProofError(
            "document already has a proof", expected="an unsecured document", found="proof"
        )
    proof = _make_proof(
        document,
        key,
        {
            "verificationMethod": verification_method,
            "proofPurpose": proof_purpose,
            "created": xsd_datetime(created or clock()),
        },
        cryptosuite,
    )
    secured = dict(document)
    secured["proof"] = proof
    return secured


def add_proof(
    document: Mapping[str, Any],
    key: SigningKey,
    *,
    verification_method: str,
    proof_id: str | None = None,
    previous_proof: str | list[str] | None = None,
    cryptosuite: Cryptosuite = "eddsa-rdfc-2022",
    created: datetime | None = None,
    clock: Clock = utc_now,
) -> JsonObject:
    """A copy of ``document`` with one more proof: a proof set, or, with ``previous_proof``,
    a chain whose new proof also covers the proofs it names (W3C Data Integrity, 4.3)."""
    existing = _proof_list(document.get("proof"))
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    matching = _previous_proofs(existing, previous_proof)
    signed_over = {**unsecured, "proof": matching} if matching else unsecured
    fields: JsonObject = {
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
        "created": xsd_datetime(created or clock()),
    }
    if proof_id is not None:
        fields = {"id": proof_id, **fields}
    if previous_proof is not None:
        fields["previousProof"] = previous_proof
    proof = _make_proof(signed_over, key, fields, cryptosuite)
    return {**unsecured, "proof": [*existing, proof]}


def _make_proof(
    document: Mapping[str, Any], key: SigningKey, fields: JsonObject, cryptosuite: str
) -> JsonObject:
    """A signed proof over ``document`` (which may hold the proofs a chain covers)."""
    if key.algorithm != "Ed25519":
        raise ProofError(
            f"{cryptosuite} signs with Ed25519", expected="an Ed25519 key", found=key.algorithm
        )
    if "@context" not in document:
        raise ProofError("document has no @context", expected="a JSON-LD document")
    proof: JsonObject = {
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        **fields,
    }
    if "id" in fields:  # the id first, as signers usually write it
        proof = {"id": fields["id"], **proof}
    if cryptosuite == ED25519_2020:
        proof = {"type": ED25519_2020, **{k: v for k, v in proof.items() if k != "type"}}
        del proof["cryptosuite"]
    if cryptosuite == "eddsa-jcs-2022":
        # The reference keeps the document's @context in a JCS proof and rejects proofs without it.
        context = document["@context"]
        plain = isinstance(context, list) and all(isinstance(c, str) for c in context)
        proof["@context"] = list(context) if plain else copy.deepcopy(context)
    data = _hash_data(document, proof, cryptosuite, limits=None)
    proof["proofValue"] = multibase.encode_b58btc(key.sign(data))
    return proof


def verify_each(
    document: Mapping[str, Any],
    resolver: DidResolver,
    *,
    expected_purpose: str = "assertionMethod",
    limits: Limits | None = None,
) -> list[ProofOutcome]:
    """Verify every proof of a set or chain, each on its own (W3C Data Integrity, 4.5).

    A proof that names a ``previousProof`` is verified over the document with the proofs it
    names; a name that matches no proof fails that proof. Never raises for a bad proof.
    """
    all_proofs = _proof_list(document.get("proof"))
    if not all_proofs:
        raise ProofError("document has no proof", expected="a 'proof' object", found="none")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    outcomes: list[ProofOutcome] = []
    for index, proof in enumerate(all_proofs, start=1):
        proof_id = proof.get("id") if isinstance(proof, Mapping) else None
        proof_id = proof_id if isinstance(proof_id, str) else None
        try:
            if not isinstance(proof, Mapping):
                raise ProofError("a proof is not an object", found=short(proof))
            matching = _previous_proofs(all_proofs, proof.get("previousProof"))
            signed_over = {**unsecured, "proof": matching} if matching else unsecured
            verified = _verify_one(signed_over, proof, resolver, expected_purpose, limits)
        except ProofError as exc:
            outcomes.append(ProofOutcome(index, proof_id, None, exc))
            continue
        outcomes.append(ProofOutcome(index, proof_id, verified, None))
    return outcomes


def _proof_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _previous_proofs(all_proofs: list[Any], previous: Any) -> list[Any]:
    """The proofs a ``previousProof`` value names, in its order; raises when one is absent."""
    if previous is None:
        return []
    names = [previous] if isinstance(previous, str) else previous
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ProofError(
            "previousProof is neither a proof id nor a list of them", found=short(previous)
        )
    by_id = {p.get("id"): p for p in all_proofs if isinstance(p, Mapping)}
    missing = [n for n in names if n not in by_id]
    if missing:
        raise ProofError(
            "the previous proof this proof builds on is missing",
            expected=f"a proof with id {', '.join(missing)}",
            found=", ".join(str(i) for i in by_id if i) or "no proof ids",
        )
    return [by_id[n] for n in names]


def verify(
    document: Mapping[str, Any],
    resolver: DidResolver,
    *,
    expected_purpose: str = "assertionMethod",
    limits: Limits | None = None,
) -> VerifiedProof:
    """Verify the document's single Data Integrity proof; raises :class:`ProofError`.

    Also used for the proof of a status list credential and of a presentation. A ``proof`` list
    is accepted when it holds exactly one proof; :func:`verify_each` verifies sets and chains.
    """
    proof = document.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ProofError(
                "only a single proof is supported here",
                expected="1 proof",
                found=f"{len(proof)} proofs",
            )
        proof = proof[0]
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return _verify_one(unsecured, proof, resolver, expected_purpose, limits)


def _verify_one(
    unsecured: Mapping[str, Any],
    proof: Any,
    resolver: DidResolver,
    expected_purpose: str,
    limits: Limits | None,
) -> VerifiedProof:
    """Verify ``proof`` over ``unsecured`` (which holds the proofs a chained proof covers)."""
    if not isinstance(proof, Mapping):
        raise ProofError("document has no proof", expected="a 'proof' object", found=short(proof))
    proof = dict(proof)
    # Step 1: the proof's own shape.
    suite = _suite_of(proof)
    if proof.get("proofPurpose") != expected_purpose:
        raise ProofError(
            "proof has the wrong purpose",
            expected=expected_purpose,
            found=short(proof.get("proofPurpose")),
        )
    proof_value = proof.pop("proofValue", None)
    if not isinstance(proof_value, str):
        raise ProofError(
            "proof has no proofValue", expected="a multibase string", found=short(proof_value)
        )
    created = proof.get("created")
    if created is not None and not _is_xsd_datetime(created):
        raise ProofError(
            "proof 'created' is not a date-time",
            expected="YYYY-MM-DDThh:mm:ssZ",
            found=short(created),
        )
    vm_url = proof.get("verificationMethod")
    if not isinstance(vm_url, str):
        raise ProofError(
            "proof has no verificationMethod", expected="a DID URL", found=short(vm_url)
        )
    # Step 2: the key behind the verification method, allowed for this purpose.
    try:
        method = resolver.verification_method(vm_url, purpose=expected_purpose)
    except MicrocredError as exc:
        raise ProofError(
            f"cannot resolve the verification method: {exc.message}",
            expected=exc.expected,
            found=exc.found,
        ) from exc
    try:
        signature = multibase.decode_b58btc(proof_value)
    except KeyResolutionError as exc:
        raise ProofError("proofValue is not multibase base58btc", found=short(proof_value)) from exc
    if suite == "eddsa-jcs-2022" and "@context" in proof:
        _check_jcs_context(unsecured, proof["@context"])
    if suite in RDFC_SUITES and "@context" in proof:
        _check_rdfc_context(unsecured, proof["@context"])
    # Step 3: transform, hash, verify.
    data = _hash_data(unsecured, proof, suite, limits=limits)
    if method.key.algorithm != "Ed25519":
        raise ProofError(
            f"{suite} needs an Ed25519 key", expected="Ed25519", found=method.key.algorithm
        )
    method.key.verify(signature, data)
    proof_id = proof.get("id")
    return VerifiedProof(
        suite, method, created, expected_purpose, proof_id if isinstance(proof_id, str) else None
    )


def _suite_of(proof: Mapping[str, Any]) -> str:
    """The suite that verifies ``proof``, by its type and cryptosuite; raises if unsupported."""
    kind = proof.get("type")
    if kind == ED25519_2020:
        return ED25519_2020
    if kind != "DataIntegrityProof":
        raise ProofError(
            "unsupported proof type",
            expected=f"DataIntegrityProof or {ED25519_2020}",
            found=short(kind),
        )
    suite = proof.get("cryptosuite")
    if suite not in CRYPTOSUITES and suite not in LEGACY_CRYPTOSUITES:
        raise ProofError(
            "unsupported cryptosuite",
            expected=" or ".join((*CRYPTOSUITES, *LEGACY_CRYPTOSUITES)),
            found=short(suite),
        )
    return str(suite)


def _hash_data(
    document: Mapping[str, Any], proof: Mapping[str, Any], suite: str, *, limits: Limits | None
) -> bytes:
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if suite in RDFC_SUITES:
        config["@context"] = document.get("@context")
        try:
            config_hash = _rdfc_config_hash(config, limits)
            doc_bytes = canonicalize(document, limits=limits).encode()
        except (CanonicalizationError, ContextError) as exc:
            raise ProofError(
                f"cannot canonicalize: {exc.message}", expected=exc.expected, found=exc.found
            ) from exc
        return config_hash + hashlib.sha256(doc_bytes).digest()
    try:
        config_bytes = jcs.canonicalize(config)
        doc_bytes = jcs.canonicalize(dict(document))
    except CanonicalizationError as exc:
        raise ProofError(exc.message) from exc
    return hashlib.sha256(config_bytes).digest() + hashlib.sha256(doc_bytes).digest()


# Issuing or verifying a batch repeats one proof configuration (same key, purpose and contexts,
# created within the same second), and its RDFC canonicalization costs as much as the signature.
_CONFIG_CACHE_SIZE = 256
_config_hashes: OrderedDict[Hashable, bytes] = OrderedDict()
_config_lock = threading.Lock()  # verification runs in the web server's worker threads


def _rdfc_config_hash(config: Mapping[str, Any], limits: Limits | None) -> bytes:
    key = _config_key(config, limits)
    if key is not None:
        with _config_lock:
            cached = _config_hashes.get(key)
            if cached is not None:
                _config_hashes.move_to_end(key)
                return cached
    digest = hashlib.sha256(canonicalize(config, limits=limits).encode()).digest()
    if key is not None:
        with _config_lock:
            _config_hashes[key] = digest
            if len(_config_hashes) > _CONFIG_CACHE_SIZE:
                _config_hashes.popitem(last=False)
    return digest


def _config_key(config: Mapping[str, Any], limits: Limits | None) -> Hashable | None:
    """An exact key for a configuration of strings and a list of context URLs; None otherwise.

    Types are checked exactly so that no two different configurations share a key (a JSON dump
    would give NaN and null, or a UUID object and its string, one key).
    """
    items: list[tuple[str, str | tuple[str, ...]]] = []
    for name, value in config.items():
        if type(value) is str:
            items.append((name, value))
        elif type(value) is list and all(type(c) is str for c in value):
            items.append((name, tuple(value)))
        else:
            return None
    return (tuple(items), limits)


def clear_config_cache() -> None:
    with _config_lock:
        _config_hashes.clear()


def _check_jcs_context(document: Mapping[str, Any], proof_context: Any) -> None:
    doc_context = document.get("@context")
    doc_list = doc_context if isinstance(doc_context, list) else [doc_context]
    proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
    if doc_list[: len(proof_list)] != proof_list:
        raise ProofError(
            "proof @context does not match the document's",
            expected=short(doc_list),
            found=short(proof_list),
        )


def _check_rdfc_context(document: Mapping[str, Any], proof_context: Any) -> None:
    """The RDFC suites hash the proof options under the document's @context (vc-di-eddsa,
    proof configuration), so a different one written in the proof would not be signed."""
    if proof_context != document.get("@context"):
        raise ProofError(
            "the proof's @context differs from the document's: the proof options are signed "
            "under the document's @context, so this one would not be covered by the signature",
            expected=f"no @context in the proof, or {short(document.get('@context'))}",
            found=short(proof_context),
        )


def _is_xsd_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None or "T" in value
