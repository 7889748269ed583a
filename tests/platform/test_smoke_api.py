from __future__ import annotations

import json

from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.crypto.baking import unbake
from microcred.runtime import Runtime
from tests.platform.conftest import IssuerFixture


def test_issue_and_fetch(client: TestClient, issuer: IssuerFixture, achievement_id: str) -> None:
    body = {
        "achievementId": achievement_id,
        "recipient": {"email": "Ada@Example.org", "name": "Ada"},
        "idempotencyKey": "ada-1",
    }
    first = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials", json=body, headers=issuer.headers
    )
    assert first.status_code == 201, first.text
    again = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials", json=body, headers=issuer.headers
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    credential = first.json()["credential"]
    assert "ada@example.org" not in str(credential).lower()
    public = client.get(f"/credentials/{first.json()['id']}")
    assert public.json() == credential


def test_baked_downloads_carry_the_credential_as_stored(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    issued = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        json={"achievementId": achievement_id, "recipient": {"did": "did:example:ada"}},
        headers=issuer.headers,
    ).json()
    for suffix, media_type in (("png", "image/png"), ("svg", "image/svg+xml")):
        response = client.get(f"/credentials/{issued['id']}/badge.{suffix}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        assert "attachment" in response.headers["content-disposition"]
        assert json.loads(unbake(response.content).text) == issued["credential"]


def test_listing_filters_and_pages(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}/credentials"
    ids = []
    for name in ("Ada Byron", "Bob Stone", "Cy Byron"):
        answer = client.post(
            url,
            json={
                "achievementId": achievement_id,
                "recipient": {"email": "x@example.org", "name": name},
            },
            headers=issuer.headers,
        )
        ids.append(answer.json()["id"])
    runtime.lifecycle.revoke(SYSTEM, issuer.id, ids[1], "issued by mistake")

    def listed(**params: str) -> tuple[list[str], int]:
        page = client.get(url, params=params, headers=issuer.headers).json()
        return [item["id"] for item in page["items"]], page["total"]

    assert listed(q="byron")[1] == 2
    assert listed(state="revoked") == ([ids[1]], 1)
    assert listed(state="active", q="cy") == ([ids[2]], 1)
    first, total = listed(limit="2")
    second, _ = listed(limit="2", offset="2")
    assert total == 3
    assert len(first) == 2
    assert sorted(first + second) == sorted(ids)  # the pages cover everything once
    assert listed(issuedAfter="2999-01-01T00:00:00Z") == ([], 0)
    assert listed(issuedBefore="2999-01-01T00:00:00Z")[1] == 3


def test_key_rotation_through_the_api_keeps_old_credentials_verifying(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}/credentials"
    body = {"achievementId": achievement_id, "recipient": {"did": "did:example:ada"}}
    old = client.post(url, json=body, headers=issuer.headers).json()["credential"]
    rotated = client.post(f"/api/v1/issuers/{issuer.id}/keys/rotate", headers=issuer.headers)
    assert rotated.status_code == 200
    new = client.post(url, json=body, headers=issuer.headers).json()["credential"]
    assert new["proof"]["verificationMethod"] == rotated.json()["verificationMethod"]
    assert old["proof"]["verificationMethod"] != new["proof"]["verificationMethod"]
    for credential in (old, new):
        result = runtime.verification.verifier().verify(credential)
        assert result.verified, result.checks
