"""The VC-API endpoints the W3C test suites drive: issue, verify credentials and presentations.

Status codes are those the suites assert: 201 issued, 200 verified, 400/422 refused or not
verified (with a JSON error), 503 without a configured issuer. Nothing touches the network.
"""

from __future__ import annotations

import copy
import json
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microcred.accounts.actor import SYSTEM
from microcred.cli.main import app as cli_app
from microcred.crypto import proofs
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.statuslist import status_entry
from microcred.runtime import Runtime
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.types import Did, JsonObject
from microcred.verify import Verifier
from tests.platform.conftest import IssuerFixture

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "interop" / "js"
W3C_VECTOR = Path("/work/shared/vectors/w3c-vc-di-eddsa/signedDataInt.json")

EXAMPLE = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:4f1c7a1e-8f3a-4d7e-9a57-0d2b4f9c3e11",
    "type": ["VerifiableCredential", "ExampleAlumniCredential"],
    "validFrom": "2024-07-01T19:23:24Z",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "alumniOf": {"id": "did:example:c276e12ec21ebfeb1f712ebc6f1", "name": "Example U"},
    },
}


@pytest.fixture
def vcapi_issuer(runtime: Runtime, issuer: IssuerFixture) -> IssuerFixture:
    """The issuer as the server's configured VC-API issuer (as ``make run`` does)."""
    runtime.settings.demo_issuer = issuer.slug
    return issuer


