"""Defect 1 of issue 20: one lone surrogate ("\\ud800") in an achievement or an issuer.

JSON allows the escape, Python decodes it to a string no UTF-8 encoder takes, and the store wrote
it where nothing could read it back: the issuer's pages, listings, issuing and DID document all
answered 500 from then on. Such text is refused at the edge, naming the field; what the store
writes it can always read; rows already written are repaired in place.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from microcred.runtime import Runtime
from microcred.samples import sample_credential
from microcred.store.db import json_text, json_value
from microcred.store.repair import repair_text
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture
from tests.platform.wallet_support import make_learner

LONE = "\ud800"


def _send(client: TestClient, method: str, url: str, body: Any, issuer: IssuerFixture) -> Any:
    # json.dumps escapes the surrogate as \ud800, as an attacker's client would send it.
    return client.request(
        method,
        url,
        content=json.dumps(body).encode(),
        headers={**issuer.headers, "Content-Type": "application/json"},
    )


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert field in error["message"], error
    assert "surrogate" in error["message"], error


def _issuer_still_works(client: TestClient, issuer: IssuerFixture, achievement_id: str) -> None:
    base = f"/api/v1/issuers/{issuer.id}"
    for url in (base, f"{base}/achievements", f"{base}/achievements/{achievement_id}"):
        assert client.get(url, headers=issuer.headers).status_code == 200, url
    assert client.get(f"/issuers/{issuer.slug}/did.json").status_code == 200
    issued = client.post(
        f"{base}/credentials",
        headers=issuer.headers,
        json={"achievementId": achievement_id, "recipient": {"email": "ada@example.org"}},
    )
    assert issued.status_code == 201, issued.text
    verified = client.post("/api/v1/verify", json={"credential": issued.json()["credential"]})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True


def test_patched_achievement_description_is_refused(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}/achievements/{achievement_id}"
    response = _send(
        client, "PATCH", url, {"achievement": {**SIMPLE_ACHIEVEMENT, "description": LONE}}, issuer
    )
    _refused(response, "achievement.description")
    stored = client.get(url, headers=issuer.headers).json()["achievement"]
    assert stored["description"].startswith("Cleans, explores")
    _issuer_still_works(client, issuer, achievement_id)


def test_issuer_address_field_is_refused(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}"
    body = {"address": {"streetAddress": f"Main St {LONE}", "addressCountry": "DE"}}
    _refused(_send(client, "PATCH", url, body, issuer), "address.streetAddress")
    assert client.get(url, headers=issuer.headers).json()["address"] is None
    _issuer_still_works(client, issuer, achievement_id)


def test_extra_field_on_create_is_refused(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}/achievements"
    body = {"achievement": {**SIMPLE_ACHIEVEMENT, "name": "Welding", "extra": [LONE]}}
    _refused(_send(client, "POST", url, body, issuer), "achievement.extra[0]")
    names = [a["name"] for a in client.get(url, headers=issuer.headers).json()]
    assert "Welding" not in names
    _issuer_still_works(client, issuer, achievement_id)


@pytest.mark.parametrize("key", [LONE, "\udc00x"])
def test_a_lone_surrogate_in_a_key_is_refused(
    client: TestClient, issuer: IssuerFixture, achievement_id: str, key: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}/achievements/{achievement_id}"
    response = _send(
        client, "PATCH", url, {"achievement": {**SIMPLE_ACHIEVEMENT, key: "x"}}, issuer
    )
    _refused(response, "achievement")


def test_a_surrogate_pair_is_ordinary_text(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}/achievements/{achievement_id}"
    # \ud83d\ude00 is one character (U+1F600) written as a pair of escapes.
    response = _send(
        client,
        "PATCH",
        url,
        {"achievement": {**SIMPLE_ACHIEVEMENT, "description": "ok \U0001f600"}},
        issuer,
    )
    assert response.status_code == 200, response.text
    assert response.json()["achievement"]["description"] == "ok \U0001f600"
    _issuer_still_works(client, issuer, achievement_id)


# --- the store: what it writes it reads; rows written before the fix are mended --------------


def test_json_columns_never_write_what_they_cannot_read() -> None:
    with pytest.raises(ValueError, match=r"lone surrogate at a\.b"):
        json_text({"a": {"b": LONE}})
    # What the standard library wrote before the fix reads back, the surrogate as U+FFFD.
    written_before = json.dumps({"a": [f"x{LONE}y", "\U0001f600"], "big": 2**70})
    for stored in (written_before, written_before.encode()):
        assert json_value(stored) == {"a": ["x\ufffdy", "\U0001f600"], "big": 2**70}
    assert json_value(json.dumps({LONE: 1})) == {"\ufffd": 1}


def _write_raw(runtime: Runtime, table: str, column: str, row_id: str, value: Any) -> None:
    """Store ``value`` as the standard library writes it, past every check, like an old row."""
    raw = json.dumps(value)
    cast = "CAST(:raw AS json)" if runtime.engine.dialect.name == "postgresql" else ":raw"
    with runtime.engine.begin() as connection:
        connection.execute(
            text(f"UPDATE {table} SET {column} = {cast} WHERE id = :id"), {"raw": raw, "id": row_id}
        )


def _raw_text(runtime: Runtime, table: str, column: str, row_id: str) -> str:
    with runtime.engine.connect() as connection:
        return str(
            connection.execute(
                text(f"SELECT CAST({column} AS TEXT) FROM {table} WHERE id = :id"), {"id": row_id}
            ).scalar_one()
        )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_issuer_bricked_before_the_fix_works_and_is_repaired(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    # SQLite took these rows (PostgreSQL's JSONB refuses a lone surrogate, so there it is only
    # the JSON columns, below).
    _write_raw(
        runtime,
        "achievements",
        "definition",
        achievement_id,
        {**SIMPLE_ACHIEVEMENT, "description": f"bad {LONE} text"},
    )
    _write_raw(runtime, "issuers", "address", issuer.id, {"streetAddress": LONE})
    _issuer_still_works(client, issuer, achievement_id)
    shown = client.get(
        f"/api/v1/issuers/{issuer.id}/achievements/{achievement_id}", headers=issuer.headers
    )
    assert shown.json()["achievement"]["description"] == "bad \ufffd text"

    found = repair_text(runtime.sessions, dry_run=True)
    assert {(r.table, r.column, r.field) for r in found} == {
        ("achievements", "definition", "description"),
        ("issuers", "address", "streetAddress"),
    }
    assert "\\ud800" in _raw_text(runtime, "achievements", "definition", achievement_id)
    assert len(repair_text(runtime.sessions)) == 2
    assert "\\ud800" not in _raw_text(runtime, "achievements", "definition", achievement_id)
    assert "\\ud800" not in _raw_text(runtime, "issuers", "address", issuer.id)
    assert repair_text(runtime.sessions) == []
    _issuer_still_works(client, issuer, achievement_id)


def test_a_stored_credential_document_is_repaired(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    issued = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        headers=issuer.headers,
        json={"achievementId": achievement_id, "recipient": {"email": "ada@example.org"}},
    ).json()
    document = {**issued["credential"], "name": f"Badge {LONE}"}
    _write_raw(runtime, "credentials", "document", issued["id"], document)
    url = f"/api/v1/issuers/{issuer.id}/credentials/{issued['id']}"
    assert client.get(url, headers=issuer.headers).json()["credential"]["name"] == "Badge \ufffd"
    (repair,) = repair_text(runtime.sessions)
    assert (repair.table, repair.column, repair.key, repair.field, repair.strings) == (
        "credentials",
        "document",
        {"id": issued["id"]},
        "name",
        1,
    )
    assert "\\ud800" not in _raw_text(runtime, "credentials", "document", issued["id"])
    assert client.get(url, headers=issuer.headers).json()["credential"]["name"] == "Badge \ufffd"


def _jwt_with(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'EdDSA'})}.{part(payload)}.c2lnbmF0dXJl"


def test_a_vc_jwt_whose_payload_holds_one_is_read_as_unreadable(
    client: TestClient, runtime: Runtime
) -> None:
    token = _jwt_with({**sample_credential(issuer_id="did:example:x"), "name": f"x{LONE}"})
    answer = client.post("/api/v1/verify", json={"credential": token})
    assert answer.status_code == 200, answer.text
    assert answer.json()["verified"] is False
    assert "surrogate" in json.dumps(answer.json()["checks"])
    # The wallet keeps an unreadable JWT with its reason, as it always did: stored, and listed.
    learner = make_learner(runtime, "ada@example.org")
    item = runtime.wallet.import_bytes(learner, token.encode(), source="upload")
    assert item.document == token
    assert runtime.wallet.list_credentials(learner, offset=0, limit=10)[1] == 1
