"""The Open Badges 3.0 API end to end, with oauthlib as the client app: discovery, dynamic
registration, a signed-in learner's consent, code, token with PKCE, the credentials and
profile endpoints, refresh with rotation, revocation; and every way to get it wrong."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from microcred.crypto.proofs import utc_now
from microcred.obapi import scopes
from microcred.runtime import Runtime
from microcred.store.tables import OAuthClientRow, OAuthTokenRow
from tests.platform.conftest import FakeClock
from tests.platform.learners_support import csrf, link_path, web
from tests.platform.obapi_support import (
    ALL_SCOPES,
    REDIRECT,
    App,
    ListWallet,
    credential,
    register,
    registration,
    sign_in,
)

__all__ = ["web"]  # the fixture, imported


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc_now())


@pytest.fixture
def wallet(runtime: Runtime) -> ListWallet:
    held = ListWallet()
    runtime.obapi.wallet = held
    return held


@pytest.fixture
def learner_id(runtime: Runtime, web: TestClient) -> str:
    return sign_in(runtime, web)


@pytest.fixture
def app(web: TestClient, learner_id: str) -> App:
    return register(web)


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


# ---- the whole walk ----------------------------------------------------------------------------


def test_register_consent_token_read_refresh_revoke(
    runtime: Runtime, app: App, wallet: ListWallet, learner_id: str
) -> None:
    wallet.held[learner_id] = [
        credential(1),
        "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6MX0.c2ln",
        credential(2),
    ]

    consent = app.consent()
    assert consent.status_code == 200
    # The app is named, escaped; the scopes are said in plain words.
    assert "Backpack &lt;b&gt;Pro&lt;/b&gt;" in consent.text
    assert "<b>Pro</b>" not in consent.text
    assert "See the credentials in your wallet" in consent.text
    assert "Add credentials to your wallet" in consent.text
    assert "https://app.example" in consent.headers["content-security-policy"]

    location = app.answer(consent)
    assert location.startswith(REDIRECT + "?")
    assert _query(location)["scope"] == [ALL_SCOPES]  # the spec wants the scope back
    code = app.oauth.parse_request_uri_response(location, state=app.state)["code"]

    exchanged = app.exchange(code)
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.headers["cache-control"] == "no-store"
    token = app.oauth.parse_request_body_response(exchanged.text, scope=ALL_SCOPES)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600

    page = app.api("GET", "credentials?limit=2&offset=0", token["access_token"])
    assert page.status_code == 200, page.text
    assert page.headers["x-total-count"] == "3"
    assert page.json() == {
        "credential": [credential(1)],
        "compactJwsString": ["eyJhbGciOiJFZERTQSJ9.eyJ2YyI6MX0.c2ln"],
    }
    links = page.headers["link"]
    assert (
        '<https://badges.example.org/ims/ob/v3p0/credentials?limit=2&offset=2>; rel="next"' in links
    )
    assert 'rel="last"' in links
    assert 'rel="first"' in links
    assert 'rel="prev"' not in links
    second = app.api("GET", "credentials?limit=2&offset=2", token["access_token"])
    assert second.json() == {"credential": [credential(2)]}
    assert 'rel="prev"' in second.headers["link"]
    assert 'rel="next"' not in second.headers["link"]

    profile = app.api("GET", "profile", token["access_token"])
    assert profile.status_code == 200
    assert profile.json()["type"] == "Profile"
    assert profile.json()["id"] == f"urn:uuid:{learner_id}"
    assert "email" not in profile.json()  # not unless the learner lets apps see it

    refreshed = app.refresh(token["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["refresh_token"] != token["refresh_token"]
    # The old pair is retired; the new one works.
    assert app.api("GET", "credentials", token["access_token"]).status_code == 401
    assert app.api("GET", "credentials", new["access_token"]).status_code == 200

    assert app.revoke(new["refresh_token"]).status_code == 200
    refused = app.api("GET", "credentials", new["access_token"])
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    body = refused.json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == (
        "unauthorizedrequest"
    )
    # A refresh token used after its revocation (a thief's copy) gets nothing.
    stolen = app.refresh(new["refresh_token"])
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"


def test_only_digests_of_secrets_and_tokens_are_stored(
    runtime: Runtime, app: App, wallet: ListWallet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = app.tokens()
    refreshed = app.refresh(token["refresh_token"]).json()
    for secret in (app.client_secret, *token.values(), *refreshed.values()):
        if isinstance(secret, str) and len(secret) > 20:
            assert secret not in caplog.text
    with runtime.sessions() as session:
        client = session.get(OAuthClientRow, app.client_id)
        rows = session.scalars(select(OAuthTokenRow)).all()
    assert client is not None
    assert app.client_secret not in repr(vars(client))
    assert len(client.secret_hash) == 64
    stored = " ".join(repr(vars(row)) for row in rows)
    assert token["access_token"] not in stored
    assert token["refresh_token"] not in stored


def test_the_scope_of_each_endpoint_is_checked(app: App, wallet: ListWallet) -> None:
    token = app.tokens(scopes.PROFILE_READ)["access_token"]
    assert app.api("GET", "profile", token).status_code == 200
    for method, name in [("GET", "credentials"), ("POST", "credentials"), ("PUT", "profile")]:
        refused = app.api(method, name, token, json={"name": "x"})
        assert refused.status_code == 403, (method, name, refused.text)
        assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
        assert (
            refused.json()["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
            == "forbidden"
        )
    missing = app.web.get("/ims/ob/v3p0/credentials")
    assert missing.status_code == 401
    assert missing.json()["imsx_severity"] == "error"


def test_a_client_pushes_a_credential_into_the_wallet(
    app: App, wallet: ListWallet, learner_id: str
) -> None:
    token = app.tokens()["access_token"]
    added = app.api("POST", "credentials", token, json=credential(7))
    assert added.status_code == 201, added.text
    assert added.json() == credential(7)
    again = app.api("POST", "credentials", token, json=credential(7))
    assert again.status_code == 200
    jws = "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6N30.c2lnbmF0dXJl"
    pushed = app.api(
        "POST", "credentials", token, content=jws, headers={"Content-Type": "text/plain"}
    )
    assert pushed.status_code == 201
    assert pushed.text == jws
    assert pushed.headers["content-type"].startswith("text/plain")
    assert wallet.held[learner_id] == [credential(7), jws]
    for body, kind in [
        ("not json", "application/json"),
        ("a.b", "text/plain"),
        ("[]", "application/json"),
    ]:
        refused = app.api(
            "POST", "credentials", token, content=body, headers={"Content-Type": kind}
        )
        assert refused.status_code == 400, body
    assert len(wallet.held[learner_id]) == 2  # nothing changed


def test_put_profile_changes_the_name_only(runtime: Runtime, app: App, learner_id: str) -> None:
    token = app.tokens()["access_token"]
    profile = app.api("GET", "profile", token).json()
    changed = app.api("PUT", "profile", token, json={**profile, "name": "Ada Lovelace"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Ada Lovelace"
    assert runtime.learners.get(learner_id).display_name == "Ada Lovelace"
    refused = app.api("PUT", "profile", token, json={**profile, "id": "did:example:other"})
    assert refused.status_code == 400
    assert "only the profile's name" in refused.json()["imsx_description"]
    assert runtime.learners.get(learner_id).display_name == "Ada Lovelace"


def test_the_profile_names_the_learner_by_did_once_they_have_one(
    runtime: Runtime, app: App, learner_id: str
) -> None:
    token = app.tokens()["access_token"]
    runtime.learners.set_name(learner_id, "Ada")
    did = runtime.learners.create_did(learner_id)
    assert did.startswith("did:key:")
    profile = app.api("GET", "profile", token).json()
    assert profile == {
        "@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "type": "Profile",
        "id": did,
        "name": "Ada",
    }


def test_a_credential_sent_as_vc_ld_json_is_taken_and_echoed(
    app: App, wallet: ListWallet, learner_id: str
) -> None:
    token = app.tokens()["access_token"]
    sent = json.dumps(credential(9))
    added = app.api(
        "POST",
        "credentials",
        token,
        content=sent,
        headers={"Content-Type": "application/vc+ld+json"},
    )
    assert added.status_code == 201, added.text
    assert added.headers["content-type"].startswith("application/vc+ld+json")
    assert added.json() == credential(9)
    refused = app.api(
        "POST", "credentials", token, content=sent, headers={"Content-Type": "application/xml"}
    )
    assert refused.status_code == 400
    assert wallet.held[learner_id] == [credential(9)]


# ---- PKCE --------------------------------------------------------------------------------------


def test_plain_pkce_is_refused(app: App) -> None:
    location = app.web.get(app.authorize_url(method="plain")).headers["location"]
    assert location.startswith(REDIRECT)
    assert _query(location)["error"] == ["invalid_request"]
    assert "S256" in _query(location)["error_description"][0]
    # A challenge without a method would be plain by RFC 7636's default: refused as well.
    url = app.authorize_url(method="S256")
    assert "&code_challenge_method=S256" in url
    answer = app.web.get(url.replace("&code_challenge_method=S256", ""))
    assert _query(answer.headers["location"])["error"] == ["invalid_request"]


def test_no_pkce_at_all_is_refused(app: App, web: TestClient) -> None:
    url = app.authorize_url(method=None)  # oauthlib then sends no code_challenge at all
    assert "code_challenge" not in url
    answer = web.get(url)
    assert answer.status_code == 303
    assert _query(answer.headers["location"])["error"] == ["invalid_request"]


def test_a_wrong_verifier_is_refused_and_spends_the_code(runtime: Runtime, app: App) -> None:
    code = app.code()
    wrong = app.exchange(code, verifier=app.oauth.create_code_verifier(64))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert app.exchange(code).status_code == 400  # the code is gone
    with runtime.sessions() as session:
        assert session.scalars(select(OAuthTokenRow)).all() == []


# ---- codes -------------------------------------------------------------------------------------


def test_a_code_used_twice_is_refused_and_its_tokens_revoked(app: App) -> None:
    code = app.code()
    first = app.exchange(code)
    assert first.status_code == 200
    token = first.json()
    again = app.exchange(code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert app.api("GET", "profile", token["access_token"]).status_code == 401
    assert app.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(app: App, clock: FakeClock) -> None:
    code = app.code()
    clock.advance(minutes=10, seconds=1)
    answer = app.exchange(code)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_redirect_uri_and_client(app: App, web: TestClient) -> None:
    code = app.code()
    other = register(web, redirect_uris=["https://app.example/other"])
    assert app.exchange(code, redirect_uri="https://app.example/other").status_code == 400
    other.verifier = app.verifier
    assert other.exchange(code).json()["error"] == "invalid_grant"


def test_an_expired_access_token_is_refused(app: App, clock: FakeClock) -> None:
    token = app.tokens()
    clock.advance(seconds=3601)
    assert app.api("GET", "profile", token["access_token"]).status_code == 401
    assert app.refresh(token["refresh_token"]).status_code == 200


# ---- refresh tokens ----------------------------------------------------------------------------


def test_a_rotated_refresh_token_used_again_revokes_the_approval(app: App) -> None:
    token = app.tokens()
    new = app.refresh(token["refresh_token"]).json()
    replay = app.refresh(token["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # Someone holds a copy: the legitimate app's new tokens are dead too.
    assert app.api("GET", "profile", new["access_token"]).status_code == 401
    assert app.refresh(new["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_refresh_may_narrow_the_scope_but_not_widen_it(app: App) -> None:
    token = app.tokens(scopes.PROFILE_READ)
    wider = app.refresh(token["refresh_token"], f"{scopes.PROFILE_READ} {scopes.PROFILE_UPDATE}")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"
    assert app.refresh(token["refresh_token"]).status_code == 200  # the refusal spent nothing


def test_revoking_the_access_token_revokes_the_refresh_token(app: App) -> None:
    token = app.tokens()
    assert app.revoke(token["access_token"], "access_token").status_code == 200
    assert app.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"
    # An unknown token is "revoked" too (RFC 7009 answers 200 either way).
    assert app.revoke("no-such-token").status_code == 200


def test_the_token_endpoint_wants_the_client_authenticated(app: App) -> None:
    code = app.code()
    app.client_secret = "wrong"
    answer = app.exchange(code)
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


# ---- scopes and redirect URIs ------------------------------------------------------------------


def test_a_scope_beyond_the_registration_is_refused(
    runtime: Runtime, web: TestClient, learner_id: str
) -> None:
    app = register(web, scope=scopes.CREDENTIAL_READ)
    answer = web.get(app.authorize_url(f"{scopes.CREDENTIAL_READ} {scopes.CREDENTIAL_UPSERT}"))
    assert answer.status_code == 303
    assert _query(answer.headers["location"])["error"] == ["invalid_scope"]
    with runtime.sessions() as session:
        assert session.scalars(select(OAuthTokenRow)).all() == []


def test_a_wrong_redirect_uri_is_shown_not_followed(app: App) -> None:
    for uri in ["https://evil.example/callback", REDIRECT + "/", REDIRECT.upper()]:
        answer = app.web.get(app.authorize_url(redirect_uri=uri))
        assert answer.status_code == 400, uri
        assert "location" not in answer.headers
        assert "not sent back to the app" in answer.text


def test_an_unknown_client_is_shown_not_followed(app: App) -> None:
    app.oauth.client_id = "nobody"
    answer = app.web.get(app.authorize_url())
    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_deny_sends_access_denied(runtime: Runtime, app: App) -> None:
    location = app.answer(app.consent(), decision="deny")
    assert _query(location)["error"] == ["access_denied"]
    assert _query(location)["state"] == [app.state]


def test_the_consent_form_needs_its_token(app: App) -> None:
    page = app.consent()
    answer = app.web.post(
        "/ims/ob/v3p0/oauth/authorize", data={"decision": "approve", "client_id": app.client_id}
    )
    assert answer.status_code == 403
    assert page.status_code == 200


def test_signed_out_learners_sign_in_first_and_come_back(runtime: Runtime, web: TestClient) -> None:
    app = register(web)
    asked = app.authorize_url()
    answer = web.get(asked)
    assert answer.status_code == 303
    target = parse_qs(urlsplit(answer.headers["location"]).query)["next"][0]
    assert answer.headers["location"].startswith("/sign-in?next=")
    assert target == asked
    # The sign-in link made for that page brings the learner back to the same request.
    link = link_path(runtime.learners.issue_sign_in_link("ada@example.org", target))
    page = web.get(link)
    back = web.post(link, data={"csrf_token": csrf(page.text)})
    assert back.headers["location"] == asked
    assert "Backpack &lt;b&gt;Pro&lt;/b&gt;" in web.get(back.headers["location"]).text


# ---- registration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"client_uri": None}, "client_uri"),
        ({"redirect_uris": ["http://app.example/cb"]}, "https"),
        ({"logo_uri": "https://elsewhere.example/logo.png"}, "same host"),
        ({"scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/everything"}, ""),
        ({"token_endpoint_auth_method": "none"}, ""),
        ({"grant_types": ["client_credentials"]}, ""),
    ],
)
def test_registration_refuses_what_the_api_does_not_allow(
    runtime: Runtime, web: TestClient, changes: dict[str, object], says: str
) -> None:
    answer = web.post("/ims/ob/v3p0/oauth/register", json=registration(**changes))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_client_metadata"
    assert says in answer.json().get("error_description", "")
    with runtime.sessions() as session:
        assert session.scalars(select(OAuthClientRow)).all() == []


def test_registration_answers_what_was_registered(web: TestClient) -> None:
    answer = web.post("/ims/ob/v3p0/oauth/register", json=registration())
    body = answer.json()
    assert answer.status_code == 201
    assert body["client_secret_expires_at"] == 0
    assert body["redirect_uris"] == [REDIRECT]
    assert body["scope"] == ALL_SCOPES
    assert web.post("/ims/ob/v3p0/oauth/register", content=b"[1]").status_code == 400


def test_discovery_describes_the_oauth_server(web: TestClient) -> None:
    answer = web.get("/ims/ob/v3p0/discovery")
    assert answer.status_code == 200
    sdd = answer.json()
    assert sdd["openapi"].startswith("3.0")
    scheme = sdd["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["type"] == "oauth2"
    assert scheme["x-imssf-registrationUrl"] == (
        "https://badges.example.org/ims/ob/v3p0/oauth/register"
    )
    flow = scheme["flows"]["authorizationCode"]
    assert set(flow["scopes"]) == {
        scopes.CREDENTIAL_READ,
        scopes.CREDENTIAL_UPSERT,
        scopes.PROFILE_READ,
        scopes.PROFILE_UPDATE,
    }
    assert flow["tokenUrl"] == flow["refreshUrl"]
    assert set(sdd["paths"]) == {"/credentials", "/profile", "/discovery"}
    # The terms and the privacy policy it links to are pages of this server.
    for url in (sdd["info"]["termsOfService"], sdd["info"]["x-imssf-privacyPolicyUrl"]):
        page = web.get(url.removeprefix("https://badges.example.org"))
        assert page.status_code == 200
        assert "<h1>" in page.text


def test_the_learner_sees_and_revokes_authorised_apps(runtime: Runtime, app: App) -> None:
    token = app.tokens()
    page = app.web.get("/account/apps")
    assert page.status_code == 200
    assert "Backpack &lt;b&gt;Pro&lt;/b&gt;" in page.text

    done = app.web.post(
        "/account/apps/revoke", data={"csrf_token": csrf(page.text), "client_id": app.client_id}
    )
    assert done.status_code == 303
    assert app.api("GET", "profile", token["access_token"]).status_code == 401
    assert "No app has access" in app.web.get("/account/apps").text


def test_deleting_the_account_deletes_the_tokens_and_exports_the_grants(
    runtime: Runtime, app: App, learner_id: str
) -> None:
    app.tokens()
    exported = runtime.learners.export(learner_id)
    grants = exported["obapi"]["authorised_apps"]
    assert [g["client_name"] for g in grants] == ["Backpack <b>Pro</b>"]
    assert "access_token" not in str(exported)
    runtime.learners.delete(learner_id, confirmation="ada@example.org")
    with runtime.sessions() as session:
        assert session.scalars(select(OAuthTokenRow)).all() == []


def test_paging_parameters_are_checked(app: App, wallet: ListWallet) -> None:
    token = app.tokens()["access_token"]
    for query in ["limit=0", "limit=201", "offset=-1", "limit=two", "offset=1.5"]:
        refused = app.api("GET", f"credentials?{query}", token)
        assert refused.status_code == 400, query
        field = refused.json()["imsx_codeMinor"]["imsx_codeMinorField"][0]
        assert field["imsx_codeMinorFieldValue"] == "invalid_query_parameter"
    empty = app.api("GET", "credentials", token)
    assert empty.json() == {}
    assert empty.headers["x-total-count"] == "0"


def test_without_a_wallet_the_credentials_endpoints_say_so(runtime: Runtime, app: App) -> None:
    runtime.obapi.wallet = None
    token = app.tokens()["access_token"]
    answer = app.api("GET", "credentials", token)
    assert answer.status_code == 503
    assert answer.json()["imsx_codeMajor"] == "unsupported"
    assert app.api("GET", "profile", token).status_code == 200
