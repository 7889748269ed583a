"""A JAdES e-seal over a European Digital Credential, made with the issuer's own key.

The form is the one Europass issues and ``microcred.verify.europass`` reads: a JWS in its
general JSON serialization (RFC 7515 §7.2.1) whose payload is the credential's JSON as it is
(RFC 7797, ``b64: false``), and whose protected header carries ``alg``, the sealing certificate
(``x5c``), its digest (``x5t#S256``), the signing time (``sigT``) and ``crit`` naming the two
extensions a verifier must understand.

Our issuers' keys are Ed25519 (``alg: EdDSA``, RFC 8037) or P-256 (``ES256``). A qualified seal
needs a certificate from a qualified trust service provider; a platform issuer has none, so the
certificate here is self-issued by the key it certifies: its subject is the awarding body (name,
country, and the legal identifier as ``organizationIdentifier``), and a subject alternative name
gives the issuer's DID, where the same key is published. Why JAdES and not Data Integrity:
``docs/design/europass.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from microcred.crypto.keys import SigningKey
from microcred.types import JsonObject

CERTIFICATE_DAYS = 3 * 365
_ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")  # ETSI EN 319 412-1


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def seal_certificate(
    key: SigningKey,
    *,
    organisation: str,
    country: str,
    legal_identifier: str,
    did: str,
    now: datetime,
) -> x509.Certificate:
    """A certificate for ``key``, signed by ``key``, naming the awarding body and its DID."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country.upper()),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(_ORGANIZATION_IDENTIFIER, legal_identifier[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation[:52]} e-seal"),
        ]
    )
    secret = key.native
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(secret.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(did)]), False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    algorithm = None if isinstance(secret, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(secret, algorithm)


def seal(
    credential: JsonObject, key: SigningKey, certificate: x509.Certificate, *, now: datetime
) -> JsonObject:
    """The sealed credential: the JWS general JSON serialization with an unencoded payload."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    header: dict[str, Any] = {
        "alg": key.public.jws_algorithm,
        "cty": "application/ld+json",
        "b64": False,
        "crit": ["b64", "sigT"],
        "sigT": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x5c": [base64.b64encode(der).decode("ascii")],
        "x5t#S256": _b64url(hashlib.sha256(der).digest()),
    }
    protected = _b64url(json.dumps(header, separators=(",", ":")).encode())
    payload = json.dumps(credential, ensure_ascii=False, separators=(",", ":"))
    signature = key.sign(protected.encode("ascii") + b"." + payload.encode("utf-8"))
    return {
        "payload": payload,
        "signatures": [{"protected": protected, "signature": _b64url(signature)}],
    }


__all__ = ["seal", "seal_certificate"]
