"""A pathway's public page and a micro-degree in a real browser: at 360 px and 1280 px, in
every UI language, axe-core clean and never wider than the screen. The learner, signed in,
sees her progress with each done part linked; the micro-degree's page lists its parts and
links its CLR."""

from __future__ import annotations

import json
from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from tests.browser.conftest import SCREENSHOTS, Server
from tests.browser.test_pages_browser import check_accessibility

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "de": "de-DE", "fr": "fr-FR", "es": "es-ES"}
HEADING = {"en": "Requirements", "de": "Anforderungen", "fr": "Exigences", "es": "Requisitos"}


def look(page: Any, width: int, name: str) -> None:
    check_accessibility(page, name)
    scroll = page.evaluate("document.documentElement.scrollWidth")
    widest = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > document.documentElement.clientWidth).slice(0, 3).map(e => e.outerHTML.slice(0, 120))"
    )
    assert scroll <= width, f"{name} is {scroll} px wide at {width} px: {widest}"


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_a_learner_follows_a_pathway_to_her_micro_degree(
    browser: Any, server: Server, language: str, width: int
) -> None:
    runtime = server.runtime
    address = f"ada.{language}.{width}@example.org"
    parts = [
        runtime.achievements.create(
            SYSTEM,
            server.issuer_id,
            # Plain OB 3.0 credits: the fixture's issuer names no country, which an EU
            # micro-credential needs.
            {
                "name": name,
                "description": f"{name}, assessed.",
                "criteria": {"narrative": "A graded project."},
                "creditsAvailable": 5,
            },
        ).id
        for name in ("Statistics", "Databases", "Data visualisation")
    ]
    view = runtime.pathways.create(
        SYSTEM,
        server.issuer_id,
        {
            "name": "Micro-degree in Data Work",
            "description": "Statistics, then two of three data modules, 15 ECTS in all.",
            "requirement": {
                "id": "root",
                "type": "allOf",
                "withinMonths": 36,
                "of": [
                    {"id": "stats", "type": "achievement", "achievement": parts[0]},
                    {
                        "id": "electives",
                        "type": "nOf",
                        "n": 2,
                        "after": ["stats"],
                        "of": [
                            {"id": "db", "type": "achievement", "achievement": parts[1]},
                            {"id": "viz", "type": "achievement", "achievement": parts[2]},
                            {
                                "id": "esco",
                                "type": "skill",
                                "url": "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
                                "label": "Python (computer programming)",
                            },
                        ],
                    },
                ],
            },
        },
    )
    name = f"pathway-{language}-{width}"
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(f"{server.url}/pathways/{view.row.id}")
    assert page.inner_text("#requirements-h") == HEADING[language]
    assert page.locator("svg[role=img] g.node").count() == 6
    look(page, width, f"{name}-public")

    for achievement_id in parts[:2]:
        runtime.issuance.issue(
            SYSTEM, server.issuer_id, [IssueRequest(achievement_id, email=address, name="Ada")]
        )
    page.goto(runtime.learners.issue_sign_in_link(address, f"/pathways/{view.row.id}"))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server.url}/pathways/{view.row.id}")
    assert page.get_attribute("#progress-state", "data-complete") == "no"
    assert page.locator('[data-node="stats"][data-done="yes"] > a').count() == 1
    look(page, width, f"{name}-progress")

    runtime.issuance.issue(
        SYSTEM, server.issuer_id, [IssueRequest(parts[2], email=address, name="Ada")]
    )
    page.reload()
    assert page.get_attribute("#progress-state", "data-complete") == "yes"
    page.click("#award-link")
    page.wait_for_url("**/credentials/**")
    assert page.locator("#micro-degree-parts li code").count() == 3
    assert page.get_attribute("#clr-link", "href", timeout=5000).endswith("/clr")
    look(page, width, f"{name}-degree")
    assert errors == []
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de"])
def test_staff_make_a_pathway_with_the_tree_form(
    browser: Any, server: Server, language: str, width: int
) -> None:
    runtime = server.runtime
    runtime.achievements.create(
        SYSTEM,
        server.issuer_id,
        {"name": "Statistics", "description": "A module.", "criteria": {"narrative": "Passed."}},
    )
    name = f"pathway-console-{language}-{width}"
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{server.url}/console/sign-in")
    page.fill("#email", server.email)
    page.fill("#password", server.password)
    page.click("button.primary")
    page.wait_for_url(f"{server.url}/console")
    page.goto(f"{server.url}/console/pathways/new")
    look(page, width, f"{name}-form")
    page.fill("#name", "Micro-degree")
    page.select_option("#type_0", "nOf")
    page.fill("#number_0", "2")
    page.fill("#id_1", "stats")
    page.fill("#parent_1", "root")
    page.select_option("#type_1", "achievement")
    page.select_option("#achievement_1", index=1)
    page.click("form button.primary")
    assert page.locator("#problem").count() == 1  # 2 of 1: refused, naming the root
    assert page.get_attribute("#id_0", "aria-invalid") == "true"
    look(page, width, f"{name}-refused")
    page.fill("#number_0", "1")
    page.click("form button.primary")
    page.wait_for_url("**/pathways/**")
    assert page.locator("svg[role=img] g.node").count() == 2
    page.goto(f"{server.url}/console/pathways")
    look(page, width, f"{name}-list")
    context.close()


