"""The pathways JSON API: refusals as 4xx naming the node, tenancy, progress, the CLR URL."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from microcred.runtime import Runtime
from tests.platform.conftest import IssuerFixture
from tests.platform.pathways_support import LEARNER, issue, make_achievement
from tests.platform.test_pages import csrf, web

__all__ = ["web"]  # a fixture used here


def definition(*parts: str, n: int | None = None) -> dict[str, Any]:
    of = [{"id": f"p{i}", "type": "achievement", "achievement": ref} for i, ref in enumerate(parts)]
    requirement: dict[str, Any] = {"id": "root", "type": "allOf", "of": of}
    if n is not None:
        requirement = {"id": "root", "type": "nOf", "n": n, "of": of}
    return {"name": "Micro-degree", "description": "Stacked.", "requirement": requirement}


def test_an_unsatisfiable_definition_is_a_422_naming_node_and_reason(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    answer = client.post(
        f"/api/v1/issuers/{issuer.id}/pathways", json=definition(a, n=2), headers=issuer.headers
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["node"], error["reason"]) == (
        "invalid_pathway",
        "root",
        "unsatisfiable",
    )
    assert client.get("/api/v1/pathways").json() == []  # nothing half-written
    broken = client.post(
        f"/api/v1/issuers/{issuer.id}/pathways", content=b"{not json", headers=issuer.headers
    )
    assert broken.status_code == 422


def test_another_issuers_key_cannot_create_or_read_its_pathways(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    answer = client.post(
        f"/api/v1/issuers/{issuer.id}/pathways", json=definition(a), headers=other_issuer.headers
    )
    assert answer.status_code == 404
    assert (
        client.post(f"/api/v1/issuers/{issuer.id}/pathways", json=definition(a)).status_code == 401
    )


def test_create_complete_and_read_progress_and_the_clr(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    created = client.post(
        f"/api/v1/issuers/{issuer.id}/pathways", json=definition(a, b), headers=issuer.headers
    )
    assert created.status_code == 201, created.text
    pathway = created.json()
    assert pathway["state"] == "active"
    assert client.get(f"/api/v1/pathways/{pathway['id']}").json()["id"] == pathway["id"]
    url = f"/api/v1/issuers/{issuer.id}/pathways/{pathway['id']}/progress"
    before = client.get(url, params={"email": LEARNER}, headers=issuer.headers).json()
    assert before["complete"] is False
    assert len(before["remaining"]) == 2

    issue(runtime, issuer, a)
    issue(runtime, issuer, b)
    after = client.get(url, params={"email": LEARNER}, headers=issuer.headers).json()
    assert after["complete"] is True
    assert after["tree"]["children"][0]["credential"]["url"].startswith(runtime.urls.base)
    credential = after["credential"].removeprefix(runtime.urls.base)
    clr = client.get(f"{credential}/clr")
    assert clr.status_code == 200
    assert clr.headers["content-type"].startswith("application/vc+ld+json")
    assert "ClrCredential" in clr.json()["type"]
    assert client.get("/credentials/00000000-0000-0000-0000-000000000000/clr").status_code == 404
    assert client.get(url, params={"email": "nobody"}, headers=issuer.headers).status_code == 422


def test_the_verifier_names_the_failing_part_of_a_flagged_micro_degree(
    client: TestClient, web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    from microcred.accounts.actor import SYSTEM

    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    data = definition(a, b)
    data["onPartFailure"] = "flag"
    runtime.pathways.create(SYSTEM, issuer.id, data)
    part = issue(runtime, issuer, a)
    issue(runtime, issuer, b)
    (progress,) = runtime.pathways.progress(LEARNER)
    assert progress.award is not None
    assert progress.award.credential_id is not None
    document = runtime.credentials.get_public(progress.award.credential_id).document
    runtime.lifecycle.revoke(SYSTEM, issuer.id, part.id, "issued in error")

    answer = client.post("/api/v1/verify", json={"credential": document}).json()
    assert answer["verified"] is True  # flag only: the micro-degree itself stands
    assert answer["failingParts"] == [
        {"name": "Statistics", "url": runtime.urls.credential(part.id)}
    ]
    token = csrf(web.get("/verify").text)
    page = web.post("/verify", data={"text": json.dumps(document), "csrf_token": token})
    assert 'id="failing-parts"' in page.text


def test_another_issuer_endorses_a_pathway_and_withdraws_it(
    client: TestClient,
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    other_issuer: IssuerFixture,
) -> None:
    from microcred.accounts.actor import SYSTEM
    from microcred.verify.result import Status

    a = make_achievement(runtime, issuer, "Statistics")
    view = runtime.pathways.create(SYSTEM, issuer.id, definition(a))
    answer = client.post(
        f"/api/v1/issuers/{other_issuer.id}/pathways/{view.row.id}/endorsements",
        json={"comment": "Our hiring managers trust it."},
        headers=other_issuer.headers,
    )
    assert answer.status_code == 201, answer.text
    endorsement = answer.json()
    assert endorsement["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert endorsement["credentialSubject"]["id"] == runtime.urls.achievement(
        view.row.achievement_id
    )
    assert endorsement["issuer"]["id"] == other_issuer.did
    assert runtime.verification.verifier().verify(endorsement).verified
    served = client.get(endorsement["id"].removeprefix(runtime.urls.base))
    assert served.json() == endorsement
    page = web.get(f"/pathways/{view.row.id}", headers={"Accept": "text/html"}).text
    assert "Our hiring managers trust it." in page
    assert "Beta Academy" in page

    endorsement_id = endorsement["id"].rsplit("/", 1)[1]
    url = f"/api/v1/issuers/{other_issuer.id}/endorsements/{endorsement_id}"
    assert (
        client.delete(url.replace(other_issuer.id, issuer.id), headers=issuer.headers).status_code
        == 404
    )
    check = f"{url}/check"
    assert client.post(check, headers=other_issuer.headers).json()["state"] == "verified"
    assert (
        client.post(check.replace(other_issuer.id, issuer.id), headers=issuer.headers).status_code
        == 404
    )
    assert client.delete(url, headers=other_issuer.headers).status_code == 200
    assert client.delete(url, headers=other_issuer.headers).status_code == 409
    assert client.post(check, headers=other_issuer.headers).json()["state"] == "withdrawn"
    status = runtime.verification.verifier().verify(endorsement).check("status")
    assert status is not None
    assert status.status == Status.FAILED
    page = web.get(f"/pathways/{view.row.id}", headers={"Accept": "text/html"}).text
    assert "Our hiring managers trust it." in page  # still listed, saying it was withdrawn
    assert "Withdrawn by the endorser" in page
