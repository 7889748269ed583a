"""The careers page in a real browser: a learner types a goal, picks the occupation, and sees
her gap and path with both charts; at 360 px and 1280 px, in every UI language, axe-core
clean and never wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from tests.browser.conftest import Server
from tests.browser.test_pages_browser import sign_in
from tests.browser.test_wallet_browser import LOCALES, look
from tests.platform.careers_support import DATA_SCIENTISTS, make_catalogue

pytestmark = pytest.mark.browser

HEADINGS = {
    "en": "Career goals",
    "de": "Berufsziele",
    "fr": "Objectifs de carrière",
    "es": "Objetivos profesionales",
}
GOALS = {
    "en": "I want to become a data scientist",
    "de": "Ich will Datenwissenschaftler werden",
    "fr": "je veux devenir data scientist",
    "es": "quiero ser científico de datos",
}


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_a_learner_finds_her_path(browser: Any, server: Server, language: str, width: int) -> None:
    runtime = server.runtime
    ids = make_catalogue(runtime, server.issuer_id, eu=False)
    address = f"ada.{language}.{width}@example.org"
    runtime.issuance.issue(
        SYSTEM, server.issuer_id, [IssueRequest(ids["Python basics"], email=address, name="Ada")]
    )
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(runtime.learners.issue_sign_in_link(address, "/wallet/careers"))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server.url}/wallet/careers")
    assert page.inner_text("h1") == HEADINGS[language]
    page.fill("#goal", GOALS[language])
    page.click("main form[role=search] button[type=submit]")
    page.wait_for_selector("#matches")
    name = f"careers-{language}-{width}"
    look(page, width, f"{name}-matches")
    page.click(f'#matches a[href*="{DATA_SCIENTISTS}"]')
    page.wait_for_selector("#steps")
    steps = page.locator("#steps > li strong").all_inner_texts()
    assert sorted(steps) == ["SQL basics", "Tableau dashboards"]  # Python is already held
    assert page.locator("figure.career-chart").count() == 2
    assert page.locator("#gap-chart li").count() >= 2
    look(page, width, f"{name}-plan")
    assert errors == []
    context.close()


def test_the_achievement_editor_suggests_skills(browser: Any, server: Server) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.url}/console/achievements/new")
    page.fill("[name=alignment_name_0]", "Tablea")
    page.wait_for_selector('#skill-suggestions [role="option"][data-id="onet:tableau"]')
    page.click('#skill-suggestions [role="option"][data-id="onet:tableau"]')
    assert page.input_value("[name=alignment_name_0]") == "Tableau"
    assert page.input_value("[name=alignment_framework_0]") == "O*NET"
    look(page, 1280, "careers-editor-suggestions")
    context.close()
