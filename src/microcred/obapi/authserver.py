"""authlib's OAuth 2.0 authorization server, fitted to our store and to the Open Badges API.

authlib's server is framework-neutral and synchronous: it reads a request object we build from
:class:`HttpCall` and answers ``(status, body, headers)``, which we hand back unchanged as an
:class:`OAuthAnswer` (so the protocol's status codes are authlib's, not ours). A server is made
per request around the repository of that request's transaction.

What we add to authlib's grants, per the Open Badges API's security section:

- PKCE is required for every client, S256 only (``plain`` and a missing method are refused).
- Clients authenticate at the token and revocation endpoints with HTTP Basic only.
- A client may ask only for scopes it registered; redirect URIs are compared exactly.
- The authorization response repeats the granted ``scope``.
- Refresh tokens rotate. A rotated refresh token presented again revokes every token of its
  approval (someone holds a copy); so does a code presented a second time (RFC 6749 10.5).
- Revoking any token of an approval revokes all of it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    JsonPayload,
    JsonRequest,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.grants import (  # type: ignore[import-untyped]
    AuthorizationCodeGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator  # type: ignore[import-untyped]
from authlib.oauth2.rfc7009 import RevocationEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc7591 import (  # type: ignore[import-untyped]
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
)
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]

from microcred.obapi import scopes
from microcred.obapi.repository import OAuthRepository
from microcred.store.tables import OAuthClientRow, OAuthCodeRow, OAuthTokenRow

CODE_LIFETIME = timedelta(minutes=10)
ACCESS_LIFETIME = timedelta(hours=1)
REFRESH_LIFETIME = timedelta(days=90)
AUTH_METHOD = "client_secret_basic"
GRANT_TYPES = ("authorization_code", "refresh_token")
# What a registration must carry (the Open Badges API makes all of these required).
REQUIRED_METADATA = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "redirect_uris",
    "scope",
)
_URL_METADATA = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
_MAX_TEXT = 300
_MAX_URL = 2000
# error_description may hold only these characters (RFC 6749 section 5.2).
_NOT_DESCRIPTION = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")

# authlib's grants log each token they issue at DEBUG; whatever the application's logging
# says, no token may reach a log, so its records below INFO are never made.
logging.getLogger("authlib").setLevel(logging.INFO)


def digest(secret: str) -> str:
    """How a secret, code or token is kept: the hex SHA-256 of its text."""
    return hashlib.sha256(secret.encode()).hexdigest()


def describe(text: str) -> str:
    """``text`` made fit for ``error_description``."""
    return _NOT_DESCRIPTION.sub("?", text)[:300]


@dataclass(frozen=True)
class HttpCall:
    """An HTTP request as the OAuth server reads it, whatever web framework received it.

    ``url`` is the public address the call was made to (the server's own scheme and host, not
    what a proxy in front of it saw)."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Sequence[tuple[str, str]] = ()
    form: Sequence[tuple[str, str]] = ()
    json: object = None


@dataclass(frozen=True)
class OAuthAnswer:
    """What the OAuth server answers: authlib's status, body (a JSON object, or empty for a
    redirect) and headers."""

    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)


# ---- the request, as authlib reads it --------------------------------------------------------


