"""An LTI 1.3 platform for the tests, independent of the tool's code: its own RSA key (made
with joserfc), its JWKS served over loopback HTTP, and id_tokens signed the way Moodle or
Canvas sign them. It reads the tool's login redirect as a platform's authorization endpoint
does and answers with the form post of the launch."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

LTI = "https://purl.imsglobal.org/spec/lti/claim/"


@dataclass
class Platform:
    jwks_url: str
    issuer: str = "https://moodle.example.edu"
    client_id: str = "microcred-tool"
    deployment_id: str = "1"
    auth_url: str = "https://moodle.example.edu/mod/lti/auth.php"
    token_url: str = "https://moodle.example.edu/mod/lti/token.php"
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(
            2048, parameters={"kid": "platform-1", "alg": "RS256", "use": "sig"}, private=True
        )
    )
    jwks_fetches: int = 0
    base: str = ""  # the loopback server's root: its token and AGS endpoints
    tool_jwks: dict[str, Any] = field(default_factory=dict)  # the tool's, for its assertions
    results: list[dict[str, Any]] = field(default_factory=list)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    access_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    registration_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    registrations: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.base,
            "authorization_endpoint": f"{self.base}/auth",
            "token_endpoint": f"{self.base}/token",
            "jwks_uri": self.jwks_url,
            "registration_endpoint": f"{self.base}/register",
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "tests",
                "version": "1",
            },
        }

    def login_params(self, target: str, **extra: str) -> dict[str, str]:
        return {
            "iss": self.issuer,
            "login_hint": "user-42",
            "target_link_uri": target,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
            "lti_message_hint": "resource-7",
            **extra,
        }

    @staticmethod
    def authorization(location: str) -> dict[str, str]:
        """The query the tool sent the browser to the authorization endpoint with."""
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def claims(self, nonce: str, target: str, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "user-42",
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "email": "Learner@Example.org",
            "name": "Lea Learner",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": target,
            LTI + "resource_link": {"id": "resource-7", "title": "Week 1 quiz"},
            LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            LTI + "context": {"id": "course-3", "title": "Data Analysis"},
            LTI + "custom": {"activity_id": "https://moodle.example.edu/mod/quiz/7"},
        }
        for name, value in changes.items():
            key = name if not name.startswith("lti_") else LTI + name[4:]
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return claims

    def sign(
        self, claims: dict[str, Any], *, key: RSAKey | None = None, kid: str | None = None
    ) -> str:
        signer = key or self.key
        header = {"alg": "RS256", "typ": "JWT", "kid": kid or signer.kid or "platform-1"}
        return jwt.encode(header, claims, signer)


@pytest.fixture
def platform() -> Iterator[Platform]:
    holder: dict[str, Platform] = {}

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status: int, value: Any, media: str = "application/json") -> None:
            body = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            made = holder["platform"]
            if self.path.startswith("/lineitems/"):
                # AGS: results only with the token this platform handed out.
                if self.headers.get("Authorization") != f"Bearer {made.access_token}":
                    self.answer(401, {"error": "invalid_token"})
                elif not urlsplit(self.path).path.endswith("/results"):
                    self.answer(404, {"error": "not found"})
                else:
                    self.answer(
                        200, made.results, "application/vnd.ims.lis.v2.resultcontainer+json"
                    )
                return
            if self.path.startswith("/memberships"):
                if self.headers.get("Authorization") != f"Bearer {made.access_token}":
                    self.answer(401, {"error": "invalid_token"})
                else:
                    container = {
                        "id": self.path,
                        "context": {"id": "course-3"},
                        "members": made.members,
                    }
                    self.answer(
                        200, container, "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
                    )
                return
            if self.path == "/.well-known/openid-configuration":
                self.answer(200, made.openid_configuration())
                return
            made.jwks_fetches += 1
            self.answer(200, {"keys": [made.key.as_dict(private=False)]})

        def do_POST(self) -> None:
            made = holder["platform"]
            if self.path == "/register":
                # Dynamic Registration: the tool's configuration, with the registration token.
                if self.headers.get("Authorization") != f"Bearer {made.registration_token}":
                    self.answer(401, {"error": "invalid_token"})
                    return
                asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                made.registrations.append(asked)
                self.answer(
                    200,
                    {
                        **asked,
                        "client_id": "dyn-client-1",
                        "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                            **asked["https://purl.imsglobal.org/spec/lti-tool-configuration"],
                            "deployment_id": "dyn-deployment-1",
                        },
                    },
                )
                return
            form = {
                k: v[0]
                for k, v in parse_qs(
                    self.rfile.read(int(self.headers["Content-Length"])).decode()
                ).items()
            }
            # OAuth 2.0 client credentials with a JWT assertion signed by the tool (RFC 7523),
            # checked with the tool's published keys.
            try:
                token = jwt.decode(
                    form["client_assertion"],
                    KeySet.import_key_set(made.tool_jwks),
                    algorithms=["RS256"],
                )
            except Exception as exc:
                self.answer(401, {"error": "invalid_client", "why": str(exc)})
                return
            claims = dict(token.claims)
            made.assertions.append(
                {**claims, "scope": form.get("scope"), "grant_type": form.get("grant_type")}
            )
            ok = (
                form.get("grant_type") == "client_credentials"
                and form.get("client_assertion_type")
                == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                and claims.get("iss") == made.client_id == claims.get("sub")
                and claims.get("aud") == f"{made.base}/token"
                and claims.get("exp", 0) > time.time()
            )
            if not ok:
                self.answer(400, {"error": "invalid_grant"})
                return
            self.answer(
                200, {"access_token": made.access_token, "token_type": "Bearer", "expires_in": 3600}
            )

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    made = Platform(jwks_url=f"{base}/jwks/{uuid.uuid4().hex}", base=base)
    holder["platform"] = made
    yield made
    server.shutdown()
    server.server_close()
