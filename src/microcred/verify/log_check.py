"""The ``transparency-log`` check: is this credential's issuance in the server's signed log?

Pure: no database, no network. It also defines the log's entry format, because the verifier
must recompute the entry from the credential in hand. An entry is a domain-separated hash
commitment, never personal data:

    microcred-log/v1
    issued
    <base64 SHA-256("microcred-log/v1 credential\\n" || JCS(signed credential))>

    microcred-log/v1
    revoked | suspended | reinstated
    <base64 SHA-256("microcred-log/v1 credential-id\\n" || credential id URL)>
    <POSIX seconds of the change>

A *bundle* carries what an offline verifier needs: the signed checkpoint note, the leaf index
and the inclusion proof; and, when the checkpoint was anchored on a chain, the anchor, which
:func:`check_anchor` checks if it is given a reader for that chain. The log key is never
taken from the bundle; the caller supplies the key it trusts, as a C2SP vkey (published in
the server's DID document).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping
from datetime import datetime
from hashlib import sha256
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from microcred.crypto.jcs import canonicalize
from microcred.errors import BundleError, ChainUnavailableError, InputError, MicrocredError, short
from microcred.ledger import leaf_hash, log_key_id, verify_checkpoint, verify_inclusion
from microcred.ledger.anchor import Anchor, AnchorReader, verify_anchor
from microcred.ledger.checkpoint import SIGNATURE_TYPE, Checkpoint
from microcred.verify import messages as m
from microcred.verify.result import Check, Status

CHECK_NAME: Final = "transparency-log"
ANCHOR_CHECK_NAME: Final = "anchor"
VERSION: Final = "microcred-log/v1"
BUNDLE_TYPE: Final = "MicrocredLogInclusion"
STATUS_ACTIONS: Final = ("revoked", "suspended", "reinstated")
MAX_PROOF_HASHES: Final = 64


def credential_commitment(credential: Mapping[str, Any]) -> bytes:
    """SHA-256 of the signed credential's JCS form, under its own domain tag."""
    return sha256(f"{VERSION} credential\n".encode() + canonicalize(dict(credential))).digest()


def credential_id_commitment(credential_id: str) -> bytes:
    return sha256(f"{VERSION} credential-id\n{credential_id}".encode()).digest()


def issuance_entry(credential: Mapping[str, Any]) -> bytes:
    commitment = base64.b64encode(credential_commitment(credential)).decode("ascii")
    return f"{VERSION}\nissued\n{commitment}\n".encode()


def status_entry(credential_id: str, action: str, at: datetime) -> bytes:
    if action not in STATUS_ACTIONS:
        raise InputError(
            "unknown status change", expected=" | ".join(STATUS_ACTIONS), found=short(action)
        )
    commitment = base64.b64encode(credential_id_commitment(credential_id)).decode("ascii")
    return f"{VERSION}\n{action}\n{commitment}\n{int(at.timestamp())}\n".encode()


