"""Issue 19: a skill picked from the taxonomy in the achievement editor is kept whole as an
alignment (name, web address, framework and code), and the code names the taxonomy's skill
exactly for the careers matcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import csrf, sign_in, staff
from tests.platform.test_pages_console import full_form, post_form


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def test_a_picked_skill_keeps_its_code_and_the_matcher_reads_it(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    sign_in(web, staff(runtime, issuer, "issuer"))
    page = web.get("/console/achievements/new")
    assert 'id="alignment_code_0"' in page.text
    assert 'src="/static/skill-suggest.js"' in page.text
    (tableau,) = [s for s in runtime.skills.suggest("tableau", limit=5) if s.name == "Tableau"]
    form = full_form(
        csrf(page.text),
        alignment_name_0="Data visualisation with Tableau",  # the issuer's own wording
        alignment_url_0="https://alpha.example/skills/tableau",
        alignment_framework_0="O*NET",
        alignment_code_0=tableau.id,
    )
    answer = post_form(web, "/console/achievements/new", form)
    assert answer.status_code == 303, answer.text
    achievement_id = answer.headers["location"].split("/")[3].split("?")[0]
    row = runtime.achievements.get(SYSTEM, issuer.id, achievement_id)
    assert row.definition["alignment"] == [
        {
            "type": ["Alignment"],
            "targetName": "Data visualisation with Tableau",
            "targetUrl": "https://alpha.example/skills/tableau",
            "targetFramework": "O*NET",
            "targetCode": tableau.id,
        }
    ]
    # The label is the issuer's, not the taxonomy's name: the code still finds the skill.
    assert runtime.skills.names().of_achievement(row.definition) == {tableau.id}
    editor = web.get(f"/console/achievements/{achievement_id}")
    assert f'id="alignment_code_0" name="alignment_code_0" type="text" value="{tableau.id}"' in (
        editor.text
    )
