"""Issue 19 in a real browser: the badge designer (with the keyboard, live preview, and without
JavaScript) and removing a staff member, at 360 px and 1280 px, in every UI language,
axe-core clean and never wider than the window."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from microcred.accounts.actor import SYSTEM
from microcred.web.pages import i18n
from tests.browser.conftest import PASSWORD, SCREENSHOTS, Server
from tests.browser.test_pages_browser import sign_in
from tests.browser.test_wallet_browser import LOCALES, look

pytestmark = pytest.mark.browser

WIDTHS = [360, 1280]


def drawn_width(image: Any) -> int:
    """The image's own width once the browser has decoded it (0: it could not be drawn)."""
    return int(image.evaluate("i => i.decode().then(() => i.naturalWidth, () => 0)"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_an_issuer_designs_a_badge_with_the_keyboard_and_sees_it_live(
    browser: Any, server: Server, language: str, width: int
) -> None:
    words = i18n.translations(language).gettext
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    sign_in(page, server)
    page.goto(f"{server.url}/console/achievements/{server.achievement_id}")
    assert page.inner_text("#designer-h") == words("Badge designer")
    assert page.inner_text("#badge_shape legend") == words("Shape")
    assert page.locator("#preview-badge").count() == 0  # live instead; Enter saves
    first = page.get_attribute("#badge-design-preview", "src")
    assert first
    assert "shape=circle" in first

    # Keyboard only: into the shape group, arrows to the next shapes, tab on to the colours.
    page.focus('input[name="badge_shape"][value="circle"]')
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.is_checked('input[name="badge_shape"][value="hexagon"]')
    expect(page.locator("#badge-design-preview")).to_have_attribute(
        "src", re.compile("shape=hexagon")
    )
    assert page.is_checked('input[name="badge_source"][value="design"]')  # chosen by using it
    page.fill("#badge_background", "#7c3aed")
    page.fill("#badge_line1", "Données & <b>")
    page.fill("#badge_line2", "Niveau 2")
    page.focus('input[name="badge_icon"][value="star"]')
    page.keyboard.press("ArrowLeft")  # from the star back to no icon
    assert page.is_checked('input[name="badge_icon"][value=""]')
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # the second icon: the tick
    preview = page.locator("#badge-design-preview")
    expect(preview).to_have_attribute(
        "src", re.compile("background=%237c3aed.*line2=Niveau.*icon=check")
    )
    assert drawn_width(preview) == 400
    look(page, width, f"designer-{language}-{width}")
    page.click("button.primary")
    page.wait_for_selector(".notice")
    row = server.runtime.achievements.get(SYSTEM, server.issuer_id, server.achievement_id)
    assert row.badge_design == {
        "shape": "hexagon",
        "background": "#7c3aed",
        "border": "#f59e0b",
        "text_colour": "#ffffff",
        "line1": "Données & <b>",
        "line2": "Niveau 2",
        "icon": "check",
    }
    assert row.image is not None
    assert b"Donn\xc3\xa9es &amp; &lt;b&gt;" in row.image
    # The page's own badge image now shows the design.
    assert drawn_width(page.locator("#badge-preview")) == 400
    assert not failures, failures
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_designer_works_without_javascript(browser: Any, server: Server, width: int) -> None:
    signing_in = browser.new_context(locale="en-GB")
    sign_in(signing_in.new_page(), server)  # axe needs scripts; the designer below does not
    context = browser.new_context(
        locale="en-GB",
        viewport={"width": width, "height": 900},
        java_script_enabled=False,
        storage_state=signing_in.storage_state(),
    )
    signing_in.close()
    page = context.new_page()
    page.goto(f"{server.url}/console/achievements/new")
    page.fill("#name", "Team Leadership")
    page.fill("#description", "Leads a team of five through a project.")
    page.check('input[name="badge_source"][value="design"]')
    page.check('input[name="badge_shape"][value="ribbon"]')
    page.fill("#badge_line1", "Leadership")
    page.check('input[name="badge_icon"][value="people"]')
    page.click("#preview-badge")
    page.wait_for_selector("#badge-design-preview")
    assert "shape=ribbon" in (page.get_attribute("#badge-design-preview", "src") or "")
    assert page.input_value("#name") == "Team Leadership"  # nothing typed is lost
    assert server.runtime.achievements.list(SYSTEM, server.issuer_id, limit=10)[0].name != (
        "Team Leadership"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # for review (axe runs in the test above)
    page.screenshot(path=str(SCREENSHOTS / f"designer-nojs-{width}.png"), full_page=True)
    page.click("button.primary")
    page.wait_for_selector(".notice")
    made = [
        a
        for a in server.runtime.achievements.list(SYSTEM, server.issuer_id)
        if a.name == "Team Leadership"
    ]
    assert len(made) == 1
    assert made[0].badge_design is not None
    assert made[0].badge_design["shape"] == "ribbon"
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_an_owner_removes_a_staff_member_whose_session_dies(
    browser: Any, server: Server, language: str, width: int
) -> None:
    runtime = server.runtime
    runtime.staff.create(
        SYSTEM,
        server.issuer_id,
        email="olga@alpha.example",
        name="Olga",
        role="owner",
        password=PASSWORD,
    )
    words = i18n.translations(language).gettext
    owner = browser.new_context(locale=LOCALES[language], viewport={"width": width, "height": 900})
    removed = browser.new_context(locale="en-GB", viewport={"width": width, "height": 900})
    ines = removed.new_page()
    sign_in(ines, server)  # Ines, of the issuer role
    page = owner.new_page()
    page.goto(f"{server.url}/console/sign-in")
    page.fill("#email", "olga@alpha.example")
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server.url}/console")
    page.goto(f"{server.url}/console/settings/staff")
    look(page, width, f"staff-{language}-{width}")
    ines_id = next(u.id for u in runtime.staff.list(SYSTEM, server.issuer_id) if u.name == "Ines")
    link = page.locator(f'a[href="/console/settings/staff/{ines_id}/remove"]')
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#confirm-remove")
    assert page.inner_text("h1") == words("Remove %(name)s from the staff") % {"name": "Ines"}
    look(page, width, f"staff-remove-{language}-{width}")
    page.focus("#confirm-remove")
    page.keyboard.press("Enter")
    page.wait_for_selector(".notice")
    assert "Ines" not in page.inner_text("table")

    ines.goto(f"{server.url}/console")
    assert ines.url.startswith(f"{server.url}/console/sign-in")
    owner.close()
    removed.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_an_issuer_picks_a_skill_from_the_taxonomy_with_the_keyboard(
    browser: Any, server: Server, language: str, width: int
) -> None:
    words = i18n.translations(language).gettext
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.url}/console/achievements/{server.achievement_id}")
    label = page.locator("#alignment_name_1")  # the first empty row
    assert label.get_attribute("role") == "combobox"
    assert label.get_attribute("aria-expanded") == "false"
    assert label.get_attribute("aria-controls") == "skill-suggestions"
    label.focus()
    page.keyboard.type("tablea")
    options = page.locator('#skill-suggestions [role="option"]')
    # The first search loads the bundled O*NET taxonomy into the database: allow it time.
    expect(options.first).to_be_visible(timeout=60_000)
    assert label.get_attribute("aria-expanded") == "true"
    expect(page.locator("#skill-status")).to_contain_text(
        words("%(count)s skills found; up and down arrows to choose, Enter to pick.").split(" ")[1]
    )
    look(page, width, f"skills-open-{language}-{width}")
    page.keyboard.press("ArrowDown")
    assert label.get_attribute("aria-activedescendant") == "skill-option-0"
    assert options.first.get_attribute("aria-selected") == "true"
    picked = options.first.get_attribute("data-id")
    page.keyboard.press("Enter")  # picks; the form is not sent
    assert page.url.endswith(server.achievement_id)
    assert label.get_attribute("aria-expanded") == "false"
    assert page.input_value("#alignment_name_1") == "Tableau"
    assert page.input_value("#alignment_framework_1") == "O*NET"
    assert page.input_value("#alignment_code_1") == picked == "onet:tableau"
    expect(page.locator("#skill-status")).to_contain_text("Tableau")
    # Escape closes a list without picking.
    page.fill("#alignment_name_2", "")
    page.focus("#alignment_name_2")
    page.keyboard.type("pyth")
    expect(options.first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#skill-suggestions")).to_be_hidden()
    assert page.input_value("#alignment_framework_2") == ""
    page.fill("#alignment_name_2", "")
    page.fill("#alignment_url_1", "https://alpha.example/skills/tableau")
    page.click("button.primary")
    page.wait_for_selector(".notice")
    row = server.runtime.achievements.get(SYSTEM, server.issuer_id, server.achievement_id)
    assert row.definition["alignment"][1] == {
        "type": ["Alignment"],
        "targetName": "Tableau",
        "targetUrl": "https://alpha.example/skills/tableau",
        "targetFramework": "O*NET",
        "targetCode": "onet:tableau",
    }
    context.close()
