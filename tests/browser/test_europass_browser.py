"""Europass in a real browser: the learner downloads her EU micro-credential as a sealed
European Digital Credential from the wallet, imports the Commission's sample and reads its EU
elements on the wallet page, and staff download an EDC from the console; at 360 px and 1280 px,
axe-core clean, never wider than the screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.issuers.service import IssuerInput
from microcred.issuing.issuance import IssueRequest
from microcred.verify import Status, Verifier
from tests.browser.conftest import Server
from tests.browser.test_pages_browser import check_accessibility, sign_in
from tests.browser.test_wallet_browser import look
from tests.platform.test_europass import FIXTURES, eu_achievement

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "de": "de-DE"}
DOWNLOAD = {
    "en": "Download as a European Digital Credential (Europass)",
    "de": "Als europäischen digitalen Nachweis herunterladen (Europass)",
}


def _statuses(path: Path) -> dict[str, Status]:
    result = Verifier().verify(path.read_bytes())
    return {c.name: c.status for c in result.checks}


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_learner_downloads_an_edc_and_reads_an_imported_one(
    browser: Any, server: Server, language: str, width: int, tmp_path: Path
) -> None:
    runtime = server.runtime
    issuer = runtime.issuers.create(
        SYSTEM, IssuerInput(slug=f"uniz-{language}-{width}", name="University of Zed", country="IE")
    )
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "IE1234567T")
    achievement = runtime.achievements.create(SYSTEM, issuer.id, eu_achievement())
    address = f"ana.{language}.{width}@example.org"
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement.id, email=address, name="Ana")]
    )
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = f"europass-{language}-{width}"

    page.goto(runtime.learners.issue_sign_in_link(address, f"/wallet/credentials/{row.id}"))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server.url}/wallet/credentials/{row.id}")
    assert page.locator(".eu-elements").count() == 1
    button = page.locator("#edc-download").first
    assert button.inner_text() == DOWNLOAD[language]
    look(page, width, f"{name}-ours")
    with page.expect_download() as caught:
        button.click()
    saved = tmp_path / "edc.json"
    caught.value.save_as(saved)
    checks = _statuses(saved)
    assert checks["proof"] == Status.PASSED
    assert checks["shapes"] == Status.PASSED

    page.goto(f"{server.url}/wallet/import")
    page.set_input_files("#file", str(FIXTURES / "edc" / "Sample-MC-Annex1-signed.jsonld"))
    page.click('form[action="/wallet/import"] button[type=submit]')
    page.wait_for_url("**/wallet/credentials/**?done=imported")
    eu = page.locator(".eu-elements")
    assert "Developing digital content" in eu.inner_text()
    assert page.locator('[data-check="shapes"]').get_attribute("data-status") == "passed"
    assert page.locator("#edc-download").count() == 0
    look(page, width, f"{name}-imported")
    assert errors == []
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_an_owner_sets_the_legal_identifier_and_downloads_an_edc(
    browser: Any, server: Server, tmp_path: Path, width: int
) -> None:
    runtime = server.runtime
    runtime.issuers.update(SYSTEM, server.issuer_id, {"country": "DE"})
    runtime.staff.create(
        SYSTEM,
        server.issuer_id,
        email="olga@alpha.example",
        name="Olga",
        role="owner",
        password=server.password,
    )
    (row,) = runtime.issuance.issue(
        SYSTEM, server.issuer_id, [IssueRequest(server.achievement_id, email="a@example.org")]
    )
    context = browser.new_context(
        locale="en-GB", viewport={"width": width, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    owner = Server(
        server.url,
        runtime,
        server.issuer_id,
        server.achievement_id,
        "olga@alpha.example",
        server.password,
    )
    sign_in(page, owner)
    page.goto(f"{server.url}/console/credentials/{row.id}")
    # The console's header and facts are wider than a phone already (not this feature's);
    # what this feature adds must fit.
    check_accessibility(page, f"europass-console-{width}-form")
    for selector in ("#legal-id-form", "#edc-download"):
        box = page.locator(selector).bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= width, selector
    page.fill("#legal-id", "DE123456789")
    page.click("#legal-id-form button[type=submit]")
    page.wait_for_url(f"**/console/credentials/{row.id}?done=legal-id")
    assert page.locator("#legal-id-form").count() == 0
    check_accessibility(page, f"europass-console-{width}")
    with page.expect_download() as caught:
        page.click("#edc-download")
    saved = tmp_path / "console-edc.json"
    caught.value.save_as(saved)
    assert json.loads(saved.read_text())["signatures"]
    assert _statuses(saved)["proof"] == Status.PASSED
    context.close()
