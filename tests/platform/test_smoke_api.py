from __future__ import annotations

from fastapi.testclient import TestClient

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
