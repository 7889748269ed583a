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
from collections.abc import Mapping
from datetime import datetime
from hashlib import sha256
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from microcred.crypto.jcs import canonicalize
from microcred.errors import InputError, MicrocredError, short
from microcred.ledger import leaf_hash, log_key_id, verify_checkpoint, verify_inclusion
from microcred.ledger.anchor import Anchor, AnchorReader, verify_anchor
from microcred.ledger.checkpoint import SIGNATURE_TYPE
from microcred.ledger.errors import ChainUnavailableError
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
        return Check(CHECK_NAME, Status.SKIPPED, "no transparency-log proof came with it")
    try:
        index, size, root = verify_bundle(credential, bundle, log_key)
    except MicrocredError as error:
        detail = str(error)
        return Check(CHECK_NAME, Status.FAILED, f"not shown to be in the log: {detail}")
    except Exception as error:  # hostile input must become a failed check, never a crash
        return Check(CHECK_NAME, Status.FAILED, f"the proof bundle is unreadable ({error!r:.80})")
    return Check(
        CHECK_NAME,
        Status.PASSED,
        f"issuance is entry {index} of the signed log checkpoint of size {size} "
        f"(root {base64.b64encode(root).decode('ascii')}){_anchor_note(bundle, size)}",
    )


def check_anchor(bundle: Mapping[str, Any] | None, reader: AnchorReader | None) -> Check:
    """A named check (``anchor``): does the transaction the bundle names commit, on its chain,
    to the bundle's checkpoint? Never raises. Without an anchor, or without a ``reader`` for
    its chain, it is skipped (saying what is claimed); an unreachable chain is a warning. Only
    a transaction that commits to something else fails: verification never needs the chain.
    """
    if bundle is None or bundle.get("anchor") is None:
        return Check(ANCHOR_CHECK_NAME, Status.SKIPPED, "the log checkpoint carries no anchor")
    try:
        anchor = Anchor.from_json(bundle.get("anchor"))
        note = _field(bundle, "checkpoint", str)
    except MicrocredError as error:
        return Check(ANCHOR_CHECK_NAME, Status.WARNING, f"the anchor is unreadable: {error}")
    if reader is None:
        return Check(
            ANCHOR_CHECK_NAME,
            Status.SKIPPED,
            f"{_describe(anchor)}; not checked (no access to chain {anchor.chain_id} given)",
        )
    try:
        verify_anchor(anchor, note, reader)
    except ChainUnavailableError as error:
        return Check(
            ANCHOR_CHECK_NAME, Status.WARNING, f"{_describe(anchor)}; not checked: {error}"
        )
    except MicrocredError as error:
        return Check(ANCHOR_CHECK_NAME, Status.FAILED, f"the anchor does not hold: {error}")
    except Exception as error:  # a misbehaving chain adapter: say so, never crash
        return Check(
            ANCHOR_CHECK_NAME, Status.WARNING, f"the chain gave an unusable answer ({error!r:.80})"
        )
    return Check(ANCHOR_CHECK_NAME, Status.PASSED, f"{_describe(anchor)}, checked on the chain")


def _describe(anchor: Anchor) -> str:
    return (
        f"checkpoint {anchor.tree_size} is anchored on chain {anchor.chain_id} in transaction "
        f"{anchor.tx_hash} (block {anchor.block_number}, "
        f"{anchor.block_timestamp.isoformat().replace('+00:00', 'Z')})"
    )


def _anchor_note(bundle: Mapping[str, Any], size: int) -> str:
    """The anchor the bundle claims for its checkpoint, to show beside a passed check."""
    try:
        anchor = Anchor.from_json(bundle.get("anchor"))
    except MicrocredError:
        return ""
    if anchor.tree_size != size:
        return ""
    return f"; {_describe(anchor)} (see the anchor check)"


def verify_bundle(
    credential: Mapping[str, Any], bundle: Mapping[str, Any], log_key: str
) -> tuple[int, int, bytes]:
    """Raise a :class:`MicrocredError` unless ``bundle`` proves the credential's issuance.

    Returns (leaf index, tree size, root hash) of the verified inclusion.
    """
    origin, public_key = parse_vkey(log_key)
    # 1. The checkpoint must be signed by the key we trust (nothing in the bundle is trusted).
    checkpoint = verify_checkpoint(_field(bundle, "checkpoint", str), public_key, origin=origin)
    # 2. The bundle must be about this credential (a proof for another one must not pass).
    credential_id = credential.get("id")
    if bundle.get("credentialId") != credential_id:
        raise InputError(
            "the proof bundle is for another credential",
            expected=short(credential_id),
            found=short(bundle.get("credentialId")),
        )
    index = _field(bundle, "leafIndex", int)
    size = _field(bundle, "treeSize", int)
    if size != checkpoint.tree_size:
        raise InputError(
            "the proof is for another tree size than its checkpoint",
            expected=str(checkpoint.tree_size),
            found=str(size),
        )
    encoded = _field(bundle, "inclusionProof", list)
    if len(encoded) > MAX_PROOF_HASHES:
        raise InputError("inclusion proof is too long", expected=f"<= {MAX_PROOF_HASHES}")
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


def _field(bundle: Mapping[str, Any], name: str, kind: type) -> Any:
    value = bundle.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InputError(
            f"the proof bundle has no valid {name!r}",
            expected=kind.__name__,
            found=short(value),
        )
    return value


def _b64(value: object) -> bytes:
    if not isinstance(value, str):
        raise InputError("proof hash is not a string", expected="base64", found=short(value))
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InputError("proof hash is not base64", found=short(value)) from error


__all__ = [
    "ANCHOR_CHECK_NAME",
    "BUNDLE_TYPE",
    "CHECK_NAME",
    "check_anchor",
    "check_transparency",
    "credential_commitment",
    "issuance_entry",
    "parse_vkey",
    "status_entry",
    "verify_bundle",
]
