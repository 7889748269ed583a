"""The verifier page in Chromium: a photo of a certificate's QR code, uploaded through the
camera-capable picture field, verifies green; in German the checks read in German."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from tests.browser.conftest import Server
from tests.browser.test_pages_browser import check_accessibility
from tests.verify.qr_fixtures import qr_photo

pytestmark = pytest.mark.browser


def test_qr_photo_on_the_verify_page(browser: Any, server: Server, tmp_path: Path) -> None:
    (row,) = server.runtime.issuance.issue(
        SYSTEM, server.issuer_id, [IssueRequest(server.achievement_id, email="ada@example.org")]
    )
    url = f"{server.url}/credentials/{row.id}"
    photo = tmp_path / "certificate.jpg"
    photo.write_bytes(qr_photo(url))

    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(f"{server.url}/verify")
    field = page.locator("#qr")
    assert field.get_attribute("accept") == "image/*"
    assert field.get_attribute("capture") == "environment"
    page.set_input_files("#qr", str(photo))
    page.click("button.primary")
    page.wait_for_selector("section.result")
    assert page.get_attribute("section.result", "data-verified") == "true"
    assert page.inner_text("[data-qr] code") == url
    assert page.get_attribute("[data-check=proof]", "data-status") == "passed"
    assert "nicht verändert" in page.inner_text("[data-check=proof] .message")
    assert page.get_attribute(".issuer-known", "data-known") == "true"
    check_accessibility(page, "verify-qr-de")
    context.close()
