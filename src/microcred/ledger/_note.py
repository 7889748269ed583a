"""The C2SP signed-note envelope (c2sp.org/signed-note): text, blank line, signature lines.

Only the framing lives here; what the text means and how a signature is checked belong to the
caller (:mod:`microcred.ledger.checkpoint`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from hashlib import sha256
from typing import Final

from microcred.errors import CheckpointError, short

SIGNATURE_PREFIX: Final = "\u2014 "  # em dash, space
KEY_ID_SIZE: Final = 4
MAX_NOTE_CHARS: Final = 64 * 1024
# The spec obliges verifiers to accept at least 16 signatures (log plus witnesses).
MAX_SIGNATURES: Final = 64


@dataclass(frozen=True)
class NoteSignature:
    """One signature line, not yet verified: key name, 4-byte key ID, signature bytes."""

    key_name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.key_name} {encoded}\n"


def key_id(key_name: str, signature_type: int, public_key: bytes) -> bytes:
    """SHA-256(key name || 0x0A || signature type || public key)[:4], as the spec recommends."""
    material = key_name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    return sha256(material).digest()[:KEY_ID_SIZE]


def check_key_name(key_name: str) -> None:
    if not key_name or "+" in key_name or any(c.isspace() for c in key_name):
        raise CheckpointError(
            "not a valid note key name",
            expected="non-empty, without spaces or '+'",
            found=short(key_name),
        )
    _check_characters(key_name)


def format_note(text: str, signatures: list[NoteSignature]) -> str:
    return text + "\n" + "".join(signature.line() for signature in signatures)


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """The note text (with its final newline) and the signature lines, checked for form only."""
    if len(note) > MAX_NOTE_CHARS:
        raise CheckpointError(
            "signed note is too long",
            expected=f"<= {MAX_NOTE_CHARS} characters",
            found=str(len(note)),
        )
    _check_characters(note)
    # The text is separated from the signatures by the last blank line.
    separator = note.rfind("\n\n")
    if separator < 0 or not note.endswith("\n"):
        raise CheckpointError(
            "not a signed note",
            expected="text, a blank line, then signature lines, ending in a newline",
            found=short(note),
        )
    text = note[: separator + 1]
    lines = note[separator + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(
            "signed note has too many signatures",
            expected=f"<= {MAX_SIGNATURES}",
            found=str(len(lines)),
        )
    return text, [_parse_signature_line(line) for line in lines]


def _parse_signature_line(line: str) -> NoteSignature:
    parts = line.removeprefix(SIGNATURE_PREFIX).split(" ")
    if not line.startswith(SIGNATURE_PREFIX) or len(parts) != 2:
        raise CheckpointError(
            "not a note signature line",
            expected="'\u2014 <key name> <base64 signature>'",
            found=short(line),
        )
    key_name, encoded = parts
    check_key_name(key_name)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise CheckpointError(
            "note signature is not base64", expected="standard base64", found=short(encoded)
        ) from error
    if len(raw) <= KEY_ID_SIZE:
        raise CheckpointError(
            "note signature is too short",
            expected=f"more than {KEY_ID_SIZE} bytes",
            found=f"{len(raw)} bytes",
        )
    return NoteSignature(key_name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:])


def _check_characters(value: str) -> None:
    # Control characters other than newline are forbidden: they could hide text from a reader.
    for character in value:
        if character < " " and character != "\n":
            raise CheckpointError(
                "signed note holds a control character",
                expected="no control characters but newline",
                found=repr(character),
            )
