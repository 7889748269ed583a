"""The verifier page in Chromium: an endorsement whose endorser cannot be confirmed reads as a
warning that says so, at phone and desktop widths, in English and French."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.test_pages_browser import check_accessibility
from tests.verify.test_verifier_embedded import endorsed, unconfirmed_endorsement

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("locale", "width", "says"),
    [
        ("en-GB", 360, "the endorser could not be confirmed"),
        ("fr-FR", 1280, "l'auteur de la recommandation n'a pas pu être confirmé"),
    ],
)
def test_an_unconfirmed_endorser_on_the_verify_page(
    browser: Any, server: Server, locale: str, width: int, says: str
) -> None:
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{server.url}/verify")
    page.fill("#text", json.dumps(endorsed(unconfirmed_endorsement())))
    page.click("button.primary")
    page.wait_for_selector("section.result")
    part = page.locator("li.part")
    assert part.get_attribute("data-outcome") == "issuer-not-confirmed"
    assert "result-unconfirmed" in (part.get_attribute("class") or "")
    assert says in part.inner_text()
    assert page.get_attribute("[data-check=endorsements]", "data-status") == "warning"
    # No horizontal scrolling at this width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    check_accessibility(page, f"verify-endorsement-unconfirmed-{width}")
    context.close()
