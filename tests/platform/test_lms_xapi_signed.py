"""xAPI signed statements: a multipart/mixed body whose signature part is a compact JWS made
here with ``cryptography`` (not our code) over the statement, with a self-signed x5c
certificate. A wrong signature, a changed statement, a part whose hash is wrong or a missing
part is refused with 400 naming what failed, and nothing is stored or awarded."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.lms.rules import RuleSpec
from microcred.runtime import Runtime
from microcred.store.tables import LmsAwardRow, LmsStatementRow
from tests.platform.conftest import IssuerFixture
from tests.platform.lms_support import COURSE, lrs_headers, statement

QUIZ = f"{COURSE}/quiz/signed"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
BOUNDARY = "xapi-boundary-7f3a"
_HASHES = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def keypair() -> tuple[rsa.RSAPrivateKey, str]:
    """An RSA key and a self-signed certificate for it, base64 DER as x5c wants."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Signing LMS")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return key, base64.b64encode(der).decode()


KEY, CERT = keypair()
OTHER_KEY, _OTHER_CERT = keypair()


def jws(payload: dict[str, Any], *, key: rsa.RSAPrivateKey = KEY, alg: str = "RS256") -> bytes:
    header = b64url(json.dumps({"alg": alg, "x5c": [CERT]}).encode())
    body = b64url(json.dumps(payload).encode())
    signing_input = f"{header}.{body}".encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), _HASHES[alg])
    return f"{header}.{body}.{b64url(signature)}".encode()


def signed(email: str = "signed@example.org", **jws_options: Any) -> tuple[dict[str, Any], bytes]:
    """A statement and its signature part, the statement's attachment naming the part."""
    original = statement(email, QUIZ)
    token = jws(original, **jws_options)
    sent = copy.deepcopy(original)
    sent["attachments"] = [
        {
            "usageType": SIGNATURE,
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": len(token),
            "sha2": hashlib.sha256(token).hexdigest(),
        }
    ]
    return sent, token


