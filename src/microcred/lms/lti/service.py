"""An LTI 1.3 tool (1EdTech Security Framework 1.0 and LTI Core 1.3): OIDC third-party
login initiation, the launch's ``id_token`` checked against the platform's keys, the tool's
own JWKS, and platforms registered by hand per issuer.

Login (Security Framework 5.1.1): the platform sends ``iss``, ``login_hint``,
``target_link_uri`` (and perhaps ``client_id``, ``lti_deployment_id``,
``lti_message_hint``); the tool stores a fresh ``state`` (its digest) with a fresh ``nonce``
and sends the browser to the platform's authorization URL. Launch (5.1.3): the ``state`` is
taken (deleted as read, in a transaction of its own, so neither a failed nor a repeated
launch can use it again); then the token's signature (RS256, a key of the platform's JWKS,
fetched through the guarded client and cached), ``iss``, ``aud``/``azp``, ``exp``/``iat``,
``nonce`` (the state's, and not used before), the deployment id, the message type and the
LTI version are checked, each refusal saying which. An accepted launch is recorded and judged
by the award rules as a ``launched`` event of its activity (the ``activity_id`` custom
parameter, else the target link URI), for the learner's ``email`` claim if there is one.

The state is also set in a cookie (SameSite=None; Secure) and, when the browser sends it
back, must match; browsers that block third-party cookies in the LMS's frame send none, and
the single-use state and nonce then carry the launch alone (docs/design/lms.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from microcred.accounts.actor import Actor
from microcred.audit.repository import record_audit
from microcred.errors import FetchError, LtiError, ModelError, short
from microcred.lms.lti import deep_linking
from microcred.lms.lti.deep_linking import DEEP_LINKING_REQUEST, DeepLinking
from microcred.lms.lti.repository import LtiRepository
from microcred.lms.xapi import LearningEvent
from microcred.model import normalize_email
from microcred.store.db import transaction
from microcred.store.tables import (
    LtiContextRow,
    LtiLaunchRow,
    LtiLineItemRow,
    LtiPlatformRow,
    LtiStateRow,
    LtiToolKeyRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.achievements.repository import AchievementName
    from microcred.crypto.sealing import Sealer
    from microcred.lms.service import LmsService
    from microcred.urls import PublicUrls

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
AGS_RESULTS_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
LTI_VERSION = "1.3.0"
STATE_LIFETIME = timedelta(minutes=10)
CLOCK_SKEW = timedelta(seconds=60)
JWKS_TTL = 600.0  # seconds a platform's JWKS is kept
JWKS_REFRESH_AFTER = 30.0  # an unknown kid refetches the JWKS at most this often
MAX_TOKEN = 16_384


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str


@dataclass(frozen=True)
class Launch:
    row: LtiLaunchRow
    awards: list[str]
    redirect: str


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _url(value: str, field: str) -> str:
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(value) > 2000:
        raise ModelError(
            "must be an http(s) URL", field=field, expected="https://...", found=short(value)
        )
    return value


class LtiService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        sealer: Sealer,
        lms: LmsService,
        fetch_jwks: Callable[[str], bytes],
        achievement_names: Callable[[str], tuple[AchievementName, ...]] = lambda _issuer: (),
    ) -> None:
        """``fetch_jwks`` reads a platform's JWKS URL (the guarded client in production)."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.sealer = sealer
        self.lms = lms
        self.fetch_jwks = fetch_jwks
        self.achievement_names = achievement_names
        self._jwks: dict[str, tuple[float, KeySet]] = {}
        self._jwks_lock = threading.Lock()

    # ---- registration ------------------------------------------------------------------------

    def add_platform(
        self,
        actor: Actor,
        issuer_id: str,
        *,
        platform_issuer: str,
        client_id: str,
        deployment_ids: Sequence[str],
        auth_url: str,
        token_url: str,
        jwks_url: str,
    ) -> LtiPlatformRow:
        actor.require(issuer_id, "owner")
        deployments = sorted({d.strip() for d in deployment_ids if d.strip()})
        if not deployments or any(len(d) > 255 for d in deployments):
            raise ModelError(
                "a platform needs a deployment id",
                field="deploymentId",
                expected="1-255 characters",
            )
        client = client_id.strip()
        if not 1 <= len(client) <= 255:
            raise ModelError(
                "a platform needs its client id", field="clientId", expected="1-255 characters"
            )
        now = self.clock()
        row = LtiPlatformRow(
            id=str(uuid.uuid4()),
            issuer_id=issuer_id,
            platform_issuer=_url(platform_issuer, "platformIssuer")[:500],
            client_id=client,
            deployment_ids=deployments,
            auth_url=_url(auth_url, "authUrl"),
            token_url=_url(token_url, "tokenUrl"),
            jwks_url=_url(jwks_url, "jwksUrl"),
            created_at=now,
        )
        with transaction(self.sessions) as session:
            LtiRepository(session).add_platform(row)
            record_audit(
                session,
                actor.name,
                "lti.platform_added",
                row.platform_issuer,
                issuer_id=issuer_id,
                at=now,
                details={"platform": row.id, "clientId": client, "deployments": deployments},
            )
            self._tool_key(session)  # the tool's key exists before a platform asks for it
        return row

    def platforms(self, actor: Actor, issuer_id: str | None) -> list[LtiPlatformRow]:
        """An issuer's platforms (every issuer's for the operator, ``issuer_id`` None)."""
        if issuer_id is None and actor.issuer_id is not None:
            issuer_id = actor.issuer_id  # an issuer's actor sees its own only
        if issuer_id is not None:
            actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return LtiRepository(session).platforms(issuer_id)

    def remove_platform(self, actor: Actor, issuer_id: str, platform_id: str) -> None:
        actor.require(issuer_id, "owner")
        with transaction(self.sessions) as session:
            row = LtiRepository(session).remove_platform(issuer_id, platform_id)
            record_audit(
                session,
                actor.name,
                "lti.platform_removed",
                row.platform_issuer,
                issuer_id=issuer_id,
                at=self.clock(),
                details={"platform": platform_id},
            )

    # ---- the tool's keys ---------------------------------------------------------------------

    def _tool_key(self, session: Session) -> LtiToolKeyRow:
        repository = LtiRepository(session)
        keys = repository.tool_keys()
        if keys:
            return keys[-1]
        kid = uuid.uuid4().hex
        key = RSAKey.generate_key(
            2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True
        )
        row = LtiToolKeyRow(
            kid=kid,
            public_jwk=dict(key.as_dict(private=False)),
            sealed_private=self.sealer.seal(
                key.as_pem(private=True), bound_to=f"lti-tool-key:{kid}"
            ),
            created_at=self.clock(),
        )
        repository.add_tool_key(row)
        return row

    def jwks(self) -> dict[str, Any]:
        """The tool's public keys, as platforms fetch them."""
        with self.sessions() as session:
            keys = LtiRepository(session).tool_keys()
        if not keys:
            with transaction(self.sessions) as session:
                keys = [self._tool_key(session)]
        return {"keys": [row.public_jwk for row in keys]}

    def signing_key(self) -> RSAKey:
        """The tool's private key, opened (for Deep Linking responses and service tokens)."""
        with transaction(self.sessions) as session:
            row = self._tool_key(session)
        pem = self.sealer.open(row.sealed_private, bound_to=f"lti-tool-key:{row.kid}")
        return RSAKey.import_key(pem, parameters={"kid": row.kid, "alg": "RS256", "use": "sig"})

    # ---- login initiation --------------------------------------------------------------------

    def login(self, params: Mapping[str, str]) -> LoginRedirect:
        """Step 1 of the launch: where to send the browser (the platform's authorization
        endpoint), with a fresh state and nonce stored."""
        platform_issuer = params.get("iss", "")
        login_hint = params.get("login_hint", "")
        target = params.get("target_link_uri", "")
        if not platform_issuer or not login_hint or not target:
            missing = [n for n in ("iss", "login_hint", "target_link_uri") if not params.get(n)]
            raise LtiError(
                "an LTI login needs iss, login_hint and target_link_uri",
                expected="all three",
                found="missing " + ", ".join(missing),
            )
        with self.sessions() as session:
            candidates = LtiRepository(session).platforms_of(platform_issuer)
        client_id = params.get("client_id")
        if client_id:
            candidates = [p for p in candidates if p.client_id == client_id]
        if len(candidates) != 1:
            raise LtiError(
                "no registered platform for this login"
                if not candidates
                else "several registrations: the login must name its client_id",
                expected="a platform registered with microcred lti platforms add",
                found=short(f"{platform_issuer} {client_id or ''}".strip(), 120),
            )
        platform = candidates[0]
        deployment = params.get("lti_deployment_id")
        if deployment and deployment not in platform.deployment_ids:
            raise LtiError(
                "unknown deployment",
                expected=", ".join(platform.deployment_ids),
                found=short(deployment),
            )
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        with transaction(self.sessions) as session:
            LtiRepository(session).add_state(
                LtiStateRow(
                    state_hash=_digest(state),
                    platform_id=platform.id,
                    nonce=nonce,
                    target_link_uri=target[:2000],
                    created_at=now,
                    expires_at=now + STATE_LIFETIME,
                ),
                now,
            )
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": platform.client_id,
            "redirect_uri": self.urls.lti("launch"),
            "login_hint": login_hint,
            "state": state,
            "nonce": nonce,
        }
        if params.get("lti_message_hint"):
            query["lti_message_hint"] = params["lti_message_hint"]
        separator = "&" if "?" in platform.auth_url else "?"
        return LoginRedirect(f"{platform.auth_url}{separator}{urlencode(query)}", state)

    # ---- launch ------------------------------------------------------------------------------

    def platform(self, platform_id: str) -> LtiPlatformRow | None:
        with self.sessions() as session:
            return LtiRepository(session).platform(platform_id)

    def launch(
        self, id_token: str, state: str, *, cookie_state: str | None = None
    ) -> Launch | DeepLinking:
        """Validate the platform's ``id_token`` and record the launch; LtiError otherwise,
        with nothing recorded and nothing awarded."""
        if not id_token or not state:
            raise LtiError(
                "a launch needs id_token and state",
                expected="both form fields",
                found=("id_token" if not id_token else "state") + " missing",
            )
        if cookie_state is not None and cookie_state != state:
            raise LtiError(
                "the launch's state is not this browser's login", expected="the state set at login"
            )
        if len(id_token) > MAX_TOKEN:
            raise LtiError("id_token is too large", expected=f"at most {MAX_TOKEN} characters")
        # 1. The login state: taken in a transaction of its own, so it is spent whatever follows.
        now = self.clock()
        with transaction(self.sessions) as session:
            repository = LtiRepository(session)
            login = repository.take_state(_digest(state))
            platform = repository.platform(login.platform_id) if login else None
        if login is None or platform is None:
            raise LtiError("unknown or used login state", expected="the state of a login just made")
        if login.expires_at < now:
            raise LtiError(
                "the login has expired",
                expected=f"a launch within {STATE_LIFETIME.seconds // 60} minutes of the login",
            )
        # 2. The signature, by a key of the platform's JWKS.
        claims = self._verified_claims(id_token, platform)
        # 3. The claims (Security Framework 5.1.3, LTI Core 5.3).
        self._check_claims(claims, platform, login.nonce, now)
        message_type = claims.get(LTI + "message_type")
        if message_type == DEEP_LINKING_REQUEST:
            return self._deep_linking(claims, platform, login.nonce, now)
        resource_link = claims.get(LTI + "resource_link")
        if not isinstance(resource_link, dict) or not isinstance(resource_link.get("id"), str):
            raise LtiError(
                "a resource link launch needs its resource_link id",
                expected=f"{LTI}resource_link.id",
                found="none",
            )
        target = claims.get(LTI + "target_link_uri")
        if not isinstance(target, str) or not target:
            raise LtiError("the launch names no target_link_uri", expected=f"{LTI}target_link_uri")
        if not isinstance(claims.get(LTI + "roles"), list):
            raise LtiError("the launch has no roles claim", expected=f"{LTI}roles (an array)")
        custom = claims.get(LTI + "custom")
        activity = custom.get("activity_id") if isinstance(custom, dict) else None
        activity_id = activity if isinstance(activity, str) and activity else target
        context = claims.get(LTI + "context")
        email = claims.get("email")
        learner = normalize_email(email) if isinstance(email, str) and "@" in email else None
        name = claims.get("name")
        row = LtiLaunchRow(
            id=str(uuid.uuid4()),
            platform_id=platform.id,
            issuer_id=platform.issuer_id,
            subject=str(claims["sub"])[:255],
            email=learner,
            name=name[:300] if isinstance(name, str) else None,
            deployment_id=str(claims[LTI + "deployment_id"]),
            message_type=str(message_type),
            resource_link_id=resource_link["id"][:255],
            context_id=str(context.get("id"))[:255]
            if isinstance(context, dict) and context.get("id")
            else None,
            activity_id=activity_id[:2000],
            at=now,
        )
        exp = datetime.fromtimestamp(int(claims["exp"]), UTC)
        with transaction(self.sessions) as session:
            # The nonce once only, whatever state comes with it (a replay under a new login).
            if not LtiRepository(session).use_nonce(
                platform.id, _digest(login.nonce), max(exp, now) + CLOCK_SKEW, now
            ):
                raise LtiError("the id_token's nonce was used before", expected="a fresh launch")
            LtiRepository(session).add_launch(row)
            course = _context(claims, platform, now)
            if course is not None:
                LtiRepository(session).keep_context(course)
            line_item = _line_item(claims, platform, activity_id, now)
            if line_item is not None:
                LtiRepository(session).keep_line_item(line_item)
            event = LearningEvent(row.id, learner, activity_id, False, True, None, "lti")
            awards = self.lms.judge(session, platform.issuer_id, [event])
            record_audit(
                session,
                "lti",
                "lti.launched",
                activity_id,
                issuer_id=platform.issuer_id,
                at=now,
                details={
                    "launch": row.id,
                    "platform": platform.id,
                    "deployment": row.deployment_id,
                    "awards": awards,
                },
            )
        redirect = target if self.urls.is_ours(target) else self.urls.wallet()
        return Launch(row, awards, redirect)

    def _deep_linking(
        self, claims: Mapping[str, Any], platform: LtiPlatformRow, nonce: str, now: datetime
    ) -> DeepLinking:
        exp = datetime.fromtimestamp(int(claims["exp"]), UTC)
        names = self.achievement_names(platform.issuer_id)
        answer = deep_linking.request(self.sealer, claims, platform, now, names)
        with transaction(self.sessions) as session:
            if not LtiRepository(session).use_nonce(
                platform.id, _digest(nonce), max(exp, now) + CLOCK_SKEW, now
            ):
                raise LtiError("the id_token's nonce was used before", expected="a fresh launch")
            record_audit(
                session,
                "lti",
                "lti.deep_linking",
                platform.platform_issuer,
                issuer_id=platform.issuer_id,
                at=now,
                details={"platform": platform.id, "user": str(claims.get("sub"))[:255]},
            )
        return answer

    def _key_set(self, platform: LtiPlatformRow, kid: str | None) -> KeySet:
        """The platform's JWKS, cached; fetched again when it is old, or when the token names
        a key it lacks (a rotation), but not more often than JWKS_REFRESH_AFTER."""
        now = time.monotonic()
        with self._jwks_lock:
            cached = self._jwks.get(platform.jwks_url)
        if cached is not None:
            fetched_at, keys = cached
            fresh = now - fetched_at < JWKS_TTL
            known = kid is None or any(k.kid == kid for k in keys.keys)
            if fresh and (known or now - fetched_at < JWKS_REFRESH_AFTER):
                return keys
        try:
            document = json.loads(self.fetch_jwks(platform.jwks_url))
            keys = KeySet.import_key_set(document)
        except FetchError as exc:
            raise LtiError(
                "the platform's keys could not be fetched",
                expected=platform.jwks_url,
                found=exc.message,
            ) from exc
        except (ValueError, TypeError, KeyError, JoseError) as exc:
            raise LtiError(
                "the platform's JWKS is not a key set",
                expected='{"keys": [...]}',
                found=short(str(exc)),
            ) from exc
        with self._jwks_lock:
            self._jwks[platform.jwks_url] = (now, keys)
        return keys

    def _verified_claims(self, id_token: str, platform: LtiPlatformRow) -> dict[str, Any]:
        header = _header(id_token)
        if header.get("alg") != "RS256":
            raise LtiError(
                "the id_token is not signed with RS256",
                expected="alg RS256",
                found=short(str(header.get("alg"))),
            )
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        keys = self._key_set(platform, kid)
        try:
            token = jwt.decode(id_token, keys, algorithms=["RS256"])
        except (JoseError, ValueError) as exc:
            raise LtiError(
                "the id_token's signature does not verify with the platform's keys",
                expected=f"a key of {platform.jwks_url}",
                found=short(type(exc).__name__),
            ) from exc
        return dict(token.claims)

    @staticmethod
    def _check_claims(
        claims: Mapping[str, Any], platform: LtiPlatformRow, nonce: str, now: datetime
    ) -> None:
        if claims.get("iss") != platform.platform_issuer:
            raise LtiError(
                "the id_token is from another platform",
                expected=platform.platform_issuer,
                found=short(str(claims.get("iss"))),
            )
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if platform.client_id not in audiences:
            raise LtiError(
                "the id_token is for another tool",
                expected=f"aud {platform.client_id}",
                found=short(str(audience)),
            )
        azp = claims.get("azp")
        if (len(audiences) > 1 or azp is not None) and azp != platform.client_id:
            raise LtiError(
                "the id_token's azp is not this tool",
                expected=f"azp {platform.client_id}",
                found=short(str(azp)),
            )
        for name in ("exp", "iat"):
            if isinstance(claims.get(name), bool) or not isinstance(claims.get(name), int | float):
                raise LtiError(
                    f"the id_token has no {name}", expected=f"{name} (seconds since 1970)"
                )
        if datetime.fromtimestamp(claims["exp"], UTC) <= now:
            raise LtiError(
                "the id_token has expired",
                expected="exp in the future",
                found=datetime.fromtimestamp(claims["exp"], UTC).isoformat(),
            )
        if datetime.fromtimestamp(claims["iat"], UTC) > now + CLOCK_SKEW:
            raise LtiError(
                "the id_token was issued in the future",
                found=datetime.fromtimestamp(claims["iat"], UTC).isoformat(),
            )
        if not isinstance(claims.get("nonce"), str) or claims["nonce"] != nonce:
            raise LtiError(
                "the id_token's nonce is not this login's", expected="the nonce sent at login"
            )
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise LtiError("the launch names no user (sub)", expected="a sub claim")
        deployment = claims.get(LTI + "deployment_id")
        if deployment not in platform.deployment_ids:
            raise LtiError(
                "unknown deployment",
                expected=", ".join(platform.deployment_ids),
                found=short(str(deployment)),
            )
        if claims.get(LTI + "version") != LTI_VERSION:
            raise LtiError(
                "unsupported LTI version",
                expected=LTI_VERSION,
                found=short(str(claims.get(LTI + "version"))),
            )
        message_type = claims.get(LTI + "message_type")
        if message_type not in (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST):
            raise LtiError(
                "unsupported LTI message type",
                expected=f"{RESOURCE_LINK_REQUEST} or {DEEP_LINKING_REQUEST}",
                found=short(str(message_type)),
            )


