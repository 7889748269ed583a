"""Statements pulled from an existing LRS: a real loopback HTTP server plays the LRS (paged
``more`` answers, ``since`` and ``ascending``, Basic auth and the version header), and the
pulled statements go through the same validation and award rules as POSTed ones."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.errors import UrlRefusedError
from microcred.lms.lrs_pull import LRS_PULL_JOB, LrsPullService
from microcred.lms.rules import RuleSpec
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.tables import (
    AuditEventRow,
    CredentialRow,
    LmsAwardRow,
    LmsStatementRow,
    LrsSourceRow,
)
from microcred.web.fetch import FetchPolicy, fetch
from tests.platform.conftest import IssuerFixture
from tests.platform.lms_support import COURSE, statement
from tests.platform.test_lms_xapi_signed import BOUNDARY, OTHER_KEY, multipart, signed
from tests.platform.test_lms_xapi_signed import QUIZ as SIGNED_QUIZ

QUIZ = f"{COURSE}/quiz/9"
USER, PASSWORD = "ralph-key", "s3cret-pass"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The LRS is served on loopback, reachable because this says so.
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url="https://badges.example.org",
        queue_immediate=True,
        fetch_allow_networks=["127.0.0.0/8"],
    )


class FakeLrs:
    """An LRS on loopback holding statements in ``stored`` order; pages of ``page`` with a
    ``more`` link, ``since`` exclusive, and a page that can be made to fail."""

    def __init__(self, page: int = 2) -> None:
        self.page = page
        self.statements: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.fail_page: int | None = None  # the n-th page request (1-based) answers 500
        self.more_host: str | None = None  # a more link to another host (to be refused)
        # Attachment contents by SHA-256: with ``attachments=true`` the answer is multipart
        # (StatementResult, then these parts), as xAPI says; without, plain JSON.
        self.parts: dict[str, bytes] = {}
        self.ignores_attachments = False  # an LRS that answers plain JSON whatever is asked
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                lrs.requests.append((self.path, dict(self.headers.items())))
                expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._send(401, {"error": "who are you"})
                if not (self.headers.get("X-Experience-API-Version") or "").startswith("1.0"):
                    return self._send(400, {"error": "version header"})
                if lrs.fail_page is not None and len(lrs.requests) == lrs.fail_page:
                    return self._send(500, {"error": "down for a moment"})
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path != "/xapi/statements":
                    return self._send(404, {})
                start = int(query["more"]) if "more" in query else 0
                since = query.get("since")
                if "more" not in query:
                    assert query.get("ascending") == "true"
                held = [s for s in lrs.statements if since is None or s["stored"] > since]
                chunk = held[start : start + lrs.page]
                more = ""
                if start + lrs.page < len(held):
                    rest = f"&since={since}" if since else ""
                    if query.get("attachments") == "true":  # the more link keeps the query
                        rest += "&attachments=true"
                    more = f"/xapi/statements?more={start + lrs.page}{rest}"
                    if lrs.more_host:
                        more = f"http://{lrs.more_host}{more}"
                if query.get("attachments") == "true" and not lrs.ignores_attachments:
                    named = {a["sha2"] for s in chunk for a in s.get("attachments", [])}
                    parts = [(lrs.parts[sha], sha) for sha in sorted(named) if sha in lrs.parts]
                    data = multipart({"statements": chunk, "more": more}, parts)
                    return self._send_bytes(200, data, f"multipart/mixed; boundary={BOUNDARY}")
                return self._send(200, {"statements": chunk, "more": more})

            def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Experience-API-Version", "1.0.3")
                self.end_headers()
                self.wfile.write(data)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Experience-API-Version", "1.0.3")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/xapi"

    def hold(self, *statements: dict[str, Any]) -> None:
        for s in statements:
            n = len(self.statements)
            self.statements.append(
                {**s, "stored": f"2026-12-07T10:00:{n:02d}.000Z", "version": "1.0.3"}
            )


@pytest.fixture
def lrs() -> Iterator[FakeLrs]:
    fake = FakeLrs()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def count(runtime: Runtime, table: Any, *where: Any) -> int:
    with runtime.sessions() as session:
        query = select(func.count()).select_from(table)
        for clause in where:
            query = query.where(clause)
        return int(session.scalar(query) or 0)


def source_row(runtime: Runtime, source_id: str) -> LrsSourceRow:
    with runtime.sessions() as session:
        row = session.get(LrsSourceRow, source_id)
        assert row is not None
        return row


def audits(runtime: Runtime, action: str) -> list[dict[str, Any]]:
    with runtime.sessions() as session:
        query = select(AuditEventRow.details).where(AuditEventRow.action == action)
        return [dict(details) for details in session.scalars(query)]


def add(runtime: Runtime, issuer: IssuerFixture, endpoint: str) -> str:
    return runtime.lrs_pull.add_source(
        SYSTEM, issuer.id, name="Ralph", endpoint=endpoint, username=USER, password=PASSWORD
    ).id


def test_paged_pull_awards_once_and_refuses_a_bad_statement(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    lrs: FakeLrs,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("completed", (QUIZ,))
    )
    bad = statement("bob@example.org", QUIZ)
    bad["verb"] = {"id": "not an iri"}
    lrs.hold(
        statement("ada@example.org", f"{COURSE}/page/1"),
        bad,
        statement("ada@example.org", QUIZ),
        statement("cy@example.org", f"{COURSE}/page/2"),
        statement("ada@example.org", QUIZ),  # completed again: awards nothing more
    )
    source_id = add(runtime, issuer, lrs.endpoint)
    row = source_row(runtime, source_id)
    assert PASSWORD.encode() not in row.sealed_credentials  # sealed, not in clear
    with caplog.at_level(logging.WARNING, logger="microcred.lms.lrs_pull"):
        result = runtime.lrs_pull.pull_source(source_id)
    assert (result.stored, result.refused, result.awards, result.pages) == (4, 1, 1, 3)
    assert result.error is None
    # The first request asked since nothing, ascending, with the version and Basic auth;
    # the next two followed the LRS's more links.
    first, first_headers = lrs.requests[0]
    assert parse_qs(urlsplit(first).query) == {
        "ascending": ["true"],
        "attachments": ["true"],
        "limit": ["100"],
    }
    assert first_headers["X-Experience-API-Version"] == "1.0.3"
    assert [urlsplit(p).query for p, _ in lrs.requests[1:]] == [
        "more=2&attachments=true",
        "more=4&attachments=true",
    ]
    # The bad statement is refused with its reason, logged and audited; the rest landed.
    (refused,) = audits(runtime, "lms.lrs_statement_refused")
    assert refused["statement"] == bad["id"]
    assert "verb" in refused["error"]
    assert any(bad["id"] in r.getMessage() and "verb" in r.getMessage() for r in caplog.records)
    assert count(runtime, LmsStatementRow) == 4
    assert count(runtime, LmsStatementRow, LmsStatementRow.id == bad["id"]) == 0
    assert count(runtime, CredentialRow, CredentialRow.recipient_email == "ada@example.org") == 1
    row = source_row(runtime, source_id)
    assert row.since == lrs.statements[-1]["stored"]
    assert (row.last_stored, row.last_refused, row.last_error) == (4, 1, None)

    # The next run asks only for what is newer, and one more statement lands.
    lrs.hold(statement("cy@example.org", QUIZ))
    again = runtime.lrs_pull.pull_source(source_id)
    assert (again.stored, again.awards) == (1, 1)
    assert parse_qs(urlsplit(lrs.requests[3][0]).query)["since"] == [lrs.statements[4]["stored"]]

    # A cursor lost (a crash before it was stored) pulls everything again: nothing twice.
    with runtime.sessions.begin() as session:
        lost = session.get(LrsSourceRow, source_id)
        assert lost is not None
        lost.since = None
    replay = runtime.lrs_pull.pull_source(source_id)
    assert (replay.stored, replay.awards) == (0, 0)
    assert count(runtime, LmsAwardRow) == 2
    assert count(runtime, CredentialRow) == 2


def test_a_failed_page_keeps_the_pages_before_and_the_next_run_resumes(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, lrs: FakeLrs
) -> None:
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("completed", (QUIZ,))
    )
    lrs.hold(*(statement(f"l{i}@example.org", QUIZ) for i in range(5)))
    source_id = add(runtime, issuer, lrs.endpoint)
    lrs.fail_page = 2
    cut = runtime.lrs_pull.pull_source(source_id)
    assert (cut.stored, cut.awards, cut.pages) == (2, 2, 1)
    assert cut.error is not None
    assert "HTTP 500" in cut.error
    row = source_row(runtime, source_id)
    assert row.since == lrs.statements[1]["stored"]  # the stored page's last statement
    assert row.last_error == cut.error
    (failed,) = audits(runtime, "lms.lrs_pull_failed")
    assert "HTTP 500" in failed["error"]
    lrs.fail_page = None
    resumed = runtime.lrs_pull.pull_source(source_id)
    assert (resumed.stored, resumed.awards, resumed.error) == (3, 3, None)
    assert count(runtime, CredentialRow) == 5
    assert source_row(runtime, source_id).last_error is None


def test_the_periodic_job_pulls_every_source(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, lrs: FakeLrs
) -> None:
    runtime.lms.add_rule(
        SYSTEM, issuer.id, achievement_id=achievement_id, spec=RuleSpec("completed", (QUIZ,))
    )
    lrs.hold(statement("ada@example.org", QUIZ))
    with socket.socket() as probe:  # a source that is down does not stop the others
        probe.bind(("127.0.0.1", 0))
        down = add(runtime, issuer, f"http://127.0.0.1:{probe.getsockname()[1]}/xapi")
    add(runtime, issuer, lrs.endpoint)
    runtime.queue.enqueue(LRS_PULL_JOB)  # the registered periodic job, run here and now
    assert count(runtime, CredentialRow) == 1
    assert source_row(runtime, down).last_error is not None


def test_an_unreachable_lrs_is_a_failed_pull(runtime: Runtime, issuer: IssuerFixture) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source_id = add(runtime, issuer, f"http://127.0.0.1:{port}/xapi")
    result = runtime.lrs_pull.pull_source(source_id)
    assert result.pages == 0
    assert result.error is not None
    assert "Connection" in result.error
    row = source_row(runtime, source_id)
    assert row.last_error == result.error
    assert row.last_pulled_at is not None
    assert row.since is None
    (failed,) = audits(runtime, "lms.lrs_pull_failed")
    assert failed["source"] == source_id


def test_private_addresses_are_refused(
    runtime: Runtime, issuer: IssuerFixture, lrs: FakeLrs
) -> None:
    for endpoint in ("http://10.1.2.3/xapi", "http://169.254.169.254/xapi"):
        with pytest.raises(UrlRefusedError, match="private or reserved network"):
            add(runtime, issuer, endpoint)
    assert count(runtime, LrsSourceRow) == 0
    # At pull time too: the same loopback LRS under the default policy (public only).
    source_id = add(runtime, issuer, lrs.endpoint)
    public_only = FetchPolicy()

    def get(url: str, headers: dict[str, str]) -> tuple[str, bytes]:
        answer = fetch(
            url, public_only, authorization=headers.pop("Authorization"), headers=headers
        )
        return answer.content_type_header, answer.body

    strict = LrsPullService(
        runtime.sessions,
        clock=runtime.clock,
        sealer=runtime.sealer,
        lms=runtime.lms,
        get=get,
        check_url=lambda url: None,
    )
    result = strict.pull_source(source_id)
    assert result.error is not None
    assert "private or reserved network" in result.error
    assert lrs.requests == []  # nothing was sent


def test_sources_listed_and_removed_per_issuer(
    runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture, lrs: FakeLrs
) -> None:
    source_id = add(runtime, issuer, lrs.endpoint + "/")
    (listed,) = runtime.lrs_pull.sources(SYSTEM, issuer.id)
    assert listed.endpoint == lrs.endpoint  # the trailing slash is dropped
    assert runtime.lrs_pull.sources(SYSTEM, other_issuer.id) == []
    with pytest.raises(Exception, match="no such LRS source"):
        runtime.lrs_pull.remove_source(SYSTEM, other_issuer.id, source_id)
    runtime.lrs_pull.remove_source(SYSTEM, issuer.id, source_id)
    assert runtime.lrs_pull.sources(SYSTEM, issuer.id) == []


def test_a_more_link_to_another_host_is_refused(
    runtime: Runtime, issuer: IssuerFixture, lrs: FakeLrs
) -> None:
    lrs.hold(*(statement(f"l{i}@example.org", QUIZ) for i in range(3)))
    lrs.more_host = "127.0.0.2:9"  # the credentials must not follow it
    source_id = add(runtime, issuer, lrs.endpoint)
    result = runtime.lrs_pull.pull_source(source_id)
    assert (result.stored, result.pages) == (2, 1)  # the first page is kept, not followed
    assert result.error is not None
    assert "another host" in result.error
    assert len(lrs.requests) == 1


# ---- signed statements ---------------------------------------------------------------------


def test_signed_statements_are_pulled_with_their_signatures_and_checked(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, lrs: FakeLrs
) -> None:
    runtime.lms.add_rule(
        SYSTEM,
        issuer.id,
        achievement_id=achievement_id,
        spec=RuleSpec("completed", (SIGNED_QUIZ,)),
    )
    good, good_jws = signed("good@example.org")
    forged, forged_jws = signed("forged@example.org", key=OTHER_KEY)  # not the x5c's key
    tampered, tampered_jws = signed("tampered@example.org")
    tampered["actor"]["mbox"] = "mailto:someone-else@example.org"  # signed for another
    unsent, _unsent_jws = signed("unsent@example.org")  # its part never comes
    for body, token in ((good, good_jws), (forged, forged_jws), (tampered, tampered_jws)):
        lrs.parts[body["attachments"][0]["sha2"]] = token
    lrs.hold(good, forged, tampered, unsent)
    source_id = add(runtime, issuer, lrs.endpoint)

    result = runtime.lrs_pull.pull_source(source_id)

    assert (result.stored, result.refused, result.awards, result.error) == (1, 3, 1, None)
    assert all("attachments=true" in path for path, _ in lrs.requests)
    assert all(h.get("Accept", "").startswith("multipart/mixed") for _, h in lrs.requests)
    assert count(runtime, CredentialRow, CredentialRow.recipient_email == "good@example.org") == 1
    reasons = {a["statement"]: a["error"] for a in audits(runtime, "lms.lrs_statement_refused")}
    assert set(reasons) == {forged["id"], tampered["id"], unsent["id"]}
    assert "signature" in reasons[forged["id"]]
    assert "payload" in reasons[tampered["id"]] or "differs" in reasons[tampered["id"]]
    assert "missing part" in reasons[unsent["id"]]
    assert source_row(runtime, source_id).since == lrs.statements[-1]["stored"]


def test_a_signed_statement_from_an_lrs_that_sends_no_parts_is_refused(
    runtime: Runtime, issuer: IssuerFixture, lrs: FakeLrs
) -> None:
    """An LRS that ignores ``attachments=true`` (plain JSON): the signature cannot be checked,
    so the statement is refused, not stored as if it had been."""
    body, token = signed("plain@example.org")
    lrs.parts[body["attachments"][0]["sha2"]] = token  # held, but never sent
    lrs.ignores_attachments = True
    lrs.hold(body, statement("unsigned@example.org", QUIZ))
    source_id = add(runtime, issuer, lrs.endpoint)
    result = runtime.lrs_pull.pull_source(source_id)
    assert (result.stored, result.refused) == (1, 1)
    [refusal] = audits(runtime, "lms.lrs_statement_refused")
    assert refusal["statement"] == body["id"]
    assert "missing part" in refusal["error"]
