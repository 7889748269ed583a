"""The VC-API issue route signing as the issuer's did:key (``settings.vcapi_did_key``).

The vc-di-eddsa suite resolves the issuer's verification method with a did:key-only resolver;
with the option on, a credential whose issuer is the issuer's did:key is signed with a key held
for that purpose. Checked: the method is ``did:key:z6Mk...#z6Mk...``, our resolver and the JS
reference stack both read it as a Multikey and verify the proof, and nothing of that key shows
in the issuer's did:web document. Off (the default), such a credential is refused.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microcred.cli.main import app as cli_app
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.issuers.repository import KeyRepository
from microcred.issuers.service import DID_KEY_PURPOSE
from microcred.runtime import Runtime
from microcred.verify import Verifier
from tests.platform.conftest import IssuerFixture
from tests.platform.test_vcapi import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "interop" / "js"
needs_js = pytest.mark.skipif(
    shutil.which("node") is None or not (JS_DIR / "node_modules").is_dir(),
    reason="needs node and interop/js/node_modules (make js)",
)


@pytest.fixture
def did_key_issuer(runtime: Runtime, issuer: IssuerFixture) -> IssuerFixture:
    """The VC-API issuer, with signing as its did:key turned on."""
    runtime.settings.demo_issuer = issuer.slug
    runtime.settings.vcapi_did_key = True
    return issuer


def _issue(client: TestClient, issuer: IssuerFixture, credential: Any, **options: Any) -> Any:
    return client.post(
        "/credentials/issue",
        json={"credential": credential, "options": options},
        headers=issuer.headers,
    )


def _as(issuer_id: str) -> dict[str, Any]:
    return {**copy.deepcopy(EXAMPLE), "issuer": issuer_id}


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_credential_naming_the_did_key_is_signed_with_it(
    runtime: Runtime, client: TestClient, did_key_issuer: IssuerFixture, suite: str
) -> None:
    did = runtime.issuers.did_key(did_key_issuer.id)
    assert did.startswith("did:key:z6Mk")
    assert runtime.issuers.did_key(did_key_issuer.id) == did, "the same key on every use"
    response = _issue(client, did_key_issuer, _as(did), cryptosuite=suite)
    assert response.status_code == 201, response.text
    vc = response.json()["verifiableCredential"]
    fingerprint = did.removeprefix("did:key:")
    assert vc["issuer"] == did
    assert vc["proof"]["verificationMethod"] == f"{did}#{fingerprint}"
    assert vc["proof"]["cryptosuite"] == suite

    # Our did:key resolver reads the method (no DID documents given: nothing but the DID).
    method = DidResolver().verification_method(vc["proof"]["verificationMethod"])
    assert method.controller == did
    assert method.key.multibase == fingerprint
    result = Verifier(resolver=DidResolver()).verify(vc)
    assert result.verified, result.to_json()
    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["alumniOf"]["name"] = "Other U"
    assert not Verifier(resolver=DidResolver()).verify(tampered).verified

    # The did:web document lists none of it, and credentials naming no issuer stay did:web.
    document = json.dumps(runtime.issuers.did_document(did_key_issuer.slug))
    assert fingerprint not in document
    plain = _issue(client, did_key_issuer, EXAMPLE).json()["verifiableCredential"]
    assert plain["issuer"] == did_key_issuer.did
    assert plain["proof"]["verificationMethod"].startswith(f"{did_key_issuer.did}#")


def test_off_by_default_and_no_key_is_made(
    runtime: Runtime, client: TestClient, issuer: IssuerFixture
) -> None:
    runtime.settings.demo_issuer = issuer.slug
    assert runtime.settings.vcapi_did_key is False
    other = KeyFile.for_did_key(SigningKey.generate()).controller
    response = _issue(client, issuer, _as(other))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["expected"] == issuer.did
    with runtime.sessions() as session:
        assert KeyRepository(session).for_issuer(issuer.id, DID_KEY_PURPOSE) == []


def test_another_did_key_or_a_status_entry_is_refused(
    runtime: Runtime, client: TestClient, did_key_issuer: IssuerFixture
) -> None:
    other = KeyFile.for_did_key(SigningKey.generate()).controller
    refused = _issue(client, did_key_issuer, _as(other))
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["found"] == repr(other)

    # The status lists are the did:web issuer's: a verifier would refuse them for a did:key.
    did = runtime.issuers.did_key(did_key_issuer.id)
    status = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
    response = _issue(client, did_key_issuer, _as(did), credentialStatus=status)
    assert response.status_code == 422, response.text
    assert "status entry" in response.json()["error"]["message"]


@needs_js
def test_the_reference_stack_resolves_and_verifies_it(
    runtime: Runtime, client: TestClient, did_key_issuer: IssuerFixture, tmp_path: Path
) -> None:
    did = runtime.issuers.did_key(did_key_issuer.id)
    vc = _issue(client, did_key_issuer, _as(did)).json()["verifiableCredential"]
    method_url = vc["proof"]["verificationMethod"]
    script = (
        f"import {{documentLoader}} from {json.dumps(str(JS_DIR / 'loader.mjs'))};"
        f"const r = await documentLoader({json.dumps(method_url)});"
        "process.stdout.write(JSON.stringify(r.document));"
    )
    resolved = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    method = json.loads(resolved.stdout)
    fingerprint = did.removeprefix("did:key:")
    assert method["type"] == "Multikey"
    assert method["id"] == method_url
    assert method["publicKeyMultibase"] == fingerprint

    path = tmp_path / "vc.json"
    path.write_text(json.dumps(vc))
    proc = subprocess.run(
        ["node", str(JS_DIR / "verify.mjs"), str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.stdout, proc.stderr
    out = json.loads(proc.stdout)
    assert out["verified"] is True, out


def test_serve_demo_offers_the_did_key_and_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # interop/w3c_suites.py reads the did:key from this banner line.
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_QUEUE_IMMEDIATE", "true")
    monkeypatch.delenv("MICROCRED_DEMO_ISSUER", raising=False)
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    result = CliRunner().invoke(cli_app, ["serve", "--demo", "--port", "8765"])
    assert result.exit_code == 0, result.output
    access = json.loads((tmp_path / "data" / "demo-credentials.json").read_text())
    runtime: Runtime = served["app"].state.runtime
    try:
        line = next(x for x in result.output.splitlines() if "VC-API did:key" in x)
        did = line.split()[-1]
        assert did == runtime.issuers.did_key(access["issuer_id"])
        response = TestClient(served["app"]).post(
            "/credentials/issue",
            json={"credential": _as(did)},
            headers={"Authorization": f"Bearer {access['api_key']}"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["verifiableCredential"]["proof"]["verificationMethod"].startswith(
            f"{did}#z6Mk"
        )
    finally:
        runtime.close()
