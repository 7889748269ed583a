"""Assignment and Grade Services 2.0: the results of the line items launches named, read on
a schedule and judged by the award rules as scores.

For each platform the tool asks a service token (OAuth 2.0 client credentials with a JWT
client assertion signed by the tool's key, RFC 7523, as the LTI Security Framework 4.1 says),
then reads ``{lineitem}/results``. A result's ``userId`` is the platform's ``sub``: it counts for
the e-mail address that user last launched with (a user who never launched earns nothing).
Its score is ``resultScore / resultMaximum``; the event id is derived from the line item, the
user and the score, so reading the same results again judges nothing new. Every address goes
through the guarded client (token URL and line items alike).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from joserfc import jwt

from microcred.errors import FetchError, LtiError, short
from microcred.lms.lti.repository import LtiRepository
from microcred.lms.xapi import LearningEvent
from microcred.store.db import transaction
from microcred.store.tables import LtiLineItemRow, LtiPlatformRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.lms.lti.service import LtiService
    from microcred.lms.service import LmsService

log = logging.getLogger(__name__)

AGS_PULL_JOB = "lti.ags_pull"
AGS_PULL_MINUTES = 15
RESULT_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly "
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
)
RESULTS_MEDIA = "application/vnd.ims.lis.v2.resultcontainer+json"
PULL_LIMIT = 200

Getter = Callable[[str, str, str], bytes]  # url, accept, authorization -> body
FormPoster = Callable[[str, dict[str, str]], tuple[int, bytes]]


def results_url(line_item: str) -> str:
    """``{lineitem}/results``, the query string kept after the path (AGS 2.0, 3.2.8)."""
    parts = urlsplit(line_item)
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path.rstrip("/") + "/results", parts.query, "")
    )


class AgsService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        lti: LtiService,
        lms: LmsService,
        get: Getter,
        post_form: FormPoster,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.lti = lti
        self.lms = lms
        self.get = get
        self.post_form = post_form
        self._tokens: dict[str, tuple[float, str]] = {}

    def token(self, platform: LtiPlatformRow, scope: str = RESULT_SCOPES) -> str:
        """A service token of the platform for ``scope``, kept until shortly before it
        expires (AGS and NRPS alike)."""
        cached = self._tokens.get(f"{platform.id} {scope}")
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        key = self.lti.signing_key()
        now = int(time.time())
        assertion = jwt.encode(
            {"alg": "RS256", "kid": key.kid or "", "typ": "JWT"},
            {
                "iss": platform.client_id,
                "sub": platform.client_id,
                "aud": platform.token_url,
                "iat": now,
                "exp": now + 300,
                "jti": uuid.uuid4().hex,
            },
            key,
        )
        status, body = self.post_form(
            platform.token_url,
            {
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
                "scope": scope,
            },
        )
        try:
            answer = json.loads(body)
            access = answer["access_token"]
            lifetime = float(answer.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            raise LtiError(
                "the platform gave no service token",
                expected="HTTP 200 with access_token",
                found=f"HTTP {status}: {short(body.decode('utf-8', 'replace'), 120)}",
            ) from exc
        if status != 200 or not isinstance(access, str):
            raise LtiError("the platform refused a service token", found=f"HTTP {status}")
        self._tokens[f"{platform.id} {scope}"] = (
            time.monotonic() + max(0.0, lifetime - 60),
            access,
        )
        return access

    def pull(self) -> int:
        """Read the results of the line items read longest ago; returns the awards made."""
        with self.sessions() as session:
            repository = LtiRepository(session)
            items = repository.line_items(limit=PULL_LIMIT)
            platforms = {p.id: p for p in repository.platforms()}
        awards = 0
        for item in items:
            platform = platforms.get(item.platform_id)
            if platform is None:
                continue
            try:
                awards += self.pull_one(platform, item)
            except (LtiError, FetchError) as exc:  # one platform down must not stop the rest
                log.warning("AGS results of %s not read: %s", item.url, exc)
        return awards

    def pull_one(self, platform: LtiPlatformRow, item: LtiLineItemRow) -> int:
        token = self.token(platform)
        body = self.get(results_url(item.url), RESULTS_MEDIA, f"Bearer {token}")
        try:
            results = json.loads(body)
        except ValueError as exc:
            raise LtiError("the platform's results are not JSON", found=short(body[:80])) from exc
        if not isinstance(results, list):
            raise LtiError("the platform's results are not a list", found=type(results).__name__)
        scores: list[tuple[str, float, str]] = []
        for result in results:
            parsed = _score(result)
            if parsed is not None:
                user, score = parsed
                event = uuid.uuid5(uuid.NAMESPACE_URL, f"{item.url}|{user}|{score!r}")
                scores.append((user, score, str(event)))
        now = self.clock()
        with transaction(self.sessions) as session:
            repository = LtiRepository(session)
            learners = repository.learners_of(platform.id, [user for user, _, _ in scores])
            events = [
                LearningEvent(
                    event_id, learners[user], item.activity_id, False, False, score, "lti-ags"
                )
                for user, score, event_id in scores
                if user in learners
            ]
            made = self.lms.judge(session, platform.issuer_id, events)
            repository.mark_pulled(item.id, now)
        return len(made)


def _score(result: Any) -> tuple[str, float] | None:
    """A result's user and its scaled score; None for a result without a usable score."""
    if not isinstance(result, dict):
        return None
    user, score = result.get("userId"), result.get("resultScore")
    maximum = result.get("resultMaximum", 1)
    if not isinstance(user, str):
        return None
    if not isinstance(score, int | float) or not isinstance(maximum, int | float):
        return None
    if isinstance(score, bool) or isinstance(maximum, bool) or maximum <= 0:
        return None
    return user, max(-1.0, min(1.0, float(score) / float(maximum)))


__all__ = ["AGS_PULL_JOB", "AGS_PULL_MINUTES", "AgsService", "results_url"]