def _context(
    claims: Mapping[str, Any], platform: LtiPlatformRow, now: datetime
) -> LtiContextRow | None:
    """The launch's course, with its NRPS memberships URL if the platform offered one."""
    context = claims.get(LTI + "context")
    if not isinstance(context, dict) or not isinstance(context.get("id"), str):
        return None
    service = claims.get(NRPS_CLAIM)
    url = service.get("context_memberships_url") if isinstance(service, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or len(url) > 2000:
        url = None
    title = context.get("title")
    return LtiContextRow(
        id=str(uuid.uuid4()),
        platform_id=platform.id,
        issuer_id=platform.issuer_id,
        context_id=context["id"][:255],
        title=title[:300] if isinstance(title, str) else None,
        memberships_url=url,
        updated_at=now,
    )


def _line_item(
    claims: Mapping[str, Any], platform: LtiPlatformRow, activity_id: str, now: datetime
) -> LtiLineItemRow | None:
    """The AGS line item a launch names, when the tool may read its results."""
    endpoint = claims.get(AGS_ENDPOINT)
    if not isinstance(endpoint, dict):
        return None
    url, scopes = endpoint.get("lineitem"), endpoint.get("scope")
    if not isinstance(url, str) or not isinstance(scopes, list) or AGS_RESULTS_SCOPE not in scopes:
        return None
    if urlsplit(url).scheme not in ("http", "https") or len(url) > 2000:
        return None
    return LtiLineItemRow(
        id=str(uuid.uuid4()),
        platform_id=platform.id,
        issuer_id=platform.issuer_id,
        url=url,
        url_hash=_digest(url),
        activity_id=activity_id[:2000],
        created_at=now,
    )


def _header(token: str) -> dict[str, Any]:
    try:
        segment = token.split(".", 1)[0]
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise LtiError("the id_token is not a JWT", expected="header.payload.signature") from exc
    if not isinstance(value, dict):
        raise LtiError("the id_token is not a JWT", expected="a JSON object header")
    return value


__all__ = ["Launch", "LoginRedirect", "LtiService"]
