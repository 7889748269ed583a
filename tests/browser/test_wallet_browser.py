"""The wallet in a real browser, as a learner sees it: at 360 px and 1280 px, in every UI
language, axe-core clean and never wider than the screen. The learner's wallet lists what was
issued to her, she imports a baked badge, makes a credential public, puts it in a collection
and finds both on her public profile; the timeline and the presentation form are shown too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.crypto.baking import bake_png, default_badge_png
from microcred.issuing.issuance import IssueRequest
from tests.browser.conftest import Server
from tests.browser.test_pages_browser import check_accessibility
from tests.platform.test_wallet_service import foreign_jwt

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "de": "de-DE", "fr": "fr-FR", "es": "es-ES"}
# The wallet's heading and the import's confirmation, as each language's pages say them.
WORDS = {
    "en": ("My wallet", "The credential was verified and added to your wallet."),
    "de": ("Meine Wallet", None),
    "fr": ("Mon portefeuille", None),
    "es": ("Mi cartera", None),
}


def fits(page: Any, width: int, name: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name} is {scroll} px wide at {width} px"


def look(page: Any, width: int, name: str) -> None:
    check_accessibility(page, name)
    fits(page, width, name)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_a_learner_keeps_shows_and_collects_her_credentials(
    browser: Any, server: Server, language: str, width: int, tmp_path: Path
) -> None:
    runtime = server.runtime
    address = f"ada.{language}.{width}@example.org"
    issued = runtime.issuance.issue(
        SYSTEM,
        server.issuer_id,
        [IssueRequest(server.achievement_id, email=address, name="Ada") for _ in range(2)],
    )
    badge = tmp_path / "partner-badge.png"
    badge.write_bytes(bake_png(default_badge_png(), foreign_jwt()))
    name = f"wallet-{language}-{width}"
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(runtime.learners.issue_sign_in_link(address, "/wallet"))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server.url}/wallet")
    heading, imported_word = WORDS[language]
    assert page.inner_text("h1") == heading
    assert sorted(page.locator(".held").evaluate_all("e => e.map(x => x.dataset.ref)")) == sorted(
        row.id for row in issued
    )
    look(page, width, f"{name}-list")

    # Import a partner's baked badge.
    page.click('.wallet-nav a[href="/wallet/import"]')
    look(page, width, f"{name}-import")
    page.set_input_files("#file", str(badge))
    page.click('form[action="/wallet/import"] button[type=submit]')
    page.wait_for_url("**/wallet/credentials/**?done=imported")
    if imported_word:
        assert page.inner_text("[role=status]").startswith(imported_word)
    assert page.locator('[data-check="proof"][data-status="passed"]').count() == 1
    look(page, width, f"{name}-imported")

    # Make one of ours public and put it in a new collection.
    page.goto(f"{server.url}/wallet/credentials/{issued[0].id}")
    assert page.locator("#share-url").count() == 1  # ours: the issuer's public page
    assert "linkedin.com/profile/add" in (page.get_attribute("#linkedin-add", "href") or "")
    page.click("#make-public")
    page.wait_for_url("**?done=public")
    assert page.get_attribute("#visibility", "data-public") == "yes"
    page.fill("#new-collection", "Data skills")
    page.click('form[action="/wallet/collections"] button[type=submit]')
    page.wait_for_url("**?done=collection")
    look(page, width, f"{name}-credential")

    page.click('.wallet-nav a[href="/wallet/collections"]')
    page.click("#collections a")
    page.check("#public")
    page.click("main form button.primary")
    assert page.get_attribute("#collection-visibility", "data-public") == "yes"
    look(page, width, f"{name}-collection")

    # The public profile, as a visitor sees it: the one public credential, in its collection.
    page.goto(f"{server.url}/wallet")
    profile_url = page.get_attribute("#profile-link", "href")
    assert profile_url is not None
    visitor = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    ).new_page()
    visitor.goto(profile_url)
    refs = visitor.locator("#public-credentials .held").evaluate_all(
        "e => e.map(x => x.dataset.ref)"
    )
    assert refs == [issued[0].id]
    assert visitor.locator("h2", has_text="Data skills").count() == 1
    look(visitor, width, f"{name}-profile")
    visitor.context.close()

    for path, part in (("/wallet/timeline", "timeline"), ("/wallet/present", "present")):
        page.goto(f"{server.url}{path}")
        look(page, width, f"{name}-{part}")
    assert not errors, errors
    context.close()
