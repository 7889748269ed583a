"""The Open Badges 3.0 API host: the OAuth 2.0 endpoints (through authlib, see
:mod:`microcred.obapi.authserver`), the consent step a signed-in learner takes, and the
resource endpoints (credentials, profile), each checking its scope.

OAuth refusals are authlib's answers in OAuth's shape; resource refusals are
:class:`~microcred.errors.ObApiError`, which the web layer answers as ``Imsx_StatusInfo``.
Nothing is written for a refused request, except what a replayed code or refresh token
revokes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from microcred.errors import MicrocredError, OAuthRefusedError, ObApiError, short
from microcred.obapi import discovery, scopes
from microcred.obapi.authserver import (
    Client,
    HttpCall,
    Learner,
    OAuth2Error,
    OAuthAnswer,
    Server,
    describe,
    digest,
)
from microcred.obapi.ports import HeldDocument, LearnerAccounts, Wallet
from microcred.obapi.repository import AuthorisedClient, OAuthRepository
from microcred.store.db import transaction
from microcred.surrogates import json_holds_lone_surrogate
from microcred.types import JsonObject

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.urls import PublicUrls

DEFAULT_PAGE = 50
MAX_PAGE = 200
MAX_UPSERT_BYTES = 1024 * 1024
MAX_NAME = 300
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# The learner setting that lets authorised clients see the learner's e-mail addresses.
SHARE_EMAILS_SETTING = "share_email_with_apps"
# The parameters of an authorization request, carried through the consent form unchanged.
AUTHORIZATION_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


@dataclass(frozen=True)
class ConsentRequest:
    """A valid authorization request, for the consent screen to show."""

    client_id: str
    client_name: str
    client_uri: str | None
    logo_uri: str | None
    tos_uri: str | None
    policy_uri: str | None
    redirect_uri: str
    scopes: tuple[str, ...]
    parameters: tuple[tuple[str, str], ...]
    """What the consent form posts back (the request's own parameters)."""


@dataclass(frozen=True)
class Caller:
    """Who an accepted access token speaks for."""

    learner_id: str
    client_id: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class CredentialsPage:
    credentials: list[JsonObject]
    compact_jws: list[str]
    total: int
    offset: int
    limit: int
    since: datetime | None = None

    def body(self) -> JsonObject:
        body: JsonObject = {}
        if self.credentials:
            body["credential"] = self.credentials
        if self.compact_jws:
            body["compactJwsString"] = self.compact_jws
        return body


@dataclass(frozen=True)
class Upserted:
    created: bool
    """True when the credential was not in the wallet before (the answer is 201, else 200)."""


class ObApiService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        title: str,
        wallet: Wallet | None,
        learners: LearnerAccounts | None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.title = title
        self.wallet = wallet
        self.learners = learners

    # ---- discovery ------------------------------------------------------------------------------

    def service_description(self) -> JsonObject:
        return discovery.service_description(self.urls, title=self.title)

    def authorization_server_metadata(self, alongside: JsonObject) -> JsonObject:
        """RFC 8414 metadata: ``alongside`` (the OpenID4VCI server's) with this server's
        endpoints, grants, scopes and PKCE method added."""
        return discovery.authorization_server_metadata(self.urls, alongside=alongside)

    # ---- OAuth endpoints ------------------------------------------------------------------------

    def register(self, call: HttpCall) -> OAuthAnswer:
        """Dynamic client registration (RFC 7591); the answer carries the only copy of the
        client secret."""
        with transaction(self.sessions) as session:
            answer: OAuthAnswer = self._server(session).create_endpoint_response(
                "client_registration", call
            )
            return answer

    def token(self, call: HttpCall) -> OAuthAnswer:
        """The token endpoint: an authorization code or a refresh token for a token pair."""
        with transaction(self.sessions) as session:
            answer: OAuthAnswer = self._server(session).create_token_response(call)
            return answer

    def revoke(self, call: HttpCall) -> OAuthAnswer:
        """Token revocation (RFC 7009): revoking either token revokes its whole approval."""
        with transaction(self.sessions) as session:
            answer: OAuthAnswer = self._server(session).create_endpoint_response("revocation", call)
            return answer

    # ---- the authorization endpoint, with the learner's consent ---------------------------------

    def consent_request(self, call: HttpCall, learner_id: str) -> ConsentRequest | OAuthAnswer:
        """Check an authorization request for the consent screen. A request the client must
        hear about is answered with a redirect back to it (``OAuthAnswer``); one that cannot
        go back (unknown client, unregistered redirect URI) raises
        :class:`OAuthRefusedError`."""
        with self.sessions() as session:
            server = self._server(session)
            try:
                grant = server.get_consent_grant(call, end_user=Learner(learner_id))
            except OAuth2Error as error:
                return self._refused(server, call, error)
            client: Client = grant.request.client
            metadata = client.row.client_metadata
            return ConsentRequest(
                client_id=client.get_client_id(),
                client_name=client.row.client_name,
                client_uri=_text(metadata.get("client_uri")),
                logo_uri=_text(metadata.get("logo_uri")),
                tos_uri=_text(metadata.get("tos_uri")),
                policy_uri=_text(metadata.get("policy_uri")),
                redirect_uri=grant.redirect_uri,
                scopes=tuple(scopes.split(grant.request.scope)),
                parameters=tuple(
                    (name, value) for name, value in call.query if name in AUTHORIZATION_PARAMETERS
                ),
            )

    def decide(self, call: HttpCall, learner_id: str, *, approve: bool) -> OAuthAnswer:
        """The learner's answer on the consent screen: a redirect to the client with a code,
        or with ``access_denied``. The request is checked again first, as on the screen."""
        with transaction(self.sessions) as session:
            server = self._server(session)
            learner = Learner(learner_id)
            try:
                grant = server.get_consent_grant(call, end_user=learner)
            except OAuth2Error as error:
                return self._refused(server, call, error)
            answer: OAuthAnswer = server.create_authorization_response(
                call, grant_user=learner if approve else None, grant=grant
            )
            return answer

    @staticmethod
    def _refused(server: Server, call: HttpCall, error: OAuth2Error) -> OAuthAnswer:
        if error.redirect_uri:
            answer: OAuthAnswer = server.handle_error_response(call, error)
            return answer
        raise OAuthRefusedError(
            error.error,
            "this app's sign-in request is not valid, so it was not sent back to the app",
            expected="a registered client_id and one of its registered redirect_uris",
            found=describe(str(error.description or error.error)),
        )

    # ---- the learner's apps ---------------------------------------------------------------------

    def authorised_apps(self, learner_id: str) -> list[AuthorisedClient]:
        with self.sessions() as session:
            apps = OAuthRepository(session).authorised_clients(learner_id, self.clock())
            for app in apps:
                session.expunge(app.client)
            return apps

    def revoke_app(self, learner_id: str, client_id: str) -> int:
        """Take away a client's access to the learner's data (every token); how many token
        pairs that ended."""
        with transaction(self.sessions) as session:
            return OAuthRepository(session).revoke_client_for(
                learner_id, client_id[:64], self.clock()
            )

    # ---- resource endpoints ---------------------------------------------------------------------

    def caller(self, bearer: str | None, scope: str) -> Caller:
        """Who the access token speaks for, if it is live and carries ``scope``."""
        if not bearer:
            raise ObApiError(
                "unauthorizedrequest",
                "this needs an access token",
                expected="Authorization: Bearer <access_token>",
                found="none",
            )
        with self.sessions() as session:
            row = (
                OAuthRepository(session).live_access(digest(bearer), self.clock())
                if len(bearer) <= 200
                else None
            )
        if row is None:
            raise ObApiError(
                "unauthorizedrequest",
                "the access token is unknown, expired or revoked",
                expected="a live access token from the token endpoint",
            )
        granted = frozenset(row.scope.split())
        if scope not in granted:
            raise ObApiError(
                "forbidden",
                "the access token does not carry the scope this needs",
                expected=scope,
                found=" ".join(sorted(granted)) or "no scope",
            )
        return Caller(row.learner_id, row.client_id, granted)

    def credentials(
        self, caller: Caller, *, offset: int, limit: int, since: datetime | None = None
    ) -> CredentialsPage:
        """One page of the learner's credentials, newest first; ``since``: only those issued
        to or added to the wallet after it."""
        _require_scope(caller, scopes.CREDENTIAL_READ)
        wallet = self._wallet()
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise ObApiError(
                "invalid_query_parameter",
                "limit or offset is out of range",
                expected=f"1 <= limit <= {MAX_PAGE}, offset >= 0",
                found=f"limit={limit}, offset={offset}",
            )
        items, total = wallet.list_credentials(
            caller.learner_id, offset=offset, limit=limit, since=since
        )
        documents: list[JsonObject] = []
        compact: list[str] = []
        for item in items:
            document = _document(item)
            if isinstance(document, str):
                compact.append(document)
            else:
                documents.append(document)
        return CredentialsPage(documents, compact, total, offset, limit, since)

    def upsert_credential(self, caller: Caller, body: bytes, *, as_jws: bool) -> Upserted:
        """Put a credential a client pushed into the learner's wallet, verified there; the
        wallet's own error when it is not a credential. ``as_jws``: the body is a compact
        JWS (``text/plain``), else a JSON credential."""
        _require_scope(caller, scopes.CREDENTIAL_UPSERT)
        wallet = self._wallet()
        if len(body) > MAX_UPSERT_BYTES:
            raise ObApiError(
                "invalid_data",
                "the credential is too large",
                expected=f"at most {MAX_UPSERT_BYTES} bytes",
                found=f"{len(body)} bytes",
            )
        _check_upsert_body(body, as_jws=as_jws)
        _items, before = wallet.list_credentials(caller.learner_id, offset=0, limit=1)
        try:
            wallet.import_bytes(caller.learner_id, body, source=f"obapi:{caller.client_id}")
        except MicrocredError as error:
            raise ObApiError(
                "invalid_data", error.message, expected=error.expected, found=error.found
            ) from error
        _items, after = wallet.list_credentials(caller.learner_id, offset=0, limit=1)
        return Upserted(created=after > before)

    def profile(self, caller: Caller) -> JsonObject:
        _require_scope(caller, scopes.PROFILE_READ)
        return self._profile(caller.learner_id)

    def update_profile(self, caller: Caller, body: object) -> JsonObject:
        """``PUT /profile``: the learner's display name is the one field a client may change
        (``name``); every other field must be left as ``GET`` gave it or out."""
        _require_scope(caller, scopes.PROFILE_UPDATE)
        learners = self._learners()
        if not isinstance(body, dict):
            raise ObApiError("invalid_data", "the profile is not a JSON object", found=short(body))
        current = self._profile(caller.learner_id)
        changed = sorted(
            key
            for key, value in body.items()
            if key not in ("name", "@context") and current.get(key) != value
        )
        if changed:
            raise ObApiError(
                "invalid_data",
                "only the profile's name can be changed",
                expected="a Profile whose other fields are as GET /profile gave them",
                found=", ".join(changed)[:200],
            )
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise ObApiError(
                "invalid_data",
                "the profile's name must be a non-empty string",
                expected=f"1 to {MAX_NAME} characters",
                found=short(name),
            )
        learners.set_name(caller.learner_id, name)
        return self._profile(caller.learner_id)

    def _profile(self, learner_id: str) -> JsonObject:
        learners = self._learners()
        learner = learners.get(learner_id)
        profile: JsonObject = {
            "@context": [OB_CONTEXT],
            "type": "Profile",
            # A DID if the learner has one; else an id that names the account and no more.
            "id": learner.did or f"urn:uuid:{learner.id}",
        }
        if learner.display_name:
            profile["name"] = learner.display_name
        if learner.settings.get(SHARE_EMAILS_SETTING) is True:
            emails = learners.emails(learner_id)
            if emails:
                profile["email"] = emails[0]
        return profile

    # ---- helpers --------------------------------------------------------------------------------

    def _server(self, session: Session) -> Server:
        return Server(OAuthRepository(session), clock=self.clock)

    def _wallet(self) -> Wallet:
        if self.wallet is None:
            raise ObApiError("unknown", "this server keeps no wallet yet")
        return self.wallet

    def _learners(self) -> LearnerAccounts:
        if self.learners is None:
            raise ObApiError("unknown", "this server keeps no learner accounts yet")
        return self.learners


def _require_scope(caller: Caller, scope: str) -> None:
    if scope not in caller.scopes:  # callers come from caller(), but say it where it matters
        raise ObApiError("forbidden", "the access token lacks a scope", expected=scope)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _document(item: object) -> HeldDocument:
    document = item if isinstance(item, dict | str) else getattr(item, "document", None)
    if isinstance(document, bytes):
        document = document.decode()
    if isinstance(document, str) and document.lstrip().startswith("{"):
        parsed: Any = json.loads(document)
        return dict(parsed)
    if not isinstance(document, dict | str):
        raise TypeError(f"a wallet item without a document: {type(item).__name__}")
    return document


def _check_upsert_body(body: bytes, *, as_jws: bool) -> None:
    """The body is what its content type says: one compact JWS, or one JSON object."""
    text = body.decode("utf-8", "replace").strip()
    if as_jws:
        parts = text.split(".")
        if len(parts) != 3 or not all(parts[0::2]) or any(c.isspace() for c in text):
            raise ObApiError(
                "invalid_data",
                "the body is not a compact JWS",
                expected="header.payload.signature (text/plain)",
                found=short(text[:40]),
            )
        return
    try:
        parsed: object = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise ObApiError(
            "invalid_data", "the body is not JSON", expected="an AchievementCredential"
        ) from error
    if not isinstance(parsed, dict):
        raise ObApiError(
            "invalid_data", "the body is not a JSON object", found=type(parsed).__name__
        )
    if json_holds_lone_surrogate(body, parsed):  # not text: nothing could store or show it
        raise ObApiError(
            "invalid_data",
            "the body holds a lone surrogate escape (such as \\ud800), which is not a character",
            expected="Unicode text",
        )


__all__ = [
    "AUTHORIZATION_PARAMETERS",
    "Caller",
    "ConsentRequest",
    "CredentialsPage",
    "HttpCall",
    "OAuthAnswer",
    "ObApiService",
    "Upserted",
]