def _canonical_headers(headers: Mapping[str, str]) -> dict[str, str]:
    # authlib looks up "Authorization" by that exact spelling.
    return {"-".join(p.capitalize() for p in k.split("-")): v for k, v in headers.items()}


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._datalist[name].append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, call: HttpCall) -> None:
        super().__init__(call.method, call.url, headers=_canonical_headers(call.headers))
        self._args = dict(call.query)
        self._form = dict(call.form)
        self.payload = _Payload([*call.query, *call.form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):  # type: ignore[misc]
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


class _JsonRequest(JsonRequest):  # type: ignore[misc]
    def __init__(self, call: HttpCall) -> None:
        super().__init__(call.method, call.url, _canonical_headers(call.headers))
        # Anything but a JSON object is an empty registration: authlib says invalid_request.
        self.payload = _JsonPayload(call.json if isinstance(call.json, dict) else {})


# ---- our rows, as authlib's models -----------------------------------------------------------


@dataclass(frozen=True)
class Learner:
    """The resource owner, as authlib's grants carry it."""

    id: str


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthClientRow) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # the Open Badges API makes redirect_uri required in every request

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scope asked for when it is all registered; None (invalid_scope) otherwise,
        and for no scope at all (the API requires one)."""
        asked = scopes.split(scope)
        if not asked or not set(asked) <= set(self.row.scope.split()):
            return None
        return " ".join(asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exactly, character for character

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(digest(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == AUTH_METHOD

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types


class _Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code_challenge_method = "S256"

    def __init__(self, row: OAuthCodeRow) -> None:
        self.row = row
        self.code_challenge = row.code_challenge

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class _Token(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthTokenRow) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return hmac.compare_digest(self.row.client_id, client.get_client_id())

    def get_scope(self) -> str:
        return self.row.scope


# ---- grants and endpoints ----------------------------------------------------------------------


class _S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, with the S256 method only."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 (authlib reads a list)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256; plain is refused.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing code_verifier (PKCE is required).")
        super().validate_code_verifier(grant, result)


class _CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]  # noqa: RUF012 (authlib reads a list)

    server: Server

    def generate_authorization_code(self) -> str:
        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code: str, request: Any) -> None:
        self.server.save_code(code, request)

    def query_authorization_code(self, code: str, client: Client) -> _Code | None:
        return self.server.take_code(code, client)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        pass  # spent when it was taken; kept until it expires, to recognise a replay

    def authenticate_user(self, authorization_code: _Code) -> Learner:
        return Learner(authorization_code.row.learner_id)

    def create_authorization_response(
        self, redirect_uri: str, grant_user: Learner | None
    ) -> tuple[int, str, list[tuple[str, str]]]:
        status, body, headers = super().create_authorization_response(redirect_uri, grant_user)
        # The Open Badges API wants the granted scope in the redirect, beside code and state.
        granted = [("scope", self.request.scope)] if self.request.scope else []
        return (
            status,
            body,
            [(k, _add_query(v, granted) if k == "Location" else v) for k, v in headers],
        )


class _RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]  # noqa: RUF012 (authlib reads a list)
    INCLUDE_NEW_REFRESH_TOKEN = True

    server: Server

    def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
        return self.server.take_refresh(refresh_token)

    def authenticate_user(self, refresh_token: _Token) -> Learner:
        return Learner(refresh_token.row.learner_id)

    def revoke_old_credential(self, refresh_token: _Token) -> None:
        self.server.repository.rotate(refresh_token.row.access_hash, self.server.now)


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = [AUTH_METHOD]  # noqa: RUF012 (authlib reads a list)

    server: Server

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        row = self.server.repository.by_token(
            digest(token_string),
            refresh_first=token_type_hint == "refresh_token",  # noqa: S105 (a hint name)
        )
        return _Token(row) if row is not None else None

    def revoke_token(self, token: _Token, request: Any) -> None:
        self.server.repository.revoke_grant(token.row.grant_id, self.server.now)


class _Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    server: Server

    def authenticate_token(self, request: Any) -> bool:
        return True  # the Open Badges API forbids requiring an initial access token

    def resolve_public_key(self, request: Any) -> None:
        return None  # software statements are not accepted

    def get_server_metadata(self) -> dict[str, Any]:
        return {
            "scopes_supported": list(scopes.SUPPORTED),
            "response_types_supported": ["code"],
            "grant_types_supported": list(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": [AUTH_METHOD],
        }

    def extract_client_metadata(self, request: Any) -> dict[str, Any]:
        metadata: dict[str, Any] = super().extract_client_metadata(request)
        _check_registration(metadata)
        metadata.setdefault("token_endpoint_auth_method", AUTH_METHOD)
        metadata.setdefault("grant_types", ["authorization_code"])
        metadata.setdefault("response_types", ["code"])
        metadata["scope"] = " ".join(scopes.split(metadata["scope"]))
        return metadata

    def generate_client_id(self, request: Any) -> str:
        return secrets.token_urlsafe(16)

    def generate_client_secret(self, request: Any) -> str:
        return secrets.token_urlsafe(32)

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> Client:
        row = OAuthClientRow(
            client_id=client_info["client_id"],
            secret_hash=digest(client_info["client_secret"]),
            client_name=client_metadata["client_name"],
            redirect_uris=list(client_metadata["redirect_uris"]),
            scope=client_metadata["scope"],
            grant_types=list(client_metadata["grant_types"]),
            client_metadata=dict(client_metadata),
            created_at=self.server.now,
        )
        self.server.repository.add_client(row)
        return Client(row)


def _check_registration(metadata: Mapping[str, Any]) -> None:
    """What the Open Badges API asks of a registration beyond RFC 7591's own checks."""
    missing = [name for name in REQUIRED_METADATA if not metadata.get(name)]
    if missing:
        raise InvalidClientMetadataError(f"Missing required metadata: {', '.join(missing)}.")
    for name in ("client_name", "software_id", "software_version"):
        if not isinstance(metadata[name], str) or len(metadata[name]) > _MAX_TEXT:
            raise InvalidClientMetadataError(f"{name} must be a string of at most {_MAX_TEXT}.")
    redirects = metadata["redirect_uris"]
    if not isinstance(redirects, list) or not all(isinstance(u, str) for u in redirects):
        raise InvalidClientMetadataError("redirect_uris must be an array of URLs.")
    hosts = set()
    for name in _URL_METADATA:
        hosts.add(_https_host(name, metadata[name]))
    for uri in redirects:
        host = _redirect_host(uri)
        if host is not None:
            hosts.add(host)
    if len(hosts) > 1:
        raise InvalidClientMetadataError(
            f"All URLs must have the same host name; found {', '.join(sorted(hosts))}."
        )


