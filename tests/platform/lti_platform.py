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
from joserfc.jwk import RSAKey

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
        def do_GET(self) -> None:
            made = holder["platform"]
            made.jwks_fetches += 1
            body = json.dumps({"keys": [made.key.as_dict(private=False)]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    made = Platform(jwks_url=f"http://127.0.0.1:{server.server_address[1]}/jwks/{uuid.uuid4().hex}")
    holder["platform"] = made
    yield made
    server.shutdown()
    server.server_close()
