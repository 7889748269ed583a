"""A learner in a real browser: sign in through the mailed link, add a second address through
its link, sign out everywhere; at 360 px and 1280 px, in every UI language, axe-core clean."""

from __future__ import annotations

import email
import re
import threading
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.web.app import create_app
from tests.browser.conftest import Server, _free_port
from tests.browser.test_pages_browser import check_accessibility

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^\s]+/(?:sign-in|account/emails/verify)/[A-Za-z0-9_-]+")
# What each language's pages say at the steps the test checks.
WORDS = {
    "en": ("Sign in", "Check your mail", "Your account", "The address was added."),
    "de": ("Anmelden", "Sehen Sie in Ihr Postfach", "Ihr Konto", "Die Adresse wurde hinzugefügt."),
    "fr": (
        "Se connecter",
        "Consultez votre messagerie",
        "Votre compte",
        "L’adresse a été ajoutée.",
    ),
    "es": ("Iniciar sesión", "Revise su correo", "Su cuenta", "Se ha añadido la dirección."),
}


def mailed_link(server: Server, address: str) -> str:
    """The link in the newest outbox message to ``address``."""
    outbox = server.runtime.settings.outbox_dir
    messages: list[tuple[float, EmailMessage]] = []
    for path in outbox.glob("*.eml"):
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        if parsed["To"] == address:
            messages.append((path.stat().st_mtime, parsed))
    assert messages, f"no message to {address}"
    body = max(messages, key=lambda item: item[0])[1].get_body(preferencelist=("plain",))
    assert body is not None
    match = LINK.search(body.get_content())
    assert match, "no link in the message"
    return match.group(0)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_learner_signs_in_adds_an_address_and_signs_out_everywhere(
    browser: Any, server: Server, language: str, width: int
) -> None:
    sign_in_word, check_mail, account_heading, added = WORDS[language]
    name = f"learner-{language}-{width}"
    address = f"ada.{language}.{width}@example.org"
    context = browser.new_context(
        locale=language, viewport={"width": width, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{server.url}/verify")
    page.click('header a[href="/sign-in"]')
    assert page.inner_text("h1") == sign_in_word
    check_accessibility(page, f"{name}-sign-in")
    page.fill("#email", address)
    page.click("main button[type=submit]")
    assert page.inner_text("h1") == check_mail
    check_accessibility(page, f"{name}-check-mail")

    page.goto(mailed_link(server, address))
    assert address in page.inner_text("main")
    check_accessibility(page, f"{name}-confirm")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{server.url}/account")
    assert page.inner_text("h1") == account_heading
    assert page.locator('header a[href="/wallet"]').count() == 1
    assert page.locator('header form[action="/sign-out"]').count() == 1
    check_accessibility(page, f"{name}-account")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, f"the account page is {page_width} px wide at {width} px"

    # A second address, through the link mailed to it.
    second = f"work.{language}.{width}@example.org"
    page.fill("#new-email", second)
    page.click('form[action="/account/emails"] button')
    assert second in page.inner_text("[role=status]")
    page.goto(mailed_link(server, second))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{server.url}/account?done=added")
    assert page.inner_text("[role=status]") == added
    assert second in page.inner_text(".emails")
    check_accessibility(page, f"{name}-account-two-addresses")

    # Another browser of the same learner, then sign out everywhere from the first.
    other = browser.new_context(locale=language)
    phone = other.new_page()
    phone.goto(server.runtime.learners.issue_sign_in_link(second))
    phone.click("main button[type=submit]")
    phone.wait_for_url(f"{server.url}/account")
    page.click('form[action="/account/sign-out-everywhere"] button')
    page.wait_for_url(f"{server.url}/sign-in")
    assert page.locator('header a[href="/sign-in"]').count() == 1
    phone.goto(f"{server.url}/account")
    assert phone.url.startswith(f"{server.url}/sign-in?next=/account")
    check_accessibility(phone, f"{name}-signed-out")
    assert not errors, errors
    other.close()
    context.close()


@pytest.fixture
def localhost_server(tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    """A server whose public URL is http://localhost:<port>: WebAuthn takes a host name as
    relying party, never an IP address, and treats localhost as a secure context."""
    port = _free_port()
    url = f"http://localhost:{port}"
    runtime = Runtime(
        Settings(
            data_dir=tmp_path / "data",
            database_url=f"sqlite:///{tmp_path / 'microcred.db'}",
            public_url=url,
            queue_immediate=True,
        )
    )
    config = uvicorn.Config(
        create_app(runtime), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield url, runtime
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        runtime.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_a_passkey_added_on_the_account_page_signs_in(
    browser: Any, localhost_server: tuple[str, Runtime], width: int
) -> None:
    url, runtime = localhost_server
    context = browser.new_context(locale="en", viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Chromium's virtual authenticator stands in for the device and its screen lock.
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    page.goto(runtime.learners.issue_sign_in_link("ada@example.org"))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{url}/account")
    page.click("#passkey-add")
    page.wait_for_url(f"{url}/account?done=passkey")
    assert "Your passkey was added" in page.inner_text("[role=status]")
    check_accessibility(page, f"learner-passkey-{width}-account")

    page.click('header form[action="/sign-out"] button')
    page.wait_for_url(f"{url}/sign-in")
    check_accessibility(page, f"learner-passkey-{width}-sign-in")
    page.click("#passkey-sign-in")
    page.wait_for_url(f"{url}/account")
    assert "ada@example.org" in page.inner_text(".emails")
    assert not errors, errors
    context.close()
