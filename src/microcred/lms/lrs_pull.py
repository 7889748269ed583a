"""Statements pulled from an existing LRS on a schedule, judged like those POSTed to us.

Per source the job asks ``GET {endpoint}/statements?since=<cursor>&ascending=true`` with the
source's ``X-Experience-API-Version`` and Basic credentials (sealed at rest, bound to the
source), and follows the answer's ``more`` links, at most ``MAX_PAGES`` pages a run, each
through the guarded client (public addresses only, unless the configured networks open more).
Each page is stored in one transaction with the cursor (the LRS's ``stored`` time of its
last statement), so a crash between pages pulls the unfinished page again, and a statement id
stored before is skipped: nothing is awarded twice. A statement that fails validation is
refused alone, its reason logged and audited, while the rest of its page lands.

The pull asks for attachments (``attachments=true``), so a signed statement comes with its
JWS part (xAPI's multipart/mixed answer) and is judged as one POSTed to us: its signature must
verify and its payload equal the statement, or the statement is refused. An LRS that answers
plain JSON sends no parts: a signed statement from it is refused for its missing signature,
never stored as if it had been checked.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode, urljoin, urlsplit

from microcred.accounts.actor import Actor
from microcred.audit.repository import AuditRepository, record_audit
from microcred.errors import (
    ConflictError,
    FetchError,
    InputError,
    MicrocredError,
    ModelError,
    NotFoundError,
    SignedStatementError,
    short,
)
from microcred.lms.repository import LmsRepository
from microcred.lms.service import LRS_KEY_PREFIX, LmsService, LrsIdentity, _hash_secret
from microcred.lms.xapi import Statement, Version, parse_statement, version_of
from microcred.lms.xapi_signed import check_attachments, is_multipart, split_multipart
from microcred.nesting import text_nests_deeper
from microcred.store.db import transaction
from microcred.store.tables import LrsKeyRow, LrsSourceRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.crypto.sealing import Sealer

log = logging.getLogger(__name__)

LRS_PULL_JOB = "lms.lrs_pull"
LRS_PULL_MINUTES = 10
MAX_PAGES = 20  # per source and run: one busy LRS must not hold the worker
PAGE_LIMIT = 100  # statements asked per page

# url, headers -> (Content-Type, body) (the guarded client; raises FetchError)
Getter = Callable[[str, dict[str, str]], tuple[str, bytes]]
ACCEPT = "multipart/mixed, application/json"


@dataclass(frozen=True)
class PullResult:
    stored: int
    refused: int
    awards: int
    pages: int
    error: str | None = None


def _bound(source_id: str) -> str:
    return f"lrs-source:{source_id}"


class LrsPullService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        sealer: Sealer,
        lms: LmsService,
        get: Getter,
        check_url: Callable[[str], None],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.sealer = sealer
        self.lms = lms
        self.get = get
        self.check_url = check_url

    # ---- sources -----------------------------------------------------------------------------

    def add_source(
        self,
        actor: Actor,
        issuer_id: str,
        *,
        name: str,
        endpoint: str,
        username: str,
        password: str,
        version: str = "1.0.3",
    ) -> LrsSourceRow:
        """A source to pull from; its address is checked now (and at each pull)."""
        actor.require(issuer_id, "owner")
        label = name.strip()
        if not 1 <= len(label) <= 200:
            raise InputError(
                "an LRS source needs a name", expected="1-200 characters", found=str(len(label))
            )
        endpoint = endpoint.strip().rstrip("/")
        self.check_url(endpoint + "/statements")
        if not username or ":" in username:
            raise InputError(
                "the LRS user name is empty or has a colon",
                expected="a Basic user name without ':'",
                found=short(username, 40) or "nothing",
            )
        chosen = version_of(version)
        now = self.clock()
        source_id = str(uuid.uuid4())
        key = LrsKeyRow(  # the pulled statements' authority; its secret is never known
            id=str(uuid.uuid4()),
            issuer_id=issuer_id,
            name=f"pull: {label}"[:200],
            key=LRS_KEY_PREFIX + uuid.uuid4().hex[:24],
            secret_hash=_hash_secret(uuid.uuid4().hex + uuid.uuid4().hex),
            created_at=now,
        )
        row = LrsSourceRow(
            id=source_id,
            issuer_id=issuer_id,
            key_id=key.id,
            name=label,
            endpoint=endpoint,
            version=chosen,
            sealed_credentials=self.sealer.seal(
                f"{username}:{password}".encode(), bound_to=_bound(source_id)
            ),
            since=None,
            created_at=now,
            last_stored=0,
            last_refused=0,
        )
        with transaction(self.sessions) as session:
            session.add(key)
            session.flush()
            session.add(row)
            session.flush()
            record_audit(
                session,
                actor.name,
                "lms.lrs_source_added",
                endpoint,
                issuer_id=issuer_id,
                at=now,
                details={"source": source_id, "name": label},
            )
        return row

    def sources(self, actor: Actor, issuer_id: str) -> list[LrsSourceRow]:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return LmsRepository(session).lrs_sources(issuer_id)

    def remove_source(self, actor: Actor, issuer_id: str, source_id: str) -> None:
        """Stop pulling; what it brought stays (under its key, now revoked)."""
        actor.require(issuer_id, "owner")
        now = self.clock()
        with transaction(self.sessions) as session:
            row = session.get(LrsSourceRow, source_id)
            if row is None or row.issuer_id != issuer_id:
                raise NotFoundError("no such LRS source", found=source_id)
            key = session.get(LrsKeyRow, row.key_id)
            if key is not None and key.revoked_at is None:
                key.revoked_at = now
            session.delete(row)
            record_audit(
                session,
                actor.name,
                "lms.lrs_source_removed",
                row.endpoint,
                issuer_id=issuer_id,
                at=now,
                details={"source": source_id},
            )

    # ---- pulling -----------------------------------------------------------------------------

    def pull(self) -> int:
        """Pull every source (the periodic job); returns the awards made."""
        with self.sessions() as session:
            ids = LmsRepository(session).lrs_source_ids()
        awards = 0
        for source_id in ids:
            try:
                awards += self.pull_source(source_id).awards
            except MicrocredError as exc:  # one source's trouble must not stop the others
                log.warning("LRS source %s not pulled: %s", source_id, exc)
        return awards

    def pull_source(self, source_id: str) -> PullResult:
        """Pull one source up to ``MAX_PAGES`` pages; a failure is recorded on the source
        (what was stored before it stays, the cursor where the last stored page left it)."""
        with self.sessions() as session:
            source = session.get(LrsSourceRow, source_id)
            if source is None:
                raise NotFoundError("no such LRS source", found=source_id)
            key = session.get(LrsKeyRow, source.key_id)
            assert key is not None
            identity = LrsIdentity(key.id, source.issuer_id, key.key)
            endpoint, since = source.endpoint, source.since
            version = cast(Version, source.version)
            credentials = self.sealer.open(source.sealed_credentials, bound_to=_bound(source_id))
        headers = {
            "Authorization": "Basic " + base64.b64encode(credentials).decode(),
            "X-Experience-API-Version": version,
        }
        query = {"ascending": "true", "attachments": "true", "limit": str(PAGE_LIMIT)}
        if since:
            query["since"] = since
        url: str | None = f"{endpoint}/statements?{urlencode(query)}"
        stored = refused = awards = pages = 0
        error: str | None = None
        try:
            while url is not None and pages < MAX_PAGES:
                statements, more, parts = self._page(url, headers)
                page = self._store_page(source_id, identity, version, statements, parts)
                stored, refused, awards = (
                    stored + page[0],
                    refused + page[1],
                    awards + page[2],
                )
                pages += 1
                url = _following(more, endpoint)
        except (FetchError, InputError, ConflictError, SignedStatementError) as exc:
            error = str(exc)[:500]
            log.warning("LRS source %s (%s) not pulled: %s", source_id, endpoint, error)
        with transaction(self.sessions) as session:
            row = session.get(LrsSourceRow, source_id)
            if row is not None:
                row.last_pulled_at = self.clock()
                row.last_stored, row.last_refused, row.last_error = stored, refused, error
                if error is not None:
                    record_audit(
                        session,
                        "system",
                        "lms.lrs_pull_failed",
                        endpoint,
                        issuer_id=row.issuer_id,
                        at=self.clock(),
                        details={"source": source_id, "error": error},
                    )
        return PullResult(stored, refused, awards, pages, error)

    def _page(
        self, url: str, headers: dict[str, str]
    ) -> tuple[list[Any], object, dict[str, bytes]]:
        """One StatementResult: its statements, its ``more`` value as sent, and the attachment
        parts of a multipart answer by their SHA-256 (a broken multipart fails the page)."""
        content_type, body = self.get(url, headers)
        parts: dict[str, bytes] = {}
        if is_multipart(content_type):
            multipart = split_multipart(content_type, body)
            body, parts = multipart.statements, multipart.parts
        if text_nests_deeper(body):
            raise InputError("the LRS's answer nests too deep", found=f"{len(body)} bytes")
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise InputError(
                "the LRS's answer is not JSON", found=short(body[:80].decode("utf-8", "replace"))
            ) from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("statements"), list):
            raise InputError(
                "the LRS's answer is not a StatementResult",
                expected='{"statements": [...], "more": "..."}',
                found=type(answer).__name__,
            )
        return answer["statements"], answer.get("more"), parts

    def _store_page(
        self,
        source_id: str,
        identity: LrsIdentity,
        version: Version,
        items: list[Any],
        parts: dict[str, bytes],
    ) -> tuple[int, int, int]:
        """Store a page's valid statements and move the cursor past it, in one transaction."""
        parsed: list[Statement] = []
        refusals: list[dict[str, Any]] = []
        seen: set[str] = set()
        last_stored: str | None = None
        for i, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("stored"), str):
                last_stored = item["stored"][:40]
            try:
                if not isinstance(item, dict) or "id" not in item:
                    raise ModelError(
                        "a pulled statement has no id", field="statement.id", found="no id"
                    )
                check_attachments(item, _named_parts(item, parts))
                statement = parse_statement(item, version)
            except (ModelError, SignedStatementError) as exc:
                found = item.get("id") if isinstance(item, dict) else None
                reason = str(exc)[:500]
                log.warning(
                    "LRS source %s: statement %s refused: %s",
                    source_id,
                    short(str(found or f"#{i}"), 40),
                    reason,
                )
                refusals.append({"statement": str(found or f"#{i}")[:64], "error": reason})
                continue
            if statement.id not in seen:
                seen.add(statement.id)
                parsed.append(statement)
        with transaction(self.sessions) as session:
            stored, awards = self.lms.store_statements(
                session, identity, version, parsed, skip_changed=True
            )
            row = session.get(LrsSourceRow, source_id)
            if row is not None and last_stored is not None:
                row.since = last_stored
            if refusals:
                now = self.clock()
                AuditRepository(session).record_many(
                    [
                        {
                            "issuer_id": identity.issuer_id,
                            "actor": "system",
                            "action": "lms.lrs_statement_refused",
                            "subject": None,
                            "details": {"source": source_id, **refusal},
                            "at": now,
                        }
                        for refusal in refusals
                    ]
                )
        return stored, len(refusals), len(awards)


def _named_parts(item: dict[str, Any], parts: dict[str, bytes]) -> dict[str, bytes]:
    """The parts of a page that this statement's attachments name: each statement is judged
    with its own (the others' are theirs, not parts it fails to name)."""
    attachments = item.get("attachments")
    if not isinstance(attachments, list):
        return {}
    named = {
        a["sha2"].lower()
        for a in attachments
        if isinstance(a, dict) and isinstance(a.get("sha2"), str)
    }
    return {sha: parts[sha] for sha in named if sha in parts}


def _following(more: object, endpoint: str) -> str | None:
    """The absolute URL of a ``more`` link (None when there is none); one to another host is
    refused: the credentials go only to the LRS they were given for."""
    if not more:
        return None
    if not isinstance(more, str):
        raise InputError("the LRS's more link is not a string", found=type(more).__name__)
    following = urljoin(endpoint + "/", more)
    if urlsplit(following).netloc != urlsplit(endpoint).netloc:
        raise InputError(
            "the LRS's more link leads to another host",
            expected=urlsplit(endpoint).netloc,
            found=short(urlsplit(following).netloc),
        )
    return following


__all__ = ["LRS_PULL_JOB", "LRS_PULL_MINUTES", "LrsPullService", "PullResult"]
