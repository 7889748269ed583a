"""The Open Badges API's consent screen in a real browser: a learner signed in through a link
sees the app (its name escaped, its logo) and what it asks for in plain words, in every
language, at phone and desktop widths, with no serious accessibility violation (axe-core) and
nothing wider than the screen; Allow sends the browser back to the app with a code, through
the page's own Content-Security-Policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from oauthlib.oauth2 import WebApplicationClient  # type: ignore[import-untyped]

from microcred.web.pages import i18n
from tests.browser.conftest import SCREENSHOTS, Server
from tests.platform.obapi_support import ALL_SCOPES, REDIRECT, registration

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
LOCALES = {"en": "en-GB", "de": "de-DE", "fr": "fr-FR", "es": "es-ES"}
WIDTHS = (360, 1280)
# The smallest PNG there is (1x1, transparent): the app's logo, served by the route below.
LOGO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:200] for n in v["nodes"][:3]]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


SECRETS: dict[str, str] = {}


@pytest.fixture
def client_id(server: Server, monkeypatch: pytest.MonkeyPatch) -> str:
    # The test server speaks plain http on loopback; oauthlib asks for https everywhere else.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    answer = httpx2.post(f"{server.url}/ims/ob/v3p0/oauth/register", json=registration())
    assert answer.status_code == 201, answer.text
    registered: str = answer.json()["client_id"]
    SECRETS[registered] = answer.json()["client_secret"]
    return registered


def _signed_in(browser: Any, server: Server, language: str, width: int) -> tuple[Any, Any]:
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    # The app's side, offline: its logo, and the page its redirect lands on.
    landed: list[str] = []

    def app_side(route: Any) -> None:
        if route.request.url.endswith("/logo.png"):
            route.fulfill(status=200, content_type="image/png", body=LOGO)
        else:
            landed.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<title>back</title>")

    context.route("https://app.example/**", app_side)
    context.landed = landed
    page = context.new_page()
    page.goto(server.runtime.learners.issue_sign_in_link("ada@example.org"))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/account**")
    return context, page


def _authorize_url(server: Server, client_id: str) -> str:
    return _authorize(server, client_id)[1]


def _authorize(server: Server, client_id: str) -> tuple[WebApplicationClient, str]:
    """oauthlib's client and the authorization URL it made (with a fresh PKCE verifier)."""
    oauth = WebApplicationClient(client_id)
    verifier = oauth.create_code_verifier(64)
    url: str = oauth.prepare_request_uri(
        f"{server.url}/ims/ob/v3p0/oauth/authorize",
        redirect_uri=REDIRECT,
        scope=ALL_SCOPES,
        state="browser-state",
        code_challenge=oauth.create_code_challenge(verifier, "S256"),
        code_challenge_method="S256",
    )
    return oauth, url


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_consent_screen_in_every_language_and_width(
    browser: Any, server: Server, client_id: str, language: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    words = i18n.translations(language).gettext
    for width in WIDTHS:
        context, page = _signed_in(browser, server, language, width)
        errors: list[str] = []
        page.on(
            "console", lambda m, seen=errors: seen.append(m.text) if m.type == "error" else None
        )
        page.goto(_authorize_url(server, client_id))
        assert page.inner_text("h1") == words("Allow access to your account?")
        # The name is shown as text, never as markup.
        assert page.inner_text("#client-name") == "Backpack <b>Pro</b>"
        assert page.locator("#client-name b").count() == 0
        listed = page.locator("ul.scopes li").all_inner_texts()
        assert listed == [
            words("See the credentials in your wallet"),
            words("Add credentials to your wallet"),
            words("See your profile (your name)"),
            words("Change the name on your profile"),
        ]
        logo = page.locator(".hero img")
        assert logo.evaluate("img => img.complete && img.naturalWidth") == 1
        widest = page.evaluate(
            "Math.max(document.documentElement.scrollWidth, ...[...document"
            ".querySelectorAll('main *')].map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= width, f"{language} at {width}px: the page is {widest}px wide"
        name = f"obapi-consent-{language}-{width}"
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        bad = axe_violations(page)
        assert not bad, f"{name}: {json.dumps(bad, indent=1)}"
        assert not errors, errors
        if width == WIDTHS[-1]:
            page.click(f"button[value=approve]:has-text('{words('Allow')}')")
            page.wait_for_url("https://app.example/**")
            (back,) = context.landed
            query = parse_qs(urlsplit(back).query)
            assert query["state"] == ["browser-state"]
            assert query["code"][0]
        context.close()


def test_deny_goes_back_with_access_denied(browser: Any, server: Server, client_id: str) -> None:
    context, page = _signed_in(browser, server, "en", 1280)
    page.goto(_authorize_url(server, client_id))
    page.click("button[value=deny]")
    page.wait_for_url("https://app.example/**")
    (back,) = context.landed
    assert parse_qs(urlsplit(back).query)["error"] == ["access_denied"]
    context.close()


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_apps_page_lists_and_revokes(
    browser: Any, server: Server, client_id: str, language: str
) -> None:
    words = i18n.translations(language).gettext
    for width in WIDTHS:
        context, page = _signed_in(browser, server, language, width)
        oauth, url = _authorize(server, client_id)
        page.goto(url)
        page.click("button[value=approve]")
        page.wait_for_url("https://app.example/**")
        code = parse_qs(urlsplit(context.landed[0]).query)["code"][0]
        token = httpx2.post(
            f"{server.url}/ims/ob/v3p0/oauth/token",
            content=oauth.prepare_request_body(
                code=code,
                redirect_uri=REDIRECT,
                code_verifier=oauth.code_verifier,
                include_client_id=False,
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=(client_id, SECRETS[client_id]),
        )
        assert token.status_code == 200, token.text
        page.goto(f"{server.url}/account/apps")
        assert page.inner_text("h1") == words("Apps with access")
        assert page.inner_text("ul.apps strong") == "Backpack <b>Pro</b>"
        name = f"obapi-apps-{language}-{width}"
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        bad = axe_violations(page)
        assert not bad, f"{name}: {json.dumps(bad, indent=1)}"
        page.click("ul.apps button.danger")
        page.wait_for_url("**/account/apps?done=revoked")
        assert page.locator("ul.apps").count() == 0
        assert words("No app has access to your account.") in page.inner_text("main")
        context.close()
