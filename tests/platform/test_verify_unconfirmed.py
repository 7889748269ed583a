"""The /verify page and API state the third outcome: a valid signature by a key the credential
carries, whose controller document cannot be read, is "signature valid, issuer not confirmed"."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from microcred.crypto import proofs
from microcred.crypto.keys import SigningKey
from microcred.runtime import Runtime
from microcred.samples import sample_credential
from microcred.web.app import create_app
from tests.platform.test_fetch import LOOPBACK
from tests.platform.test_pages import csrf

ISSUER = "https://issuer.invalid/issuers/1"  # the fetch policy refuses it: never read


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime)
    app.state.fetch_policy = LOOPBACK
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def carried_key_credential() -> str:
    key = SigningKey.generate()
    signed = proofs.sign(
        sample_credential(issuer_id=ISSUER),
        key,
        verification_method=f"{ISSUER}#{key.public.multibase}",
    )
    return json.dumps(signed)


def test_the_api_says_issuer_not_confirmed(web: TestClient) -> None:
    body = web.post("/api/v1/verify", json={"credential": carried_key_credential()}).json()
    assert body["verified"] is False
    assert body["outcome"] == "issuer-not-confirmed"
    assert body["verdict"] == "signature valid, issuer not confirmed"
    issuer = next(c for c in body["checks"] if c["name"] == "issuer")
    assert issuer["status"] == "warning"
    assert issuer["message"].startswith("issuer not confirmed")


def test_the_page_says_issuer_not_confirmed(web: TestClient) -> None:
    token = csrf(web.get("/verify").text)
    page = web.post("/verify", data={"text": carried_key_credential(), "csrf_token": token})
    assert 'data-outcome="issuer-not-confirmed"' in page.text
    assert 'data-verified="false"' in page.text
    assert "The signature is valid, but the issuer is not confirmed." in page.text
    assert "This credential is verified." not in page.text
    german = web.post(
        "/verify",
        data={"text": carried_key_credential(), "csrf_token": token},
        headers={"Accept-Language": "de"},
    )
    assert "Aussteller nicht bestätigt" in german.text
