"""European Digital Credentials as Europass issues them: a JAdES e-seal over the credential.

The Commission's wallet hands a learner a JWS in its JSON serialization (RFC 7515 §7.2, general
or flattened) whose payload is a VC 1.1 ``EuropeanDigitalCredential``. The seal is JAdES
(ETSI TS 119 182-1): a protected header with ``alg`` (RS256, PS256, ES256...), ``x5c`` (the
sealing certificate chain), ``x5t#S256`` (the certificate's digest), ``b64: false`` (RFC 7797:
the payload is signed as it is, not base64url-encoded) and ``crit`` naming those extensions.

What "verified" means here, and what it does not:

* checked: the JWS is well formed, every ``crit`` entry is one JAdES defines, ``x5t#S256``
  names the certificate in ``x5c``, the signature verifies with that certificate's public key
  over the RFC 7797 (or ordinary) signing input, the payload is a Verifiable Credential of the
  EDC type, it satisfies the Commission's SHACL shapes (``EDC-generic-no-cv``: a violation
  fails the ``shapes`` check; ``EDC-generic-full``'s vocabulary restrictions: a warning), and
  its validity dates hold now;
* not checked: that the certificate chains to a qualified trust service provider on the EU
  trusted lists (no trust list is bundled, and none is fetched). So the ``issuer`` check is a
  warning naming who the certificate says sealed it, and the outcome is "signature valid,
  issuer not confirmed", never a bare "verified". The JAdES timestamp (``adoTst``) is read as
  present, not validated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from microcred.errors import InputError, MicrocredError, short
from microcred.types import JsonObject
from microcred.verify import messages as m
from microcred.verify import shacl, vc1
from microcred.verify.result import Check, Status, VerificationResult

EDC_TYPE = "EuropeanDigitalCredential"
# Header parameters JAdES defines; a ``crit`` entry outside these (and RFC 7797's b64) is one
# this verifier does not understand, and RFC 7515 §4.1.11 says to refuse the signature then.
JADES_CRITICAL = frozenset(
    {"b64", "sigT", "adoTst", "sigD", "x5t#o", "sigX5ts", "srCms", "srAts", "sigPl", "sigPId"}
)
MAX_SEALED_BYTES = 4 * 1024 * 1024


def is_sealed_edc(document: Mapping[str, Any]) -> bool:
    """A JWS JSON serialization (general or flattened) whose payload is an EDC."""
    payload = document.get("payload")
    if not isinstance(payload, str) or not (
        isinstance(document.get("signatures"), list) or "signature" in document
    ):
        return False
    return EDC_TYPE in payload[:4000] or EDC_TYPE in _decoded_text(payload)[:4000]


def verify_sealed(text: str, fmt: str, *, clock: Callable[[], datetime]) -> VerificationResult:
    """Every check of a sealed EDC (see the module's docstring for what they cover)."""
    checks = [Check.said("input", Status.PASSED, m.READ, format=fmt)]
    try:
        document = json.loads(text)
        protected_b64, header, signature = _only_signature(document)
        payload_bytes, credential = _payload(document["payload"], header)
    except InputError as exc:
        checks.append(Check.said("parse", Status.FAILED, m.EDC_MALFORMED, reason=exc.message))
        return VerificationResult(tuple(checks), format=fmt)
    types = credential.get("type")
    if not isinstance(types, list) or EDC_TYPE not in types:
        checks.append(Check.said("parse", Status.FAILED, m.EDC_NOT_EDC, found=short(types)))
        return VerificationResult(tuple(checks), format=fmt, credential=credential)
    checks.append(Check.said("parse", Status.PASSED, m.EDC_PARSED))
    checks.append(_shapes(credential))
    certificate: x509.Certificate | None = None
    try:
        certificate = _certificate(header)
        _check_seal(header, protected_b64, payload_bytes, signature, certificate)
    except InputError as exc:
        checks.append(Check.said("proof", Status.FAILED, m.EDC_SEAL_BAD, reason=exc.message))
    else:
        checks.append(
            Check.said(
                "proof", Status.PASSED, m.EDC_SEAL_OK, alg=header["alg"], sealer=_who(certificate)
            )
        )
    if certificate is not None:
        checks.append(
            Check.said("issuer", Status.WARNING, m.EDC_ISSUER_UNCONFIRMED, sealer=_who(certificate))
        )
    checks.append(_validity(credential, clock()))
    return VerificationResult(
        tuple(checks), format=fmt, credential=credential, summary=_summary(credential)
    )


# ---- reading the JWS --------------------------------------------------------------------------


def _only_signature(document: Any) -> tuple[str, JsonObject, bytes]:
    if not isinstance(document, dict):
        raise InputError("the seal is not a JSON object")
    if isinstance(document.get("signatures"), list):
        signatures = document["signatures"]
        if len(signatures) != 1 or not isinstance(signatures[0], dict):
            raise InputError(
                "a sealed credential carries one seal",
                expected="one signature",
                found=f"{len(signatures)} signatures",
            )
        entry = signatures[0]
    else:
        entry = document
    protected = entry.get("protected")
    signature = entry.get("signature")
    if not isinstance(protected, str) or not isinstance(signature, str):
        raise InputError("the seal has no protected header or no signature")
    header = _json_part(protected, "protected header")
    return protected, header, _b64(signature, "signature")


def _payload(payload: str, header: JsonObject) -> tuple[bytes, JsonObject]:
    """The bytes signed and the credential: with ``b64: false`` the payload as it is."""
    if header.get("b64", True) is False:
        raw = payload.encode("utf-8")
        text = payload
    else:
        raw = payload.encode("ascii", errors="replace")
        text = _b64(payload, "payload").decode("utf-8", errors="replace")
    if len(raw) > MAX_SEALED_BYTES:
        raise InputError("the sealed credential is too large", expected=f"<= {MAX_SEALED_BYTES}")
    try:
        credential = json.loads(text)
    except ValueError as exc:
        raise InputError("the sealed payload is not JSON") from exc
    if not isinstance(credential, dict):
        raise InputError("the sealed payload is not a JSON object")
    return raw, credential


def _json_part(part: str, name: str) -> JsonObject:
    try:
        value = json.loads(_b64(part, name))
    except ValueError as exc:
        raise InputError(f"the {name} is not JSON") from exc
    if not isinstance(value, dict):
        raise InputError(f"the {name} is not a JSON object")
    return value


def _b64(text: str, name: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"the {name} is not base64url", found=short(text)) from exc


def _decoded_text(payload: str) -> str:
    try:
        return _b64(payload[:8000], "payload").decode("utf-8", errors="replace")
    except InputError:
        return ""


# ---- the seal ---------------------------------------------------------------------------------


def _certificate(header: JsonObject) -> x509.Certificate:
    chain = header.get("x5c")
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise InputError("the seal names no certificate", expected="x5c in the protected header")
    try:
        der = base64.b64decode(chain[0], validate=True)
        certificate = x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError) as exc:
        raise InputError("the sealing certificate cannot be read", found=short(chain[0])) from exc
    thumbprint = header.get("x5t#S256")
    if thumbprint is not None:
        digest = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
        if thumbprint != digest:
            raise InputError(
                "x5t#S256 does not name the certificate in x5c",
                expected=digest,
                found=short(thumbprint),
            )
    return certificate


