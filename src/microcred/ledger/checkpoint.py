"""Signed checkpoints: the log's tree head as a C2SP tlog-checkpoint in a signed note.

The note text is the standard three lines (origin, tree size, base64 root hash); the log signs
it under its origin as key name with a *timestamped* Ed25519 signature, note signature type
0x04 of c2sp.org/tlog-cosignature. That is how the timestamp is signed without an extension
line (which tlog-checkpoint discourages, since monitors cannot audit it), and a witness's
verifier already knows the format. The signed message is::

    cosignature/v1
    time <POSIX seconds>
    <origin>
    <tree size>
    <base64 root hash>

and the signature line carries key ID || big-endian u64 timestamp || Ed25519 signature.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from microcred.errors import CheckpointError, short
from microcred.ledger._note import (
    KEY_ID_SIZE,
    NoteSignature,
    check_key_name,
    format_note,
    key_id,
    split_note,
)
from microcred.ledger.hashing import HASH_SIZE

SIGNATURE_TYPE: Final = 0x04
"""Note signature type: timestamped Ed25519 (c2sp.org/tlog-cosignature, cosignature/v1)."""

_TIMESTAMP_SIZE: Final = 8
_ED25519_SIGNATURE_SIZE: Final = 64
_MAX_TIMESTAMP: Final = 2**63 - 1
_MAX_TREE_SIZE: Final = 2**64 - 1


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head at a moment: what the log signs, and what verification returns.

    Construction checks every invariant the text format needs, so a ``Checkpoint`` can always be
    signed. The timestamp is stored in UTC to whole seconds, the precision the format carries.
    """

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: datetime

    def __post_init__(self) -> None:
        # The origin doubles as the key name, so it must satisfy both sets of rules.
        check_key_name(self.origin)
        if not 0 <= self.tree_size <= _MAX_TREE_SIZE:
            raise CheckpointError(
                "tree size is out of range", expected="0 <= size < 2**64", found=str(self.tree_size)
            )
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(
                "root hash has wrong size",
                expected=f"{HASH_SIZE} bytes",
                found=f"{len(self.root_hash)} bytes",
            )
        if self.timestamp.tzinfo is None:
            raise CheckpointError(
                "timestamp has no time zone",
                expected="an aware datetime",
                found=str(self.timestamp),
            )
        normalised = self.timestamp.astimezone(UTC).replace(microsecond=0)
        if not 0 <= int(normalised.timestamp()) <= _MAX_TIMESTAMP:
            raise CheckpointError(
                "timestamp is out of range", expected="after 1970", found=str(normalised)
            )
        object.__setattr__(self, "timestamp", normalised)

    def text(self) -> str:
        """The note text: origin, tree size and base64 root hash, each ending in a newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return f"{self.origin}\n{self.tree_size}\n{root}\n"


@dataclass(frozen=True)
class UnverifiedCheckpoint:
    """A checkpoint as parsed: well formed, and not to be believed until verified."""

    origin: str
    tree_size: int
    root_hash: bytes
    extension_lines: tuple[str, ...]
    text: str
    signatures: tuple[NoteSignature, ...]


def log_key_id(origin: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID of the log's signature lines."""
    return key_id(origin, SIGNATURE_TYPE, _raw(public_key))


def verifier_key(origin: str, public_key: Ed25519PublicKey) -> str:
    """The log's key as a C2SP vkey, ``<origin>+<hex key ID>+<base64(0x04 || key)>``, to publish."""
    check_key_name(origin)
    material = base64.b64encode(bytes([SIGNATURE_TYPE]) + _raw(public_key)).decode("ascii")
    return f"{origin}+{log_key_id(origin, public_key).hex()}+{material}"


