"""The other side of the Open Badges API in tests: a client app driven by oauthlib (an OAuth
library independent of the server's authlib), a learner signed in through a real sign-in link,
and a small wallet standing in for the wallet service where a test needs no real one."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from httpx2 import Response
from oauthlib.oauth2 import WebApplicationClient  # type: ignore[import-untyped]

from microcred.obapi import scopes
from microcred.runtime import Runtime
from tests.platform.learners_support import csrf, follow, link_path

PUBLIC = "https://badges.example.org"
APP = "https://app.example"
REDIRECT = f"{APP}/callback"
ALL_SCOPES = " ".join(scopes.DESCRIPTIONS)


def path_of(url: str) -> str:
    """The path and query of one of our public URLs, for the test client."""
    assert url.startswith(PUBLIC), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in(runtime: Runtime, web: TestClient, email: str = "ada@example.org") -> str:
    """Sign a learner in on ``web`` through a sign-in link; the learner's id."""
    follow(web, link_path(runtime.learners.issue_sign_in_link(email)))
    learner = runtime.learners.learner_for_session(web.cookies.get("mc_learner"))
    assert learner is not None
    return learner.id


def registration(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_name": "Backpack <b>Pro</b>",
        "client_uri": f"{APP}/",
        "logo_uri": f"{APP}/logo.png",
        "tos_uri": f"{APP}/terms",
        "policy_uri": f"{APP}/privacy",
        "software_id": "c7e3a1c2-backpack",
        "software_version": "1.4.0",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": ALL_SCOPES,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@dataclass
class App:
    """A registered client app: oauthlib builds every request and reads every answer."""

    web: TestClient
    sdd: dict[str, Any]
    client_id: str
    client_secret: str
    oauth: WebApplicationClient = field(init=False)
    verifier: str = ""
    state: str = "state-4f1c"

    def __post_init__(self) -> None:
        self.oauth = WebApplicationClient(self.client_id)

    @property
    def flow(self) -> dict[str, Any]:
        scheme = self.sdd["components"]["securitySchemes"]["OAuth2ACG"]
        flow: dict[str, Any] = scheme["flows"]["authorizationCode"]
        return flow

    @property
    def basic(self) -> dict[str, str]:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}

    def authorize_url(
        self,
        scope: str = ALL_SCOPES,
        *,
        redirect_uri: str = REDIRECT,
        method: str | None = "S256",
        **extra: str,
    ) -> str:
        self.verifier = self.oauth.create_code_verifier(64)
        challenge = self.oauth.create_code_challenge(self.verifier, method or "plain")
        url: str = self.oauth.prepare_request_uri(
            self.flow["authorizationUrl"],
            redirect_uri=redirect_uri,
            scope=scope,
            state=self.state,
            code_challenge=challenge,
            code_challenge_method=method,
            **extra,
        )
        return path_of(url)

    def consent(self, scope: str = ALL_SCOPES, **options: Any) -> Response:
        return self.web.get(self.authorize_url(scope, **options))

    def answer(self, page: Response, decision: str = "approve") -> str:
        """Press Allow (or Deny) on the consent screen; where the browser is sent."""
        assert page.status_code == 200, page.text
        fields = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
        )
        fields = {k: _unescape(v) for k, v in fields.items()}
        fields["csrf_token"] = csrf(page.text)
        fields["decision"] = decision
        done = self.web.post("/ims/ob/v3p0/oauth/authorize", data=fields)
        assert done.status_code == 303, done.text
        return done.headers["location"]

    def code(self, scope: str = ALL_SCOPES) -> str:
        location = self.answer(self.consent(scope))
        parsed = self.oauth.parse_request_uri_response(location, state=self.state)
        code: str = parsed["code"]
        return code

    def exchange(self, code: str, *, verifier: str | None = None, **extra: str) -> Response:
        body = self.oauth.prepare_request_body(
            code=code,
            redirect_uri=extra.pop("redirect_uri", REDIRECT),
            code_verifier=verifier if verifier is not None else self.verifier,
            include_client_id=False,
            **extra,
        )
        return self.post_form(self.flow["tokenUrl"], body)

    def tokens(self, scope: str = ALL_SCOPES) -> dict[str, Any]:
        answer = self.exchange(self.code(scope))
        assert answer.status_code == 200, answer.text
        token: dict[str, Any] = dict(self.oauth.parse_request_body_response(answer.text, scope))
        return token

    def refresh(self, refresh_token: str, scope: str | None = None) -> Response:
        body = self.oauth.prepare_refresh_body(refresh_token=refresh_token, scope=scope)
        return self.post_form(self.flow["refreshUrl"], body)

    def revoke(self, token: str, hint: str = "refresh_token") -> Response:
        revocation = self.flow["x-imssf-revocationUrl"]
        url, headers, body = self.oauth.prepare_token_revocation_request(
            revocation, token, token_type_hint=hint
        )
        assert url == revocation
        return self.post_form(url, body, headers)

    def post_form(self, url: str, body: str, headers: dict[str, str] | None = None) -> Response:
        sent = {
            "Content-Type": "application/x-www-form-urlencoded",
            **(headers or {}),
            **self.basic,
        }
        return self.web.post(path_of(url), content=body, headers=sent)

    def api(self, method: str, name: str, token: str, **options: Any) -> Response:
        url = f"{self.sdd['servers'][0]['url']}/{name}"
        headers = {"Authorization": f"Bearer {token}", **options.pop("headers", {})}
        return self.web.request(method, path_of(url), headers=headers, **options)


def _unescape(value: str) -> str:
    return (
        value.replace("&#34;", '"')
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def register(web: TestClient, **changes: Any) -> App:
    sdd = web.get("/ims/ob/v3p0/discovery").json()
    registration_url = sdd["components"]["securitySchemes"]["OAuth2ACG"]["x-imssf-registrationUrl"]
    answer = web.post(path_of(registration_url), json=registration(**changes))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return App(web, sdd, body["client_id"], body["client_secret"])


class ListWallet:
    """The wallet, as small as the API uses it: documents kept in a list per learner."""

    def __init__(self) -> None:
        self.held: dict[str, list[dict[str, Any] | str]] = {}

    def list_credentials(
        self, learner_id: str, *, offset: int, limit: int, since: object = None
    ) -> tuple[Sequence[object], int]:
        assert since is None, "the list wallet keeps no dates: use the real wallet for since"
        items = self.held.get(learner_id, [])
        return items[offset : offset + limit], len(items)

    def import_bytes(self, learner_id: str, data: bytes, *, source: str) -> object:
        text = data.decode()
        document: dict[str, Any] | str = json.loads(text) if text.startswith("{") else text
        items = self.held.setdefault(learner_id, [])
        if document not in items:
            items.append(document)
        return document


def credential(n: int) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:issuer", "type": ["Profile"]},
        "credentialSubject": {"type": ["AchievementSubject"]},
    }
