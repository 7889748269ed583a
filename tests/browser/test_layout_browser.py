"""Every page type fits a 360 px phone and a 1280 px screen in every UI language (issue 19):
the page never scrolls sideways, long identifiers (DIDs, hashes, private links) wrap or come
with a copy button, and at 1280 px the site header stays on one line; axe-core finds no
serious or critical violation. Screenshots are kept in test-artifacts/screenshots/layout-*."""

from __future__ import annotations

import json
from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.issuers.service import IssuerInput
from microcred.issuing.issuance import IssueRequest
from tests.browser.conftest import PASSWORD, Server
from tests.browser.test_pages_browser import check_accessibility
from tests.platform.test_europass import eu_achievement
from tests.platform.test_wallet_service import foreign_jwt

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "de": "de-DE", "fr": "fr-FR", "es": "es-ES"}
# A recipient DID of the length did:key gives a P-256 key, and a title with a long word.
LONG_DID = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169" + "x" * 40
LONG_TITLE = "Mikro-Qualifikationsnachweisverwaltungsgrundlagen für Hochschulen"

# Lists the elements wider than the viewport, to say *what* overflows when a page does.
WIDEST = """w => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().left + e.scrollWidth > w + 1)
  .slice(0, 8).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' '
    + Math.round(e.getBoundingClientRect().right))"""
# The vertical centres of the header's links and buttons: one line means one centre (±6 px).
HEADER_ROWS = """() => [...document.querySelectorAll('header.site a, header.site button')]
  .filter(e => e.checkVisibility())
  .map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; })"""