def _check_seal(
    header: JsonObject,
    protected_b64: str,
    payload: bytes,
    signature: bytes,
    certificate: x509.Certificate,
) -> None:
    critical = header.get("crit", [])
    if not isinstance(critical, list) or any(
        not isinstance(name, str) or name not in JADES_CRITICAL or name not in header
        for name in critical
    ):
        raise InputError(
            "the seal marks as critical what this verifier does not understand",
            expected=", ".join(sorted(JADES_CRITICAL)) + " (each present in the header)",
            found=short(critical),
        )
    signing_input = protected_b64.encode("ascii") + b"." + payload
    alg = header.get("alg")
    key = certificate.public_key()
    try:
        if alg in ("RS256", "RS384", "RS512") and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signing_input, padding.PKCS1v15(), _hash(alg))
        elif alg in ("PS256", "PS384", "PS512") and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(mgf=padding.MGF1(_hash(alg)), salt_length=_hash(alg).digest_size)
            key.verify(signature, signing_input, pss, _hash(alg))
        elif alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, signing_input)
        elif alg in ("ES256", "ES384", "ES512") and isinstance(key, ec.EllipticCurvePublicKey):
            half = len(signature) // 2
            der = encode_dss_signature(
                int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            )
            key.verify(der, signing_input, ec.ECDSA(_hash(alg)))
        else:
            raise InputError(
                "the seal's algorithm does not fit its certificate",
                expected="RS256/PS256/ES256 (or 384, 512) or EdDSA with a matching key",
                found=f"{short(alg)} with {type(key).__name__}",
            )
    except InvalidSignature as exc:
        raise InputError("the seal does not match the credential: it was changed") from exc


