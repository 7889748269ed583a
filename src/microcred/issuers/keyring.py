"""Signing keys at rest: one way to make a sealed key row and to open one.

A sealed secret is bound to its row's id, which never changes. (Binding it to the verification
method would tie it to the public URL: moving a server to its real domain would leave every
key unopenable.)
"""

from __future__ import annotations

import uuid
from datetime import datetime

from microcred.crypto.keys import SigningKey
from microcred.crypto.sealing import Sealer
from microcred.store.tables import IssuerKeyRow


def _binding(row_id: str) -> str:
    return f"issuer-key:{row_id}"


def new_key_row(
    sealer: Sealer, *, issuer_id: str | None, purpose: str, fragment_prefix: str, now: datetime
) -> tuple[IssuerKeyRow, SigningKey]:
    """A fresh Ed25519 key and its row (not yet added to a session)."""
    key = SigningKey.generate()
    row_id = str(uuid.uuid4())
    row = IssuerKeyRow(
        id=row_id,
        issuer_id=issuer_id,
        purpose=purpose,
        fragment=f"#{fragment_prefix}{key.public.multibase}",
        algorithm=key.algorithm,
        public_multibase=key.public.multibase,
        sealed_secret=sealer.seal(key.secret_multibase.encode(), bound_to=_binding(row_id)),
        created_at=now,
    )
    return row, key


def open_key_row(sealer: Sealer, row: IssuerKeyRow) -> SigningKey:
    """The row's secret key (SealingError under another master secret or on another row)."""
    secret = sealer.open(row.sealed_secret, bound_to=_binding(row.id)).decode()
    return SigningKey.from_multibase(secret, row.public_multibase)
