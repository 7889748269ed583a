"""Issuing credentials: one request or many, idempotent, each signed and stored as signed.

The flow for a group of requests (one API call, or one chunk of a bulk batch):

1. In a short write transaction: skip requests whose idempotency key was already issued, and
   allocate a random status index for each new one.
2. Outside any transaction: build each credential from the achievement as it is now, and sign
   it (CPU work that must not hold the database lock).
3. In one write transaction: store the credentials, their audit events and whatever the hooks
   add (transparency-log entries, pending notifications). If another worker stored the same
   idempotency key first, its credential is returned and ours is dropped.

An index allocated in step 1 whose credential never lands stays unused; a list bit that
nobody points at is harmless and even adds to the herd.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import MAXYEAR, UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.actor import Actor
from microcred.achievements.repository import AchievementRepository
from microcred.achievements.service import AchievementService
from microcred.audit.repository import AuditRepository
from microcred.crypto.numbers import check_round_trip
from microcred.crypto.proofs import CRYPTOSUITES
from microcred.crypto.statuslist import status_entry
from microcred.errors import InputError, short
from microcred.issuers.repository import IssuerRepository
from microcred.issuers.service import IssuerService
from microcred.issuing.repository import CredentialConflictError, CredentialRepository
from microcred.model import (
    hashed_email_identity,
    normalize_email,
    parse_achievement,
    parse_credential,
    parse_profile,
)
from microcred.model.template import CredentialTemplate
from microcred.signing import sign_credential
from microcred.status.allocation import allocate_indices
from microcred.store.db import transaction
from microcred.store.tables import AchievementRow, CredentialRow
from microcred.types import JsonObject
from microcred.urls import PublicUrls

# No white space and none of the characters that delimit addresses in a header (RFC 5322
# "specials" other than "."): "a,b@x.yz" or "a>b@x.yz" would name two recipients, or another.
_ADDRESS_CHARACTER = r"[^\s@()<>\[\]:;\\,\"]"
EMAIL = re.compile(rf"^{_ADDRESS_CHARACTER}{{1,64}}@{_ADDRESS_CHARACTER}+\.{_ADDRESS_CHARACTER}+$")
DID = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$")


@dataclass(frozen=True)
class IssueRequest:
    """One credential to issue. At least one of ``email`` and ``did`` names the recipient.

    ``idempotency_key`` makes retries safe: a second request with the same key returns the
    credential the first one issued. Without one, every request issues a new credential.
    """

    achievement_id: str
    email: str | None = None
    did: str | None = None
    name: str | None = None
    idempotency_key: str | None = None
    valid_from: datetime | None = None
    batch_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    evidence: tuple[JsonObject, ...] = ()
    """OB 3.0 Evidence objects the credential carries (a micro-degree's part credentials)."""
    achievement_extra: JsonObject | None = None
    """Fields laid over the achievement for this credential only (a micro-degree's credits,
    EQF level and learning outcomes, derived from the parts this learner earned)."""
    narrative: str | None = None
    """What this recipient did (the subject's ``narrative``), in the issuer's words."""
    grade: str | None = None
    """This recipient's grade or score (a ``Result`` with this ``value``)."""
    evidence_url: str | None = None
    """A page showing this recipient's work (an ``Evidence`` with this ``id``)."""

    def checked(self) -> IssueRequest:
        """This request with its recipient normalised, or an InputError naming the problem."""
        if not self.email and not self.did:
            raise InputError(
                "a recipient needs an e-mail address or a DID", expected="email and/or did"
            )
        email = None
        if self.email:
            if len(self.email) > 320 or not EMAIL.match(self.email.strip()):
                raise InputError(
                    "recipient e-mail is not an address",
                    expected="name@domain.tld",
                    found=short(self.email),
                )
            email = normalize_email(self.email)
        if self.did and (len(self.did) > 2000 or not DID.match(self.did)):
            raise InputError(
                "recipient DID is not a DID",
                expected="did:method:identifier",
                found=short(self.did),
            )
        name = self.name.strip() if self.name else None
        if name and len(name) > 300:
            raise InputError("recipient name is too long", expected="at most 300 characters")
        if self.idempotency_key is not None and not 1 <= len(self.idempotency_key) <= 200:
            raise InputError(
                "idempotency key must be 1-200 characters", found=short(self.idempotency_key)
            )
        valid_from = self.valid_from
        if valid_from is not None:
            if valid_from.tzinfo is None:
                raise InputError("validFrom must carry a time zone", found=valid_from.isoformat())
            try:
                valid_from = valid_from.astimezone(UTC)
            except OverflowError:
                raise InputError(
                    "validFrom is past year 9999 (or before year 1) in UTC",
                    expected="a date-time between years 1 and 9999 in UTC",
                    found=valid_from.isoformat(),
                ) from None
        narrative = _optional_text(self.narrative, "narrative", MAX_NARRATIVE)
        grade = _optional_text(self.grade, "grade", MAX_GRADE)
        evidence_url = _optional_text(self.evidence_url, "evidence address", 2000)
        if evidence_url and not HTTP_URL.match(evidence_url):
            raise InputError(
                "the evidence address is not a web address",
                expected="https://...",
                found=short(evidence_url),
            )
        return IssueRequest(
            achievement_id=self.achievement_id,
            email=email,
            did=self.did,
            name=name or None,
            idempotency_key=self.idempotency_key,
            valid_from=valid_from,
            batch_id=self.batch_id,
            extra=self.extra,
            evidence=self.evidence,
            achievement_extra=self.achievement_extra,
            narrative=narrative,
            grade=grade,
            evidence_url=evidence_url,
        )

    def recipient_fields(self) -> tuple[JsonObject, tuple[JsonObject, ...]]:
        """What this request adds to the subject (narrative, result) and to the evidence."""
        subject: JsonObject = {}
        if self.narrative:
            subject["narrative"] = self.narrative
        if self.grade:
            subject["result"] = [{"type": ["Result"], "value": self.grade}]
        evidence = self.evidence
        if self.evidence_url:
            evidence = (*evidence, {"id": self.evidence_url, "type": ["Evidence"]})
        return subject, evidence


class IssuanceHook(Protocol):
    """Work that must land with the credentials (log entries, pending e-mails), and after."""

    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None: ...

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None: ...


MAX_NARRATIVE = 5000
MAX_GRADE = 100
HTTP_URL = re.compile(r"https?://[^\s]+\Z")


def _optional_text(value: str | None, what: str, limit: int) -> str | None:
    """A recipient's optional text, stripped; an InputError when it is too long."""
    text = value.strip() if value else ""
    if len(text) > limit:
        raise InputError(f"the {what} is too long", expected=f"at most {limit} characters")
    return text or None


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb).

    An :class:`InputError` past year 9999 (a validFrom near the end of time, issue 20)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    if year > MAXYEAR:
        raise InputError(
            f"validFrom plus the achievement's {months}-month validity is past year {MAXYEAR}",
            expected=f"a validFrom at least {months} months before the end of year {MAXYEAR}",
            found=moment.isoformat(),
        )
    days = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return moment.replace(year=year, month=month, day=min(moment.day, days))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class IssuanceService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        issuers: IssuerService,
        achievements: AchievementService,
        urls: PublicUrls,
        clock: Callable[[], datetime],
        status_list_length: int = 131_072,
        suite: str = "eddsa-rdfc-2022",
        hooks: Sequence[IssuanceHook] = (),
    ) -> None:
        if suite not in CRYPTOSUITES:
            raise InputError(
                "unsupported issuing suite", expected=" | ".join(CRYPTOSUITES), found=suite
            )
        self.sessions = sessions
        self.issuers = issuers
        self.achievements = achievements
        self.clock = clock
        self.status_list_length = status_list_length
        self.suite = suite
        self.hooks = list(hooks)
        self.urls = urls

    def issue(
        self, actor: Actor, issuer_id: str, requests: Sequence[IssueRequest]
    ) -> list[CredentialRow]:
        """Issue every request; returns one credential per request, in order."""
        return [row for row, _created in self.issue_reporting(actor, issuer_id, requests)]

    def issue_reporting(
        self, actor: Actor, issuer_id: str, requests: Sequence[IssueRequest]
    ) -> list[tuple[CredentialRow, bool]]:
        """Like :meth:`issue`, with whether each credential was new (False: an earlier call
        with the same idempotency key issued it)."""
        actor.require(issuer_id, "issuer")
        checked = [r.checked() for r in requests]
        now = self.clock().replace(microsecond=0)

        # 1. Which requests are new, and a status index for each of them.
        with transaction(self.sessions) as session:
            issuer = IssuerRepository(session).require(issuer_id)
            keys = [r.idempotency_key for r in checked if r.idempotency_key]
            existing = CredentialRepository(session).by_idempotency_keys(issuer_id, keys)
            fresh = _dedupe([r for r in checked if r.idempotency_key not in existing])
            achievements = self._achievements(session, issuer_id, fresh)
            # Each validUntil can be computed (refused before any index is taken, not after).
            for request in fresh:
                months = achievements[request.achievement_id].validity_months
                if months:
                    add_months(request.valid_from or now, months)
            indices = allocate_indices(
                session, issuer_id, len(fresh), length=self.status_list_length, now=now
            )
            key_file = self.issuers.signing_key(session, issuer_id)
        profile = parse_profile(self.issuers.profile(issuer))
        models = {k: self.achievements.to_model(row) for k, row in achievements.items()}

        # 2. Build and sign, outside the transaction. A template per achievement validates the
        # issuer and achievement once and fills in each recipient (see model/template.py).
        templates = {
            key: CredentialTemplate(issuer=profile, achievement=model)
            for key, model in models.items()
        }
        rows: list[CredentialRow] = []
        numbers_checked: set[str] = set()
        for request, (seq, index) in zip(fresh, indices, strict=True):
            achievement = achievements[request.achievement_id]
            credential_id = str(uuid.uuid4())
            valid_from = request.valid_from or now
            valid_until = (
                add_months(valid_from, achievement.validity_months)
                if achievement.validity_months
                else None
            )
            template = templates[achievement.id]
            if request.achievement_extra:
                # Checked by the model like any achievement (a ModelError names the field).
                template = CredentialTemplate(
                    issuer=profile,
                    achievement=parse_achievement(
                        {**models[achievement.id].to_json(), **request.achievement_extra}
                    ),
                )
            document = template.build(
                id=self.urls.credential(credential_id),
                valid_from=valid_from,
                valid_until=valid_until,
                did=request.did,
                identity=hashed_email_identity(request.email) if request.email else None,
                name=request.name,
            )
            document["credentialStatus"] = [
                status_entry(
                    list_url=self.urls.status_list(issuer.slug, purpose, seq),
                    index=index,
                    purpose=purpose,
                )
                for purpose in ("revocation", "suspension")
            ]
            if achievement.id not in numbers_checked:
                # Numbers come from the issuer and the achievement only (what a recipient adds
                # is text), so the first credential of each achievement speaks for the rest.
                check_round_trip(document)
                numbers_checked.add(achievement.id)
            subject_fields, evidence = request.recipient_fields()
            if subject_fields:
                document["credentialSubject"] = {**document["credentialSubject"], **subject_fields}
            if evidence:
                document["evidence"] = [dict(item) for item in evidence]
            if subject_fields or evidence:
                parse_credential(document)  # checked as the model reads it
            signed = sign_credential(document, key_file, suite=self.suite, created=now)
            assert isinstance(signed, dict)
            rows.append(
                CredentialRow(
                    id=credential_id,
                    issuer_id=issuer_id,
                    achievement_id=achievement.id,
                    achievement_version=achievement.version,
                    batch_id=request.batch_id,
                    idempotency_key=request.idempotency_key or f"urn:uuid:{credential_id}",
                    recipient_name=request.name,
                    recipient_email=request.email,
                    recipient_did=request.did,
                    state="active",
                    status_list_seq=seq,
                    status_index=index,
                    issued_at=now,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    suite=self.suite,
                    document=signed,
                )
            )

        # 3. Store, with audit events and hook work, in one transaction.
        stored = self._store(actor, issuer_id, rows, now)
        inserted = [row for row, mine in zip(stored, rows, strict=True) if row is mine]
        for hook in self.hooks:
            hook.after_commit(inserted)  # not the rows another worker stored first
        by_key = {**existing, **{row.idempotency_key: row for row in stored}}
        created = {id(row) for row in rows}
        keyless = iter(
            row for request, row in zip(fresh, stored, strict=True) if not request.idempotency_key
        )
        result = []
        for request in checked:
            row = by_key[request.idempotency_key] if request.idempotency_key else next(keyless)
            result.append((row, id(row) in created))
            created.discard(id(row))  # a key repeated within the call is new only once
        return result

    def _store(
        self, actor: Actor, issuer_id: str, rows: list[CredentialRow], now: datetime
    ) -> list[CredentialRow]:
        if not rows:
            return []
        try:
            with transaction(self.sessions) as session:
                self._insert(session, actor, issuer_id, rows, now)
            return rows
        except CredentialConflictError:
            pass
        # Another worker issued some of the same idempotency keys meanwhile: keep theirs.
        with transaction(self.sessions) as session:
            existing = CredentialRepository(session).by_idempotency_keys(
                issuer_id, [r.idempotency_key for r in rows]
            )
            new = [r for r in rows if r.idempotency_key not in existing]
            self._insert(session, actor, issuer_id, new, now)
        return [existing.get(r.idempotency_key, r) for r in rows]

    def _insert(
        self,
        session: Session,
        actor: Actor,
        issuer_id: str,
        rows: list[CredentialRow],
        now: datetime,
    ) -> None:
        if not rows:
            return
        # A few statements for the whole chunk (Core executemany, see insert_signed).
        CredentialRepository(session).insert_signed(rows)
        AuditRepository(session).record_many(
            [
                {
                    "issuer_id": issuer_id,
                    "actor": actor.name,
                    "action": "credential.issued",
                    "subject": self.urls.credential(row.id),
                    "details": {"achievement": row.achievement_id, "batch": row.batch_id},
                    "at": now,
                }
                for row in rows
            ],
        )
        for hook in self.hooks:
            hook.in_transaction(session, rows)

    def _achievements(
        self, session: Session, issuer_id: str, requests: Sequence[IssueRequest]
    ) -> dict[str, AchievementRow]:
        found: dict[str, AchievementRow] = {}
        repository = AchievementRepository(session)
        for achievement_id in {r.achievement_id for r in requests}:
            row = repository.require(issuer_id, achievement_id)
            if row.archived:
                raise InputError("achievement is archived", found=short(achievement_id))
            found[achievement_id] = row
        return found


def _dedupe(requests: list[IssueRequest]) -> list[IssueRequest]:
    """Within one call, a repeated idempotency key issues once."""
    seen: set[str] = set()
    result = []
    for request in requests:
        if request.idempotency_key:
            if request.idempotency_key in seen:
                continue
            seen.add(request.idempotency_key)
        result.append(request)
    return result


__all__ = ["IssuanceHook", "IssuanceService", "IssueRequest", "add_months"]
