"""Pathway pages: the public page with its diagram and text equivalent, a learner's progress
with done parts linked, the micro-degree's parts on its credential page, the wallet's list."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from microcred.runtime import Runtime
from tests.platform.conftest import IssuerFixture
from tests.platform.learners_support import sign_in, web
from tests.platform.pathways_support import LEARNER, issue, make_achievement, two_part_pathway

__all__ = ["web"]  # a fixture used here

HTML = {"Accept": "text/html"}


def test_the_public_page_draws_the_tree_and_lists_it(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics <script>")
    b = make_achievement(runtime, other_issuer, "Databases")
    view = two_part_pathway(runtime, issuer, [a, b])
    page = web.get(f"/pathways/{view.row.id}", headers=HTML)
    assert page.status_code == 200, page.text
    text = page.text
    assert 'role="img"' in text
    assert 'aria-describedby="requirements-list"' in text
    assert '<ul class="requirements" id="requirements-list">' in text
    assert "Statistics &lt;script&gt;" in text
    assert "<script>" not in text.split("</head>")[1]
    assert text.count('data-node="part') == 2
    assert "Alpha Academy" in text
    assert "Sign in to see your progress" in text
    assert web.get("/pathways/nope", headers=HTML).status_code == 404


def test_a_learner_sees_progress_and_the_micro_degree_its_parts_and_clr(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics")
    b = make_achievement(runtime, other_issuer, "Databases")
    view = two_part_pathway(runtime, issuer, [a, b])
    first = issue(runtime, issuer, a)
    runtime.learners.issue_sign_in_link(LEARNER)
    sign_in(runtime, web, LEARNER)
    page = web.get(f"/pathways/{view.row.id}", headers=HTML).text
    assert 'data-complete="no"' in page
    assert f'href="/credentials/{first.id}"' in page  # the done part, linked
    assert 'data-node="part1" data-done="no"' in page
    wallet = web.get("/wallet").text
    assert "Your pathways" in wallet
    assert "1 parts done, 1 to go" in wallet

    issue(runtime, other_issuer, b)
    page = web.get(f"/pathways/{view.row.id}", headers=HTML).text
    assert 'data-complete="yes"' in page
    match = re.search(r'id="award-link"[^>]*|href="(/credentials/[^"]+)" id="award-link"', page)
    assert match
    assert match.group(1)
    degree = web.get(match.group(1), headers=HTML).text
    assert 'id="micro-degree-parts"' in degree
    assert first.document["id"] in degree
    assert "sha256-" in degree
    assert f'href="{match.group(1)}/clr"' in degree
    assert "complete, micro-degree awarded" in web.get("/wallet").text
