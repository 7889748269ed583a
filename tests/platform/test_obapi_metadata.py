"""The one RFC 8414 document at ``/.well-known/oauth-authorization-server``: OpenID4VCI's
pre-authorized code server and the Open Badges API's authorization code server described
together, and a client that reads only that document (oauthlib again) gets its tokens at the
token endpoint it names."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from microcred.obapi import scopes
from microcred.oid4vci.metadata import PRE_AUTHORIZED_GRANT
from microcred.runtime import Runtime
from tests.platform.learners_support import web
from tests.platform.obapi_support import REDIRECT, App, register, sign_in

__all__ = ["web"]  # the fixture, imported

BASE = "https://badges.example.org"


@pytest.fixture
def app(runtime: Runtime, web: TestClient) -> App:
    sign_in(runtime, web)
    return register(web)


def test_one_document_describes_both_servers(web: TestClient) -> None:
    answer = web.get("/.well-known/oauth-authorization-server")
    assert answer.status_code == 200
    server = answer.json()
    # What OpenID4VCI wallets read is unchanged.
    assert server["issuer"] == BASE
    assert server["token_endpoint"] == f"{BASE}/oid4vci/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True
    # The Open Badges API's server is added.
    assert server["authorization_endpoint"] == f"{BASE}/ims/ob/v3p0/oauth/authorize"
    assert server["registration_endpoint"] == f"{BASE}/ims/ob/v3p0/oauth/register"
    assert server["revocation_endpoint"] == f"{BASE}/ims/ob/v3p0/oauth/revoke"
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["response_types_supported"] == ["code"]
    assert server["grant_types_supported"] == [
        PRE_AUTHORIZED_GRANT,
        "authorization_code",
        "refresh_token",
    ]
    assert server["token_endpoint_auth_methods_supported"] == ["none", "client_secret_basic"]
    assert set(server["scopes_supported"]) >= {
        scopes.CREDENTIAL_READ,
        scopes.CREDENTIAL_UPSERT,
        scopes.PROFILE_READ,
        scopes.PROFILE_UPDATE,
    }
    # And the service description agrees on where to authorise and register.
    flow = web.get("/ims/ob/v3p0/discovery").json()["components"]["securitySchemes"]["OAuth2ACG"]
    assert (
        flow["flows"]["authorizationCode"]["authorizationUrl"] == (server["authorization_endpoint"])
    )
    assert flow["x-imssf-registrationUrl"] == server["registration_endpoint"]


def test_the_token_endpoint_the_metadata_names_serves_the_api_grants(
    app: App, web: TestClient
) -> None:
    server = web.get("/.well-known/oauth-authorization-server").json()
    token_path = urlsplit(server["token_endpoint"]).path
    assert token_path == "/oid4vci/token"
    code = app.code()
    # Without the client's HTTP Basic authentication the request is OpenID4VCI's, where the
    # grant is unsupported; nothing is spent.
    anonymous = web.post(
        token_path,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
    )
    assert anonymous.json()["error"] == "unsupported_grant_type"
    body = app.oauth.prepare_request_body(
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=app.verifier,
        include_client_id=False,
    )
    answer = app.post_form(server["token_endpoint"], body)
    assert answer.status_code == 200, answer.text
    token = app.oauth.parse_request_body_response(answer.text)
    assert app.api("GET", "profile", token["access_token"]).status_code == 200
    # Refresh there too; the rotated token is then refused there as at the API's own path.
    rotated = app.post_form(
        server["token_endpoint"],
        app.oauth.prepare_refresh_body(refresh_token=token["refresh_token"]),
    )
    assert rotated.status_code == 200, rotated.text
    replay = app.refresh(token["refresh_token"])
    assert replay.json()["error"] == "invalid_grant"
    # A wrong client secret is refused by the API's server, not read as a pre-authorized code.
    app.client_secret = "wrong"
    refused = app.post_form(
        server["token_endpoint"],
        app.oauth.prepare_refresh_body(refresh_token=rotated.json()["refresh_token"]),
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


def test_the_pre_authorized_grant_still_reaches_openid4vci(web: TestClient) -> None:
    answer = web.post(
        "/oid4vci/token",
        data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "no-such-code"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
