"""Issue 19: issuer settings in the console (profile, LinkedIn id, logo, e-mail sender and
wording with preview): owners change them, others only look, every route checks the role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import Actor, Role
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_issuer_mail import PNG
from tests.platform.test_pages import csrf, sign_in, staff


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def console(web: TestClient, runtime: Runtime, issuer: IssuerFixture, role: Role) -> TestClient:
    sign_in(web, staff(runtime, issuer, role))
    return web


def test_an_owner_edits_the_profile_and_uploads_a_logo(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "owner")
    page = web.get("/console/settings")
    assert page.status_code == 200
    assert 'href="/console/settings" aria-current="page"' in page.text
    answer = web.post(
        "/console/settings/profile",
        data={
            "csrf_token": csrf(page.text),
            "name": "Alpha <Academy>",
            "url": "https://alpha.example/",
            "description": "Data science.",
            "linkedin_organization_id": "1234567",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    row = runtime.issuers.get_public(issuer.id)
    assert (row.name, row.linkedin_organization_id) == ("Alpha <Academy>", "1234567")
    page = web.get("/console/settings?done=profile")
    assert 'value="Alpha &lt;Academy&gt;"' in page.text
    bad = web.post(
        "/console/settings/profile",
        data={"csrf_token": csrf(page.text), "name": "A", "linkedin_organization_id": "abc"},
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    logo = web.post(
        "/console/settings/logo",
        data={"csrf_token": csrf(page.text)},
        files={"logo": ("logo.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert logo.status_code == 303
    assert runtime.issuers.get_public(issuer.id).logo == PNG


def test_an_owner_words_the_mail_previews_and_saves_it(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "owner")
    page = web.get("/console/settings/mail")
    token = csrf(page.text)
    sender = web.post(
        "/console/settings/mail/sender",
        data={
            "csrf_token": token,
            "sender_name": "Alpha Registrar",
            "reply_to": "desk@alpha.example",
        },
        follow_redirects=False,
    )
    assert sender.status_code == 303
    draft = {
        "csrf_token": token,
        "subject": "Well done {{ recipient_name }}",
        "body": "Dear {{ recipient_name }},\n\n<b>{{ achievement_name }}</b> is yours.",
    }
    preview = web.post("/console/settings/mail/templates/de", data={**draft, "action": "preview"})
    assert preview.status_code == 200
    assert "Well done Ada Lovelace" in preview.text
    assert "Alpha Registrar &lt;no-reply@localhost&gt;" in preview.text
    assert "&lt;b&gt;Data Analysis with Python&lt;/b&gt; is yours." in preview.text
    assert runtime.mail_settings.branding(_owner(runtime, issuer), issuer.id).templates == {}
    saved = web.post(
        "/console/settings/mail/templates/de",
        data={**draft, "action": "save"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    shown = web.get("/console/settings/mail/preview/de")
    assert "<p>Dear Ada Lovelace,</p>" in shown.text
    assert "sandbox" in shown.headers["content-security-policy"]
    broken = web.post(
        "/console/settings/mail/templates/fr",
        data={**draft, "body": "{{ ''.__class__ }}", "action": "save"},
    )
    assert broken.status_code == 422
    assert "does not render" in broken.text
    unknown = web.post("/console/settings/mail/templates/xx", data={**draft, "action": "save"})
    assert unknown.status_code == 422


def _owner(runtime: Runtime, issuer: IssuerFixture) -> Actor:

    return Actor(issuer_id=issuer.id, name="t", role="owner")


@pytest.mark.parametrize("role", ["viewer", "issuer"])
def test_others_only_look(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, role: Role
) -> None:
    console(web, runtime, issuer, role)
    page = web.get("/console/settings")
    assert page.status_code == 200
    assert "Only owners can change these settings." in page.text
    token = csrf(page.text)
    for path, data in (
        ("/console/settings/profile", {"name": "Taken over"}),
        ("/console/settings/mail/sender", {"sender_name": "X"}),
        ("/console/settings/mail/templates/en", {"subject": "X", "body": "Y", "action": "save"}),
    ):
        answer = web.post(path, data={"csrf_token": token, **data})
        assert answer.status_code == 403, path
    assert web.get("/console/settings/mail").status_code == 200
    assert runtime.issuers.get_public(issuer.id).name == "Alpha Academy"


def test_signed_out_means_sign_in(web: TestClient) -> None:
    for path in (
        "/console/settings",
        "/console/settings/mail",
        "/console/settings/mail/preview/en",
    ):
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code in (303, 401), path


def test_an_owner_adds_staff_and_changes_roles_keeping_one_owner(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "owner")
    page = web.get("/console/settings/staff")
    assert page.status_code == 200
    token = csrf(page.text)
    added = web.post(
        "/console/settings/staff",
        data={
            "csrf_token": token,
            "email": "vic@alpha.example",
            "name": "Vic <V>",
            "role": "viewer",
            "password": "another long enough password",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = web.get("/console/settings/staff")
    assert "Vic &lt;V&gt;" in page.text
    users = {u.email: u for u in runtime.staff.list(_owner(runtime, issuer), issuer.id)}
    vic, me = users["vic@alpha.example"], users["owner@alpha.example"]
    promoted = web.post(
        f"/console/settings/staff/{vic.id}/role",
        data={"csrf_token": token, "role": "issuer"},
        follow_redirects=False,
    )
    assert promoted.status_code == 303
    assert runtime.staff.get(vic.id).role == "issuer"  # type: ignore[union-attr]
    last = web.post(
        f"/console/settings/staff/{me.id}/role", data={"csrf_token": token, "role": "viewer"}
    )
    assert last.status_code == 409
    assert "at least one owner" in last.text
    bad = web.post(
        f"/console/settings/staff/{vic.id}/role", data={"csrf_token": token, "role": "god"}
    )
    assert bad.status_code == 422
    # Someone of another issuer is not found here.
    other = runtime.staff.create(
        _owner(runtime, other_issuer),
        other_issuer.id,
        email="x@beta.example",
        name="X",
        role="viewer",
        password="another long enough password",
    )
    elsewhere = web.post(
        f"/console/settings/staff/{other.id}/role", data={"csrf_token": token, "role": "owner"}
    )
    assert elsewhere.status_code == 404
    assert runtime.staff.get(other.id).role == "viewer"  # type: ignore[union-attr]


@pytest.mark.parametrize("role", ["viewer", "issuer"])
def test_only_owners_see_and_change_staff(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, role: Role
) -> None:
    console(web, runtime, issuer, role)
    assert web.get("/console/settings/staff").status_code == 403
    token = csrf(web.get("/console/settings").text)
    answer = web.post(
        "/console/settings/staff",
        data={
            "csrf_token": token,
            "email": "a@b.example",
            "name": "A",
            "role": "owner",
            "password": "another long enough password",
        },
    )
    assert answer.status_code == 403


def test_an_issuer_sets_a_renewal_link_a_viewer_cannot(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    console(web, runtime, issuer, "issuer")
    token = csrf(web.get("/console/settings").text)
    path = f"/console/settings/renewal/{achievement_id}"
    saved = web.post(
        path,
        data={"csrf_token": token, "renewal_url": "https://alpha.example/renew"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert runtime.expiry_reminders.renewal_url(achievement_id) == "https://alpha.example/renew"
    assert 'value="https://alpha.example/renew"' in web.get("/console/settings").text
    bad = web.post(path, data={"csrf_token": token, "renewal_url": "javascript:alert(1)"})
    assert bad.status_code == 422
    missing = web.post(
        "/console/settings/renewal/nope", data={"csrf_token": token, "renewal_url": ""}
    )
    assert missing.status_code == 404


def test_a_viewer_cannot_set_a_renewal_link(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    console(web, runtime, issuer, "viewer")
    token = csrf(web.get("/console/settings").text)
    answer = web.post(
        f"/console/settings/renewal/{achievement_id}",
        data={"csrf_token": token, "renewal_url": "https://x.example/"},
    )
    assert answer.status_code == 403
    assert runtime.expiry_reminders.renewal_url(achievement_id) is None
