"""LTI Deep Linking 2.0: an instructor places one of the issuer's achievements in a course.

The platform launches the tool with an ``LtiDeepLinkingRequest`` (checked like any launch:
signature, issuer, audience, nonce, deployment, version). An instructor's request (the
Instructor, Administrator or ContentDeveloper role) gets a choice of the issuer's achievements,
carried by a *ticket*: the request's return URL, ``data`` and deployment, sealed with the
master secret and valid for 30 minutes, so nothing is stored until the choice is made. The
choice makes an award rule for a new activity (``urn:uuid:...``): "launched" (opening the
placed link earns it) or "score" (a gradebook result of at least the minimum, read by AGS),
and answers the platform with an ``LtiDeepLinkingResponse`` signed by the tool's key: one
``ltiResourceLink`` to ``/lti/launch`` whose custom ``activity_id`` names that activity (and a
line item when a score is wanted).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from microcred.accounts.actor import Actor
from microcred.errors import LtiError, ModelError, SealingError
from microcred.lms.rules import RuleSpec

if TYPE_CHECKING:
    from microcred.achievements.repository import AchievementName
    from microcred.crypto.sealing import Sealer
    from microcred.lms.service import LmsService
    from microcred.store.tables import LtiPlatformRow
    from microcred.urls import PublicUrls

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
PLACING_ROLES = ("#Instructor", "#Administrator", "#ContentDeveloper")
TICKET_LIFETIME = timedelta(minutes=30)
_BOUND = "lti-deep-linking-ticket"


@dataclass(frozen=True)
class DeepLinking:
    """A deep linking request accepted: the achievements to choose from and the ticket."""

    ticket: str
    issuer_id: str
    achievements: tuple[AchievementName, ...]


@dataclass(frozen=True)
class DeepLinkingAnswer:
    return_url: str
    jwt: str
    rule_id: str


def request(
    sealer: Sealer,
    claims: Mapping[str, Any],
    platform: LtiPlatformRow,
    now: datetime,
    achievements: tuple[AchievementName, ...],
) -> DeepLinking:
    """The ticket for an instructor's deep linking request (claims already checked)."""
    roles = claims.get(LTI + "roles")
    if not isinstance(roles, list) or not any(
        isinstance(r, str) and r.endswith(PLACING_ROLES) for r in roles
    ):
        raise LtiError(
            "only instructors place achievements",
            expected="an Instructor role",
            found=", ".join(str(r) for r in roles or [])[:120] or "no role",
        )
    settings = claims.get(DL + "deep_linking_settings")
    if not isinstance(settings, dict):
        raise LtiError(
            "a deep linking request needs its settings", expected=f"{DL}deep_linking_settings"
        )
    return_url = settings.get("deep_link_return_url")
    if not isinstance(return_url, str) or urlsplit(return_url).scheme not in ("http", "https"):
        raise LtiError(
            "the deep linking settings name no return URL", expected="deep_link_return_url"
        )
    accepted = settings.get("accept_types")
    if not isinstance(accepted, list) or "ltiResourceLink" not in accepted:
        raise LtiError(
            "the platform does not accept resource links here",
            expected="accept_types with ltiResourceLink",
            found=str(accepted)[:80],
        )
    ticket = {
        "platform": platform.id,
        "issuer": platform.issuer_id,
        "deployment": claims[LTI + "deployment_id"],
        "return": return_url,
        "data": settings.get("data") if isinstance(settings.get("data"), str) else None,
        "until": (now + TICKET_LIFETIME).timestamp(),
    }
    sealed = sealer.seal(json.dumps(ticket).encode(), bound_to=_BOUND)
    return DeepLinking(base64.urlsafe_b64encode(sealed).decode(), platform.issuer_id, achievements)


class DeepLinkingService:
    def __init__(
        self,
        *,
        sealer: Sealer,
        urls: PublicUrls,
        lms: LmsService,
        platform: Callable[[str], LtiPlatformRow | None],
        signing_key: Callable[[], RSAKey],
    ) -> None:
        """``platform`` finds a registered platform; ``signing_key`` opens the tool's key."""
        self.sealer = sealer
        self.urls = urls
        self.lms = lms
        self.platform = platform
        self.signing_key = signing_key

    def open_ticket(self, ticket: str, now: datetime) -> dict[str, Any]:
        try:
            sealed = base64.urlsafe_b64decode(ticket.encode())
            value = json.loads(self.sealer.open(sealed, bound_to=_BOUND))
        except (ValueError, SealingError) as exc:
            raise LtiError(
                "not a deep linking ticket of this tool", expected="the form the launch showed"
            ) from exc
        if not isinstance(value, dict) or float(value.get("until", 0)) < now.timestamp():
            raise LtiError(
                "the deep linking choice has expired",
                expected=f"a choice within {TICKET_LIFETIME.seconds // 60} minutes",
            )
        return value

    def respond(
        self, ticket: str, achievement_id: str, min_score: float | None, now: datetime
    ) -> DeepLinkingAnswer:
        """Make the rule and the signed answer for the platform."""
        value = self.open_ticket(ticket, now)
        platform = self.platform(value["platform"])
        if platform is None:
            raise LtiError("the platform is no longer registered")
        activity = f"urn:uuid:{uuid.uuid4()}"
        spec = (
            RuleSpec("score", (activity,), min_score)
            if min_score is not None
            else RuleSpec("launched", (activity,))
        )
        actor = Actor(issuer_id=platform.issuer_id, name="lti-deep-linking", role="issuer")
        try:
            rule = self.lms.add_rule(
                actor, platform.issuer_id, achievement_id=achievement_id, spec=spec
            )
        except ModelError as exc:
            raise LtiError(exc.message, expected=exc.expected, found=exc.found) from exc
        title = rule.name.split(":", 1)[0][:200]
        item: dict[str, Any] = {
            "type": "ltiResourceLink",
            "title": title,
            "url": self.urls.lti("launch"),
            "custom": {"activity_id": activity},
        }
        if min_score is not None:
            item["lineItem"] = {"scoreMaximum": 1, "label": title, "resourceId": activity}
        key = self.signing_key()
        issued = int(time.time())
        claims: dict[str, Any] = {
            "iss": platform.client_id,
            "aud": platform.platform_issuer,
            "iat": issued,
            "exp": issued + 600,
            "nonce": secrets.token_urlsafe(16),
            LTI + "deployment_id": value["deployment"],
            LTI + "message_type": "LtiDeepLinkingResponse",
            LTI + "version": "1.3.0",
            DL + "content_items": [item],
        }
        if value.get("data"):
            claims[DL + "data"] = value["data"]
        token = jwt.encode({"alg": "RS256", "kid": key.kid or "", "typ": "JWT"}, claims, key)
        return DeepLinkingAnswer(value["return"], token, rule.id)


__all__ = [
    "DEEP_LINKING_REQUEST",
    "DeepLinking",
    "DeepLinkingAnswer",
    "DeepLinkingService",
    "request",
]
