"""Issue 19, achievement text in several languages, in a real browser at 360 px and 1280 px,
axe-core clean and never wider than the window: the credential page, the issuer page, the
achievement page, the verify result and the wallet show the reader's language (the default
text where there is no translation), and the console's achievement form edits them."""

from __future__ import annotations

from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from tests.browser.conftest import Server
from tests.browser.test_pages_browser import sign_in
from tests.browser.test_wallet_browser import LOCALES, look
from tests.platform.conftest import SIMPLE_ACHIEVEMENT

pytestmark = pytest.mark.browser

WIDTHS = [360, 1280]
TRANSLATIONS = {
    "de": {
        "name": "Datenanalyse mit Python",
        "description": "Bereinigt, erkundet und visualisiert Tabellendaten mit pandas.",
        "criteria": "Sechs bewertete Notebooks und eine Abschlussanalyse.",
    },
    "fr": {"name": "Analyse de données avec Python et pandas pour les débutants motivés"},
    "es": {"name": "Análisis de datos con Python", "description": "Limpia y explora datos."},
}
NAMES = {"en": SIMPLE_ACHIEVEMENT["name"], **{t: v["name"] for t, v in TRANSLATIONS.items()}}
DESCRIPTIONS = {
    "en": SIMPLE_ACHIEVEMENT["description"],
    "de": TRANSLATIONS["de"]["description"],
    "fr": SIMPLE_ACHIEVEMENT["description"],  # none given: the default, marked as English
    "es": TRANSLATIONS["es"]["description"],
}


def translated(server: Server) -> str:
    row = server.runtime.achievements.create(
        SYSTEM,
        server.issuer_id,
        {**SIMPLE_ACHIEVEMENT, "inLanguage": "en"},
        translations=TRANSLATIONS,
    )
    return row.id


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_pages_show_the_readers_language(
    browser: Any, server: Server, language: str, width: int
) -> None:
    runtime = server.runtime
    achievement_id = translated(server)
    address = f"ada.{language}.{width}@example.org"
    (credential,) = runtime.issuance.issue(
        SYSTEM, server.issuer_id, [IssueRequest(achievement_id, email=address, name="Ada")]
    )
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    name, description = NAMES[language], DESCRIPTIONS[language]

    page.goto(runtime.urls.credential(credential.id))
    assert page.inner_text("h1") == name
    assert page.get_attribute("h1", "lang") == language
    assert page.inner_text("p.description") == description
    expected_lang = "en" if language == "fr" else language
    assert page.get_attribute("p.description", "lang") == expected_lang
    look(page, width, f"translated-credential-{language}-{width}")

    page.goto(f"{server.url}/issuers/alpha")
    link = page.locator(f'a[href="/achievements/{achievement_id}"]')
    assert link.inner_text() == name
    assert link.get_attribute("lang") == language
    look(page, width, f"translated-issuer-{language}-{width}")
    link.click()
    page.wait_for_url(f"**/achievements/{achievement_id}")
    assert page.inner_text("h1") == name
    assert page.get_attribute("h1", "lang") == language
    assert page.inner_text("p.description") == description
    look(page, width, f"translated-achievement-{language}-{width}")

    page.goto(f"{server.url}/verify")
    page.fill("#url", runtime.urls.credential(credential.id))
    page.click("form[action='/verify'] button.primary")
    page.wait_for_selector("section.result")
    assert page.get_attribute("section.result", "data-verified") == "true"
    assert page.inner_text("p.what") == name
    look(page, width, f"translated-verify-{language}-{width}")

    page.goto(runtime.learners.issue_sign_in_link(address, "/wallet"))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server.url}/wallet")
    assert page.inner_text(f'li.held[data-ref="{credential.id}"] .held-name') == name
    look(page, width, f"translated-wallet-{language}-{width}")
    page.click(f'li.held[data-ref="{credential.id}"] a.held-link')
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == name
    look(page, width, f"translated-held-{language}-{width}")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_console_form_edits_translations(browser: Any, server: Server, width: int) -> None:
    achievement_id = translated(server)
    context = browser.new_context(locale="en-GB", viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.url}/console/achievements/{achievement_id}")
    assert page.input_value("#in_language") == "en"
    assert page.input_value("#tr_lang_0") == "de"
    assert page.input_value("#tr_name_0") == NAMES["de"]
    look(page, width, f"translations-form-{width}")
    # The empty block after the three translations takes a fourth.
    page.fill("#tr_lang_3", "pt-br")
    page.fill("#tr_name_3", "Análise de dados com Python")
    page.click("form button.primary[type=submit]")
    page.wait_for_url("**/console/achievements/*?done=saved")
    assert page.input_value("#tr_lang_3") == "pt-BR"  # stored in its standard form
    row = server.runtime.achievements.get(SYSTEM, server.issuer_id, achievement_id)
    assert row.translations is not None
    assert row.translations["pt-BR"] == {"name": "Análise de dados com Python"}
    # A tag that is not one is refused next to its input, with what was typed kept.
    page.fill("#tr_lang_4", "portuguese")
    page.fill("#tr_name_4", "Outra")
    page.click("form button.primary[type=submit]")
    page.wait_for_selector("#problem")
    assert page.get_attribute("#tr_lang_4", "aria-invalid") == "true"
    assert page.input_value("#tr_name_4") == "Outra"
    look(page, width, f"translations-form-error-{width}")
    context.close()