def layout_problems(page: Any, width: int, name: str, *, header: bool = True) -> list[str]:
    """What is wrong with the page's layout at this width (nothing, we hope)."""
    problems = []
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    if scroll > width:
        problems.append(f"{name} is {scroll} px wide: {page.evaluate(WIDEST, width)}")
    if width >= 1280 and header:
        centres = page.evaluate(HEADER_ROWS)
        if not centres or max(centres) - min(centres) > 6:
            problems.append(f"{name}: the header wraps ({centres})")
    return problems


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_every_page_type_fits_the_screen(
    browser: Any, server: Server, language: str, width: int
) -> None:
    runtime = server.runtime
    issuer = runtime.issuers.create(
        SYSTEM, IssuerInput(slug="uniz", name="University of Zed", country="IE")
    )
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "IE1234567T")
    achievement = runtime.achievements.create(SYSTEM, issuer.id, eu_achievement(LONG_TITLE))
    runtime.staff.create(
        SYSTEM, issuer.id, email="olga@uniz.example", name="Olga", role="owner", password=PASSWORD
    )
    ada = "ada.lovelace.with.a.long.address@example.org"
    (eu_row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement.id, email=ada, name="Ada Lovelace")]
    )
    (did_row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement.id, did=LONG_DID, name="Ada")]
    )
    base = server.url
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    name = f"layout-{language}-{width}"
    problems: list[str] = []

    def look(page: Any, part: str, *, header: bool = True) -> None:
        problems.extend(layout_problems(page, width, f"{name}-{part}", header=header))
        check_accessibility(page, f"{name}-{part}")

    # ---- public pages -------------------------------------------------------------------------
    for path, part in (
        (f"/credentials/{eu_row.id}", "credential"),
        (f"/credentials/{did_row.id}", "credential-did"),
        (runtime.recipients.private_url(eu_row.id).removeprefix(base), "credential-private"),
        ("/verify", "verify"),
        ("/privacy", "privacy"),
        ("/terms", "terms"),
        ("/sign-in", "learner-sign-in"),
        ("/console/sign-in", "staff-sign-in"),
    ):
        page.goto(f"{base}{path}")
        look(page, part)

    # The language menu, opened, stays on the screen (the anonymous header ends with it).
    page.goto(f"{base}/verify")
    page.click("details.language-menu summary")
    edges = page.locator("form.languages button").evaluate_all(
        "e => e.map(b => [b.getBoundingClientRect().left, b.getBoundingClientRect().right])"
    )
    assert len(edges) == 4
    if not all(left >= 0 and right <= width for left, right in edges):
        problems.append(f"{name}: the open language menu leaves the screen: {edges}")
    look(page, "language-menu", header=False)  # the open menu hangs below the header

    # The verify result, for a foreign did:key credential and for our own with its hashes.
    for text, part in (
        (foreign_jwt(), "verify-foreign"),
        (json.dumps(did_row.document), "verify-ours"),
    ):
        page.goto(f"{base}/verify")
        page.fill("#text", text)
        page.click("main form button.primary")
        page.wait_for_selector("section.result")
        look(page, part)

    # ---- the console, as an owner (the longest menu) ---------------------------------------
    page.goto(f"{base}/console/sign-in")
    page.fill("#email", "olga@uniz.example")
    page.fill("#password", PASSWORD)
    page.click("main button.primary")
    page.wait_for_url(f"{base}/console")
    for path, part in (
        ("/console", "console"),
        ("/console/issue", "console-issue"),
        ("/console/credentials", "console-credentials"),
        (f"/console/credentials/{eu_row.id}", "console-credential"),
        (f"/console/credentials/{did_row.id}", "console-credential-did"),
        ("/console/achievements", "console-achievements"),
        ("/console/achievements/new", "console-achievement-new"),
        (f"/console/achievements/{achievement.id}", "console-achievement"),
        ("/console/bulk", "console-bulk"),
        ("/console/stats", "console-stats"),
        ("/console/audit", "console-audit"),
        ("/console/api-keys", "console-api-keys"),
    ):
        page.goto(f"{base}{path}")
        look(page, part)
    context.close()

    # ---- the learner's wallet and account -----------------------------------------------------
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(runtime.learners.issue_sign_in_link(ada, "/wallet"))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/wallet")
    for path, part in (
        ("/wallet", "wallet"),
        (f"/wallet/credentials/{eu_row.id}", "wallet-credential"),
        ("/wallet/import", "wallet-import"),
        ("/wallet/timeline", "wallet-timeline"),
        ("/wallet/present", "wallet-present"),
        ("/wallet/collections", "wallet-collections"),
        ("/account", "account"),
        ("/account/apps", "account-apps"),
    ):
        page.goto(f"{base}{path}")
        look(page, part)
    context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors


def test_a_long_identifier_is_copied_with_the_keyboard(browser: Any, server: Server) -> None:
    runtime = server.runtime
    (row,) = runtime.issuance.issue(
        SYSTEM, server.issuer_id, [IssueRequest(server.achievement_id, did=LONG_DID, name="Ada")]
    )
    context = browser.new_context(locale="de-DE", viewport={"width": 360, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server.url}/console/sign-in")
    page.fill("#email", server.email)
    page.fill("#password", server.password)
    page.click("main button.primary")
    page.wait_for_url(f"{server.url}/console")
    page.goto(f"{server.url}/console/credentials/{row.id}")
    button = page.locator("button[data-copy=recipient-did]")
    assert button.is_visible()  # the script revealed it (no inline script: the CSP holds)
    assert button.inner_text().startswith("Kopieren")
    # From the identifier's neighbour, one Tab reaches the button; Enter copies.
    page.focus("#recipient-did + button")
    assert page.evaluate("document.activeElement.dataset.copy") == "recipient-did"
    page.keyboard.press("Enter")
    status = page.locator("#recipient-did ~ .copy-status")
    status.wait_for(state="visible")
    assert status.inner_text() == "Kopiert"
    assert page.evaluate("navigator.clipboard.readText()") == LONG_DID
    page.keyboard.press("Tab")  # on to the public page's link, whose own button copies it
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert page.evaluate("navigator.clipboard.readText()") == runtime.urls.credential(row.id)
    assert not errors, errors
    context.close()
