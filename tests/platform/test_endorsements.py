"""Endorsements of achievements and issuers by this server's issuers, and external
organisations' endorsements by DID (did:key, did:web), verified before they are stored and shown
with their state on the public pages."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.crypto.did import build_did_document, did_web_document_url
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.statuslist import BitstringStatusList, status_entry, status_list_credential
from microcred.runtime import Runtime
from microcred.signing import sign_credential
from microcred.store.tables import EndorsementRow
from microcred.types import Did
from microcred.verify.result import Status
from tests.interop.reference_stack import JS_DIR, node_or_skip
from tests.platform.conftest import IssuerFixture
from tests.platform.pathways_support import issue, make_achievement
from tests.platform.test_pages import web

__all__ = ["web"]  # a fixture used here

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
PARTNER = Did("did:web:partner.example")
PARTNER_LIST = "https://partner.example/status/1"


def unsigned_endorsement(subject: str, comment: str, issuer: Any = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": CONTEXTS,
        "id": "urn:uuid:6f1c1a52-3c5e-4c1e-9c36-0d7c2c9e8b11",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Partner endorsement",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": subject,
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
    }
    if issuer is not None:
        document["issuer"] = issuer
    return document


def count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(EndorsementRow)) or 0)


def page(web: TestClient, runtime: Runtime, credential_id: str) -> str:
    answer = web.get(f"/credentials/{credential_id}", headers={"Accept": "text/html"})
    assert answer.status_code == 200
    return answer.text


def test_an_issuer_endorses_an_achievement_and_an_issuer_and_withdraws(
    client: TestClient,
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    other_issuer: IssuerFixture,
) -> None:
    achievement = make_achievement(runtime, issuer, "Statistics")
    credential = issue(runtime, issuer, achievement)
    url = f"/api/v1/issuers/{other_issuer.id}/endorsements"

    answer = client.post(
        url, json={"achievement": achievement, "comment": "Rigorous."}, headers=other_issuer.headers
    )
    assert answer.status_code == 201, answer.text
    of_achievement = answer.json()
    assert of_achievement["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert of_achievement["issuer"]["id"] == other_issuer.did
    assert of_achievement["credentialSubject"]["id"] == runtime.urls.achievement(achievement)
    assert runtime.verification.verifier().verify(of_achievement).verified
    answer = client.post(url, json={"issuer": issuer.id}, headers=other_issuer.headers)
    assert answer.status_code == 201, answer.text
    of_issuer = answer.json()
    assert of_issuer["credentialSubject"]["id"] == issuer.did
    assert runtime.verification.verifier().verify(of_issuer).verified

    # Published: in the OB 3.0 Achievement and Profile, and on the credential's page.
    assert client.get(of_achievement["id"].removeprefix(runtime.urls.base)).json() == of_achievement
    public = client.get(f"/achievements/{achievement}").json()
    assert public["endorsement"] == [of_achievement]
    assert client.get(f"/issuers/{issuer.slug}?format=json").json()["endorsement"] == [of_issuer]
    issuer_page = web.get(f"/issuers/{issuer.slug}", headers={"Accept": "text/html"}).text
    assert 'id="endorsements"' in issuer_page
    assert "Beta Academy" in issuer_page
    text = page(web, runtime, credential.id)
    assert 'id="endorsements"' in text
    assert "Rigorous." in text
    assert "Beta Academy" in text
    assert "Verifies" in text

    # Refusals: itself, its own achievement, nothing named, another's key.
    for body in ({"issuer": other_issuer.id}, {"achievement": achievement}, {"comment": "x"}):
        headers = issuer.headers if "achievement" in body else other_issuer.headers
        path = url.replace(other_issuer.id, issuer.id) if "achievement" in body else url
        assert client.post(path, json=body, headers=headers).status_code == 422, body
    assert client.post(url, json={"issuer": issuer.id}, headers=issuer.headers).status_code in (
        401,
        403,
        404,
    )
    assert count(runtime) == 2

    # Withdrawn: its revocation bit set, the page says so, the Achievement no longer lists it.
    endorsement_id = of_achievement["id"].rsplit("/", 1)[1]
    assert client.delete(f"{url}/{endorsement_id}", headers=other_issuer.headers).status_code == 200
    assert client.delete(f"{url}/{endorsement_id}", headers=other_issuer.headers).status_code == 409
    status = runtime.verification.verifier().verify(of_achievement).check("status")
    assert status is not None
    assert status.status == Status.FAILED
    assert "endorsement" not in client.get(f"/achievements/{achievement}").json()
    text = page(web, runtime, credential.id)
    assert "Rigorous." in text
    assert "Withdrawn by the endorser" in text


def test_an_external_did_key_endorsement_made_by_the_js_reference_is_accepted(
    client: TestClient,
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    tmp_path: Path,
) -> None:
    node = node_or_skip()
    achievement = make_achievement(runtime, issuer, "Statistics")
    credential = issue(runtime, issuer, achievement)
    key = subprocess.run(
        [node, str(JS_DIR / "keys.mjs")], capture_output=True, text=True, check=True, cwd=JS_DIR
    ).stdout
    (tmp_path / "key.json").write_text(key, encoding="utf-8")
    did = json.loads(key)["did"]
    unsigned = unsigned_endorsement(
        runtime.urls.achievement(achievement),
        "Our engineers use it.",
        {"id": did, "type": ["Profile"], "name": "Partner Industries"},
    )
    (tmp_path / "in.json").write_text(json.dumps(unsigned), encoding="utf-8")
    signed = subprocess.run(
        [node, str(JS_DIR / "sign.mjs"), "--key", str(tmp_path / "key.json"), "in.json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout

    answer = client.post(
        f"/api/v1/issuers/{issuer.id}/endorsements/external",
        content=signed.encode(),
        headers={**issuer.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    assert (stored["subjectType"], stored["subjectId"], stored["endorser"], stored["state"]) == (
        "achievement",
        achievement,
        did,
        "verified",
    )
    assert client.get(f"/achievements/{achievement}").json()["endorsement"] == [json.loads(signed)]
    text = page(web, runtime, credential.id)
    assert "Partner Industries" in text
    assert "Our engineers use it." in text
    assert "external organisation" in text
    # The same again: one standing endorsement per endorser and subject.
    again = client.post(
        f"/api/v1/issuers/{issuer.id}/endorsements/external",
        content=signed.encode(),
        headers={**issuer.headers, "Content-Type": "application/json"},
    )
    assert again.status_code == 409


def test_a_forged_or_misaddressed_external_endorsement_is_refused(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    achievement = make_achievement(runtime, issuer, "Statistics")
    key_file = KeyFile.for_did_key(SigningKey.generate())
    signed = sign_credential(
        unsigned_endorsement(runtime.urls.achievement(achievement), "Solid."), key_file
    )
    assert isinstance(signed, dict)
    url = f"/api/v1/issuers/{issuer.id}/endorsements/external"

    def submit(document: Any, headers: dict[str, str] = issuer.headers) -> Any:
        return client.post(
            url.replace(issuer.id, _owner(headers, issuer, other_issuer)),
            content=json.dumps(document).encode(),
            headers=headers,
        )

    forged = json.loads(json.dumps(signed))
    forged["credentialSubject"]["endorsementComment"] = "The best in the world."
    answer = submit(forged)
    assert answer.status_code == 422, answer.text
    assert "does not verify" in answer.json()["error"]["message"]
    assert "proof" in answer.json()["error"]["found"]
    # Sound, but of another issuer's achievement: not this issuer's to publish.
    assert submit(signed, other_issuer.headers).status_code == 422
    # Not an endorsement; not JSON; signed by one of our own issuers.
    assert submit({**signed, "type": ["VerifiableCredential"]}).status_code == 422
    assert client.post(url, content=b"{", headers=issuer.headers).status_code == 422
    ours = runtime.endorsement_book.endorse(
        SYSTEM, other_issuer.id, "achievement", achievement, None
    )
    assert submit(ours.document).status_code == 422
    assert count(runtime) == 1  # only ours
    # The sound one is accepted.
    assert submit(signed).status_code == 201


def _owner(headers: dict[str, str], issuer: IssuerFixture, other: IssuerFixture) -> str:
    return issuer.id if headers == issuer.headers else other.id


@pytest.fixture
def partner(runtime: Runtime) -> tuple[KeyFile, BitstringStatusList, dict[str, bytes]]:
    """An external organisation on did:web, its DID document and revocation list served by the
    fetcher injected into the endorsement book (the guarded client in production)."""
    key = SigningKey.generate()
    did_document = build_did_document(PARTNER, [("#key-1", key.public)])
    key_file = KeyFile(key=key, controller=PARTNER, verification_method=f"{PARTNER}#key-1")
    served: dict[str, bytes] = {did_web_document_url(PARTNER): json.dumps(did_document).encode()}
    bits = BitstringStatusList()

    def publish() -> None:
        listed = status_list_credential(
            id=PARTNER_LIST,
            issuer=PARTNER,
            status_purpose="revocation",
            status_list=bits,
            valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        )
        signed = sign_credential(listed, key_file)
        served[PARTNER_LIST] = json.dumps(signed).encode()

    def fetch(url: str) -> bytes:
        if url == PARTNER_LIST:
            publish()
        if url not in served:
            raise AssertionError(f"unexpected fetch {url}")
        return served[url]

    book = runtime.endorsement_book
    book.fetcher = fetch
    return key_file, bits, served


def test_a_did_web_endorsement_of_a_pathway_verifies_through_the_resolver_and_is_withdrawn(
    client: TestClient,
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    partner: tuple[KeyFile, BitstringStatusList, dict[str, bytes]],
) -> None:
    key_file, bits, _ = partner
    achievement = make_achievement(runtime, issuer, "Statistics")
    view = runtime.pathways.create(
        SYSTEM,
        issuer.id,
        {
            "name": "Micro-degree",
            "description": "Stacked.",
            "requirement": {"id": "p", "type": "achievement", "achievement": achievement},
        },
    )
    unsigned = unsigned_endorsement(
        runtime.urls.achievement(view.row.achievement_id),
        "A pathway we hire from.",
        {"id": PARTNER, "type": ["Profile"], "name": "Partner GmbH"},
    )
    unsigned["credentialStatus"] = [
        status_entry(list_url=PARTNER_LIST, index=7, purpose="revocation")
    ]
    signed = sign_credential(unsigned, key_file)
    answer = client.post(
        f"/api/v1/issuers/{issuer.id}/endorsements/external",
        content=json.dumps(signed).encode(),
        headers=issuer.headers,
    )
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    assert (stored["subjectType"], stored["subjectId"]) == ("pathway", view.row.id)
    text = web.get(f"/pathways/{view.row.id}", headers={"Accept": "text/html"}).text
    assert "Partner GmbH" in text
    assert "A pathway we hire from." in text
    assert "Verifies" in text

    # The partner withdraws it (its bit): a re-check records it, the page says so.
    bits.set(7, True)
    check = f"/api/v1/issuers/{issuer.id}/endorsements/{stored['id']}/check"
    answer = client.post(check, headers=issuer.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "withdrawn"
    text = web.get(f"/pathways/{view.row.id}", headers={"Accept": "text/html"}).text
    assert "Partner GmbH" in text
    assert "Withdrawn by the endorser" in text
