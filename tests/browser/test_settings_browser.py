"""Issue 19: the issuer settings pages and the public issuer page in Chromium at 360 and
1280 px: no horizontal scrolling, no serious or critical axe-core violation, in English and
German; the mail wording previewed with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from tests.browser.conftest import PASSWORD, Server
from tests.browser.test_pages_browser import check_accessibility

pytestmark = pytest.mark.browser

OWNER = "olga@alpha.example"


def fits(page: Any, width: int, name: str) -> None:
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{name} is {scroll} px wide at {width} px"


@pytest.mark.parametrize("width", [360, 1280])
def test_settings_and_issuer_pages(browser: Any, server: Server, width: int) -> None:
    server.runtime.staff.create(
        SYSTEM, server.issuer_id, email=OWNER, name="Olga", role="owner", password=PASSWORD
    )
    for locale in ("en-GB", "de-DE"):
        context = browser.new_context(locale=locale, viewport={"width": width, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console", lambda m, seen=errors: seen.append(m.text) if m.type == "error" else None
        )
        page.goto(f"{server.url}/console/sign-in")
        page.fill("#email", OWNER)
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{server.url}/console")
        tag = f"{locale[:2]}-{width}"

        page.goto(f"{server.url}/console/settings")
        fits(page, width, "settings")
        check_accessibility(page, f"settings-{tag}")

        page.goto(f"{server.url}/console/settings/staff")
        fits(page, width, "staff")
        check_accessibility(page, f"staff-{tag}")

        page.goto(f"{server.url}/console/settings/mail")
        fits(page, width, "mail settings")
        check_accessibility(page, f"mail-settings-{tag}")
        # Keyboard only: type the wording, tab to "Preview", press Enter.
        page.focus("#t-en-subject")
        page.keyboard.type("Well done {{ recipient_name }}")
        page.keyboard.press("Tab")
        page.keyboard.type("Dear {{ recipient_name }},")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_selector("pre.mail-preview")
        assert "Dear Ada Lovelace," in page.inner_text("pre.mail-preview")
        fits(page, width, "mail preview")
        check_accessibility(page, f"mail-preview-{tag}")

        page.goto(f"{server.url}/issuers/alpha")
        assert page.inner_text("h1").strip() == "Alpha Academy"
        fits(page, width, "issuer page")
        check_accessibility(page, f"issuer-page-{tag}")
        assert errors == []
        context.close()
