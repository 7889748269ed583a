"""LTI Dynamic Registration 1.0: the LMS administrator pastes a registration link made for
one issuer (``microcred lti registration-link``); the platform opens it with
``openid_configuration`` and ``registration_token``; the tool reads the platform's OpenID
configuration, checks it names the same host as its address, posts its own configuration to
the platform's registration endpoint (bearer: the registration token) and registers the
client id and deployment id it gets back, as ``lti platforms add`` would.

A link is single use and lives a week; only its SHA-256 is kept. Both requests go through the
guarded client, so a link cannot be used to make the server call into its own network.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from microcred.accounts.actor import Actor
from microcred.errors import ConflictError, FetchError, LtiError, short
from microcred.lms.lti.repository import LtiRepository
from microcred.store.db import transaction
from microcred.store.tables import LtiPlatformRow, LtiRegistrationRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.lms.lti.service import LtiService
    from microcred.urls import PublicUrls

LINK_LIFETIME = timedelta(days=7)
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly "
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
)

GetJson = Callable[[str], bytes]
PostJson = Callable[[str, bytes, str | None], tuple[int, bytes]]  # url, body, bearer token


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class RegistrationService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        lti: LtiService,
        get: GetJson,
        post: PostJson,
        tool_name: str = "microcred",
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.lti = lti
        self.get = get
        self.post = post
        self.tool_name = tool_name

    def new_link(self, actor: Actor, issuer_id: str) -> str:
        """A single-use registration URL for the issuer's LMS administrator."""
        actor.require(issuer_id, "owner")
        code = secrets.token_urlsafe(24)
        now = self.clock()
        with transaction(self.sessions) as session:
            LtiRepository(session).add_registration(
                LtiRegistrationRow(
                    code_hash=_digest(code),
                    issuer_id=issuer_id,
                    created_at=now,
                    expires_at=now + LINK_LIFETIME,
                )
            )
        return self.urls.lti(f"register/{code}")

    def register(
        self, code: str, openid_configuration: str, registration_token: str | None
    ) -> LtiPlatformRow:
        issuer_id = self._usable(code)
        config = self._configuration(openid_configuration)
        body = json.dumps(self.tool_configuration()).encode()
        try:
            status, answer = self.post(config["registration_endpoint"], body, registration_token)
        except FetchError as exc:
            raise LtiError(
                "the platform's registration endpoint could not be reached", found=exc.message
            ) from exc
        try:
            made = json.loads(answer)
            client_id = str(made["client_id"])
            tool = made.get(TOOL_CONFIGURATION) or {}
            deployment = tool.get("deployment_id")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LtiError(
                "the platform did not register the tool",
                expected="HTTP 200 with client_id",
                found=f"HTTP {status}: {short(answer.decode('utf-8', 'replace'), 120)}",
            ) from exc
        if status not in (200, 201) or not isinstance(deployment, str) or not deployment:
            raise LtiError(
                "the platform's registration names no deployment",
                expected=f"{TOOL_CONFIGURATION}.deployment_id",
                found=f"HTTP {status}",
            )
        with transaction(self.sessions) as session:
            link = LtiRepository(session).registration(_digest(code), lock=True)
            if link is None or link.used_at is not None:
                raise ConflictError("this registration link was used meanwhile")
            link.used_at = self.clock()
        actor = Actor(issuer_id=issuer_id, name="lti-registration", role="owner")
        platform = self.lti.add_platform(
            actor,
            issuer_id,
            platform_issuer=config["issuer"],
            client_id=client_id,
            deployment_ids=[deployment],
            auth_url=config["authorization_endpoint"],
            token_url=config["token_endpoint"],
            jwks_url=config["jwks_uri"],
        )
        with transaction(self.sessions) as session:
            link = LtiRepository(session).registration(_digest(code), lock=True)
            if link is not None:
                link.platform_id = platform.id
        return platform

    def tool_configuration(self) -> dict[str, Any]:
        """What the tool asks to be registered as (Dynamic Registration 1.0, 3.4)."""
        launch = self.urls.lti("launch")
        return {
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": self.urls.lti("login"),
            "redirect_uris": [launch],
            "client_name": self.tool_name,
            "jwks_uri": self.urls.lti("jwks"),
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": SCOPES,
            TOOL_CONFIGURATION: {
                "domain": self.urls.hostname,
                "target_link_uri": launch,
                "claims": ["iss", "sub", "email", "name"],
                "messages": [{"type": "LtiResourceLinkRequest"}],
            },
        }

    def _usable(self, code: str) -> str:
        with self.sessions() as session:
            link = LtiRepository(session).registration(_digest(code))
        if link is None or link.used_at is not None:
            raise LtiError(
                "unknown or used registration link",
                expected="a link from microcred lti registration-link",
            )
        if link.expires_at < self.clock():
            raise LtiError(
                "the registration link has expired", expected="a link made within a week"
            )
        return link.issuer_id

    def _configuration(self, url: str) -> dict[str, str]:
        if not url:
            raise LtiError(
                "a registration needs openid_configuration",
                expected="the platform's configuration URL",
            )
        try:
            config = json.loads(self.get(url))
        except FetchError as exc:
            raise LtiError(
                "the platform's configuration could not be read", found=exc.message
            ) from exc
        except ValueError as exc:
            raise LtiError("the platform's configuration is not JSON") from exc
        if not isinstance(config, dict):
            raise LtiError("the platform's configuration is not a JSON object")
        names = (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "registration_endpoint",
        )
        missing = [
            name for name in names if not isinstance(config.get(name), str) or not config[name]
        ]
        if missing:
            raise LtiError(
                "the platform's configuration is incomplete",
                expected=", ".join(names),
                found="missing " + ", ".join(missing),
            )
        issuer, where = urlsplit(config["issuer"]), urlsplit(url)
        if (issuer.scheme, issuer.hostname, issuer.port) != (
            where.scheme,
            where.hostname,
            where.port,
        ):
            # The configuration speaks for the host it was read from, and only for it.
            raise LtiError(
                "the configuration names another issuer than its own host",
                expected=f"{where.scheme}://{where.netloc}",
                found=short(config["issuer"]),
            )
        return {name: str(config[name]) for name in names}


__all__ = ["RegistrationService"]