def sign_checkpoint(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> str:
    """The signed note for ``checkpoint``, signed by the log under its origin."""
    seconds = int(checkpoint.timestamp.timestamp())
    text = checkpoint.text()
    signature = private_key.sign(_signed_message(text, seconds))
    line = NoteSignature(
        key_name=checkpoint.origin,
        key_id=log_key_id(checkpoint.origin, private_key.public_key()),
        signature=seconds.to_bytes(_TIMESTAMP_SIZE, "big") + signature,
    )
    return format_note(text, [line])


def parse_checkpoint(note: str) -> UnverifiedCheckpoint:
    """Parse a signed checkpoint without checking any signature (see :func:`verify_checkpoint`)."""
    text, signatures = split_note(note)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError(
            "not a checkpoint",
            expected="origin, tree size and root hash on non-empty lines",
            found=short(text),
        )
    origin, size_line, root_line, *extension_lines = lines
    check_key_name(origin)
    # Decimal without sign or leading zero: one text per size, so equal checkpoints are equal.
    # The length bound comes first so that int() never sees a huge string.
    digits_ok = size_line.isascii() and size_line.isdigit() and len(size_line) <= 20
    if not digits_ok or (size_line.startswith("0") and size_line != "0"):
        raise CheckpointError(
            "checkpoint tree size is not a decimal number below 2**64",
            expected="at most 20 ASCII digits, no leading zero",
            found=short(size_line),
        )
    tree_size = int(size_line)
    try:
        root_hash = base64.b64decode(root_line, validate=True)
    except (binascii.Error, ValueError) as error:
        raise CheckpointError(
            "checkpoint root hash is not base64", expected="standard base64", found=short(root_line)
        ) from error
    if len(root_hash) != HASH_SIZE or base64.b64encode(root_hash).decode("ascii") != root_line:
        raise CheckpointError(
            "checkpoint root hash has wrong form",
            expected=f"canonical base64 of {HASH_SIZE} bytes",
            found=short(root_line),
        )
    if tree_size > _MAX_TREE_SIZE:
        raise CheckpointError(
            "tree size is out of range", expected="0 <= size < 2**64", found=size_line
        )
    return UnverifiedCheckpoint(
        origin=origin,
        tree_size=tree_size,
        root_hash=root_hash,
        extension_lines=tuple(extension_lines),
        text=text,
        signatures=tuple(signatures),
    )


def verify_checkpoint(note: str, public_key: Ed25519PublicKey, *, origin: str) -> Checkpoint:
    """The checkpoint in ``note`` if the log ``origin`` signed it with ``public_key``.

    Signatures by other keys (witnesses, a rotated log key) are ignored, as the signed-note spec
    requires. Raises :class:`CheckpointError` if the note is malformed, names another log, holds
    no signature by this key, or holds one that does not verify.
    """
    # 1. Parse; nothing read here is trusted yet.
    parsed = parse_checkpoint(note)
    # 2. The checkpoint must be for the log the caller trusts this key for.
    if parsed.origin != origin:
        raise CheckpointError(
            "checkpoint is from another log", expected=origin, found=parsed.origin
        )
    # 3. Find the log's signature line: the key name and key ID must both match.
    expected_id = log_key_id(origin, public_key)
    ours = [s for s in parsed.signatures if s.key_name == origin and s.key_id == expected_id]
    if len(ours) != 1:
        raise CheckpointError(
            "checkpoint is not signed once by the log key",
            expected=f"one signature by {origin} with key ID {expected_id.hex()}",
            found=f"{len(ours)} of {len(parsed.signatures)} signatures",
        )
    (signature,) = ours
    if len(signature.signature) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
        raise CheckpointError(
            "checkpoint signature has wrong size",
            expected=f"{KEY_ID_SIZE + _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE} bytes",
            found=f"{KEY_ID_SIZE + len(signature.signature)} bytes",
        )
    seconds = int.from_bytes(signature.signature[:_TIMESTAMP_SIZE], "big")
    if seconds > _MAX_TIMESTAMP:
        raise CheckpointError(
            "checkpoint timestamp is out of range",
            expected=f"<= {_MAX_TIMESTAMP}",
            found=str(seconds),
        )
    # 4. Verify the Ed25519 signature over the timestamped message.
    try:
        public_key.verify(
            signature.signature[_TIMESTAMP_SIZE:], _signed_message(parsed.text, seconds)
        )
    except InvalidSignature as error:
        raise CheckpointError(
            "checkpoint signature does not verify", expected=f"a signature by {origin}"
        ) from error
    # 5. Only now is the content believed.
    try:
        timestamp = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise CheckpointError(
            "checkpoint timestamp is out of range",
            expected="a representable date",
            found=str(seconds),
        ) from error
    return Checkpoint(
        origin=parsed.origin,
        tree_size=parsed.tree_size,
        root_hash=parsed.root_hash,
        timestamp=timestamp,
    )


def _signed_message(text: str, seconds: int) -> bytes:
    return f"cosignature/v1\ntime {seconds}\n{text}".encode()


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
