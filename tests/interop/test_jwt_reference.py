"""VC-JWT both ways with the JavaScript `jose` package (interop/js/jwt.mjs): what we sign as a
VC-JWT (EdDSA with Ed25519, ES256 with P-256) verifies there, what it signs verifies here, and a
changed token fails on either side."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from microcred.crypto import jose, multibase
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.samples import sample_credential
from microcred.verify import Status, Verifier
from tests.interop.reference_stack import JS_DIR, node_or_skip

NODE = node_or_skip()
pytestmark = pytest.mark.interop

ALGORITHMS = {"Ed25519": "EdDSA", "P-256": "ES256"}


def private_jwk(key: SigningKey) -> dict[str, str]:
    """The key as a JWK with its secret ``d`` (for the JS side only; written to a temp file)."""
    jwk = dict(key.public.jwk)
    secret = key.native
    if isinstance(secret, ed25519.Ed25519PrivateKey):
        raw = secret.private_bytes_raw()
    else:
        assert isinstance(secret, ec.EllipticCurvePrivateKey)
        raw = secret.private_numbers().private_value.to_bytes(32, "big")
    jwk["d"] = multibase.b64url_encode(raw)
    return jwk


def js(tmp: Path, *args: str, files: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (tmp / name).write_text(text, encoding="utf-8")
    return subprocess.run(
        [NODE, str(JS_DIR / "jwt.mjs"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp,
    )


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    credential = json.loads(multibase.b64url_decode(payload))
    credential["credentialSubject"]["achievement"]["name"] = "Something else"
    changed = multibase.b64url_encode(json.dumps(credential).encode())
    return f"{header}.{changed}.{signature}"


@pytest.fixture(params=sorted(ALGORITHMS))
def key_file(request: pytest.FixtureRequest) -> KeyFile:
    return KeyFile.for_did_key(SigningKey.generate(request.param))


def test_the_reference_verifies_our_vc_jwt(tmp_path: Path, key_file: KeyFile) -> None:
    credential = sample_credential(issuer_id=key_file.controller)
    token = jose.sign_jwt(credential, key_file.key, kid=key_file.verification_method)
    files = {"token.txt": token, "public.jwk.json": key_file.key.public.jwk}
    args = ("verify", "token.txt", "--jwk", "public.jwk.json")
    done = js(tmp_path, *args, "--kid", key_file.verification_method, files=files)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["verified"] is True, result
    assert result["header"]["alg"] == ALGORITHMS[key_file.key.algorithm]
    assert result["header"]["kid"] == key_file.verification_method
    assert result["credential"] == credential

    files = {"token.txt": tampered(token), "public.jwk.json": key_file.key.public.jwk}
    done = js(tmp_path, *args, files=files)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "signature verification failed" in json.loads(done.stdout)["errors"][0]


def test_we_verify_the_references_vc_jwt(tmp_path: Path, key_file: KeyFile) -> None:
    credential = sample_credential(issuer_id=key_file.controller)
    files = {"in.json": credential, "private.jwk.json": private_jwk(key_file.key)}
    args = ("sign", "in.json", "--jwk", "private.jwk.json", "--kid", key_file.verification_method)
    done = js(tmp_path, *args, files=files)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    header, payload = jose.decode_unverified(token)
    assert header == {
        "alg": ALGORITHMS[key_file.key.algorithm],
        "typ": "vc+jwt",
        "kid": key_file.verification_method,
    }
    assert payload == credential

    result = Verifier().verify(token)
    assert result.verified, result.to_json()
    proof = result.check("proof")
    assert proof is not None
    assert proof.status == Status.PASSED
    assert ALGORITHMS[key_file.key.algorithm] in proof.message
    assert result.check("issuer").status == Status.PASSED  # type: ignore[union-attr]

    refused = Verifier().verify(tampered(token))
    assert not refused.verified
    assert refused.check("proof").status == Status.FAILED  # type: ignore[union-attr]