def multipart(body: Any, parts: list[tuple[bytes, str]]) -> bytes:
    """A multipart/mixed body: the statements, then each part with the hash it declares."""
    chunks = [
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(body).encode(),
    ]
    for content, declared in parts:
        chunks.append(
            f"\r\n--{BOUNDARY}\r\nContent-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {declared}\r\n\r\n".encode()
        )
        chunks.append(content)
    chunks.append(f"\r\n--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


def post(
    client: TestClient, headers: dict[str, str], body: Any, parts: list[tuple[bytes, str]]
) -> Any:
    return client.post(
        "/xapi/statements",
        content=multipart(body, parts),
        headers={**headers, "Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )


def counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.sessions() as session:
        statements = session.scalar(select(func.count()).select_from(LmsStatementRow))
        awards = session.scalar(select(func.count()).select_from(LmsAwardRow))
        return int(statements or 0), int(awards or 0)


@pytest.fixture
def ruled(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> dict[str, str]:
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("completed", (QUIZ,))
    )
    return lrs_headers(runtime, issuer.id)


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_valid_signed_statement_is_stored_and_awarded(
    client: TestClient, runtime: Runtime, ruled: dict[str, str], alg: str
) -> None:
    sent, token = signed(alg=alg)
    answer = post(client, ruled, sent, [(token, hashlib.sha256(token).hexdigest())])
    assert answer.status_code == 200, answer.text
    assert answer.json() == [sent["id"]]
    assert counts(runtime) == (1, 1)


def test_a_signed_statement_by_put(
    client: TestClient, runtime: Runtime, ruled: dict[str, str]
) -> None:
    sent, token = signed()
    answer = client.put(
        f"/xapi/statements?statementId={sent['id']}",
        content=multipart(sent, [(token, hashlib.sha256(token).hexdigest())]),
        headers={**ruled, "Content-Type": f'multipart/mixed; boundary="{BOUNDARY}"'},
    )
    assert answer.status_code == 204, answer.text
    assert counts(runtime) == (1, 1)


def refused(answer: Any, fragment: str) -> None:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_signed_statement"
    assert fragment in error["message"], error


def test_a_tampered_statement_is_refused(
    client: TestClient, runtime: Runtime, ruled: dict[str, str]
) -> None:
    sent, token = signed()
    sent["actor"]["mbox"] = "mailto:mallory@example.org"
    refused(
        post(client, ruled, sent, [(token, hashlib.sha256(token).hexdigest())]), "payload differs"
    )
    # A payload re-written after signing (signature over the old one) is a bad signature.
    header, _payload, signature = token.decode().split(".")
    forged = f"{header}.{b64url(json.dumps(sent).encode())}.{signature}".encode()
    sent["attachments"][0]["sha2"] = hashlib.sha256(forged).hexdigest()
    refused(
        post(client, ruled, sent, [(forged, hashlib.sha256(forged).hexdigest())]), "bad signature"
    )
    assert counts(runtime) == (0, 0)


def test_a_signature_by_another_key_is_refused(
    client: TestClient, runtime: Runtime, ruled: dict[str, str]
) -> None:
    sent, token = signed(key=OTHER_KEY)  # the x5c certificate is KEY's
    refused(
        post(client, ruled, sent, [(token, hashlib.sha256(token).hexdigest())]), "bad signature"
    )
    assert counts(runtime) == (0, 0)


def test_hash_mismatches_are_refused(
    client: TestClient, runtime: Runtime, ruled: dict[str, str]
) -> None:
    sent, token = signed()
    # The part's content is not what its header declares.
    refused(
        post(client, ruled, sent, [(token + b"x", hashlib.sha256(token).hexdigest())]),
        "hash mismatch",
    )
    # The part is consistent, but the statement's attachment names another hash.
    other = jws(statement("someone@example.org", QUIZ))
    refused(post(client, ruled, sent, [(other, hashlib.sha256(other).hexdigest())]), "missing part")
    assert counts(runtime) == (0, 0)


def test_a_missing_signature_part_is_refused(
    client: TestClient, runtime: Runtime, ruled: dict[str, str]
) -> None:
    sent, _token = signed()
    refused(post(client, ruled, sent, []), "missing part")
    # Sent as plain JSON, the signature cannot be there either.
    answer = client.post("/xapi/statements", json=sent, headers=ruled)
    refused(answer, "missing part")
    # One good statement in a batch does not carry a bad one: all or nothing.
    good, good_token = signed("good@example.org")
    bad, _bad_token = signed("bad@example.org")
    refused(
        post(client, ruled, [good, bad], [(good_token, hashlib.sha256(good_token).hexdigest())]),
        "statements[1].attachments[0]",
    )
    assert counts(runtime) == (0, 0)


def test_malformed_multipart_and_signature_parts(
    client: TestClient, runtime: Runtime, ruled: dict[str, str]
) -> None:
    sent, token = signed()
    digest = hashlib.sha256(token).hexdigest()
    headers = {**ruled, "Content-Type": "multipart/mixed"}
    answer = client.post("/xapi/statements", content=multipart(sent, []), headers=headers)
    refused(answer, "boundary")
    unclosed = multipart(sent, [(token, digest)]).removesuffix(f"\r\n--{BOUNDARY}--\r\n".encode())
    answer = client.post(
        "/xapi/statements",
        content=unclosed,
        headers={**ruled, "Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )
    refused(answer, "not closed")
    wrong_type = copy.deepcopy(sent)
    wrong_type["attachments"][0]["contentType"] = "text/plain"
    refused(post(client, ruled, wrong_type, [(token, digest)]), "application/octet-stream")
    junk = b"not-a-jws"
    junk_sent = copy.deepcopy(sent)
    junk_sent["attachments"][0]["sha2"] = hashlib.sha256(junk).hexdigest()
    refused(
        post(client, ruled, junk_sent, [(junk, hashlib.sha256(junk).hexdigest())]),
        "not a compact JWS",
    )
    deep = b".".join([b"e30", b64url(b"[" * 200_000).encode(), b"AA"])
    deep_sent = copy.deepcopy(sent)
    deep_sent["attachments"][0]["sha2"] = hashlib.sha256(deep).hexdigest()
    refused(post(client, ruled, deep_sent, [(deep, hashlib.sha256(deep).hexdigest())]), "not JSON")
    hs256 = b".".join([b64url(json.dumps({"alg": "HS256"}).encode()).encode(), b"e30", b"AA"])
    hs_sent = copy.deepcopy(sent)
    hs_sent["attachments"][0]["sha2"] = hashlib.sha256(hs256).hexdigest()
    refused(
        post(client, ruled, hs_sent, [(hs256, hashlib.sha256(hs256).hexdigest())]),
        "unsupported algorithm",
    )
    refused(
        post(client, ruled, statement("x@example.org", QUIZ), [(token, digest)]),
        "not any statement's attachment",
    )
    assert counts(runtime) == (0, 0)


def test_a_statement_signed_with_joserfc_is_accepted(
    client: TestClient, runtime: Runtime, ruled: dict[str, str]
) -> None:
    """The same check against a JWS made by a JOSE library rather than by hand."""
    from joserfc import jws as joserfc_jws
    from joserfc.jwk import RSAKey

    original = statement("jose@example.org", QUIZ)
    pem = KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    token = joserfc_jws.serialize_compact(
        {"alg": "RS512", "x5c": [CERT]},
        json.dumps(original),
        RSAKey.import_key(pem),
        algorithms=["RS512"],
    ).encode()
    sent = {
        **original,
        "attachments": [
            {
                "usageType": SIGNATURE,
                "display": {"en-US": "Signature"},
                "contentType": "application/octet-stream",
                "length": len(token),
                "sha2": hashlib.sha256(token).hexdigest(),
            }
        ],
    }
    answer = post(client, ruled, sent, [(token, hashlib.sha256(token).hexdigest())])
    assert answer.status_code == 200, answer.text
    assert counts(runtime) == (1, 1)
