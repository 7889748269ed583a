"""The employers' console in Chromium: sign in with the token and search with the keyboard,
every hit's presentation checked by the page itself (WebCrypto Ed25519 for the holder's
signature, challenge, domain; the public verifier for the credentials), a presentation
replayed from an earlier search shown as not verified, and a contact request sent; at 360 px
and 1280 px, in every UI language, axe-core clean and never wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from tests.browser.conftest import Server
from tests.browser.test_wallet_browser import LOCALES, look
from tests.platform.careers_support import make_catalogue
from tests.platform.wallet_support import make_learner

pytestmark = pytest.mark.browser

HEADINGS = {
    "en": ("Employer sign-in", "Find verified skills", "Presentation verified"),
    "de": (
        "Anmeldung für Arbeitgeber",
        "Verifizierte Kompetenzen finden",
        "Präsentation verifiziert",
    ),
    "fr": ("Connexion employeur", "Trouver des compétences vérifiées", "Présentation vérifiée"),
    "es": (
        "Acceso para empleadores",
        "Encontrar competencias verificadas",
        "Presentación verificada",
    ),
}
MODULE = "/static/employer-verify.js"


def _learners(server: Server, tag: str) -> None:
    runtime = server.runtime
    ids = make_catalogue(runtime, server.issuer_id, eu=False)
    for n, name in enumerate(("Python and SQL", "Everything data")):
        email = f"learner{n}.{tag}@example.org"
        learner = make_learner(runtime, email)
        [row] = runtime.issuance.issue(
            SYSTEM, server.issuer_id, [IssueRequest(ids[name], email=email, name="Ada")]
        )
        runtime.employer_search.share(learner, row.id)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_an_employer_finds_verifies_and_asks(
    browser: Any, server: Server, language: str, width: int
) -> None:
    _learners(server, f"{language}{width}")
    acme, _ = server.runtime.employer_search.create_employer(
        "Acme Hiring", domain="hiring.acme.test"
    )
    _, token = server.runtime.employer_staff.add(acme, "Ines Recruiter")  # her own token
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = f"employers-{language}-{width}"
    sign_in_title, search_title, verified = HEADINGS[language]

    page.goto(f"{server.url}/employers")
    assert page.inner_text("h1") == sign_in_title
    look(page, width, f"{name}-sign-in")
    page.focus("#token")
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/employers/search")
    assert page.inner_text("h1") == search_title

    page.focus("#skills")
    page.keyboard.type("Python, Tableau")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results[data-checked=yes]")
    hits = page.locator(".employer-hit")
    assert hits.count() == 2
    assert page.locator(".employer-hit[data-verified=yes]").count() == 2
    for check in ("signature", "challenge", "domain", "holder", "credentials"):
        assert page.locator(f'[data-check="{check}"][data-status="passed"]').count() == 2, check
    assert page.locator(".vp-badge.vp-ok").first.inner_text() == verified
    # What the page shows: the shared credentials, no address of anyone.
    shown = page.inner_text("main")
    assert "Python and SQL" in shown
    assert "@example.org" not in shown
    look(page, width, f"{name}-results")

    # A replay: this search's page holding a presentation from the one before fails.
    earlier = page.locator("script[data-vp]").first.inner_text()
    page.focus("#skills")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results[data-checked=yes]")
    outcome = page.evaluate(
        """async ([module, earlier]) => {
            const { verifyAll, checkHolderProof } = await import(module);
            const results = document.getElementById("results");
            const vp = JSON.parse(earlier);
            const own = JSON.parse(results.querySelector("script[data-vp]").textContent);
            const elsewhere = await checkHolderProof(own, results.dataset.challenge, "other.test");
            results.querySelector("script[data-vp]").textContent = earlier;
            await verifyAll(results);
            const hit = results.querySelector(".employer-hit");
            return {
                verified: hit.dataset.verified,
                challenge: hit.querySelector('[data-check="challenge"]').dataset.status,
                signature: hit.querySelector('[data-check="signature"]').dataset.status,
                credentials: hit.querySelector('[data-check="credentials"]').dataset.status,
                sameChallenge: vp.proof.challenge === results.dataset.challenge,
                elsewhere: Object.fromEntries(elsewhere.map((c) => [c.name, c.status])),
            };
        }""",
        [MODULE, earlier],
    )
    assert outcome["sameChallenge"] is False
    assert outcome["verified"] == "no"
    assert outcome["challenge"] == "failed"
    assert outcome["signature"] == "passed"  # genuine, but for another search
    assert outcome["credentials"] == "failed"  # the public verifier says so too
    assert outcome["elsewhere"]["domain"] == "failed"
    assert outcome["elsewhere"]["challenge"] == "passed"

    # Ask the first learner to get in touch, with the keyboard.
    first = page.locator(".employer-hit").first
    first.locator("summary").focus()
    page.keyboard.press("Enter")
    first.locator("textarea").focus()
    page.keyboard.type("We have a data role. May we write to you?")
    first.locator("form button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/employers/requests?done=asked")
    assert page.locator('#requests tr[data-status="pending"]').count() == 1
    assert "Ines Recruiter" in page.inner_text("#requests")
    look(page, width, f"{name}-requests")
    assert errors == []
    context.close()


ACCEPTED = {
    "en": "The employer can now see the address you chose.",
    "de": "Der Arbeitgeber sieht jetzt die gewählte Adresse.",
    "fr": "L’employeur voit maintenant l’adresse choisie.",
    "es": "La empresa ya ve la dirección que elegiste.",
}


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_the_learner_answers_a_request_in_her_wallet(
    browser: Any, server: Server, language: str, width: int
) -> None:
    runtime = server.runtime
    ids = make_catalogue(runtime, server.issuer_id, eu=False)
    email = f"ada.{language}.{width}@example.org"
    learner = make_learner(runtime, email)
    [row] = runtime.issuance.issue(
        SYSTEM, server.issuer_id, [IssueRequest(ids["Python basics"], email=email)]
    )
    runtime.employer_search.share(learner, row.id)
    _, token = runtime.employer_search.create_employer("Acme Hiring")
    acme = runtime.employer_search.authenticate(token)
    assert acme is not None
    [hit] = runtime.employer_presentations.search(acme, skills=["Python"]).hits
    runtime.employer_contact.ask(acme, hit.hit.handle, "<b>Hello</b> from Acme")
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(runtime.learners.issue_sign_in_link(email, "/wallet/careers"))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server.url}/wallet/careers")
    request = page.locator('#requests li[data-status="pending"]')
    assert "<b>Hello</b> from Acme" in request.inner_text()  # shown as text, not markup
    look(page, width, f"employers-wallet-{language}-{width}")
    request.locator("input[type=checkbox]").check()
    request.locator("form.stack button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/wallet/careers?done=accept*")
    assert ACCEPTED[language] in page.inner_text("main")
    assert page.locator('#requests li[data-status="accepted"]').count() == 1
    [seen] = runtime.employer_contact.requests_of(acme)
    assert seen.email == email
    context.close()