def _hash(alg: str) -> hashes.HashAlgorithm:
    return {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[-3:]]


def _who(certificate: x509.Certificate) -> str:
    """Who the certificate says it is: its organisation and common name."""
    subject = certificate.subject
    names = [
        str(attribute.value)
        for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME)
        for attribute in subject.get_attributes_for_oid(oid)
    ]
    return (", ".join(dict.fromkeys(names)) or subject.rfc4514_string())[:200]


# ---- the credential ---------------------------------------------------------------------------


def _shapes(credential: JsonObject) -> Check:
    try:
        found = shacl.check_edc(credential, ("no-cv",))
        vocabulary = [] if found else shacl.check_edc(credential, ("full",))
    except MicrocredError as exc:  # a context not bundled, a graph past the limits
        return Check.said("shapes", Status.FAILED, m.EDC_SHAPES_UNREADABLE, reason=exc.message)
    if found:
        return Check.said(
            "shapes",
            Status.FAILED,
            m.EDC_SHAPES_FAILED,
            count=len(found),
            first=str(found[0]),
            message=found[0].explained,
            focus=found[0].focus,
            path=found[0].path or "-",
        )
    if vocabulary:
        return Check.said(
            "shapes",
            Status.WARNING,
            m.EDC_SHAPES_VOCABULARY,
            count=len(vocabulary),
            first=str(vocabulary[0]),
        )
    return Check.said("shapes", Status.PASSED, m.EDC_SHAPES_OK)


def _validity(credential: JsonObject, now: datetime) -> Check:
    start_name, end_name = vc1.validity_names(credential)
    start, end = credential.get(start_name), credential.get(end_name)
    try:
        start_at = _time(start) if isinstance(start, str) else None
        end_at = _time(end) if isinstance(end, str) else None
    except ValueError:
        return Check.said("validity", Status.FAILED, m.DATES_UNREADABLE, reason="not ISO 8601")
    if start_at is not None and now < start_at:
        return Check.said("validity", Status.FAILED, m.NOT_YET, start=start)
    if end_at is not None and now >= end_at:
        return Check.said("validity", Status.FAILED, m.EXPIRED, end=end)
    if start_at is None:
        return Check.said("validity", Status.WARNING, m.EDC_NO_DATES)
    return Check.said("validity", Status.PASSED, m.EDC_VALID_SINCE, start=start)


def _time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment


def _summary(credential: JsonObject) -> dict[str, Any]:
    """Name and issuer for people: the first claim's title (the achievement), else the
    display parameter's, and the issuer's legal name (language maps: English, else the first)."""
    summary: dict[str, Any] = {}
    subject = credential.get("credentialSubject")
    claims = subject.get("hasClaim") if isinstance(subject, dict) else None
    claim = claims[0] if isinstance(claims, list) and claims else claims
    title = _text(claim.get("title")) if isinstance(claim, dict) else None
    display = credential.get("displayParameter")
    if title is None and isinstance(display, dict):
        title = _text(display.get("title"))
    if title:
        summary["name"] = title
        summary["achievement"] = title
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        name = _text(issuer.get("legalName")) or _text(issuer.get("name"))
        if name:
            summary["issuer"] = name
    return summary


def _text(value: Any) -> str | None:
    """A plain string, or the English (else first) text of a language map or its list."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list) and value:
        return _text(value[0])
    if isinstance(value, dict):
        if "@value" in value:
            return _text(value["@value"])
        for key in ("en", *value):
            found = _text(value.get(key))
            if found:
                return found
    return None


__all__ = ["EDC_TYPE", "is_sealed_edc", "verify_sealed"]
