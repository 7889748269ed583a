"""Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme").

A message is signed over ``{webhook-id}.{webhook-timestamp}.{body}`` with HMAC-SHA256 under
the secret's bytes; the secret is shown as ``whsec_`` + base64 and the signature header is
``v1,`` + base64 of the MAC. Receivers check the timestamp against their clock, so a
replayed message is refused by them after their tolerance (five minutes in the reference).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from microcred.errors import InputError

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise InputError("not a webhook secret", expected=f"{SECRET_PREFIX}<base64>")
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError as exc:
        raise InputError("webhook secret is not base64", expected="whsec_<base64>") from exc


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a signed message, and its content type."""
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


__all__ = ["headers", "new_secret", "secret_bytes", "signature"]
