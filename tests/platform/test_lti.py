"""LTI 1.3 launches from a platform built on joserfc in the tests (never the tool's code):
login initiation, the id_token checked (signature, iss, aud/azp, exp, nonce once, deployment,
message type, version), the tool's JWKS, and awards from launches. Forged, expired or
replayed tokens and unknown deployments are refused, with nothing recorded or awarded."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.errors import ConflictError, ModelError
from microcred.lms.rules import RuleSpec
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.tables import (
    CredentialRow,
    LmsAwardRow,
    LmsRuleRow,
    LtiLaunchRow,
    LtiPlatformRow,
    LtiToolKeyRow,
)
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture
from tests.platform.lti_platform import LTI, Platform, platform

__all__ = ["platform"]
ACTIVITY = "https://moodle.example.edu/mod/quiz/7"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The platform's JWKS is served on loopback, reachable because this says so.
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url="https://badges.example.org",
        queue_immediate=True,
        fetch_allow_networks=["127.0.0.0/8"],
    )


@pytest.fixture
def registered(runtime: Runtime, issuer: IssuerFixture, platform: Platform) -> LtiPlatformRow:
    return runtime.lti.add_platform(
        SYSTEM,
        issuer.id,
        platform_issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=[platform.deployment_id],
        auth_url=platform.auth_url,
        token_url=platform.token_url,
        jwks_url=platform.jwks_url,
    )


TARGET = "https://badges.example.org/wallet"


def start(client: TestClient, platform: Platform, **extra: str) -> dict[str, str]:
    answer = client.get(
        "/lti/login", params=platform.login_params(TARGET, **extra), follow_redirects=False
    )
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(platform.auth_url + "?")
    query = platform.authorization(location)
    assert query["redirect_uri"] == "https://badges.example.org/lti/launch"
    assert (query["response_type"], query["response_mode"], query["scope"]) == (
        "id_token",
        "form_post",
        "openid",
    )
    assert query["client_id"] == platform.client_id
    assert query["lti_message_hint"] == "resource-7"
    return query


def post_launch(client: TestClient, token: str, state: str) -> Any:
    return client.post(
        "/lti/launch", data={"id_token": token, "state": state}, follow_redirects=False
    )


def launches(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(LtiLaunchRow)) or 0)


def test_a_launch_is_accepted_and_awards_by_rule(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    platform: Platform,
    registered: LtiPlatformRow,
) -> None:
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("launched", (ACTIVITY,))
    )
    query = start(client, platform)
    answer = post_launch(
        client, platform.sign(platform.claims(query["nonce"], TARGET)), query["state"]
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == TARGET
    with runtime.sessions() as session:
        (launch,) = session.scalars(select(LtiLaunchRow))
        (credential,) = session.scalars(select(CredentialRow))
        (award,) = session.scalars(select(LmsAwardRow))
    assert (launch.email, launch.deployment_id, launch.activity_id) == (
        "learner@example.org",
        "1",
        ACTIVITY,
    )
    assert (launch.resource_link_id, launch.context_id, launch.subject) == (
        "resource-7",
        "course-3",
        "user-42",
    )
    assert credential.recipient_email == "learner@example.org"
    assert (award.source, award.event_id) == ("lti", launch.id)
    evidence = credential.document["evidence"][0]
    assert evidence["genre"] == "LTI launch"
    assert evidence["id"] == f"urn:uuid:{launch.id}"


def test_the_platforms_keys_are_fetched_once_and_cached(
    client: TestClient, runtime: Runtime, platform: Platform, registered: LtiPlatformRow
) -> None:
    for _ in range(3):
        query = start(client, platform)
        assert (
            post_launch(
                client, platform.sign(platform.claims(query["nonce"], TARGET)), query["state"]
            ).status_code
            == 303
        )
    assert platform.jwks_fetches == 1
    assert launches(runtime) == 3


def refused(client: TestClient, token: str, state: str, message: str) -> None:
    answer = post_launch(client, token, state)
    assert answer.status_code == 401, answer.text
    error = answer.json()["error"]
    assert error["code"] == "lti_refused"
    assert message in error["message"], error


BAD_CLAIMS: list[tuple[str, Callable[[Platform, str], dict[str, Any]], str]] = [
    ("expired", lambda p, n: p.claims(n, TARGET, exp=1_700_000_000, iat=1_699_999_000), "expired"),
    (
        "other issuer",
        lambda p, n: p.claims(n, TARGET, iss="https://canvas.example.com"),
        "another platform",
    ),
    ("other audience", lambda p, n: p.claims(n, TARGET, aud="someone-else"), "another tool"),
    (
        "azp missing with two audiences",
        lambda p, n: p.claims(n, TARGET, aud=[p.client_id, "x"]),
        "azp",
    ),
    ("wrong azp", lambda p, n: p.claims(n, TARGET, azp="x"), "azp"),
    ("wrong nonce", lambda p, n: p.claims("another-nonce", TARGET), "nonce"),
    (
        "unknown deployment",
        lambda p, n: p.claims(n, TARGET, lti_deployment_id="99"),
        "unknown deployment",
    ),
    ("wrong version", lambda p, n: p.claims(n, TARGET, lti_version="1.1"), "version"),
    (
        "another message type",
        lambda p, n: p.claims(n, TARGET, lti_message_type="LtiSubmissionReviewRequest"),
        "message type",
    ),
    ("no resource link", lambda p, n: p.claims(n, TARGET, lti_resource_link=None), "resource_link"),
    ("no sub", lambda p, n: p.claims(n, TARGET, sub=None), "sub"),
    ("no exp", lambda p, n: p.claims(n, TARGET, exp=None), "no exp"),
]


@pytest.mark.parametrize(("case", "claims", "message"), BAD_CLAIMS, ids=[c[0] for c in BAD_CLAIMS])
def test_bad_claims_are_refused_and_nothing_is_awarded(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    platform: Platform,
    registered: LtiPlatformRow,
    case: str,
    claims: Callable[[Platform, str], dict[str, Any]],
    message: str,
) -> None:
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("launched", (ACTIVITY,))
    )
    query = start(client, platform)
    refused(client, platform.sign(claims(platform, query["nonce"])), query["state"], message)
    assert launches(runtime) == 0
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CredentialRow)) == 0


def test_forged_tokens_are_refused(
    client: TestClient, runtime: Runtime, platform: Platform, registered: LtiPlatformRow
) -> None:
    # Signed by another key that claims the platform's key id.
    impostor = RSAKey.generate_key(
        2048, parameters={"kid": "platform-1", "alg": "RS256"}, private=True
    )
    query = start(client, platform)
    refused(
        client,
        platform.sign(platform.claims(query["nonce"], TARGET), key=impostor),
        query["state"],
        "signature",
    )
    # Payload changed after signing.
    query = start(client, platform)
    header, payload, signature = platform.sign(platform.claims(query["nonce"], TARGET)).split(".")
    other = platform.sign(platform.claims(query["nonce"], TARGET, sub="admin")).split(".")[1]
    refused(client, f"{header}.{other[:-2]}{payload[-2:]}.{signature}", query["state"], "")
    # alg "none", and a JWT that is no JWT.
    query = start(client, platform)
    unsigned = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).decode().rstrip("=")
    body = (
        base64.urlsafe_b64encode(json.dumps(platform.claims(query["nonce"], TARGET)).encode())
        .decode()
        .rstrip("=")
    )
    refused(client, f"{unsigned}.{body}.", query["state"], "RS256")
    query = start(client, platform)
    refused(client, "not-a-jwt", query["state"], "not a JWT")
    assert launches(runtime) == 0


def test_replays_are_refused(
    client: TestClient, runtime: Runtime, platform: Platform, registered: LtiPlatformRow
) -> None:
    query = start(client, platform)
    token = platform.sign(platform.claims(query["nonce"], TARGET))
    assert post_launch(client, token, query["state"]).status_code == 303
    refused(client, token, query["state"], "unknown or used login state")
    fresh = start(client, platform)  # the same token under a new login
    refused(client, token, fresh["state"], "nonce")
    # A failed launch spends its state too.
    query = start(client, platform)
    refused(
        client,
        platform.sign(platform.claims(query["nonce"], TARGET, aud="x")),
        query["state"],
        "another tool",
    )
    refused(
        client,
        platform.sign(platform.claims(query["nonce"], TARGET)),
        query["state"],
        "unknown or used",
    )
    assert launches(runtime) == 1
    client.cookies.set("mc_lti_state", "another-browser", path="/lti/launch")
    query = start(client, platform)
    client.cookies.set("mc_lti_state", "another-browser", path="/lti/launch")
    refused(
        client,
        platform.sign(platform.claims(query["nonce"], TARGET)),
        query["state"],
        "not this browser",
    )


def test_logins_that_name_no_registration_are_refused(
    client: TestClient, platform: Platform, registered: LtiPlatformRow
) -> None:
    answer = client.get(
        "/lti/login",
        params=platform.login_params(TARGET, iss="https://unknown.example"),
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert "no registered platform" in answer.json()["error"]["message"]
    answer = client.get(
        "/lti/login",
        params=platform.login_params(TARGET, lti_deployment_id="7"),
        follow_redirects=False,
    )
    assert "unknown deployment" in answer.json()["error"]["message"]
    answer = client.post("/lti/login", data={"iss": platform.issuer}, follow_redirects=False)
    assert answer.status_code == 401
    assert "login_hint" in answer.json()["error"]["found"]
    # POST works as GET does (platforms use either).
    answer = client.post("/lti/login", data=platform.login_params(TARGET), follow_redirects=False)
    assert answer.status_code == 302


def test_tool_jwks_has_public_keys_only_and_the_private_key_is_sealed(
    client: TestClient, runtime: Runtime, registered: LtiPlatformRow
) -> None:
    keys = client.get("/lti/jwks").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["alg"] == "RS256"
    assert "d" not in keys[0]
    private = runtime.lti.signing_key()
    assert private.kid == keys[0]["kid"]
    assert private.as_dict(private=False)["n"] == keys[0]["n"]
    with runtime.sessions() as session:
        (row,) = session.scalars(select(LtiToolKeyRow))
    assert b"PRIVATE KEY" not in row.sealed_private


def test_registration_is_checked(
    runtime: Runtime, issuer: IssuerFixture, platform: Platform, registered: LtiPlatformRow
) -> None:
    with pytest.raises(ConflictError):
        runtime.lti.add_platform(
            SYSTEM,
            issuer.id,
            platform_issuer=platform.issuer,
            client_id=platform.client_id,
            deployment_ids=["2"],
            auth_url=platform.auth_url,
            token_url=platform.token_url,
            jwks_url=platform.jwks_url,
        )
    with pytest.raises(ModelError, match="jwksUrl"):
        runtime.lti.add_platform(
            SYSTEM,
            issuer.id,
            platform_issuer=platform.issuer,
            client_id="other",
            deployment_ids=["2"],
            auth_url=platform.auth_url,
            token_url=platform.token_url,
            jwks_url="file:///etc/passwd",
        )
    assert [p.id for p in runtime.lti.platforms(SYSTEM, issuer.id)] == [registered.id]
    runtime.lti.remove_platform(SYSTEM, issuer.id, registered.id)
    assert runtime.lti.platforms(SYSTEM, issuer.id) == []
    assert LTI.endswith("/claim/")


def test_ags_results_award_by_score(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    platform: Platform,
) -> None:
    """A launch names an AGS line item; its results are read with a client-credentials token
    (the platform checks the tool's signed assertion with the tool's JWKS) and judged."""
    platform.token_url = f"{platform.base}/token"
    runtime.lti.add_platform(
        SYSTEM,
        issuer.id,
        platform_issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=[platform.deployment_id],
        auth_url=platform.auth_url,
        token_url=platform.token_url,
        jwks_url=platform.jwks_url,
    )
    platform.tool_jwks = client.get("/lti/jwks").json()
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("score", (ACTIVITY,), 0.8)
    )
    line_item = f"{platform.base}/lineitems/1/lineitem?type_id=7"
    endpoint = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"],
        "lineitem": line_item,
        "lineitems": f"{platform.base}/lineitems",
    }
    query = start(client, platform)
    claims = platform.claims(query["nonce"], TARGET)
    claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = endpoint
    assert post_launch(client, platform.sign(claims), query["state"]).status_code == 303

    platform.results = [
        {"userId": "user-42", "resultScore": 7, "resultMaximum": 10},
        {"userId": "never-launched", "resultScore": 10, "resultMaximum": 10},
    ]
    assert runtime.lti_ags.pull() == 0  # 0.7 < 0.8; the other user is unknown here
    platform.results = [{"userId": "user-42", "resultScore": 9, "resultMaximum": 10}]
    assert runtime.lti_ags.pull() == 1
    assert runtime.lti_ags.pull() == 0  # read again: nothing new
    with runtime.sessions() as session:
        (credential,) = session.scalars(select(CredentialRow))
    assert credential.recipient_email == "learner@example.org"
    assert credential.document["evidence"][0]["genre"] == "LTI result"
    assert len(platform.assertions) == 1  # the token was kept
    assert platform.assertions[0]["scope"].startswith(
        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
    )


def test_ags_refused_token_awards_nothing(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    platform: Platform,
) -> None:
    platform.token_url = f"{platform.base}/token"
    runtime.lti.add_platform(
        SYSTEM,
        issuer.id,
        platform_issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=[platform.deployment_id],
        auth_url=platform.auth_url,
        token_url=platform.token_url,
        jwks_url=platform.jwks_url,
    )
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("score", (ACTIVITY,), 0.5)
    )
    other = RSAKey.generate_key(2048, parameters={"kid": "x", "alg": "RS256"}, private=True)
    platform.tool_jwks = {"keys": [other.as_dict(private=False)]}  # not the tool's key
    query = start(client, platform)
    claims = platform.claims(query["nonce"], TARGET)
    claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"],
        "lineitem": f"{platform.base}/lineitems/2/lineitem",
    }
    assert post_launch(client, platform.sign(claims), query["state"]).status_code == 303
    platform.results = [{"userId": "user-42", "resultScore": 1, "resultMaximum": 1}]
    assert runtime.lti_ags.pull() == 0
    assert platform.assertions == []  # refused by the platform: not the tool's key
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CredentialRow)) == 0
    platform.tool_jwks = client.get("/lti/jwks").json()  # the right keys: now it reads
    assert runtime.lti_ags.pull() == 1


def test_dynamic_registration_then_a_launch(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, platform: Platform
) -> None:
    link = runtime.lti_registration.new_link(SYSTEM, issuer.id)
    assert link.startswith("https://badges.example.org/lti/register/")
    path = urlsplit(link).path
    configuration = f"{platform.base}/.well-known/openid-configuration"
    params = {
        "openid_configuration": configuration,
        "registration_token": platform.registration_token,
    }
    answer = client.get(path, params=params, headers={"Accept-Language": "de"})
    assert answer.status_code == 200, answer.text
    # The close message is sent by /static/lti.js (no inline script under the page's CSP).
    assert "<body data-lti-close>" in answer.text
    assert '<script src="/static/lti.js">' in answer.text
    assert "org.imsglobal.lti.close" in client.get("/static/lti.js").text
    assert "frame-ancestors *" in answer.headers["Content-Security-Policy"]
    assert "microcred ist registriert" in answer.text
    (asked,) = platform.registrations
    assert asked["initiate_login_uri"] == "https://badges.example.org/lti/login"
    assert asked["jwks_uri"] == "https://badges.example.org/lti/jwks"
    assert asked["redirect_uris"] == ["https://badges.example.org/lti/launch"]
    (registered,) = runtime.lti.platforms(SYSTEM, issuer.id)
    assert (registered.client_id, registered.deployment_ids) == (
        "dyn-client-1",
        ["dyn-deployment-1"],
    )
    assert registered.platform_issuer == platform.base

    # The link was single use.
    again = client.get(path, params=params)
    assert again.status_code == 401
    assert "unknown or used registration link" in again.json()["error"]["message"]

    # A launch from the platform so registered.
    platform.issuer, platform.client_id = platform.base, "dyn-client-1"
    platform.deployment_id, platform.auth_url = "dyn-deployment-1", f"{platform.base}/auth"
    query = start(client, platform)
    assert (
        post_launch(
            client, platform.sign(platform.claims(query["nonce"], TARGET)), query["state"]
        ).status_code
        == 303
    )


def test_dynamic_registration_refusals(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, platform: Platform
) -> None:
    path = urlsplit(runtime.lti_registration.new_link(SYSTEM, issuer.id)).path
    configuration = f"{platform.base}/.well-known/openid-configuration"
    wrong_token = client.get(
        path, params={"openid_configuration": configuration, "registration_token": "nope"}
    )
    assert wrong_token.status_code == 401
    assert "did not register" in wrong_token.json()["error"]["message"]
    private = client.get(
        path, params={"openid_configuration": "http://10.0.0.1/.well-known/openid-configuration"}
    )
    assert private.status_code == 401
    assert "could not be read" in private.json()["error"]["message"]
    assert (
        client.get(
            "/lti/register/made-up", params={"openid_configuration": configuration}
        ).status_code
        == 401
    )
    assert runtime.lti.platforms(SYSTEM, issuer.id) == []


def test_roster_award_issues_to_the_courses_learners_once(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    platform: Platform,
) -> None:
    platform.token_url = f"{platform.base}/token"
    row = runtime.lti.add_platform(
        SYSTEM,
        issuer.id,
        platform_issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=[platform.deployment_id],
        auth_url=platform.auth_url,
        token_url=platform.token_url,
        jwks_url=platform.jwks_url,
    )
    platform.tool_jwks = client.get("/lti/jwks").json()
    query = start(client, platform)
    claims = platform.claims(query["nonce"], TARGET)
    claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = {
        "context_memberships_url": f"{platform.base}/memberships/course-3",
        "service_versions": ["2.0"],
    }
    assert post_launch(client, platform.sign(claims), query["state"]).status_code == 303
    learner = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    teacher = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
    platform.members = [
        {
            "user_id": "u1",
            "email": "one@example.org",
            "name": "One",
            "roles": [learner],
            "status": "Active",
        },
        {"user_id": "u2", "email": "two@example.org", "roles": [learner]},
        {"user_id": "u3", "roles": [learner]},  # no address
        {"user_id": "u4", "email": "t@example.org", "roles": [teacher]},
        {"user_id": "u5", "email": "gone@example.org", "roles": [learner], "status": "Inactive"},
    ]
    body = {"platformId": row.id, "contextId": "course-3", "achievementId": achievement_id}
    answer = client.post(
        f"/api/v1/issuers/{issuer.id}/lms/lti/roster-awards", json=body, headers=issuer.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"members": 3, "issued": 2, "already": 0, "withoutAddress": 1}
    platform.members.append({"user_id": "u6", "email": "six@example.org", "roles": ["Learner"]})
    again = client.post(
        f"/api/v1/issuers/{issuer.id}/lms/lti/roster-awards", json=body, headers=issuer.headers
    )
    assert again.json() == {"members": 4, "issued": 1, "already": 2, "withoutAddress": 1}
    with runtime.sessions() as session:
        emails = sorted(e for e in session.scalars(select(CredentialRow.recipient_email)) if e)
    assert emails == ["one@example.org", "six@example.org", "two@example.org"]
    unknown = client.post(
        f"/api/v1/issuers/{issuer.id}/lms/lti/roster-awards",
        json={**body, "contextId": "course-9"},
        headers=issuer.headers,
    )
    assert unknown.status_code == 404


DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def deep_linking_claims(platform: Platform, nonce: str, **changes: Any) -> dict[str, Any]:
    settings = {
        "lti_message_type": "LtiDeepLinkingRequest",
        "lti_resource_link": None,
        "lti_roles": [INSTRUCTOR],
        **changes,
    }
    claims = platform.claims(nonce, TARGET, **settings)
    claims[DL + "deep_linking_settings"] = {
        "deep_link_return_url": "https://moodle.example.edu/mod/lti/contentitem_return.php",
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "data": "opaque-platform-data",
    }
    return claims


def test_deep_linking_places_an_achievement_that_a_launch_then_earns(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    platform: Platform,
    registered: LtiPlatformRow,
) -> None:
    query = start(client, platform)
    answer = post_launch(
        client, platform.sign(deep_linking_claims(platform, query["nonce"])), query["state"]
    )
    assert answer.status_code == 200, answer.text
    assert 'name="ticket"' in answer.text
    assert f'value="{achievement_id}"' in answer.text
    ticket = answer.text.split('name="ticket" value="', 1)[1].split('"', 1)[0]

    chosen = client.post(
        "/lti/deep-link", data={"ticket": ticket, "achievement_id": achievement_id, "min_score": ""}
    )
    assert chosen.status_code == 200, chosen.text
    assert 'action="https://moodle.example.edu/mod/lti/contentitem_return.php"' in chosen.text
    # The form may post there (and nowhere else off our origin).
    assert (
        "form-action 'self' https://moodle.example.edu;"
        in chosen.headers["Content-Security-Policy"]
    )
    response_jwt = chosen.text.split('name="JWT" value="', 1)[1].split('"', 1)[0]
    # The platform checks the answer with the tool's published keys.
    keys = KeySet.import_key_set(client.get("/lti/jwks").json())
    token = jwt.decode(response_jwt, keys, algorithms=["RS256"])
    claims = token.claims
    assert claims["iss"] == platform.client_id
    assert claims["aud"] == platform.issuer
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[LTI + "deployment_id"] == platform.deployment_id
    assert claims[DL + "data"] == "opaque-platform-data"
    (item,) = claims[DL + "content_items"]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == "https://badges.example.org/lti/launch"
    activity = item["custom"]["activity_id"]

    # A learner opens the placed link: the rule made by the choice awards.
    query = start(client, platform)
    learner = platform.claims(query["nonce"], TARGET, lti_custom={"activity_id": activity})
    assert post_launch(client, platform.sign(learner), query["state"]).status_code == 303
    with runtime.sessions() as session:
        (credential,) = session.scalars(select(CredentialRow))
    assert credential.achievement_id == achievement_id
    assert credential.recipient_email == "learner@example.org"


def test_deep_linking_refusals(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    other_issuer: IssuerFixture,
    achievement_id: str,
    platform: Platform,
    registered: LtiPlatformRow,
) -> None:
    query = start(client, platform)
    learner = deep_linking_claims(
        platform,
        query["nonce"],
        lti_roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
    )
    refused(client, platform.sign(learner), query["state"], "only instructors")
    query = start(client, platform)
    answer = post_launch(
        client, platform.sign(deep_linking_claims(platform, query["nonce"])), query["state"]
    )
    ticket = answer.text.split('name="ticket" value="', 1)[1].split('"', 1)[0]
    forged = client.post(
        "/lti/deep-link",
        data={"ticket": ticket[:-8] + "AAAAAAA=", "achievement_id": achievement_id},
    )
    assert forged.status_code == 401
    theirs = runtime.achievements.create(SYSTEM, other_issuer.id, SIMPLE_ACHIEVEMENT).id
    other = client.post("/lti/deep-link", data={"ticket": ticket, "achievement_id": theirs})
    assert other.status_code == 401
    assert "not one of this issuer's" in other.json()["error"]["message"]
    bad_score = client.post(
        "/lti/deep-link",
        data={"ticket": ticket, "achievement_id": achievement_id, "min_score": "lots"},
    )
    assert bad_score.status_code == 422
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LmsRuleRow)) == 0