@pytest.fixture
def did_key() -> KeyFile:
    return KeyFile.for_did_key(SigningKey.generate())


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and refuse) any attempt to open an outside connection."""
    attempts: list[object] = []

    def refuse(*args: Any, **_kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def _signed_with(key: KeyFile, credential: JsonObject | None = None) -> JsonObject:
    # Signing copies only the top level: keep EXAMPLE's nested objects out of reach of edits.
    signed = sign_credential(copy.deepcopy(credential or EXAMPLE), key)
    assert isinstance(signed, dict)
    return signed


def _verify(client: TestClient, credential: object, **options: Any) -> Any:
    return client.post(
        "/credentials/verify", json={"verifiableCredential": credential, "options": options}
    )


def _issue(client: TestClient, issuer: IssuerFixture, credential: object, **options: Any) -> Any:
    return client.post(
        "/credentials/issue",
        json={"credential": credential, "options": options},
        headers=issuer.headers,
    )


# ---- issue ---------------------------------------------------------------------------------


def test_issue_signs_as_the_configured_issuer(
    runtime: Runtime, client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    response = _issue(client, vcapi_issuer, EXAMPLE, credentialId="urn:example:42")
    assert response.status_code == 201, response.text
    vc = response.json()["verifiableCredential"]
    assert vc["issuer"] == vcapi_issuer.did
    assert list(vc)[:4] == ["@context", "id", "type", "issuer"], "issuer follows type"
    assert vc["proof"]["type"] == "DataIntegrityProof"
    assert vc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert vc["proof"]["verificationMethod"].startswith(f"{vcapi_issuer.did}#")
    assert vc["credentialSubject"] == EXAMPLE["credentialSubject"]

    # It verifies against the issuer's published did:web document, and only untouched.
    resolver = DidResolver(
        documents={vcapi_issuer.did: runtime.issuers.did_document(vcapi_issuer.slug)}
    )
    result = Verifier(resolver=resolver).verify(vc)
    assert result.verified, result.to_json()
    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["alumniOf"]["name"] = "Other U"
    assert not Verifier(resolver=resolver).verify(tampered).verified

    audit = runtime.audit.list(SYSTEM, vcapi_issuer.id, action="vcapi.issued")
    assert [e.subject for e in audit.events] == [EXAMPLE["id"]]
    assert audit.events[0].actor.startswith("api-key:")


def test_what_issue_signs_verifies_through_the_api(
    client: TestClient, vcapi_issuer: IssuerFixture, no_network: list[object]
) -> None:
    vc = _issue(client, vcapi_issuer, EXAMPLE).json()["verifiableCredential"]
    response = _verify(client, vc)
    assert response.status_code == 200, response.text
    assert {"proof", "issuer"} <= set(response.json()["checks"])
    assert no_network == []


def test_a_badge_issued_by_the_platform_verifies_with_its_status(
    client: TestClient, issuer: IssuerFixture, achievement_id: str, no_network: list[object]
) -> None:
    issued = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        json={"achievementId": achievement_id, "recipient": {"email": "ada@example.org"}},
        headers=issuer.headers,
    )
    assert issued.status_code == 201, issued.text
    response = _verify(client, issued.json()["credential"])
    assert response.status_code == 200, response.text
    assert "status" in response.json()["checks"]
    assert no_network == []


def test_issue_keeps_an_issuer_object_and_fills_its_id(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    named = {**EXAMPLE, "issuer": {"name": "Alpha Academy"}}
    response = _issue(client, vcapi_issuer, named)
    assert response.status_code == 201, response.text
    assert response.json()["verifiableCredential"]["issuer"] == {
        "id": vcapi_issuer.did,
        "name": "Alpha Academy",
    }
    own = _issue(client, vcapi_issuer, {**EXAMPLE, "issuer": vcapi_issuer.did})
    assert own.status_code == 201, own.text


def test_issue_signs_a_vc_1_1_credential_with_an_issuance_date(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    v1 = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:123"},
    }
    response = _issue(client, vcapi_issuer, v1)
    assert response.status_code == 201, response.text
    assert response.json()["verifiableCredential"]["issuanceDate"].endswith("Z")


def test_issue_refuses_another_issuers_did(
    client: TestClient, vcapi_issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    for foreign in (other_issuer.did, {"id": "did:example:someone-else"}):
        response = _issue(client, vcapi_issuer, {**EXAMPLE, "issuer": foreign})
        assert response.status_code in (400, 422), response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert error["expected"] == vcapi_issuer.did


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda c: c.pop("@context"), "no @context"),
        (lambda c: c.update({"@context": ["https://example.org/ctx"]}), "VC context not first"),
        (lambda c: c["@context"].append("https://unknown.example/ctx"), "unbundled context"),
        (lambda c: c.update({"type": ["ExampleAlumniCredential"]}), "no VerifiableCredential"),
        (lambda c: c.pop("credentialSubject"), "no credentialSubject"),
        (lambda c: c.update({"credentialSubject": []}), "empty credentialSubject"),
        (lambda c: c.update({"validFrom": "2024-07-01"}), "validFrom not a dateTimeStamp"),
        (lambda c: c.update({"validUntil": "2024-07-01T19:23:24"}), "validUntil without zone"),
        (lambda c: c.update({"id": "not a url"}), "id not a URL"),
        (lambda c: c.update({"proof": {"type": "DataIntegrityProof"}}), "already secured"),
    ],
)
def test_issue_refuses_credentials_that_break_the_data_model(
    client: TestClient, vcapi_issuer: IssuerFixture, edit: Any, reason: str
) -> None:
    credential = copy.deepcopy(EXAMPLE)
    edit(credential)
    response = _issue(client, vcapi_issuer, credential)
    assert response.status_code in (400, 422), (reason, response.text)
    assert response.json()["error"]["code"], reason


# What the W3C VC Data Model 2.0 suite sends to an issuer and expects refused (one rule each);
# the second item is the field the error must name.
VCDM_VIOLATIONS = [
    (lambda c: c.update({"issuer": None}), "issuer"),
    (lambda c: c.update({"issuer": 4}), "issuer"),
    (lambda c: c.update({"issuer": []}), "issuer"),
    (lambda c: c.update({"issuer": {"id": "https ://not-a-url/issuer"}}), "issuer.id"),
    (lambda c: c.update({"id": "https ://not-a-url/vcs/1"}), "id"),
    (lambda c: c.update({"id": ["urn:uuid:1", "urn:uuid:2"]}), "id"),
    (lambda c: c["credentialSubject"].update({"id": "did ex"}), "credentialSubject.id"),
    (lambda c: c.update({"type": ["VerifiableCredential", 4]}), "type"),
    (
        lambda c: c.update(
            {
                "@context": [*c["@context"], {"Odd": "https ://not-a-url#Odd"}],
                "type": ["VerifiableCredential", "Odd"],
            }
        ),
        "@context[2]",
    ),
    (
        lambda c: c.update(
            {"validFrom": "2025-01-01T00:00:00Z", "validUntil": "2024-01-01T00:00:00Z"}
        ),
        "validUntil",
    ),
    (
        lambda c: c.update({"credentialStatus": {"id": "did:example:status"}}),
        "credentialStatus.type",
    ),
    (
        lambda c: c.update({"credentialStatus": {"id": "https ://x/1", "type": "ExampleStatus"}}),
        "credentialStatus.id",
    ),
    (lambda c: c.update({"credentialStatus": {"id": "urn:x", "type": 2}}), "credentialStatus.type"),
    (lambda c: c.update({"termsOfUse": {}}), "termsOfUse.type"),
    (lambda c: c.update({"termsOfUse": [{"type": "ExamplePolicy"}, {}]}), "termsOfUse[1].type"),
    (lambda c: c.update({"evidence": {}}), "evidence.type"),
    (
        lambda c: c.update({"refreshService": {"id": "did:example:refresh/1"}}),
        "refreshService.type",
    ),
    (
        lambda c: c.update({"credentialSchema": {"id": "did:example:schema"}}),
        "credentialSchema.type",
    ),
    (lambda c: c.update({"credentialSchema": {"type": "JsonSchema"}}), "credentialSchema.id"),
    (lambda c: c.update({"relatedResource": ["https://example.org/a"]}), "relatedResource[0]"),
    (lambda c: c.update({"relatedResource": [{"digestSRI": "sha384-x"}]}), "relatedResource[0].id"),
    (
        lambda c: c.update(
            {
                "relatedResource": [
                    {"id": "https://example.org/a", "digestSRI": "sha384-x"},
                    {"id": "https://example.org/a", "digestMultibase": "ux"},
                ]
            }
        ),
        "relatedResource[1].id",
    ),
    (lambda c: c.update({"relatedResource": {"id": "https://example.org/a"}}), "relatedResource"),
    # Nested nodes: our canonicalizer would drop them from the signed statements.
    (
        lambda c: c["credentialSubject"]["alumniOf"].update({"id": "https ://not-a-url/u"}),
        "credentialSubject.alumniOf.id",
    ),
    (
        lambda c: c["credentialSubject"]["alumniOf"].update({"type": ["https ://x#University"]}),
        "credentialSubject.alumniOf.type",
    ),
]


@pytest.mark.parametrize(("edit", "field"), VCDM_VIOLATIONS)
def test_issue_refuses_what_the_vc_data_model_forbids(
    runtime: Runtime, client: TestClient, vcapi_issuer: IssuerFixture, edit: Any, field: str
) -> None:
    credential = copy.deepcopy(EXAMPLE)
    edit(credential)
    response = _issue(client, vcapi_issuer, credential)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_model"
    assert error["message"].startswith(f"{field}: "), error
    assert runtime.audit.list(SYSTEM, vcapi_issuer.id, action="vcapi.issued").total == 0


def test_issue_signs_the_optional_vc_properties_when_well_formed(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    credential = copy.deepcopy(EXAMPLE)
    credential["@context"].append({"ExamplePolicy": "https://example.org/vocab#ExamplePolicy"})
    credential.update(
        {
            "validUntil": "2024-07-01T19:23:24Z",  # equal to validFrom: allowed
            "credentialStatus": {"type": "ExampleStatus"},  # an id is optional
            "termsOfUse": [{"type": "ExamplePolicy"}, {"type": "ExamplePolicy", "id": "urn:t:1"}],
            "evidence": [{"type": "ExampleEvidence"}],
            "credentialSchema": {"id": "https://example.org/schema.json", "type": "JsonSchema"},
            "relatedResource": [
                {"id": "https://example.org/a", "digestMultibase": "uEiA"},
                {"id": "https://example.org/b", "digestSRI": "sha384-x", "mediaType": "text/html"},
            ],
        }
    )
    response = _issue(client, vcapi_issuer, credential)
    assert response.status_code == 201, response.text
    assert response.json()["verifiableCredential"]["termsOfUse"] == credential["termsOfUse"]


def test_issue_refuses_other_suites_and_bad_bodies(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    other_suite = _issue(client, vcapi_issuer, EXAMPLE, cryptosuite="ecdsa-rdfc-2019")
    assert other_suite.status_code == 422
    assert (
        other_suite.json()["error"]["expected"] == "eddsa-rdfc-2022 or eddsa-jcs-2022 or eddsa-2022"
    )
    for body in (b"{not json", b"[]", b'{"credential": "text"}', b'{"credential": {}, "x": 1}'):
        response = client.post("/credentials/issue", content=body, headers=vcapi_issuer.headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid_input"


def test_issue_needs_the_configured_issuers_key(
    runtime: Runtime,
    client: TestClient,
    vcapi_issuer: IssuerFixture,
    other_issuer: IssuerFixture,
) -> None:
    body = {"credential": EXAMPLE}
    anonymous = client.post("/credentials/issue", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    foreign = client.post("/credentials/issue", json=body, headers=other_issuer.headers)
    assert foreign.status_code == 403
    assert foreign.json()["error"]["code"] == "permission_denied"
    _row, token = runtime.issuers.create_api_key(SYSTEM, vcapi_issuer.id, "ro", "viewer")
    viewer = client.post(
        "/credentials/issue", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert viewer.status_code == 403
    assert runtime.audit.list(SYSTEM, vcapi_issuer.id, action="vcapi.issued").total == 0


def test_issue_without_a_configured_issuer_is_503(
    runtime: Runtime, client: TestClient, issuer: IssuerFixture
) -> None:
    assert runtime.settings.demo_issuer is None
    response = _issue(client, issuer, EXAMPLE)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"
    assert "MICROCRED_DEMO_ISSUER" in response.json()["error"]["expected"]

    runtime.settings.demo_issuer = "no-such-issuer"
    missing = _issue(client, issuer, EXAMPLE)
    assert missing.status_code == 503
    assert missing.json()["error"]["found"] == "'no-such-issuer'"


def test_serve_demo_makes_the_demo_issuer_the_vc_api_signer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make run` is `serve --demo`: its VC-API must sign without further settings.
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
        response = TestClient(served["app"]).post(
            "/credentials/issue",
            json={"credential": EXAMPLE},
            headers={"Authorization": f"Bearer {access['api_key']}"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["verifiableCredential"]["issuer"] == access["issuer_did"]
    finally:
        runtime.close()


# ---- verify a credential -------------------------------------------------------------------


def test_verify_a_did_key_credential_signed_elsewhere(
    client: TestClient, did_key: KeyFile, no_network: list[object]
) -> None:
    signed = _signed_with(did_key)
    response = _verify(client, signed)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert {"proof", "issuer", "validity"} <= set(body["checks"])
    assert body["errors"] == []
    assert any("not an Open Badges 3.0 credential" in w for w in body["warnings"])
    assert no_network == []


def test_verify_an_open_badge_signed_elsewhere(client: TestClient, did_key: KeyFile) -> None:
    signed = _signed_with(did_key, sample_credential(issuer_id=did_key.controller))
    body = _verify(client, signed).json()
    assert body["verified"] is True, body
    assert body["warnings"] == []


def test_a_tampered_credential_is_a_400_with_the_result(
    client: TestClient, did_key: KeyFile
) -> None:
    tampered = _signed_with(did_key)
    tampered["credentialSubject"]["alumniOf"]["name"] = "Forged U"
    response = _verify(client, tampered)
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    assert body["error"]["code"] == "verification_failed"
    assert body["errors"][0].startswith("proof:")
    assert any(r["name"] == "proof" and r["status"] == "failed" for r in body["results"])


def test_a_proof_by_someone_other_than_the_issuer_fails(
    client: TestClient, did_key: KeyFile
) -> None:
    signed = proofs.sign(
        {**EXAMPLE, "issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
        did_key.key,
        verification_method=did_key.verification_method,
    )
    body = _verify(client, signed).json()
    assert body["verified"] is False
    assert "proof" in body["checks"]
    assert any(e.startswith("issuer:") for e in body["errors"])


@pytest.mark.skipif(not W3C_VECTOR.exists(), reason="W3C vectors not present")
def test_the_w3c_vector_proof_verifies_but_its_issuer_is_not_the_key(client: TestClient) -> None:
    vector = json.loads(W3C_VECTOR.read_text(encoding="utf-8"))
    body = _verify(client, vector).json()
    results = {r["name"]: r["status"] for r in body["results"]}
    assert results["proof"] == "passed"
    assert results["issuer"] == "failed"
    assert body["verified"] is False


def test_a_foreign_did_web_is_not_fetched(client: TestClient, no_network: list[object]) -> None:
    key = SigningKey.generate()
    did = Did("did:web:elsewhere.example")
    foreign = KeyFile(key, did, f"{did}#{key.public.multibase}")
    response = _verify(client, _signed_with(foreign))
    assert response.status_code == 400
    assert no_network == []
    assert any("proof" in e for e in response.json()["errors"])


def test_options_checks_leave_out_a_status_list_that_cannot_be_fetched(
    client: TestClient, did_key: KeyFile, no_network: list[object]
) -> None:
    with_status = {
        **EXAMPLE,
        "credentialStatus": status_entry(
            list_url="https://status.elsewhere.example/1", index=7, purpose="revocation"
        ),
    }
    signed = _signed_with(did_key, with_status)
    everything = _verify(client, signed)
    assert everything.status_code == 400
    assert any(e.startswith("status:") for e in everything.json()["errors"])

    proof_only = _verify(client, signed, checks=["proof"])
    assert proof_only.status_code == 200, proof_only.text
    assert "status" not in proof_only.json()["checks"]
    assert any(w.startswith("status (not requested)") for w in proof_only.json()["warnings"])
    assert no_network == []


def test_an_expired_credential_fails_unless_validity_is_not_requested(
    client: TestClient, did_key: KeyFile
) -> None:
    expired = _signed_with(did_key, {**EXAMPLE, "validUntil": "2025-01-01T00:00:00Z"})
    assert _verify(client, expired).status_code == 400
    assert _verify(client, expired, checks=["proof", "credentialStatus"]).status_code == 200
    bad = _verify(client, expired, checks="proof")
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_input"


def test_verify_an_enveloped_vc_jwt(client: TestClient, did_key: KeyFile) -> None:
    jwt = sign_credential(EXAMPLE, did_key, suite="vc-jwt")
    assert isinstance(jwt, str)
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["EnvelopedVerifiableCredential"],
        "id": f"data:application/vc+jwt,{jwt}",
    }
    assert _verify(client, enveloped).json()["verified"] is True
    assert _verify(client, jwt).json()["verified"] is True
    unsupported = _verify(client, {**enveloped, "id": "data:application/vc+sd-jwt,abc"})
    assert unsupported.status_code == 422


def test_a_credential_given_as_json_text_is_refused(client: TestClient, did_key: KeyFile) -> None:
    # Data Integrity: a secured document that is not a map is an error, even if its text is one.
    text = json.dumps(_signed_with(did_key))
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["EnvelopedVerifiableCredential"],
        "id": f"data:application/vc+jwt,{text}",
    }
    for credential in (text, enveloped):
        response = _verify(client, credential)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert "compact JWS" in error["expected"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"null",
        b'{"verifiableCredential": 5}',
        b'{"verifiableCredential": {}, "options": []}',
        b'{"credential": {}}',
    ],
)
def test_unreadable_verify_requests_are_422(client: TestClient, body: bytes) -> None:
    response = client.post("/credentials/verify", content=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"


def test_a_verify_request_past_the_upload_limit_is_refused(client: TestClient) -> None:
    huge = b'{"verifiableCredential": "' + b"a" * (9 * 1024 * 1024) + b'"}'
    response = client.post("/credentials/verify", content=huge)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "upload is too large"


@pytest.mark.skipif(
    shutil.which("node") is None or not (JS_DIR / "node_modules").is_dir(),
    reason="the JS reference stack is not installed (make js)",
)
def test_verify_a_credential_signed_by_the_reference_stack(
    client: TestClient, did_key: KeyFile, tmp_path: Path
) -> None:
    key_path = tmp_path / "key.json"
    key_path.write_text(json.dumps(did_key.to_json()), encoding="utf-8")
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    proc = subprocess.run(
        ["node", str(JS_DIR / "sign.mjs"), "--key", str(key_path), str(unsigned)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    signed = json.loads(proc.stdout)
    assert signed["issuer"] == did_key.controller
    assert _verify(client, signed).json()["verified"] is True


# ---- verify a presentation -----------------------------------------------------------------


def _presentation(*credentials: JsonObject, holder: str | None = None) -> JsonObject:
    vp: JsonObject = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": list(credentials),
    }
    if holder:
        vp["holder"] = holder
    return vp


def _signed_presentation(vp: JsonObject, key: KeyFile) -> JsonObject:
    return proofs.sign(
        vp, key.key, verification_method=key.verification_method, proof_purpose="authentication"
    )


def _verify_vp(client: TestClient, field: str, vp: object, **options: Any) -> Any:
    return client.post("/presentations/verify", json={field: vp, "options": options})


def test_a_signed_presentation_and_its_credentials_verify(
    client: TestClient, did_key: KeyFile, no_network: list[object]
) -> None:
    holder = KeyFile.for_did_key(SigningKey.generate())
    vp = _signed_presentation(
        _presentation(_signed_with(did_key), holder=holder.controller), holder
    )
    response = _verify_vp(client, "verifiablePresentation", vp, returnPresentation=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert {"proof", "holder"} <= set(body["checks"])
    assert [r["verified"] for r in body["credentialResults"]] == [True]
    assert body["verifiablePresentation"] == vp
    assert no_network == []
    assert "verifiablePresentation" not in _verify_vp(client, "verifiablePresentation", vp).json()


def test_a_presentation_signed_by_someone_other_than_its_holder_fails(
    client: TestClient, did_key: KeyFile
) -> None:
    stranger = KeyFile.for_did_key(SigningKey.generate())
    vp = _signed_presentation(
        _presentation(_signed_with(did_key), holder=did_key.controller), stranger
    )
    response = _verify_vp(client, "verifiablePresentation", vp)
    assert response.status_code == 400
    assert any("not of the holder" in e for e in response.json()["errors"])


def test_a_holder_that_is_no_did_is_not_the_signer(client: TestClient, did_key: KeyFile) -> None:
    vp = _signed_presentation(
        _presentation(_signed_with(did_key), holder="https://example.org/people/ada"), did_key
    )
    response = _verify_vp(client, "verifiablePresentation", vp)
    assert response.status_code == 400
    assert any("not of the holder" in e for e in response.json()["errors"])


def test_a_tampered_presentation_or_credential_fails(client: TestClient, did_key: KeyFile) -> None:
    vp = _signed_presentation(_presentation(_signed_with(did_key)), did_key)
    altered = copy.deepcopy(vp)
    altered["holder"] = "did:example:someone"
    assert _verify_vp(client, "verifiablePresentation", altered).status_code == 400

    bad_credential = _signed_with(did_key)
    bad_credential["validFrom"] = "2020-01-01T00:00:00Z"
    unsigned = _presentation(_signed_with(did_key), bad_credential)
    response = _verify_vp(client, "presentation", unsigned)
    assert response.status_code == 400
    body = response.json()
    assert [r["verified"] for r in body["credentialResults"]] == [True, False]
    assert any(e.startswith("verifiableCredential[1]: proof:") for e in body["errors"])


def test_an_unsigned_presentation_needs_options_that_waive_the_proof(
    client: TestClient, did_key: KeyFile
) -> None:
    vp = _presentation(_signed_with(did_key))
    required = _verify_vp(client, "verifiablePresentation", vp)
    assert required.status_code == 400
    assert required.json()["errors"] == ["presentation: it carries no proof"]

    proofless = _verify_vp(client, "presentation", vp)
    assert proofless.status_code == 200, proofless.text
    assert any("no proof" in w for w in proofless.json()["warnings"])

    waived = _verify_vp(client, "verifiablePresentation", vp, checks=["credentialStatus"])
    assert waived.status_code == 200, waived.text

    # A challenge can only be checked against a proof.
    challenged = _verify_vp(client, "presentation", vp, challenge="c-123")
    assert challenged.status_code == 400


def test_a_challenge_or_domain_the_proof_does_not_carry_fails(
    client: TestClient, did_key: KeyFile
) -> None:
    vp = _signed_presentation(_presentation(_signed_with(did_key)), did_key)
    for options in ({"challenge": "c-123"}, {"domain": "verifier.example"}):
        response = _verify_vp(client, "verifiablePresentation", vp, **options)
        assert response.status_code == 400, options
        assert set(options) <= set(response.json()["checks"])


def test_unreadable_presentation_requests_are_4xx(client: TestClient) -> None:
    both = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": {}, "presentation": {}},
    )
    assert both.status_code == 422
    neither = client.post("/presentations/verify", json={"options": {}})
    assert neither.status_code == 422
    not_a_vp = _verify_vp(client, "presentation", {"type": ["VerifiableCredential"]})
    assert not_a_vp.status_code == 400
    assert "VerifiablePresentation" in not_a_vp.json()["errors"][0]


def test_a_chain_shaped_as_the_vc_di_eddsa_suites_verifies(client: TestClient) -> None:
    """The suite's previousProof case (issue 13): its context object wraps an @context; the
    route used to refuse it (pyoxigraph read a keyword redefinition), jsonld.js reads it."""
    from tests.verify.test_proof_sets_verifier import ISSUER, WITNESS, add, suite_shaped

    first = add(suite_shaped(ISSUER.controller), WITNESS, proof_id="urn:uuid:first-proof")
    chained = add(first, ISSUER, previous_proof="urn:uuid:first-proof")
    response = _verify(client, chained)
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True
    chained["proof"][1]["previousProof"] = "urn:uuid:missing"
    assert _verify(client, chained).status_code == 400
