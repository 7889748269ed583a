"""The careers JSON API: matches, occupations, plans, skill suggestions and offers; bad input
answers 4xx saying what was expected, never 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from microcred.runtime import Runtime
from tests.platform.careers_support import DATA_SCIENTISTS, make_catalogue
from tests.platform.conftest import IssuerFixture, make_issuer


def test_match_occupation_and_plan(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    make_catalogue(runtime, issuer.id)
    answer = client.get(
        "/api/v1/careers/occupations", params={"goal": "Ich will Elektriker werden", "limit": 3}
    )
    assert answer.status_code == 200, answer.text
    assert "47-2111.00" in [m["code"] for m in answer.json()]
    answer = client.get(f"/api/v1/careers/occupations/{DATA_SCIENTISTS}")
    assert answer.status_code == 200
    skills = answer.json()["skills"]
    assert skills[0]["weight"] >= skills[-1]["weight"]
    assert any(s["name"] == "Python" and s["hot_technology"] for s in skills)
    answer = client.post("/api/v1/careers/plan", json={"occupation": DATA_SCIENTISTS})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total_hours"] == 100
    assert [s["name"] for s in body["steps"]][-1] == "Tableau dashboards"
    assert body["uncovered"]
    answer = client.post("/api/v1/careers/plan", json={"goal": "data scientist"})
    assert answer.json()["occupation"]["code"] == DATA_SCIENTISTS


def test_bad_input_is_a_clear_4xx(client: TestClient) -> None:
    cases = [
        client.get("/api/v1/careers/occupations", params={"goal": ""}),
        client.get("/api/v1/careers/occupations", params={"goal": "x" * 10_000}),
        client.get("/api/v1/careers/occupations", params={"goal": "хочу стать электриком"}),
        client.post("/api/v1/careers/plan", json={}),
        client.post("/api/v1/careers/plan", json={"goal": "electrician", "extra": 1}),
        client.post(
            "/api/v1/careers/plan",
            content=b"not json",
            headers={"content-type": "application/json"},
        ),
    ]
    for answer in cases:
        assert 400 <= answer.status_code < 500, answer.text
    assert "at most 500 characters" in cases[1].text
    assert "Latin-script" in cases[2].text
    missing = client.get("/api/v1/careers/occupations/99-9999.99")
    assert missing.status_code == 404
    assert "no such occupation" in missing.text
    missing = client.post("/api/v1/careers/plan", json={"occupation": "nope"})
    assert missing.status_code == 404


def test_skill_suggestions(client: TestClient) -> None:
    answer = client.get("/api/v1/skills/suggest", params={"q": "tabl"})
    assert answer.status_code == 200
    assert answer.json()[0]["name"] == "Tableau"


def test_offers_need_the_issuers_key(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    ids = make_catalogue(runtime, issuer.id)
    url = f"/api/v1/issuers/{issuer.id}/achievements/{ids['SQL basics']}/offer"
    assert client.put(url, json={"price_minor": 100, "currency": "EUR"}).status_code == 401
    other = make_issuer(runtime, "gamma")
    assert (
        client.put(
            url, json={"price_minor": 100, "currency": "EUR"}, headers=other.headers
        ).status_code
        == 404
    )
    assert client.put(url, json={"price_minor": 100}, headers=issuer.headers).status_code == 422
    ok = client.put(
        url,
        json={"price_minor": 100, "currency": "eur", "duration_days": 2},
        headers=issuer.headers,
    )
    assert ok.status_code == 204
    cheapest = client.post("/api/v1/careers/plan", json={"occupation": DATA_SCIENTISTS}).json()
    assert cheapest["alternatives"]["cheapest"]["currency"] == "EUR"
