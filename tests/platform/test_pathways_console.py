"""The console's pathway tree form and the co-issuer's approval."""

from __future__ import annotations

from fastapi.testclient import TestClient

from microcred.runtime import Runtime
from tests.platform.conftest import IssuerFixture
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
