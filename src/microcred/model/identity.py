"""OB 3.0 IdentityObject and the salted e-mail hash (``sha256$`` + hex of sha256(email + salt)).

Normalisation: we hash the address trimmed and lower-cased. OB 3.0 hashes "the identifier" as
UTF-8 and says nothing about case; the domain part is case-insensitive (RFC 5321) and in practice
so is the local part, so a learner who types ``Ana@Example.org`` must still match. Matching also
tries the address exactly as given, so hashes made by issuers that do not lower-case still match.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Literal

from pydantic import StrictBool, field_validator, model_validator

from microcred.model.achievement import IDENTIFIER_TYPES, check_ext_enum
from microcred.model.base import Node
from microcred.model.values import Text, fail

_HASH = re.compile(r"(md5|sha256)\$([0-9a-fA-F]+)")
_HEX_LENGTH = {"md5": 32, "sha256": 64}


class IdentityObject(Node):
    """A recipient identifier, usually a salted hash of an e-mail address."""

    type: Literal["IdentityObject"] = "IdentityObject"
    hashed: StrictBool
    identity_hash: Text
    identity_type: Text
    salt: Text | None = None

    @field_validator("identity_type")
    @classmethod
    def _identity_type(cls, value: str) -> str:
        return check_ext_enum(value, IDENTIFIER_TYPES, "identityType")

    @model_validator(mode="after")
    def _hash_shape(self) -> IdentityObject:
        if not self.hashed:
            return self
        match = _HASH.fullmatch(self.identity_hash)
        if match is None or len(match.group(2)) != _HEX_LENGTH[match.group(1)]:
            raise fail(
                "identityHash is not an OB identity hash",
                "sha256$<64 hex digits> or md5$<32 hex digits>",
                subfield="identityHash",
                found=self.identity_hash,
            )
        return self


def normalize_email(email: str) -> str:
    """The form of an address we hash: surrounding space removed, lower case."""
    return email.strip().lower()


def _digest(algorithm: str, text: str) -> str:
    return hashlib.new(algorithm, text.encode("utf-8")).hexdigest()


def hashed_email_identity(email: str, salt: str | None = None) -> IdentityObject:
    """A hashed ``emailAddress`` identity; a random 128-bit salt is drawn when none is given.

    An unsalted hash of an e-mail address is reversed by a dictionary of addresses, so the salt
    is on by default.
    """
    if "@" not in email:
        raise ValueError("not an e-mail address")
    salt = secrets.token_hex(16) if salt is None else salt
    return IdentityObject(
        hashed=True,
        identity_hash="sha256$" + _digest("sha256", normalize_email(email) + salt),
        identity_type="emailAddress",
        salt=salt,
    )


def identity_matches(identity: IdentityObject, email: str) -> bool:
    """Whether ``identity`` names ``email``; constant-time on the digest."""
    if identity.identity_type != "emailAddress":
        return False
    candidates = {normalize_email(email), email}
    if not identity.hashed:
        return normalize_email(identity.identity_hash) == normalize_email(email)
    algorithm, _, expected = identity.identity_hash.partition("$")
    salt = identity.salt or ""
    found = False
    for candidate in candidates:
        actual = _digest(algorithm, candidate + salt)
        found |= hmac.compare_digest(actual, expected.lower())
    return found
