"""The console in Chromium: create an achievement, issue it to 50 people from a CSV, follow the
progress to done; axe-core on every new page (editor, bulk, progress, stats, audit, API keys,
verify by URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from tests.browser.conftest import Server
from tests.browser.test_pages_browser import check_accessibility, sign_in

pytestmark = pytest.mark.browser


def test_achievement_and_bulk_csv(browser: Any, server: Server, tmp_path: Path) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    sign_in(page, server)

    # A new achievement, with a model error first (the skill's address is not a URL).
    page.goto(f"{server.url}/console/achievements/new")
    check_accessibility(page, "console-achievement-new")
    page.fill("#name", "Statistics Bootcamp")
    page.fill("#description", "Five days of applied statistics.")
    page.fill("#criteria", "Daily exercises and a final project.")
    page.fill("#tags", "statistics, R")
    page.fill("#alignment_name_0", "Statistics")
    page.fill("#alignment_url_0", "not a web address")
    page.click("button.primary")
    page.wait_for_selector("#alignment_url_0-error")
    assert page.get_attribute("#alignment_url_0", "aria-invalid") == "true"
    check_accessibility(page, "console-achievement-error")
    assert any("422" in e for e in errors)  # the refused form answers 422, as it should
    errors.clear()
    page.fill("#alignment_url_0", "http://data.europa.eu/esco/skill/statistics")
    badge = tmp_path / "badge.svg"
    badge.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        '<circle cx="50" cy="50" r="45" fill="#b45309"/></svg>'
    )
    page.set_input_files("#image", str(badge))
    page.click("button.primary")
    page.wait_for_selector("text=The achievement was created.")
    assert page.is_visible("#badge-preview")
    natural = page.evaluate("document.querySelector('#badge-preview').naturalWidth")
    assert natural > 0  # the sanitised SVG loads under the page's CSP
    check_accessibility(page, "console-achievement-edit")
    achievement_id = page.url.split("/")[-1].split("?")[0]

    # Fifty recipients from a CSV (semicolons, as Excel writes them in much of Europe).
    csv = tmp_path / "cohort.csv"
    rows = ["E-Mail;Full Name"] + [f"learner{i}@example.org;Learner {i}" for i in range(50)]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    page.goto(f"{server.url}/console/bulk?achievement={achievement_id}")
    check_accessibility(page, "console-bulk")
    page.set_input_files("#file", str(csv))
    page.click("button.primary")
    page.wait_for_selector("#start")
    assert page.get_attribute("[data-good]", "data-good") == "50"
    assert page.get_attribute("[data-bad]", "data-bad") == "0"
    check_accessibility(page, "console-bulk-check")
    page.click("#start")
    page.wait_for_selector('.batch-state[data-state="done"]', timeout=60_000)
    assert "50 of 50 credentials issued (100%)" in page.inner_text("#progress-text")
    assert page.evaluate("document.querySelector('#progress').value") == 50
    check_accessibility(page, "console-bulk-progress")

    page.goto(f"{server.url}/console/stats")
    assert "50" in (page.text_content("#by-achievement-h + svg") or "")
    check_accessibility(page, "console-stats")
    page.goto(f"{server.url}/console/audit")
    check_accessibility(page, "console-audit")
    assert not errors, errors
    context.close()


def test_owner_pages_and_verify_by_url(browser: Any, server: Server) -> None:
    server.runtime.staff.create(
        SYSTEM,
        server.issuer_id,
        email="olga@alpha.example",
        name="Olga",
        role="owner",
        password=server.password,
    )
    owner = Server(
        server.url,
        server.runtime,
        server.issuer_id,
        server.achievement_id,
        "olga@alpha.example",
        server.password,
    )
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    sign_in(page, owner)
    page.goto(f"{server.url}/console/api-keys")
    page.fill("#key-name", "LMS")
    page.click("button.primary")
    token = page.input_value("#token")
    assert token.startswith("mc_")
    check_accessibility(page, "console-api-keys-de")

    # Verify by URL: a credential of this server is read from the store, not fetched.
    from microcred.issuing.issuance import IssueRequest

    (row,) = server.runtime.issuance.issue(
        SYSTEM, server.issuer_id, [IssueRequest(server.achievement_id, email="a@example.org")]
    )
    page.goto(f"{server.url}/verify")
    page.fill("#url", f"{server.url}/credentials/{row.id}")
    page.click("form.stack button.primary")
    page.wait_for_selector("[data-verified]")
    assert page.get_attribute("[data-verified]", "data-verified") == "true"
    check_accessibility(page, "verify-url-de")
    page.goto(f"{server.url}/credentials/{row.id}")
    check_accessibility(page, "credential-extras-de")
    pdf = page.request.get(f"{server.url}/credentials/{row.id}/certificate.pdf")
    assert pdf.body().startswith(b"%PDF-")  # fpdf2 writes PDF 1.3 (issue 19)
    context.close()
