"""Names and Role Provisioning Services 2.0: a course's roster, for awarding one achievement
to its learners at once.

The memberships URL comes from a launch in the course (the NRPS claim); the roster is read
with a service token (the same client-credentials grant as AGS) through the guarded client.
Active members with the Learner role and an e-mail address are issued the achievement, each
with an idempotency key made from the platform, course, user and achievement, so awarding the
same course again issues only to members who were not there before. Members without an
address are counted, not awarded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from microcred.accounts.actor import Actor
from microcred.errors import FetchError, LtiError, short
from microcred.issuing.issuance import IssuanceService, IssueRequest
from microcred.lms.lti.repository import LtiRepository
from microcred.model import normalize_email

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.lms.lti.ags import AgsService

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIPS_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
LEARNER_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
    "Learner",
)

Getter = Callable[[str, str, str], bytes]


@dataclass(frozen=True)
class RosterAward:
    members: int
    issued: int
    already: int
    without_address: int


class RosterService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        tokens: AgsService,
        issuance: IssuanceService,
        get: Getter,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.tokens = tokens
        self.issuance = issuance
        self.get = get

    def award(
        self,
        actor: Actor,
        issuer_id: str,
        *,
        platform_id: str,
        context_id: str,
        achievement_id: str,
    ) -> RosterAward:
        """Issue ``achievement_id`` to every active learner of the course with an address."""
        actor.require(issuer_id, "issuer")
        with self.sessions() as session:
            repository = LtiRepository(session)
            course = repository.context(issuer_id, platform_id, context_id)
            platform = repository.platform(platform_id)
        if platform is None or course.memberships_url is None:
            raise LtiError(
                "the platform offered no roster for this course",
                expected="a launch with the NRPS claim",
                found=context_id,
            )
        token = self.tokens.token(platform, NRPS_SCOPE)
        try:
            body = self.get(course.memberships_url, MEMBERSHIPS_MEDIA, f"Bearer {token}")
            members = json.loads(body).get("members")
        except FetchError as exc:
            raise LtiError("the course's roster could not be read", found=exc.message) from exc
        except (ValueError, AttributeError) as exc:
            raise LtiError("the course's roster is not a membership container") from exc
        if not isinstance(members, list):
            raise LtiError("the course's roster has no members list", found=short(str(members)))
        learners = [m for m in members if _active_learner(m)]
        requests = []
        for member in learners:
            email = member.get("email")
            if isinstance(email, str) and "@" in email:
                requests.append(
                    IssueRequest(
                        achievement_id=achievement_id,
                        email=normalize_email(email),
                        name=member["name"] if isinstance(member.get("name"), str) else None,
                        idempotency_key=_key(
                            platform_id, context_id, member["user_id"], achievement_id
                        ),
                        evidence=(
                            {
                                "type": ["Evidence"],
                                "name": "LTI course roster",
                                "narrative": f"Member of the course '{course.title or context_id}'"
                                f" ({context_id}) on {platform.platform_issuer}.",
                                "genre": "LTI roster",
                            },
                        ),
                    )
                )
        issued = self.issuance.issue_reporting(actor, issuer_id, requests) if requests else []
        fresh = sum(1 for _row, created in issued if created)
        return RosterAward(len(learners), fresh, len(issued) - fresh, len(learners) - len(requests))


def _active_learner(member: Any) -> bool:
    if not isinstance(member, dict) or not isinstance(member.get("user_id"), str):
        return False
    roles = member.get("roles")
    status = member.get("status", "Active")
    return status == "Active" and isinstance(roles, list) and any(r in LEARNER_ROLES for r in roles)


def _key(platform_id: str, context_id: str, user_id: str, achievement_id: str) -> str:
    digest = hashlib.sha256(f"{platform_id}|{context_id}|{user_id}".encode()).hexdigest()[:32]
    return f"lti-roster:{achievement_id}:{digest}"


__all__ = ["RosterAward", "RosterService"]