def sign_in_staff(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/console/sign-in")
    page.fill("#email", server.email)
    page.fill("#password", server.password)
    page.click("button.primary")
    page.wait_for_url(f"{server.url}/console")


def definition_in(page: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(page.input_value("#definition"))
    return data


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de"])
def test_staff_edit_a_pathway_in_the_visual_tree_by_keyboard(
    browser: Any, server: Server, language: str, width: int
) -> None:
    runtime = server.runtime
    ids = {
        name: runtime.achievements.create(
            SYSTEM,
            server.issuer_id,
            {"name": name, "description": "A module.", "criteria": {"narrative": "Passed."}},
        ).id
        for name in ("Statistics", "Databases", "Data visualisation")
    }
    view = runtime.pathways.create(
        SYSTEM,
        server.issuer_id,
        {
            "name": "Micro-degree in Data Work",
            "requirement": {
                "id": "root",
                "type": "allOf",
                "of": [
                    {"id": "stats", "type": "achievement", "achievement": ids["Statistics"]},
                    {"id": "viz", "type": "achievement", "achievement": ids["Data visualisation"]},
                ],
            },
        },
    )
    name = f"pathway-editor-{language}-{width}"
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_staff(page, server)
    page.goto(f"{server.url}/console/pathways")
    page.click(f'a[href="/console/pathways/{view.row.id}/edit"]')
    assert page.locator("#tree-editor").is_visible()
    assert page.locator("[role=tree] [role=treeitem]").count() == 3
    # The part names are shown, not bare ids.
    assert "Statistics" in page.inner_text('[data-node="stats"] > .tree-label')
    look(page, width, f"{name}-open")

    # Keyboard only: the root, then a new part in it, chosen by searching its name.
    page.click('[data-node="root"] > .tree-label')
    page.keyboard.press("Insert")
    assert page.locator("[role=treeitem]").count() == 4
    new_id = page.evaluate("document.activeElement.dataset.node")
    page.keyboard.press("Enter")  # into the chosen node's fields
    page.fill("#te-search", "datab")
    page.wait_for_selector("#te-search-list [role=option]:not([aria-disabled])")
    page.focus("#te-search")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("#te-achievement") == ids["Databases"]
    look(page, width, f"{name}-part")

    # Move the new part up above "viz" with Alt+ArrowUp, from the tree.
    page.focus(f'[data-node="{new_id}"]')
    page.keyboard.press("Alt+ArrowUp")
    order = [n["id"] for n in definition_in(page)["requirement"]["of"]]
    assert order == ["stats", new_id, "viz"]
    assert page.evaluate("document.activeElement.dataset.node") == new_id

    # "viz" removed with Delete; the root becomes "2 of" its parts.
    page.focus('[data-node="viz"]')
    page.keyboard.press("Delete")
    assert page.locator('[data-node="viz"]').count() == 0
    page.focus('[data-node="stats"]')
    page.keyboard.press("Home")
    page.select_option("#te-type", "nOf")
    page.fill("#te-n", "3")  # more than its two parts: refused by the server, naming the root
    saved = definition_in(page)
    assert (saved["requirement"]["type"], saved["requirement"]["n"]) == ("nOf", 3)
    page.click("#pathway-editor-form button.primary")
    assert page.locator("#problem").count() == 1
    assert page.locator('[data-node="root"].tree-problem').count() == 1
    look(page, width, f"{name}-refused")
    page.fill("#te-n", "2")
    page.click("#pathway-editor-form button.primary")
    page.wait_for_url("**/console/pathways?done=updated")
    look(page, width, f"{name}-saved")
    after = runtime.pathways.get(view.row.id)
    assert after.row.version == 2
    root = after.definition.root
    assert (root.type, root.n) == ("nOf", 2)
    assert [c.achievement for c in root.children] == [ids["Statistics"], ids["Databases"]]
    assert errors == []
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_without_script_the_editor_is_the_json_textarea(
    browser: Any, server: Server, width: int
) -> None:
    runtime = server.runtime
    part = runtime.achievements.create(
        SYSTEM,
        server.issuer_id,
        {"name": "Statistics", "description": "A module.", "criteria": {"narrative": "Passed."}},
    ).id
    view = runtime.pathways.create(
        SYSTEM,
        server.issuer_id,
        {
            "name": "Micro-degree",
            "requirement": {"id": "p", "type": "achievement", "achievement": part},
        },
    )
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    sign_in_staff(page, server)
    page.goto(f"{server.url}/console/pathways/{view.row.id}/edit")
    assert not page.locator("#tree-editor").is_visible()
    assert page.locator("#definition").is_visible()
    page.screenshot(path=str(SCREENSHOTS / f"pathway-editor-nojs-{width}.png"), full_page=True)
    data = json.loads(page.input_value("#definition"))
    data["description"] = "Edited without script."
    page.fill("#definition", json.dumps(data))
    page.click("#pathway-editor-form button.primary")
    page.wait_for_url("**/console/pathways?done=updated")
    assert runtime.pathways.get(view.row.id).definition.description == "Edited without script."
    context.close()