def parse_vkey(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """``<origin>+<hex key ID>+<base64(0x04 || Ed25519 key)>`` -> (origin, key), all checked."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise InputError(
            "not a log verifier key", expected="<origin>+<key id>+<base64 key>", found=short(vkey)
        )
    origin, key_id_hex, material = parts
    try:
        raw = base64.b64decode(material, validate=True)
        key_id = bytes.fromhex(key_id_hex)
    except (binascii.Error, ValueError) as error:
        raise InputError("log verifier key is not encoded right", found=short(vkey)) from error
    if len(raw) != 33 or raw[0] != SIGNATURE_TYPE:
        raise InputError(
            "log verifier key is not a timestamped Ed25519 key",
            expected=f"type 0x{SIGNATURE_TYPE:02x} and 32 key bytes",
            found=f"{len(raw)} bytes",
        )
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id != log_key_id(origin, public_key):
        raise InputError(
            "log verifier key ID does not match its key",
            expected=log_key_id(origin, public_key).hex(),
            found=key_id_hex,
        )
    return origin, public_key


# --- the check -------------------------------------------------------------------------------


def check_transparency(
    credential: Mapping[str, Any], bundle: Mapping[str, Any] | None, log_key: str
) -> Check:
    """A named check: the credential's issuance entry is in the log under a checkpoint that
    the trusted ``log_key`` signed. Never raises; every failure is a failed check."""
    if bundle is None:
        return Check.said(CHECK_NAME, Status.SKIPPED, m.LOG_NO_BUNDLE)
    try:
        index, size, root = verify_bundle(credential, bundle, log_key)
    except BundleError as error:  # a malformed bundle: its own (translated) sentence
        return Check.said(CHECK_NAME, Status.FAILED, error.template, **error.params)
    except MicrocredError as error:
        return Check.said(CHECK_NAME, Status.FAILED, m.LOG_NOT_SHOWN, reason=error)
    except Exception as error:  # hostile input must become a failed check, never a crash
        return Check.said(CHECK_NAME, Status.FAILED, m.LOG_UNREADABLE, error=f"{error!r:.80}")
    # The bundle's anchor is unsigned: only check_anchor speaks of it, never this check.
    root_b64 = base64.b64encode(root).decode("ascii")
    return Check.said(
        CHECK_NAME, Status.PASSED, m.LOG_INCLUDED, index=index, size=size, root=root_b64
    )


def unreadable_log(reason: MicrocredError) -> Check:
    """The transparency check when the log that should hold the credential cannot be read (a
    corrupt or unreachable store): failed, and saying so, never skipped as for a credential
    that simply came without a proof."""
    return Check.said(CHECK_NAME, Status.FAILED, m.LOG_STORE_UNREADABLE, reason=reason)


def check_anchor(bundle: Mapping[str, Any] | None, reader: AnchorReader | None) -> Check:
    """A named check (``anchor``): does the transaction the bundle names commit, on its chain,
    to the bundle's checkpoint? Never raises. Without an anchor, or without a ``reader`` for
    its chain, it is skipped (saying what is claimed); an unreachable chain is a warning. Only
    a transaction that commits to something else fails: verification never needs the chain.
    """
    if bundle is None or bundle.get("anchor") is None:
        return Check.said(ANCHOR_CHECK_NAME, Status.SKIPPED, m.ANCHOR_NONE)
    try:
        anchor = Anchor.from_json(bundle.get("anchor"))
        note = _field(bundle, "checkpoint", str)
    except MicrocredError as error:
        return Check.said(ANCHOR_CHECK_NAME, Status.WARNING, m.ANCHOR_UNREADABLE, reason=error)
    claimed = _anchor_params(anchor)
    if reader is None:
        return Check.said(ANCHOR_CHECK_NAME, Status.SKIPPED, m.ANCHOR_NOT_CHECKED, **claimed)
    try:
        verify_anchor(anchor, note, reader)
    except ChainUnavailableError as error:
        return Check.said(
            ANCHOR_CHECK_NAME, Status.WARNING, m.ANCHOR_UNREACHABLE, reason=error, **claimed
        )
    except MicrocredError as error:
        return Check.said(ANCHOR_CHECK_NAME, Status.FAILED, m.ANCHOR_FAILED, reason=error)
    except Exception as error:  # a misbehaving chain adapter: say so, never crash
        return Check.said(
            ANCHOR_CHECK_NAME, Status.WARNING, m.ANCHOR_UNUSABLE, error=f"{error!r:.80}"
        )
    return Check.said(ANCHOR_CHECK_NAME, Status.PASSED, m.ANCHOR_OK, **claimed)


def _anchor_params(anchor: Anchor) -> dict[str, object]:
    """The fields of the anchor messages (the same for every language)."""
    return {
        "size": anchor.tree_size,
        "chain": anchor.chain_id,
        "tx": anchor.tx_hash,
        "block": anchor.block_number,
        "time": anchor.block_timestamp.isoformat().replace("+00:00", "Z"),
    }


def verify_bundle(
    credential: Mapping[str, Any], bundle: Mapping[str, Any], log_key: str
) -> tuple[int, int, bytes]:
    """Raise a :class:`MicrocredError` unless ``bundle`` proves the credential's issuance.

    Returns (leaf index, tree size, root hash) of the verified inclusion.
    """
    # 1. The checkpoint must be signed by the key we trust (nothing in the bundle is trusted).
    checkpoint = _signed_checkpoint(_field(bundle, "checkpoint", str), log_key)
    # 2. The bundle must be about this credential (a proof for another one must not pass).
    credential_id = credential.get("id")
    if bundle.get("credentialId") != credential_id:
        raise BundleError(
            m.BUNDLE_OTHER_CREDENTIAL,
            expected=short(credential_id),
            found=short(bundle.get("credentialId")),
        )
    index = _field(bundle, "leafIndex", int)
    size = _field(bundle, "treeSize", int)
    if size != checkpoint.tree_size:
        raise BundleError(m.BUNDLE_OTHER_SIZE, expected=checkpoint.tree_size, found=size)
    encoded = _field(bundle, "inclusionProof", list)
    if len(encoded) > MAX_PROOF_HASHES:
        raise BundleError(m.BUNDLE_PROOF_TOO_LONG, expected=MAX_PROOF_HASHES, found=len(encoded))
    proof = [_b64(value) for value in encoded]
    # 3. The leaf is recomputed from the credential itself, then proved into the signed root.
    verify_inclusion(
        leaf_hash=leaf_hash(issuance_entry(credential)),
        index=index,
        tree_size=size,
        proof=proof,
        root=checkpoint.root_hash,
    )
    return index, size, checkpoint.root_hash


@functools.lru_cache(maxsize=64)
def _signed_checkpoint(note: str, log_key: str) -> Checkpoint:
    """:func:`verify_checkpoint` of ``note`` under ``log_key``: a function of the two texts
    alone, so the few checkpoints that many bundles share are checked once (what does not
    verify raises, and is never kept)."""
    origin, public_key = parse_vkey(log_key)
    return verify_checkpoint(note, public_key, origin=origin)


def _field(bundle: Mapping[str, Any], name: str, kind: type) -> Any:
    value = bundle.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BundleError(m.BUNDLE_FIELD, field=name, expected=kind.__name__, found=short(value))
    return value


def _b64(value: object) -> bytes:
    if not isinstance(value, str):
        raise BundleError(m.BUNDLE_HASH, found=short(value))
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BundleError(m.BUNDLE_HASH, found=short(value)) from error


__all__ = [
    "ANCHOR_CHECK_NAME",
    "BUNDLE_TYPE",
    "CHECK_NAME",
    "BundleError",
    "check_anchor",
    "check_transparency",
    "credential_commitment",
    "issuance_entry",
    "parse_vkey",
    "status_entry",
    "verify_bundle",
]
