"""Issue 19 in a real browser, at 360 px and 1280 px, axe-core clean, no page wider than the
window: the start page and its verify box; the console's credential finder and CSV export;
revoking with confirmation, then the verdict and the public page; the bulk template and the
rejected rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.web.pages import i18n
from tests.browser.conftest import Server
from tests.browser.test_pages_browser import sign_in
from tests.browser.test_wallet_browser import look

pytestmark = pytest.mark.browser

WIDTHS = [360, 1280]


def issue(server: Server, name: str, email: str) -> str:
    (row,) = server.runtime.issuance.issue(
        SYSTEM, server.issuer_id, [IssueRequest(server.achievement_id, email=email, name=name)]
    )
    return row.id


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_the_start_page_lists_issuers_and_verifies_by_address(
    browser: Any, server: Server, language: str, width: int
) -> None:
    credential = issue(server, "Ada Lovelace", "ada@example.org")
    context = browser.new_context(locale=language, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{server.url}/")
    heading = i18n.translations(language).gettext("Digital credentials you can check")
    assert page.inner_text("h1") == heading
    assert "Alpha Academy" in page.inner_text(".issuer-list")
    assert "Data Analysis with Python" in page.inner_text(".achievement-list")
    look(page, width, f"home-{language}-{width}")
    page.fill("#url", server.runtime.urls.credential(credential))
    page.click("#home-verify button")
    page.wait_for_selector("section.result")
    assert page.get_attribute("section.result", "data-verified") == "true"
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_finder_searches_filters_and_exports(
    browser: Any, server: Server, width: int, tmp_path: Path
) -> None:
    for number in range(55):
        issue(server, f"Person {number:02}", f"p{number}@example.org")
    ada = issue(server, "Ada Lovelace", "ada@example.org")
    context = browser.new_context(
        locale="en-GB", viewport={"width": width, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    sign_in(page, server)
    page.click("#find-credentials")
    page.wait_for_url(f"{server.url}/console/credentials")
    assert page.get_attribute("#found", "data-total") == "56"
    assert "Page 1 of 2" in page.inner_text(".pager")
    look(page, width, f"finder-{width}")
    page.fill("#q", "lovelace")
    page.select_option("#state", "active")
    page.select_option("#sort", "recipient")
    page.click("form.finder button")
    page.wait_for_selector("#results")
    assert page.locator("#results tbody tr").count() == 1
    assert page.get_attribute("#results tbody tr", "data-id") == ada
    look(page, width, f"finder-found-{width}")
    with page.expect_download() as download:
        page.click("#export")
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(f"{ada},Ada Lovelace,ada@example.org")
    page.goto(f"{server.url}/console/audit")
    look(page, width, f"audit-{width}")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_revoking_asks_to_confirm_then_the_verdict_and_page_say_so(
    browser: Any, server: Server, width: int
) -> None:
    credential = issue(server, "Ada Lovelace", "ada@example.org")
    context = browser.new_context(locale="en-GB", viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.url}/console/credentials/{credential}")
    page.fill("#reason-revoke", "Issued in error")
    look(page, width, f"console-revoke-{width}")
    page.click("form[action$='/revoke'] button")  # not confirmed: the browser stops it
    assert page.evaluate("document.querySelector('#confirm-revoke').validity.valueMissing")
    assert server.runtime.credentials.get_public(credential).state == "active"
    page.check("#confirm-revoke")
    page.click("form[action$='/revoke'] button")
    page.wait_for_selector("text=The credential was revoked.")

    page.goto(f"{server.url}/verify")
    page.fill("#url", server.runtime.urls.credential(credential))
    page.click("form[action='/verify'] button.primary")
    page.wait_for_selector("section.result")
    assert page.inner_text("#verdict") == "Revoked by its issuer: Issued in error"
    look(page, width, f"verify-revoked-{width}")

    page.goto(server.runtime.urls.credential(credential))
    assert page.get_attribute(".status", "data-state") == "revoked"
    assert page.locator("#linkedin-add, #linkedin-share, a[download], #certificate").count() == 0
    look(page, width, f"credential-revoked-{width}")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_bulk_template_and_the_rejected_rows(
    browser: Any, server: Server, width: int, tmp_path: Path
) -> None:
    context = browser.new_context(
        locale="en-GB", viewport={"width": width, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server.url}/console/bulk")
    look(page, width, f"bulk-{width}")
    with page.expect_download() as download:
        page.click("#template-csv")
    template = tmp_path / "template.csv"
    download.value.save_as(template)
    filled = template.read_text(encoding="utf-8-sig") + (
        "ada@example.org,Ada,S1,\r\nnot-an-address,Bob,S2,\r\n"
    )
    upload = tmp_path / "people.csv"
    upload.write_text(filled, encoding="utf-8")
    page.set_input_files("#file", str(upload))
    page.click("main button.primary")
    page.wait_for_selector("#summary")
    assert page.get_attribute("[data-bad]", "data-bad") == "1"
    look(page, width, f"bulk-check-{width}")
    with page.expect_download() as download:
        page.click("#rejected-csv")
    rejected = tmp_path / "rejected.csv"
    download.value.save_as(rejected)
    header, row = rejected.read_text(encoding="utf-8-sig").strip().splitlines()
    assert header == "email,name,id,did,problem"
    assert row.startswith("not-an-address,Bob,S2,,line 3: ")
    context.close()
