"""Editing and archiving pathways: new versions checked as on create, co-issuers approving a
change before it goes live, awards naming the version they were judged by, archive and
unarchive, and only the owning issuer's staff allowed (JSON API, service; the CLI in
tests/cli/test_pathways_cli.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.tables import PathwayAwardRow, PathwayVersionRow
from tests.platform.conftest import IssuerFixture
from tests.platform.pathways_support import LEARNER, issue, make_achievement

OTHER_LEARNER = "grace@example.org"


def definition(*parts: str, name: str = "Micro-degree", **root: Any) -> dict[str, Any]:
    of = [{"id": f"p{i}", "type": "achievement", "achievement": ref} for i, ref in enumerate(parts)]
    return {
        "name": name,
        "description": "Stacked.",
        "requirement": {"id": "root", "type": "allOf", "of": of, **root},
    }


def awards(runtime: Runtime) -> dict[str, PathwayAwardRow]:
    with runtime.sessions() as session:
        return {row.email: row for row in session.scalars(select(PathwayAwardRow))}


def create(client: TestClient, issuer: IssuerFixture, data: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(f"/api/v1/issuers/{issuer.id}/pathways", json=data, headers=issuer.headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_an_edit_is_a_new_version_and_awards_name_the_version_they_were_judged_by(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    pathway = create(client, issuer, definition(a))
    url = f"/api/v1/issuers/{issuer.id}/pathways/{pathway['id']}"
    issue(runtime, issuer, a)  # Ada completes version 1: awarded
    assert awards(runtime)[LEARNER].version == 1

    answer = client.put(
        url, json=definition(a, b, name="Micro-degree, two parts"), headers=issuer.headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["version"], body["state"], body["proposed"]) == (2, "active", None)
    assert len(body["definition"]["requirement"]["of"]) == 2
    # The micro-degree's achievement follows the live definition.
    assert runtime.achievements.get_public(pathway["achievement"].rsplit("/", 1)[1]).name == (
        "Micro-degree, two parts"
    )

    # Ada's micro-degree stays valid: judged by version 1, still awarded, still verifying.
    progress = client.get(f"{url}/progress", params={"email": LEARNER}, headers=issuer.headers)
    assert progress.json()["awarded"] is True
    assert (progress.json()["version"], progress.json()["awardedVersion"]) == (2, 1)
    assert progress.json()["complete"] is False  # by version 2 she lacks Databases
    credential = awards(runtime)[LEARNER].credential_id
    assert credential is not None
    row = runtime.credentials.get_public(credential)
    assert row.state == "active"
    assert runtime.verification.verifier().verify(row.document).verified

    # Grace completes version 2: her award names it.
    for ref in (a, b):
        runtime.issuance.issue(SYSTEM, issuer.id, [_request(ref, OTHER_LEARNER)])
    assert awards(runtime)[OTHER_LEARNER].version == 2

    # The same definition again is no new version; every version is kept.
    again = client.put(url, json=body["definition"], headers=issuer.headers).json()
    assert again["version"] == 2
    versions = client.get(f"{url}/versions", headers=issuer.headers).json()
    assert [(v["version"], v["live"]) for v in versions] == [(1, False), (2, True)]


def _request(achievement_id: str, email: str) -> IssueRequest:
    return IssueRequest(achievement_id=achievement_id, email=email)


@pytest.mark.parametrize(
    ("change", "node", "reason"),
    [
        ({"type": "nOf", "n": 3}, "root", "unsatisfiable"),
        (
            {
                "of": [
                    {"id": "x", "type": "achievement", "achievement": "A", "after": ["y"]},
                    {"id": "y", "type": "achievement", "achievement": "B", "after": ["x"]},
                ]
            },
            "x",
            "cycle",
        ),
        (
            {
                "of": [
                    {
                        "id": "x",
                        "type": "achievement",
                        "achievement": "00000000-0000-4000-8000-000000000000",
                    }
                ]
            },
            "x",
            "unknown_part",
        ),
        (
            {
                "of": [
                    {"id": "x", "type": "achievement", "achievement": "A"},
                    {"id": "y", "type": "achievement", "achievement": "A"},
                ]
            },
            "y",
            "duplicate_part",
        ),
        (
            {
                "of": [
                    {"id": "x", "type": "achievement", "achievement": "A"},
                    {"id": "x", "type": "achievement", "achievement": "B"},
                ]
            },
            "x",
            "duplicate_node",
        ),
    ],
)
def test_an_edit_is_checked_exactly_as_on_create_and_nothing_changes_when_refused(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    change: dict[str, Any],
    node: str,
    reason: str,
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    pathway = create(client, issuer, definition(a, b))
    url = f"/api/v1/issuers/{issuer.id}/pathways/{pathway['id']}"
    text = json.dumps(change).replace('"A"', json.dumps(a)).replace('"B"', json.dumps(b))
    data = definition(a, b)
    data["requirement"].update(json.loads(text))
    for answer in (
        client.put(url, json=data, headers=issuer.headers),
        client.patch(url, json={"requirement": data["requirement"]}, headers=issuer.headers),
    ):
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert (error["code"], error["node"], error["reason"]) == ("invalid_pathway", node, reason)
    after = client.get(f"/api/v1/pathways/{pathway['id']}").json()
    assert after["version"] == 1
    assert after["definition"] == pathway["definition"]
    with runtime.sessions() as session:
        assert len(list(session.scalars(select(PathwayVersionRow)))) == 1


def test_a_merge_patch_changes_only_what_it_names(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    pathway = create(client, issuer, definition(a))
    url = f"/api/v1/issuers/{issuer.id}/pathways/{pathway['id']}"
    answer = client.patch(
        url, json={"description": "Now described.", "onPartFailure": "flag"}, headers=issuer.headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["definition"]["description"] == "Now described."
    assert body["definition"]["onPartFailure"] == "flag"
    assert body["definition"]["requirement"] == pathway["definition"]["requirement"]
    assert body["version"] == 2
    refused = client.patch(url, json=["not", "an", "object"], headers=issuer.headers)
    assert refused.status_code == 422


def test_co_issuers_approve_a_change_while_the_live_version_keeps_awarding(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, other_issuer, "Databases")
    c = make_achievement(runtime, issuer, "Ethics")
    data = {**definition(a, b), "coIssuers": [other_issuer.id]}
    pathway = create(client, issuer, data)
    pid = pathway["id"]
    approval = f"/api/v1/issuers/{other_issuer.id}/pathways/{pid}/approval"
    assert client.post(approval, headers=other_issuer.headers).json()["state"] == "active"

    url = f"/api/v1/issuers/{issuer.id}/pathways/{pid}"
    changed = {**definition(a, b, c), "coIssuers": [other_issuer.id]}
    body = client.put(url, json=changed, headers=issuer.headers).json()
    assert body["state"] == "active"
    assert body["version"] == 1
    assert body["proposed"]["version"] == 2
    assert [(i["id"], i["approved"]) for i in body["issuers"]] == [
        (issuer.id, True),
        (other_issuer.id, False),
    ]
    # The public sees the live version only, and learners are judged by it meanwhile.
    public = client.get(f"/api/v1/pathways/{pid}").json()
    assert len(public["definition"]["requirement"]["of"]) == 2
    assert public["proposed"] is None  # a change awaiting approval is not public
    issue(runtime, issuer, a)
    issue(runtime, other_issuer, b)
    assert awards(runtime)[LEARNER].version == 1

    # Approving a version other than the one waiting is refused; the right one goes live.
    stale = client.post(approval, json={"version": 1}, headers=other_issuer.headers)
    assert stale.status_code == 409
    approved = client.post(approval, json={"version": 2}, headers=other_issuer.headers).json()
    assert (approved["version"], approved["proposed"]) == (2, None)
    assert len(approved["definition"]["requirement"]["of"]) == 3
    assert all(i["approved"] for i in approved["issuers"])

    # A change taken back before approval: the proposal is dropped, the live one stands.
    client.put(url, json={**changed, "description": "Changed."}, headers=issuer.headers)
    back = client.put(url, json=approved["definition"], headers=issuer.headers).json()
    assert (back["version"], back["proposed"]) == (2, None)
    assert all(i["approved"] for i in back["issuers"])


def test_archive_stops_awards_hides_it_from_lists_and_keeps_credentials_valid(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    pathway = create(client, issuer, definition(a))
    pid = pathway["id"]
    issue(runtime, issuer, a)
    credential = awards(runtime)[LEARNER].credential_id
    assert credential is not None

    url = f"/api/v1/issuers/{issuer.id}/pathways/{pid}"
    assert client.post(f"{url}/archive", headers=issuer.headers).json()["state"] == "archived"
    assert client.get("/api/v1/pathways").json() == []
    assert client.get(f"/api/v1/pathways/{pid}").json()["state"] == "archived"
    page = client.get(f"/pathways/{pid}")
    assert page.status_code == 200
    assert 'id="archived"' in page.text
    listed = client.get(f"/api/v1/issuers/{issuer.id}/pathways", headers=issuer.headers).json()
    assert [p["state"] for p in listed] == ["archived"]
    # Editing waits for unarchiving.
    assert client.put(url, json=definition(a, name="X"), headers=issuer.headers).status_code == 409

    # No new awards; the awarded one still verifies, and its learner still sees what it was for.
    runtime.issuance.issue(SYSTEM, issuer.id, [_request(a, OTHER_LEARNER)])
    assert OTHER_LEARNER not in awards(runtime)
    assert runtime.pathways.progress(OTHER_LEARNER) == []
    (kept,) = runtime.pathways.progress(LEARNER)
    assert (kept.pathway.state, kept.award is not None) == ("archived", True)
    row = runtime.credentials.get_public(credential)
    assert runtime.verification.verifier().verify(row.document).verified

    assert client.post(f"{url}/unarchive", headers=issuer.headers).json()["state"] == "active"
    assert [p["id"] for p in client.get("/api/v1/pathways").json()] == [pid]
    runtime.pathways.evaluate_learner(OTHER_LEARNER)
    assert awards(runtime)[OTHER_LEARNER].version == 1


def test_only_the_owning_issuers_staff_edit_archive_or_unarchive(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    pathway = create(client, issuer, definition(a))
    stranger_pathway = create(
        client, other_issuer, definition(make_achievement(runtime, other_issuer, "Law"))
    )
    pid = pathway["id"]
    viewer = make_issuer_key(runtime, issuer, "viewer")
    own = f"/api/v1/issuers/{issuer.id}/pathways/{pid}"
    theirs = f"/api/v1/issuers/{other_issuer.id}/pathways/{pid}"
    for method, suffix, body in (
        ("PUT", "", definition(a, name="Taken")),
        ("PATCH", "", {"name": "Taken"}),
        ("POST", "/archive", None),
        ("POST", "/unarchive", None),
    ):
        # Another issuer's key on the owner's path, and on its own path: not found.
        assert (
            client.request(
                method, own + suffix, json=body, headers=other_issuer.headers
            ).status_code
            == 404
        )
        assert (
            client.request(
                method, theirs + suffix, json=body, headers=other_issuer.headers
            ).status_code
            == 404
        )
        # No key; the owner's viewer key.
        assert client.request(method, own + suffix, json=body).status_code == 401
        assert client.request(method, own + suffix, json=body, headers=viewer).status_code == 403
        # The owner's key on another issuer's pathway (by its own path): not found.
        other = f"/api/v1/issuers/{issuer.id}/pathways/{stranger_pathway['id']}{suffix}"
        assert client.request(method, other, json=body, headers=issuer.headers).status_code == 404
    assert client.get(f"{own}/versions", headers=other_issuer.headers).status_code == 404
    after = client.get(f"/api/v1/pathways/{pid}").json()
    assert after["definition"]["name"] == "Micro-degree"
    assert after["state"] == "active"


def test_a_co_issuer_approves_but_does_not_edit(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    pathway = create(client, issuer, {**definition(a), "coIssuers": [other_issuer.id]})
    url = f"/api/v1/issuers/{other_issuer.id}/pathways/{pathway['id']}"
    refused = client.put(url, json=definition(a, name="Mine now"), headers=other_issuer.headers)
    assert refused.status_code == 403
    assert "owning issuer" in refused.json()["error"]["message"]
    assert client.post(f"{url}/archive", headers=other_issuer.headers).status_code == 403


def make_issuer_key(runtime: Runtime, issuer: IssuerFixture, role: str) -> dict[str, str]:
    _key, token = runtime.issuers.create_api_key(SYSTEM, issuer.id, role, role)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def test_a_micro_degree_stacked_into_another_follows_its_part_two_levels_deep(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    """The cascade asks once which moved micro-degrees count elsewhere, and follows those."""
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    inner = runtime.pathways.create(SYSTEM, issuer.id, definition(a, name="Inner"))
    outer = runtime.pathways.create(
        SYSTEM, issuer.id, definition(inner.row.achievement_id, b, name="Outer")
    )
    part = issue(runtime, issuer, a)  # awards Inner, whose credential is a part of Outer
    issue(runtime, issuer, b)  # awards Outer
    with runtime.sessions() as session:
        by_pathway = {row.pathway_id: row for row in session.scalars(select(PathwayAwardRow))}
    degrees = {k: by_pathway[k].credential_id for k in (inner.row.id, outer.row.id)}
    assert all(degrees.values())

    def states() -> list[str]:
        return [runtime.credentials.get_public(str(degrees[k])).state for k in degrees]

    assert states() == ["active", "active"]
    runtime.lifecycle.suspend(SYSTEM, issuer.id, part.id, "under review")
    assert states() == ["suspended", "suspended"]
    runtime.lifecycle.reinstate(SYSTEM, issuer.id, part.id)
    assert states() == ["active", "active"]
