"""The recipient's private page offers the credential to a wallet app (OpenID4VCI): the
section, its QR code and its link in every language, at phone and desktop widths, with no
serious accessibility violation (axe-core) and nothing wider than the screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.web.pages import i18n
from tests.browser.conftest import SCREENSHOTS, Server

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
LOCALES = {"en": "en-GB", "de": "de-DE", "fr": "fr-FR", "es": "es-ES"}
WIDTHS = (360, 1280)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:200] for n in v["nodes"][:3]]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def credential_id(server: Server) -> str:
    (row,) = server.runtime.issuance.issue(
        SYSTEM,
        server.issuer_id,
        [IssueRequest(achievement_id=server.achievement_id, email="ada@example.org", name="Ada")],
    )
    return row.id


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_offer_section_in_every_language_and_width(
    browser: Any, server: Server, credential_id: str, language: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    heading = i18n.translations(language).gettext("Take it to another wallet")
    private_url = server.runtime.recipients.private_url(credential_id)
    links = set()
    for width in WIDTHS:
        context = browser.new_context(
            locale=LOCALES[language], viewport={"width": width, "height": 900}
        )
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console", lambda m, seen=errors: seen.append(m.text) if m.type == "error" else None
        )
        page.goto(private_url)
        section = page.locator("#wallet-offer")
        assert section.is_visible()
        assert page.inner_text("#wallet-offer-h") == heading
        link = page.get_attribute("#wallet-offer-link", "href")
        assert link
        assert link.startswith("openid-credential-offer://?credential_offer=")
        links.add(link)
        qr = section.locator("svg.qr")
        assert qr.get_attribute("role") == "img"
        box = qr.bounding_box()
        assert box is not None
        assert box["width"] <= width - 32
        # Nothing in the section wider than the screen or than the section itself.
        inside = section.evaluate(
            "s => Math.max(s.scrollWidth - s.clientWidth,"
            " ...[...s.querySelectorAll('*')].map(e => e.getBoundingClientRect().right))"
        )
        assert inside <= width, f"{language} at {width}px: the offer is {inside}px wide"
        name = f"oid4vci-offer-{language}-{width}"
        section.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        page.screenshot(path=str(SCREENSHOTS / f"{name}-page.png"), full_page=True)
        bad = axe_violations(page)
        assert not bad, f"{name}: {json.dumps(bad, indent=1)}"
        assert not errors, errors
        context.close()
    # Each showing of the page is a fresh, single-use code.
    assert len(links) == len(WIDTHS)


def test_the_public_page_offers_nothing(browser: Any, server: Server, credential_id: str) -> None:
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(f"{server.url}/credentials/{credential_id}")
    assert page.locator("#wallet-offer").count() == 0
    assert "openid-credential-offer" not in page.content()
