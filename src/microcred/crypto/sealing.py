"""Secret keys at rest: AES-256-GCM under a key derived from the master secret.

The associated data binds a sealed blob to what it belongs to (for example the key's
verification method id), so a blob copied onto another row does not open there.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from microcred.errors import SealingError

_VERSION = b"mc1"
_NONCE_BYTES = 12


class Sealer:
    def __init__(self, master_secret: str) -> None:
        if not master_secret:
            raise SealingError("empty master secret", expected="a non-empty secret")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"microcred key sealing v1"
        ).derive(master_secret.encode())
        self._aead = AESGCM(derived)

    def seal(self, plaintext: bytes, *, bound_to: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, bound_to.encode())

    def open(self, sealed: bytes, *, bound_to: str) -> bytes:
        if not sealed.startswith(_VERSION) or len(sealed) < len(_VERSION) + _NONCE_BYTES + 16:
            raise SealingError(
                "not a sealed secret",
                expected="mc1 + nonce + ciphertext",
                found=f"{len(sealed)} bytes",
            )
        nonce = sealed[len(_VERSION) : len(_VERSION) + _NONCE_BYTES]
        try:
            return self._aead.decrypt(
                nonce, sealed[len(_VERSION) + _NONCE_BYTES :], bound_to.encode()
            )
        except InvalidTag as exc:
            raise SealingError(
                "sealed secret does not open: wrong master secret, or it belongs elsewhere",
                expected=f"a secret sealed for {bound_to}",
            ) from exc
