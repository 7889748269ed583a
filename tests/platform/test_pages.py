"""HTML pages through the ASGI app: headers, CSRF, i18n, sign-in, the credential page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM, Role
from microcred.accounts.staff import LOCKOUT, StaffService
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture

PASSWORD = "correct horse battery staple"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    # Secure cookies would not be sent back over the test client's http://testserver.
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def staff(runtime: Runtime, issuer: IssuerFixture, role: Role = "issuer", email: str = "") -> str:
    email = email or f"{role}@alpha.example"
    runtime.staff.create(
        SYSTEM, issuer.id, email=email, name=f"{role.title()} Person", role=role, password=PASSWORD
    )
    return email


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    form = client.get("/console/sign-in")
    response = client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" in cookie


def issue(runtime: Runtime, issuer: IssuerFixture, achievement_id: str, name: str = "Ada") -> str:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id, email="ada@example.org", name=name)]
    )
    return row.id


# ---- foundation ----------------------------------------------------------------------------------


def test_security_headers_and_csp(web: TestClient) -> None:
    page = web.get("/verify")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script" not in page.text


def test_post_without_csrf_token_is_refused(web: TestClient) -> None:
    web.get("/verify")
    response = web.post("/verify", data={"text": "{}"})
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]


def test_post_with_token_from_another_browser_is_refused(runtime: Runtime) -> None:
    app = create_app(runtime)
    with (
        TestClient(app, base_url="https://testserver") as a,
        TestClient(app, base_url="https://testserver") as b,
    ):
        token = csrf(a.get("/verify").text)
        b.get("/verify")
        assert b.post("/verify", data={"text": "{}", "csrf_token": token}).status_code == 403
        assert a.post("/verify", data={"text": "{}", "csrf_token": token}).status_code == 200


def test_cross_origin_post_is_refused(web: TestClient) -> None:
    token = csrf(web.get("/verify").text)
    response = web.post(
        "/verify",
        data={"text": "{}", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    # Behind a TLS-ending proxy the request URL is internal; the public origin is still ours.
    public = web.post(
        "/verify",
        data={"text": "{}", "csrf_token": token},
        headers={"Origin": "https://badges.example.org"},
    )
    assert public.status_code == 200


def test_the_address_serve_prints_offers_the_verifier(web: TestClient) -> None:
    response = web.get("/", follow_redirects=False)
    assert response.status_code == 200  # the start page (issue 19), no longer a redirect
    assert '<form method="post" action="/verify"' in response.text


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "Nachweis prüfen"),
        ("fr-CH, fr;q=0.9", "Vérifier un justificatif"),
        ("es", "Verificar una credencial"),
        ("ja, en;q=0.1", "Verify a credential"),
        ("", "Verify a credential"),
    ],
)
def test_language_from_accept_language(web: TestClient, accept: str, expected: str) -> None:
    page = web.get("/verify", headers={"Accept-Language": accept})
    assert f"<h1>{expected}</h1>" in page.text


def test_language_switcher_sets_a_cookie_that_wins(web: TestClient) -> None:
    token = csrf(web.get("/verify").text)
    response = web.post(
        "/language",
        data={"lang": "fr", "next": "/verify", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/verify"
    page = web.get("/verify", headers={"Accept-Language": "de"})
    assert '<html lang="fr">' in page.text
    assert "Vérifier un justificatif" in page.text


def test_language_switch_refuses_foreign_redirects(web: TestClient) -> None:
    token = csrf(web.get("/verify").text)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = web.post(
            "/language",
            data={"lang": "de", "next": target, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/verify"


def test_every_template_message_is_translated() -> None:
    from babel.messages.extract import extract_from_file

    from microcred.web.pages import i18n
    from microcred.web.pages.core import TEMPLATES

    messages = {
        message
        for path in TEMPLATES.rglob("*.html")
        for _line, message, _c, _x in extract_from_file(
            "jinja2.ext:babel_extract", str(path), options={"newstyle_gettext": "true"}
        )
    }
    assert len(messages) > 100
    for language in ("de", "fr", "es"):
        catalogue = i18n.translations(language)
        singular = {m for m in messages if isinstance(m, str)}
        assert len(singular) == len(messages)  # no plural forms yet
        untranslated = {m for m in singular if catalogue.gettext(m) == m and m not in SAME}
        assert not untranslated, (language, sorted(untranslated)[:5])


def test_no_catalogue_gives_one_message_twice() -> None:
    # A repeated msgid is not an error to the reader: the later entry silently wins, so a
    # string translated one way for a button and another for a heading shows only one.
    import collections
    import re

    from microcred.web.pages.core import TEMPLATES

    for po in sorted((TEMPLATES.parent / "locale").glob("*/LC_MESSAGES/messages.po")):
        ids = re.findall(r'^msgid "(.+)"$', po.read_text(encoding="utf-8"), flags=re.MULTILINE)
        twice = [m for m, n in collections.Counter(ids).items() if n > 1]
        assert not twice, (po.parent.parent.name, twice[:5])


# Words that are the same in a language (checked by eye).
SAME = {"Online", "Portfolio", "Console", "Status", "Credits", "Wallet", "Collections", "Public"}
SAME |= {"Badge", "Certification", "Diploma"}  # fr, es: achievement types (issue 19)


# ---- staff sign-in -------------------------------------------------------------------------------


def test_console_needs_sign_in(web: TestClient) -> None:
    response = web.get("/console", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?next=/console"


def test_sign_in_and_out(web: TestClient, runtime: Runtime, issuer: IssuerFixture) -> None:
    email = staff(runtime, issuer)
    sign_in(web, email.upper())
    dashboard = web.get("/console")
    assert dashboard.status_code == 200
    assert "Alpha Academy" in dashboard.text
    assert dashboard.headers["cache-control"] == "no-store"
    response = web.post(
        "/console/sign-out", data={"csrf_token": csrf(dashboard.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert web.get("/console", follow_redirects=False).status_code == 303


def test_tampered_session_is_ignored(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    sign_in(web, staff(runtime, issuer))
    cookie = web.cookies.get("mc_session")
    assert cookie
    body, _, signature = cookie.rpartition(".")
    web.cookies.clear()
    web.cookies.set("mc_session", f"{body}x.{signature}")
    assert web.get("/console", follow_redirects=False).status_code == 303
    web.cookies.clear()
    web.cookies.set("mc_session", cookie)
    assert web.get("/console", follow_redirects=False).status_code == 200


def test_wrong_password_then_lockout(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    email = staff(runtime, issuer)
    token = csrf(web.get("/console/sign-in").text)
    for attempt in range(5):
        response = web.post(
            "/console/sign-in",
            data={"email": email, "password": "wrong password!", "csrf_token": token},
        )
        assert response.status_code == (401 if attempt < 4 else 429)
    # Locked: even the right password is refused now.
    response = web.post(
        "/console/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "15" in response.text


def test_lockout_ends_after_fifteen_minutes(runtime: Runtime, issuer: IssuerFixture) -> None:
    from microcred.errors import AccountLockedError, SignInError

    now = [runtime.clock()]
    service = StaffService(runtime.sessions, clock=lambda: now[0])
    service.create(
        SYSTEM, issuer.id, email="s@alpha.example", name="S", role="viewer", password=PASSWORD
    )
    for _ in range(4):
        with pytest.raises(SignInError) as caught:
            service.authenticate("s@alpha.example", "nope nope nope")
        assert not isinstance(caught.value, AccountLockedError)
    with pytest.raises(AccountLockedError):
        service.authenticate("s@alpha.example", "nope nope nope")
    now[0] += LOCKOUT - timedelta(seconds=1)
    with pytest.raises(AccountLockedError):
        service.authenticate("s@alpha.example", PASSWORD)
    now[0] += timedelta(seconds=2)
    assert service.authenticate("s@alpha.example", PASSWORD).role == "viewer"


def test_passwords_are_argon2_hashes(runtime: Runtime, issuer: IssuerFixture) -> None:
    service = runtime.staff
    row = service.create(
        SYSTEM, issuer.id, email="h@alpha.example", name="H", role="owner", password=PASSWORD
    )
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    with pytest.raises(Exception, match="password length"):
        service.create(
            SYSTEM, issuer.id, email="i@alpha.example", name="I", role="owner", password="short"
        )


def test_viewer_cannot_issue_or_revoke(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    sign_in(web, staff(runtime, issuer, "viewer"))
    assert web.get("/console").status_code == 200
    assert web.get(f"/console/credentials/{credential_id}").status_code == 200
    assert web.get("/console/issue").status_code == 403
    token = csrf(web.get("/console").text)
    response = web.post(
        "/console/issue",
        data={"achievement": achievement_id, "email": "x@example.org", "csrf_token": token},
    )
    assert response.status_code == 403
    response = web.post(
        f"/console/credentials/{credential_id}/revoke",
        data={"reason": "no", "csrf_token": token},
    )
    assert response.status_code == 403


def test_staff_only_see_their_issuer(
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    other_issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    runtime.staff.create(
        SYSTEM, other_issuer.id, email="b@beta.example", name="B", role="owner", password=PASSWORD
    )
    sign_in(web, "b@beta.example")
    assert web.get(f"/console/credentials/{credential_id}").status_code == 404


def test_issue_from_the_console(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    sign_in(web, staff(runtime, issuer))
    form = web.get("/console/issue")
    key = re.search(r'name="key" value="([^"]+)"', form.text)
    assert key
    data = {
        "achievement": achievement_id,
        "email": "grace@example.org",
        "name": "Grace <b>Hopper</b>",
        "key": key.group(1),
        "csrf_token": csrf(form.text),
    }
    first = web.post("/console/issue", data=data, follow_redirects=False)
    assert first.status_code == 303
    again = web.post("/console/issue", data=data, follow_redirects=False)
    assert again.headers["location"] == first.headers["location"]  # a double submit
    detail = web.get(first.headers["location"])
    assert "Grace &lt;b&gt;Hopper&lt;/b&gt;" in detail.text
    assert "<b>Hopper" not in detail.text
    bad = web.post("/console/issue", data={**data, "email": "not an address", "key": "k" * 10})
    assert bad.status_code == 422
    assert "not an address" in bad.text


# ---- the public credential page ------------------------------------------------------------------


def test_credential_url_serves_json_or_html(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    as_json = web.get(f"/credentials/{credential_id}")
    assert as_json.headers["content-type"].startswith("application/vc+ld+json")
    assert as_json.json()["id"].endswith(credential_id)
    assert web.get(f"/credentials/{credential_id}", headers={"Accept": "*/*"}).json()
    page = web.get(f"/credentials/{credential_id}", headers=HTML)
    assert page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    text = page.text
    assert "<h1>Data Analysis with Python</h1>" in text
    assert "Alpha Academy" in text
    assert "Python (computer programming)" in text
    assert "ESCO" in text
    assert 'data-state="active"' in text
    assert f'href="/credentials/{credential_id}/badge.png"' in text
    assert f'href="/credentials/{credential_id}/badge.svg"' in text
    assert '<svg role="img"' in text  # the QR code, inline
    assert 'property="og:title"' in text
    assert 'name="twitter:card"' in text
    assert "&lt;iframe src=" in text  # the embed snippet, shown as text
    assert "Ada" not in text  # the recipient's name is not shown by default


def test_linkedin_link_parameters(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    row = runtime.credentials.get_public(credential_id)
    text = web.get(f"/credentials/{credential_id}", headers=HTML).text
    href = re.search(r'href="([^"]+)" rel="noopener nofollow" id="linkedin-add"', text)
    assert href
    # The page links to our counting redirect, which sends the browser on to LinkedIn.
    assert href.group(1) == f"/credentials/{credential_id}/share/linkedin-add"
    hop = web.get(href.group(1), follow_redirects=False)
    assert hop.status_code == 303
    url = urlsplit(hop.headers["location"])
    assert (url.scheme, url.netloc, url.path) == ("https", "www.linkedin.com", "/profile/add")
    params = {k: v[0] for k, v in parse_qs(url.query, strict_parsing=True).items()}
    assert row.valid_until is not None
    assert params == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Data Analysis with Python",
        "organizationName": "Alpha Academy",
        "issueYear": str(row.valid_from.year),
        "issueMonth": str(row.valid_from.month),
        "expirationYear": str(row.valid_until.year),
        "expirationMonth": str(row.valid_until.month),
        "certUrl": f"https://badges.example.org/credentials/{credential_id}",
        "certId": credential_id,
    }
    assert " " not in url.query
    assert "%20" in url.query


def test_dates_are_localised(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    from babel.dates import format_date

    credential_id = issue(runtime, issuer, achievement_id)
    row = runtime.credentials.get_public(credential_id)
    for language in ("en", "de", "fr", "es"):
        text = web.get(
            f"/credentials/{credential_id}", headers={**HTML, "Accept-Language": language}
        ).text
        assert format_date(row.issued_at, format="long", locale=language) in text


def test_embed_may_be_framed_and_page_not(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    embed = web.get(f"/credentials/{credential_id}/embed")
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers
    page = web.get(f"/credentials/{credential_id}", headers=HTML)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_unknown_credential_page_is_html_404(web: TestClient) -> None:
    page = web.get("/credentials/nope", headers=HTML)
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert web.get("/credentials/nope").json()["error"]["code"] == "not_found"


# ---- the verifier page ---------------------------------------------------------------------------


def test_verify_shows_each_check(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    png = web.get(f"/credentials/{credential_id}/badge.png").content
    token = csrf(web.get("/verify").text)
    response = web.post(
        "/verify",
        data={"csrf_token": token},
        files={"file": ("badge.png", png, "image/png")},
    )
    assert response.status_code == 200
    for name in ("input", "parse", "contexts", "proof", "issuer", "validity", "status"):
        assert f'data-check="{name}"' in response.text
    assert 'data-check="proof" data-status="passed"' in response.text
    assert 'data-known="true"' in response.text


@pytest.mark.parametrize(
    ("language", "label", "format_name"),
    [
        ("en", "Format:", "credential baked in PNG"),
        ("de", "Dateiformat:", "Nachweis, eingebettet in ein PNG-Bild"),
        ("fr", "Format :", "justificatif, dans une image PNG"),
        ("es", "Formato:", "credencial integrada en una imagen PNG"),
    ],
)
def test_verify_names_the_format_in_the_page_language(
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    language: str,
    label: str,
    format_name: str,
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    png = web.get(f"/credentials/{credential_id}/badge.png").content
    headers = {"Accept-Language": language}
    token = csrf(web.get("/verify", headers=headers).text)
    response = web.post(
        "/verify",
        data={"csrf_token": token},
        files={"file": ("badge.png", png, "image/png")},
        headers=headers,
    )
    assert f'<p class="format">{label} {format_name}</p>' in response.text
    # The input check names it the same way; the API keeps English.
    assert html.escape(format_name, quote=False) in response.text.split('data-check="input"')[1]


def test_verify_reports_garbage_without_crashing(web: TestClient) -> None:
    token = csrf(web.get("/verify").text)
    response = web.post("/verify", data={"text": "<script>alert(1)</script>", "csrf_token": token})
    assert response.status_code == 200
    assert 'data-verified="false"' in response.text
    assert "<script>alert" not in response.text
    empty = web.post("/verify", data={"text": "  ", "csrf_token": token})
    assert empty.status_code == 422
