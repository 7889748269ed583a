"""``microcred verify`` on keys the credential carries: "signature valid, issuer not confirmed"
(exit 1) offline, verified once ``--controller-document`` or ``--did-document`` lists the key;
per-proof lines for a proof set; an RS256 VC-JWT."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.crypto import multibase, proofs
from microcred.crypto.keys import KeyFile, PublicKey, SigningKey
from microcred.samples import sample_credential

runner = CliRunner()
HTTPS_ISSUER = "https://issuer.example/issuers/1"
KEY = SigningKey.generate()
VM = f"{HTTPS_ISSUER}#{KEY.public.multibase}"


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, value: Any) -> Path:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


def controller(controller_id: str, key: PublicKey, method_id: str) -> dict[str, Any]:
    return {
        "id": controller_id,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "JsonWebKey",
                "controller": controller_id,
                "publicKeyJwk": key.jwk,
            }
        ],
        "assertionMethod": [method_id],
    }


def test_offline_the_verdict_is_issuer_not_confirmed(tmp_path: Path) -> None:
    signed = proofs.sign(sample_credential(issuer_id=HTTPS_ISSUER), KEY, verification_method=VM)
    credential = write(tmp_path, "c.json", signed)
    code, out, _ = run("verify", credential)
    assert code == 1
    assert "SIGNATURE VALID, ISSUER NOT CONFIRMED" in out
    assert "VERIFIED  " not in out.replace("NOT VERIFIED", "")
    code, out, _ = run("verify", "--json", credential)
    answer = json.loads(out)
    assert (code, answer["verified"], answer["outcome"]) == (1, False, "issuer-not-confirmed")
    document = write(tmp_path, "controller.json", controller(HTTPS_ISSUER, KEY.public, VM))
    code, out, _ = run("verify", "--controller-document", document, credential)
    assert code == 0, out
    assert "VERIFIED" in out


def test_a_controller_document_needs_an_https_id(tmp_path: Path) -> None:
    document = write(tmp_path, "d.json", {"id": "did:web:x.example"})
    credential = write(tmp_path, "c.json", {"a": 1})
    code, _, err = run("verify", "--controller-document", document, credential)
    assert code == 2
    assert "https" in err


def test_an_rs256_jwt_with_its_key_in_a_did_document(tmp_path: Path) -> None:
    secret = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = PublicKey("RSA", secret.public_key())
    did = "did:web:issuer.example"
    header = {"alg": "RS256", "typ": "vc+jwt", "kid": f"{did}#rsa"}
    part = multibase.b64url_encode
    body = sample_credential(issuer_id=did)
    signing_input = part(json.dumps(header).encode()) + "." + part(json.dumps(body).encode())
    signature = secret.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    jwt = write(tmp_path, "c.jwt", signing_input + "." + part(signature))
    code, out, _ = run("verify", jwt)
    assert code == 1  # did:web is not fetched offline
    document = write(tmp_path, "did.json", controller(did, public, f"{did}#rsa"))
    code, out, _ = run("verify", "--json", "--did-document", document, jwt)
    assert code == 0, out
    assert "RS256" in json.loads(out)["checks"][3]["message"]


def test_each_proof_of_a_set_has_its_line(tmp_path: Path) -> None:
    issuer, witness = (KeyFile.for_did_key(SigningKey.generate()) for _ in range(2))
    secured = sample_credential(issuer_id=issuer.controller)
    for key in (issuer, witness):
        secured = proofs.add_proof(secured, key.key, verification_method=key.verification_method)
    code, out, _ = run("verify", write(tmp_path, "set.json", secured))
    assert code == 0, out
    assert "proof 1" in out
    assert "proof 2" in out
