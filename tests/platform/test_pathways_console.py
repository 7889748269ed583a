"""The console's pathway tree form, the tree editor's JSON (what works without script),
edit, archive and unarchive, the part chooser, and the co-issuer's approval."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime
from tests.platform.conftest import IssuerFixture, make_issuer
from tests.platform.pathways_support import make_achievement
from tests.platform.test_pages import csrf, sign_in, staff, web

__all__ = ["web"]  # a fixture used here


def rows(*nodes: dict[str, str]) -> dict[str, str]:
    data = {"rows": str(len(nodes))}
    for index, node in enumerate(nodes):
        data.update({f"{key}_{index}": value for key, value in node.items()})
    return data


def test_a_tree_made_in_the_form_is_saved_and_a_co_issuer_approves_it(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    sign_in(web, staff(runtime, issuer))
    form = web.get("/console/pathways/new")
    assert form.status_code == 200
    assert "Statistics" in form.text
    assert "Beta Academy" in form.text
    token = csrf(form.text)
    data = {
        "csrf_token": token,
        "name": "Data micro-degree",
        "description": "Two modules.",
        "policy": "suspend",
        "eqf_rule": "max",
        "co_issuers": other_issuer.id,
        **rows(
            {"id": "root", "type": "nOf", "number": "3"},
            {"id": "stats", "parent": "root", "type": "achievement", "achievement": a},
            {"id": "db", "parent": "root", "type": "achievement", "achievement": b},
        ),
    }
    refused = web.post("/console/pathways/new", data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert 'href="#id_0">root</a>' in refused.text
    assert "needs 3" in refused.text
    assert 'value="Data micro-degree"' in refused.text  # what was typed is kept

    data["number_0"] = "2"
    saved = web.post("/console/pathways/new", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    (view,) = runtime.pathways.all(issuer_id=issuer.id)
    assert view.row.state == "pending"
    assert [c.id for c in view.definition.root.children] == ["stats", "db"]

    other = TestClient(web.app, base_url="https://testserver")
    sign_in(other, staff(runtime, other_issuer, email="ines@beta.example"))
    listing = other.get("/console/pathways")
    assert f'action="/console/pathways/{view.row.id}/approve"' in listing.text
    answer = other.post(
        f"/console/pathways/{view.row.id}/approve",
        data={"csrf_token": csrf(listing.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert runtime.pathways.get(view.row.id).row.state == "active"


def test_the_owner_edits_archives_and_unarchives_in_the_console_without_script(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, issuer, "Databases")
    data = {
        "name": "Data micro-degree",
        "description": "One module.",
        "coIssuers": [other_issuer.id],
        "requirement": {
            "id": "root",
            "type": "allOf",
            "of": [{"id": "stats", "type": "achievement", "achievement": a}],
        },
    }
    view = runtime.pathways.create(SYSTEM, issuer.id, data)
    runtime.pathways.approve(SYSTEM, view.row.id, other_issuer.id)
    sign_in(web, staff(runtime, issuer))
    listing = web.get("/console/pathways")
    assert f'href="/console/pathways/{view.row.id}/edit"' in listing.text
    page = web.get(f"/console/pathways/{view.row.id}/edit")
    assert page.status_code == 200
    assert 'id="definition"' in page.text  # the JSON textarea: what works without script
    assert "/static/pathway-editor.js" in page.text
    token = csrf(page.text)

    bad = {**data, "requirement": {**data["requirement"], "type": "nOf", "n": 4}}
    refused = web.post(
        f"/console/pathways/{view.row.id}/edit",
        data={"csrf_token": token, "definition": json.dumps(bad)},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert 'data-node="root"' in refused.text
    assert "&#34;n&#34;: 4" in refused.text or '"n": 4' in refused.text  # what was typed is kept
    broken = web.post(
        f"/console/pathways/{view.row.id}/edit",
        data={"csrf_token": token, "definition": "{not json"},
        follow_redirects=False,
    )
    assert broken.status_code == 422

    data["requirement"]["of"].append({"id": "db", "type": "achievement", "achievement": b})
    saved = web.post(
        f"/console/pathways/{view.row.id}/edit",
        data={"csrf_token": token, "definition": json.dumps(data)},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    after = runtime.pathways.get(view.row.id)
    assert (after.row.version, after.row.proposed_version) == (1, 2)  # the co-issuer approves
    assert "awaits approval" in web.get("/console/pathways").text

    # The co-issuer sees it and approves, but may not edit or archive it.
    other = TestClient(web.app, base_url="https://testserver")
    sign_in(other, staff(runtime, other_issuer, email="ines@beta.example"))
    theirs = other.get("/console/pathways")
    assert f'href="/console/pathways/{view.row.id}/edit"' not in theirs.text
    assert other.get(f"/console/pathways/{view.row.id}/edit").status_code == 403
    assert (
        other.post(
            f"/console/pathways/{view.row.id}/archive",
            data={"csrf_token": csrf(theirs.text)},
            follow_redirects=False,
        ).status_code
        == 403
    )
    other.post(
        f"/console/pathways/{view.row.id}/approve",
        data={"csrf_token": csrf(theirs.text)},
        follow_redirects=False,
    )
    assert runtime.pathways.get(view.row.id).row.version == 2

    # A third issuer's staff are told there is no such pathway.
    gamma = make_issuer(runtime, "gamma")
    third = TestClient(web.app, base_url="https://testserver")
    sign_in(third, staff(runtime, gamma, email="zoe@gamma.example"))
    assert third.get(f"/console/pathways/{view.row.id}/edit").status_code == 404

    listing = web.get("/console/pathways")
    archived = web.post(
        f"/console/pathways/{view.row.id}/archive",
        data={"csrf_token": csrf(listing.text)},
        follow_redirects=False,
    )
    assert archived.status_code == 303
    assert runtime.pathways.get(view.row.id).row.state == "archived"
    listing = web.get("/console/pathways")
    assert f'action="/console/pathways/{view.row.id}/unarchive"' in listing.text
    web.post(
        f"/console/pathways/{view.row.id}/unarchive",
        data={"csrf_token": csrf(listing.text)},
        follow_redirects=False,
    )
    assert runtime.pathways.get(view.row.id).row.state == "active"


def test_the_part_chooser_finds_achievements_by_name(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Applied Statistics")
    b = make_achievement(runtime, other_issuer, "Statistics for Law")
    make_achievement(runtime, issuer, "Databases")
    assert web.get("/console/pathways/parts?q=stat", follow_redirects=False).status_code in (
        303,
        401,
    )
    sign_in(web, staff(runtime, issuer))
    found = web.get("/console/pathways/parts", params={"q": "STAT"}).json()
    assert [(f["id"], f["ours"]) for f in found] == [(a, True), (b, False)]
    assert found[1]["issuer"] == "Beta Academy"
    assert web.get("/console/pathways/parts", params={"q": "%"}).json() == []


def test_a_refused_or_unreadable_definition_is_shown_again_with_its_parts_named(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    sign_in(web, staff(runtime, issuer))
    page = web.get("/console/pathways/new/tree")
    assert page.status_code == 200
    token = csrf(page.text)
    bad = {
        "name": "Degree",
        "requirement": {
            "id": "root",
            "type": "nOf",
            "n": 2,
            "of": [{"id": "s", "type": "achievement", "achievement": a}],
        },
    }
    refused = web.post(
        "/console/pathways/new",
        data={"csrf_token": token, "definition": json.dumps(bad)},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert 'data-node="root"' in refused.text
    assert "&#34;Statistics&#34;" in refused.text or '"Statistics"' in refused.text
    deep = "[" * 30_000 + "]" * 30_000
    answer = web.post(
        "/console/pathways/new",
        data={"csrf_token": token, "definition": deep},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    assert runtime.pathways.all(issuer_id=issuer.id) == []
