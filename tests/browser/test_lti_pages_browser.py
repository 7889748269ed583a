"""The two small LTI pages in Chromium, against a real server and a test LTI platform on
loopback: the Deep Linking choice an instructor makes, and the page the platform's window shows
when Dynamic Registration is done. At 360 and 1280 px, axe-core clean, screenshots kept."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from microcred.accounts.actor import SYSTEM
from tests.browser.conftest import Server, running_server
from tests.browser.test_pages_browser import check_accessibility
from tests.platform.lti_platform import Platform, platform

__all__ = ["platform"]
pytestmark = pytest.mark.browser

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
RETURN_URL = "https://moodle.example.edu/mod/lti/contentitem_return.php"
WIDTHS = (360, 1280)


def fits(page: Any) -> bool:
    """Nothing wider than the window (no sideways scrolling on a phone)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def look(page: Any, name: str) -> None:
    # The stylesheet is a file the page's CSP allows (an inline <style> would be dropped).
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "640px"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert fits(page), f"{name} is wider than {width} px"
        check_accessibility(page, f"{name}-{width}")


def test_deep_linking_choice_page(browser: Any, platform: Platform, tmp_path: Path) -> None:
    with running_server(tmp_path, fetch_allow_networks=["127.0.0.0/8"]) as server:
        choose_and_return(browser, platform, server)


def choose_and_return(browser: Any, platform: Platform, server: Server) -> None:
    server.runtime.lti.add_platform(
        SYSTEM,
        server.issuer_id,
        platform_issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=[platform.deployment_id],
        auth_url=platform.auth_url,
        token_url=platform.token_url,
        jwks_url=platform.jwks_url,
    )
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    target = f"{server.url}/lti/launch"
    # The platform's side of the login: the tool redirects to its authorization endpoint.
    login = context.request.get(
        f"{server.url}/lti/login?{urlencode(platform.login_params(target))}", max_redirects=0
    )
    assert login.status == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(login.headers["location"]).query).items()}
    claims = platform.claims(
        query["nonce"],
        target,
        lti_message_type="LtiDeepLinkingRequest",
        lti_resource_link=None,
        lti_roles=[INSTRUCTOR],
    )
    claims[DL + "deep_linking_settings"] = {
        "deep_link_return_url": RETURN_URL,
        "accept_types": ["ltiResourceLink"],
        "data": "opaque",
    }
    # The platform's auto-submitted form, as the browser posts it.
    page.set_content(
        f'<form method="post" action="{html.escape(target)}">'
        f'<input type="hidden" name="id_token" value="{platform.sign(claims)}">'
        f'<input type="hidden" name="state" value="{html.escape(query["state"])}">'
        "<button>go</button></form>"
    )
    with page.expect_navigation():
        page.click("button")
    assert page.locator("h1").inner_text() == "Place an achievement in this course"
    assert page.locator("select option").count() == 1
    look(page, "lti-deep-linking")

    # The choice goes back to the platform: the signed answer posted to its return URL.
    returned: list[str] = []

    def platform_return(route: Any) -> None:
        returned.append(route.request.post_data or "")
        route.fulfill(status=200, content_type="text/html", body="<p>back in the course</p>")

    page.route(f"{RETURN_URL}*", platform_return)
    page.fill("#min_score", "0.8")
    page.click("button[type=submit]")
    page.wait_for_url(RETURN_URL)
    (posted,) = returned
    assert posted.startswith("JWT=")
    assert errors == [], errors
    context.close()


def test_dynamic_registration_done_page(browser: Any, platform: Platform, tmp_path: Path) -> None:
    with running_server(tmp_path, fetch_allow_networks=["127.0.0.0/8"]) as server:
        link = server.runtime.lti_registration.new_link(SYSTEM, server.issuer_id)
        params = {
            "openid_configuration": f"{platform.base}/.well-known/openid-configuration",
            "registration_token": platform.registration_token,
        }
        for locale, title in (
            ("en-GB", "microcred is registered"),
            ("de-DE", "microcred ist registriert"),
        ):
            context = browser.new_context(locale=locale)
            page = context.new_page()
            messages: list[Any] = []

            def seen(message: Any, sink: list[Any] = messages) -> None:
                sink.append(message)

            page.expose_function("seen", seen)
            # The window's opener would hear this; here the window itself listens.
            page.add_init_script("window.addEventListener('message', e => window.seen(e.data))")
            answer = page.goto(f"{link}?{urlencode(params)}")
            assert answer is not None
            assert answer.status == 200, answer.text()
            assert page.locator("h1").inner_text() == title
            page.wait_for_function("() => document.readyState === 'complete'")
            look(page, f"lti-registered-{locale[:2]}")
            assert {"subject": "org.imsglobal.lti.close"} in messages
            context.close()
            # Registered; forget it so the same test platform can register once more.
            (made,) = server.runtime.lti.platforms(SYSTEM, server.issuer_id)
            server.runtime.lti.remove_platform(SYSTEM, server.issuer_id, made.id)
            link = server.runtime.lti_registration.new_link(SYSTEM, server.issuer_id)
        assert len(platform.registrations) == 2
