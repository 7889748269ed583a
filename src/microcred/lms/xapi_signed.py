"""xAPI statements with attachments and signatures (xAPI 1.0.3 and 2.0, "Signed Statements").

A request with attachments is ``multipart/mixed``: the first part is the statement (or the
batch) as JSON, each further part an attachment's bytes with an ``X-Experience-API-Hash``
header (its SHA-256, hex). A signed statement carries an attachment of usage type
:data:`SIGNATURE_USAGE` whose part is a compact JWS (RS256/384/512, the key in the ``x5c``
certificate) over the statement as it was before the signature was attached. Everything here
is pure: the web route splits the body, :func:`check_attachments` refuses what an LRS must
(400, naming what failed), and only then are the statements stored.

The certificate is not chained to any trust anchor: the signature proves the statement was not
changed after the holder of that key signed it, not who the holder is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from microcred.errors import SignedStatementError, short
from microcred.nesting import text_nests_deeper

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_TYPE = "application/octet-stream"
HASH_HEADER = "x-experience-api-hash"
MAX_PARTS = 64
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "RS256": hashes.SHA256(),
    "RS384": hashes.SHA384(),
    "RS512": hashes.SHA512(),
}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Properties the LRS sets or may change: not part of what the signer saw (xAPI's statement
# comparison leaves them out).
_LRS_SET = ("authority", "stored", "version")


@dataclass(frozen=True)
class Multipart:
    statements: bytes  # the first part: JSON
    parts: dict[str, bytes]  # the further parts by their declared SHA-256 (hex)


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "multipart/mixed"


def _boundary(content_type: str) -> bytes:
    match = re.search(r';\s*boundary\s*=\s*("([^"]{1,70})"|([^\s;"]{1,70}))', content_type, re.I)
    if match is None:
        raise SignedStatementError(
            "a multipart/mixed body needs a boundary",
            field="Content-Type",
            expected="multipart/mixed; boundary=...",
            found=short(content_type),
        )
    return (match.group(2) or match.group(3)).encode("ascii", "replace")


def _headers(block: bytes, index: int) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.split(b"\r\n"):
        if not line.strip():
            continue
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise SignedStatementError(
                "a part's header line has no colon",
                field=f"part[{index}]",
                expected="Name: value",
                found=short(line.decode("latin-1")),
            )
        headers[name.strip().lower()] = value.strip()
    return headers


def split_multipart(content_type: str, body: bytes) -> Multipart:
    """The statement JSON and the attachment parts of a ``multipart/mixed`` body, each part's
    bytes checked against the hash it declares."""
    delimiter = b"\r\n--" + _boundary(content_type)
    pieces = (b"\r\n" + body).split(delimiter)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise SignedStatementError(
            "the multipart body is not closed or has no parts",
            field="(body)",
            expected="parts between boundaries and a closing --boundary--",
            found=f"{max(len(pieces) - 1, 0)} boundaries",
        )
    parts = pieces[1:-1]
    if len(parts) > MAX_PARTS + 1:
        raise SignedStatementError(
            "too many parts",
            field="(body)",
            expected=f"at most {MAX_PARTS + 1}",
            found=str(len(parts)),
        )
    statements = b""
    attachments: dict[str, bytes] = {}
    for index, piece in enumerate(parts):
        head, separator, content = piece.partition(b"\r\n\r\n")
        if not separator:
            raise SignedStatementError(
                "a part has no blank line after its headers",
                field=f"part[{index}]",
                expected="headers, an empty line, the content",
                found="no empty line",
            )
        headers = _headers(head, index)
        if index == 0:
            kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if kind != "application/json":
                raise SignedStatementError(
                    "the first part must be the statements as JSON",
                    field="part[0].Content-Type",
                    expected="application/json",
                    found=kind or "none",
                )
            statements = content
            continue
        declared = headers.get(HASH_HEADER, "").lower()
        if not _SHA256.match(declared):
            raise SignedStatementError(
                "an attachment part needs its SHA-256 in X-Experience-API-Hash",
                field=f"part[{index}].X-Experience-API-Hash",
                expected="64 hex digits",
                found=short(declared) if declared else "no header",
            )
        actual = hashlib.sha256(content).hexdigest()
        if actual != declared:
            raise SignedStatementError(
                "hash mismatch: an attachment part's content does not have the hash it declares",
                field=f"part[{index}].X-Experience-API-Hash",
                expected=declared,
                found=actual,
            )
        attachments[declared] = content
    return Multipart(statements, attachments)


def check_attachments(body: Any, parts: dict[str, bytes]) -> None:
    """Refuse a statement whose attachment has no part (and no ``fileUrl``), a part no
    attachment names, and a signature that is malformed, wrong or over other content."""
    statements = body if isinstance(body, list) else [body]
    named: set[str] = set()
    for i, statement in enumerate(statements):
        where = f"statements[{i}]" if isinstance(body, list) else "statement"
        if not isinstance(statement, dict) or statement.get("attachments") is None:
            continue  # the data model check names what is wrong with it
        attachments = statement["attachments"]
        if not isinstance(attachments, list):
            continue
        signatures = 0
        for j, attachment in enumerate(attachments):
            field = f"{where}.attachments[{j}]"
            if not isinstance(attachment, dict):
                raise SignedStatementError("must be an object", field=field, found="not an object")
            sha2 = attachment.get("sha2")
            if not isinstance(sha2, str) or not _SHA256.match(sha2.lower()):
                raise SignedStatementError(
                    "an attachment needs its SHA-256",
                    field=f"{field}.sha2",
                    expected="64 hex digits",
                    found=short(str(sha2)),
                )
            sha2 = sha2.lower()
            named.add(sha2)
            is_signature = attachment.get("usageType") == SIGNATURE_USAGE
            if sha2 not in parts:
                if is_signature or "fileUrl" not in attachment:
                    raise SignedStatementError(
                        "missing part: no multipart part carries this attachment",
                        field=f"{field}.sha2",
                        expected="a part with X-Experience-API-Hash " + sha2,
                        found="none",
                    )
                continue
            if is_signature:
                signatures += 1
                if attachment.get("contentType") != SIGNATURE_TYPE:
                    raise SignedStatementError(
                        "a signature attachment must be application/octet-stream",
                        field=f"{field}.contentType",
                        expected=SIGNATURE_TYPE,
                        found=short(str(attachment.get("contentType"))),
                    )
                _verify(parts[sha2], statement, field)
        if signatures > 1:
            raise SignedStatementError(
                "a statement has one signature",
                field=f"{where}.attachments",
                expected="at most 1",
                found=str(signatures),
            )
    unnamed = sorted(set(parts) - named)
    if unnamed:
        raise SignedStatementError(
            "a part is not any statement's attachment",
            field="X-Experience-API-Hash",
            expected="the sha2 of an attachment",
            found=unnamed[0],
        )


def _b64url(value: str, field: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SignedStatementError(
            "bad signature: not base64url", field=field, found=short(value)
        ) from exc


def _verify(token_bytes: bytes, statement: dict[str, Any], field: str) -> None:
    token = token_bytes.decode("ascii", "replace").strip()
    segments = token.split(".")
    if len(segments) != 3:
        raise SignedStatementError(
            "bad signature: not a compact JWS",
            field=field,
            expected="header.payload.signature",
            found=f"{len(segments)} segments",
        )
    try:
        header_text, payload_text = _b64url(segments[0], field), _b64url(segments[1], field)
        if text_nests_deeper(header_text) or text_nests_deeper(payload_text):
            raise RecursionError  # refused before json.loads could recurse that deep
        header = json.loads(header_text)
        payload = json.loads(payload_text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested past any sense
        raise SignedStatementError(
            "bad signature: the JWS header or payload is not JSON", field=field, found="not JSON"
        ) from exc
    if not isinstance(header, dict) or header.get("alg") not in _HASHES:
        found = header.get("alg") if isinstance(header, dict) else "not an object"
        raise SignedStatementError(
            "bad signature: unsupported algorithm",
            field=f"{field} (JWS alg)",
            expected="RS256, RS384 or RS512",
            found=short(str(found)),
        )
    public_key = _x5c_key(header.get("x5c"), field)
    try:
        public_key.verify(
            _b64url(segments[2], field),
            f"{segments[0]}.{segments[1]}".encode("ascii"),
            padding.PKCS1v15(),
            _HASHES[header["alg"]],
        )
    except InvalidSignature as exc:
        raise SignedStatementError(
            "bad signature: the JWS does not verify with the key of its x5c certificate",
            field=field,
            expected="a valid signature",
            found="invalid",
        ) from exc
    if not isinstance(payload, dict) or _comparable(payload, payload) != _comparable(
        statement, payload
    ):
        raise SignedStatementError(
            "payload differs: the signed statement is not the statement sent",
            field=field,
            expected="the JWS payload equal to the statement",
            found="different",
        )


def _x5c_key(x5c: Any, field: str) -> rsa.RSAPublicKey:
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        raise SignedStatementError(
            "bad signature: the JWS header has no x5c certificate",
            field=f"{field} (JWS x5c)",
            expected="an array of base64 DER certificates",
            found=short(str(x5c)),
        )
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
    except (binascii.Error, ValueError) as exc:
        raise SignedStatementError(
            "bad signature: the x5c certificate cannot be read",
            field=f"{field} (JWS x5c)",
            expected="a base64 DER X.509 certificate",
            found="unreadable",
        ) from exc
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignedStatementError(
            "bad signature: the x5c certificate's key is not RSA",
            field=f"{field} (JWS x5c)",
            expected="RSA",
            found=type(key).__name__,
        )
    return key


def _comparable(statement: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The statement without its attachments and the properties the LRS sets; ``id`` and
    ``timestamp`` only where the signer set them (an LRS may add both)."""
    kept = {k: v for k, v in statement.items() if k != "attachments" and k not in _LRS_SET}
    for optional in ("id", "timestamp"):
        if optional not in payload:
            kept.pop(optional, None)
    return kept