def _https_host(name: str, url: object) -> str:
    parts = urlsplit(url) if isinstance(url, str) and len(url) <= _MAX_URL else None
    if parts is None or parts.scheme != "https" or not parts.hostname or parts.fragment:
        raise InvalidClientMetadataError(f"{name} must be an https URL without a fragment.")
    return parts.hostname


def _redirect_host(uri: str) -> str | None:
    """The host a redirect URI must share; None for a loopback one (RFC 8252 lets a native
    app listen on http://127.0.0.1 with any port)."""
    parts = urlsplit(uri) if len(uri) <= _MAX_URL else None
    if parts is not None and parts.scheme == "http" and parts.hostname in ("127.0.0.1", "[::1]"):
        return None
    return _https_host("redirect_uris", uri)


def _add_query(url: str, pairs: Sequence[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *pairs]
    return urlunsplit(parts._replace(query=urlencode(query)))


# ---- the server ------------------------------------------------------------------------------


class Server(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorization server over one transaction's repository."""

    def __init__(self, repository: OAuthRepository, *, clock: Callable[[], datetime]) -> None:
        super().__init__(scopes_supported=list(scopes.SUPPORTED))
        self.repository = repository
        self.now = clock()
        self.register_grant(_CodeGrant, [_S256Only(required=True)])
        self.register_grant(_RefreshGrant)
        self.register_endpoint(_Revocation)
        self.register_endpoint(_Registration(self))
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=_new_token,
                refresh_token_generator=_new_token,
                expires_generator=int(ACCESS_LIFETIME.total_seconds()),
            ),
        )

    # What authlib asks of a framework integration.

    def create_oauth2_request(self, request: HttpCall | _Request) -> _Request:
        return request if isinstance(request, _Request) else _Request(request)

    def create_json_request(self, request: HttpCall) -> _JsonRequest:
        return _JsonRequest(request)

    def handle_response(self, status: int, body: Any, headers: Any) -> OAuthAnswer:
        return OAuthAnswer(status, dict(body) if body else {}, [(k, v) for k, v in headers])

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass  # nothing listens

    # The store.

    def query_client(self, client_id: str) -> Client | None:
        row = self.repository.client(client_id) if len(client_id) <= 64 else None
        return Client(row) if row is not None else None

    def save_code(self, code: str, request: Any) -> None:
        self.repository.forget_expired_codes(self.now)
        self.repository.add_code(
            OAuthCodeRow(
                code_hash=digest(code),
                grant_id=str(uuid.uuid4()),
                client_id=request.client.get_client_id(),
                learner_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                code_challenge=request.payload.data["code_challenge"],
                created_at=self.now,
                expires_at=self.now + CODE_LIFETIME,
            )
        )

    def take_code(self, code: str, client: Client) -> _Code | None:
        """The code, spent now; None when it is unknown, another client's, expired or used
        before, and in that last case every token it led to is revoked."""
        code_hash = digest(code)
        row = self.repository.code(code_hash)
        if row is None or not hmac.compare_digest(row.client_id, client.get_client_id()):
            return None
        if not self.repository.spend_code(code_hash, self.now):
            if row.used_at is not None:
                self.repository.revoke_grant(row.grant_id, self.now)
            return None
        return _Code(row)

    def take_refresh(self, refresh_token: str) -> _Token | None:
        """The token pair of a refresh token that may be exchanged, locked; None otherwise,
        and a rotated one presented again revokes its whole approval."""
        row = self.repository.lock_refresh(digest(refresh_token))
        if row is None or row.revoked_at is not None:
            return None
        if row.rotated_at is not None:
            self.repository.revoke_grant(row.grant_id, self.now)
            return None
        if row.refresh_expires_at is None or row.refresh_expires_at <= self.now:
            return None
        return _Token(row)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        if request.authorization_code is not None:
            grant_id = request.authorization_code.row.grant_id
        else:
            grant_id = request.refresh_token.row.grant_id
        refresh = token.get("refresh_token")
        self.repository.add_token(
            OAuthTokenRow(
                access_hash=digest(token["access_token"]),
                refresh_hash=digest(refresh) if refresh else None,
                grant_id=grant_id,
                client_id=request.client.get_client_id(),
                learner_id=request.user.id,
                scope=token.get("scope", ""),
                issued_at=self.now,
                access_expires_at=self.now + timedelta(seconds=int(token["expires_in"])),
                refresh_expires_at=self.now + REFRESH_LIFETIME if refresh else None,
            )
        )


def _new_token(**_context: Any) -> str:
    return secrets.token_urlsafe(32)  # 256 bits


__all__ = [
    "ACCESS_LIFETIME",
    "CODE_LIFETIME",
    "Client",
    "HttpCall",
    "Learner",
    "OAuth2Error",
    "OAuthAnswer",
    "Server",
    "describe",
    "digest",
]
