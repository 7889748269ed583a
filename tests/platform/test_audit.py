"""The audit log through the API: what was done, by whom, to what, when; viewers may read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime
from tests.platform.conftest import IssuerFixture


def _audit(client: TestClient, issuer: IssuerFixture, **params: Any) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/issuers/{issuer.id}/audit", params=params, headers=issuer.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _key_actor(issuer: IssuerFixture) -> str:
    # Tokens are mc_<prefix>_<secret>; the log names the key by its prefix, never the secret.
    return f"api-key:{issuer.token.removeprefix('mc_').split('_', 1)[0]}"


def test_actions_show_up_with_actor_subject_and_time(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    base = f"/api/v1/issuers/{issuer.id}"
    issued = client.post(
        f"{base}/credentials",
        json={"achievementId": achievement_id, "recipient": {"email": "ada@example.org"}},
        headers=issuer.headers,
    )
    assert issued.status_code == 201, issued.text
    rotated = client.post(f"{base}/keys/rotate", headers=issuer.headers)
    assert rotated.status_code == 200, rotated.text
    patched = client.patch(base, json={"name": "Renamed Academy"}, headers=issuer.headers)
    assert patched.status_code == 200, patched.text
    created = client.post(
        f"{base}/api-keys", json={"name": "ci", "role": "viewer"}, headers=issuer.headers
    )
    assert created.status_code == 201, created.text

    page = _audit(client, issuer)
    events: dict[str, dict[str, Any]] = {}
    for event in page["items"]:  # newest first: keep the latest of each action
        events.setdefault(event["action"], event)
    me = _key_actor(issuer)

    assert events["credential.issued"]["actor"] == me
    assert events["credential.issued"]["subject"] == issued.json()["url"]
    assert events["credential.issued"]["details"]["achievement"] == achievement_id

    assert events["key.rotated"]["actor"] == me
    assert events["key.rotated"]["subject"] == rotated.json()["verificationMethod"]

    assert events["settings.changed"]["actor"] == me
    assert events["settings.changed"]["details"] == {"fields": ["name"]}

    assert events["apikey.created"]["actor"] == me
    assert events["apikey.created"]["subject"] == f"api-key:{created.json()['prefix']}"
    assert events["apikey.created"]["details"] == {"name": "ci", "role": "viewer"}
    # The secret of the new key appears nowhere in the log.
    assert created.json()["token"].split("_", 2)[2] not in str(page)

    # The issuer was created by the operator before any of this.
    assert events["issuer.created"]["actor"] == "system"

    times = [datetime.fromisoformat(e["at"]) for e in page["items"]]
    assert all(t.tzinfo is not None for t in times)
    assert times == sorted(times, reverse=True), "newest first"
    assert page["total"] == len(page["items"]) >= 6


def test_filter_by_action_and_paginate(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    for n in range(5):
        runtime.issuers.create_api_key(SYSTEM, issuer.id, f"key-{n}", "viewer")
    only_keys = _audit(client, issuer, action="apikey.created")
    # 5 here + the fixture's own key.
    assert only_keys["total"] == 6
    assert {e["action"] for e in only_keys["items"]} == {"apikey.created"}

    first = _audit(client, issuer, action="apikey.created", limit=4)
    second = _audit(client, issuer, action="apikey.created", limit=4, offset=4)
    assert [len(first["items"]), len(second["items"])] == [4, 2]
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert len(set(ids)) == 6
    assert first["total"] == second["total"] == 6

    assert _audit(client, issuer, action="no.such.action")["items"] == []


def test_bad_paging_is_a_422(client: TestClient, issuer: IssuerFixture) -> None:
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "many"}):
        response = client.get(
            f"/api/v1/issuers/{issuer.id}/audit", params=params, headers=issuer.headers
        )
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_request"


def test_a_viewer_reads_the_log_another_issuer_does_not(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    _row, token = runtime.issuers.create_api_key(SYSTEM, issuer.id, "auditor", "viewer")
    viewer = client.get(
        f"/api/v1/issuers/{issuer.id}/audit", headers={"Authorization": f"Bearer {token}"}
    )
    assert viewer.status_code == 200
    assert viewer.json()["total"] >= 2

    foreign = client.get(f"/api/v1/issuers/{issuer.id}/audit", headers=other_issuer.headers)
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "not_found"
    assert "apikey" not in foreign.text

    anonymous = client.get(f"/api/v1/issuers/{issuer.id}/audit")
    assert anonymous.status_code == 401


def test_each_issuer_sees_only_its_own_events(
    client: TestClient, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    client.patch(
        f"/api/v1/issuers/{other_issuer.id}",
        json={"name": "Beta Two"},
        headers=other_issuer.headers,
    )
    mine = _audit(client, issuer)
    assert "settings.changed" not in {e["action"] for e in mine["items"]}
    assert all(_key_actor(other_issuer) != e["actor"] for e in mine["items"])
