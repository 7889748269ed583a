"""Bulk issuance from CSV: validate every row, store the good ones, issue them in chunk jobs.

:meth:`BatchService.create` reads the file once, in one transaction: a ``batches`` row with the
report of bad rows, and a ``batch_rows`` row per good one, numbered into chunks. After commit it
queues one ``batches.chunk`` job per chunk. A chunk job issues its rows that have no credential
yet through :meth:`IssuanceService.issue_reporting` with each row's idempotency key, then marks
them and moves the batch's counters in one transaction. Running a chunk twice, or two workers
running it at once, therefore issues nothing twice.

A worker killed mid-chunk loses that huey job (huey removes a job from the queue when it starts
it). :meth:`recover` puts back every unfinished chunk; consumers run it when they start, and a
periodic watchdog runs it for batches that stopped moving (see docs/design/jobs.md).
"""

from __future__ import annotations

import builtins
import hashlib
import io
import logging
import uuid
from datetime import timedelta
from typing import IO, TYPE_CHECKING

from sqlalchemy.orm import Session

from microcred.accounts.actor import Actor
from microcred.achievements.repository import AchievementRepository
from microcred.bulk.csvrows import MAX_FILE_BYTES, BadRow, CsvReader, GoodRow
from microcred.bulk.repository import OPEN_STATES as OPEN_STATES  # the console reads it here
from microcred.bulk.repository import (
    BatchRepository,
    BatchRowRepository,
    refresh_statistics,
)
from microcred.errors import InputError, MicrocredError
from microcred.issuers.repository import IssuerRepository
from microcred.issuing.issuance import IssueRequest
from microcred.store.db import transaction
from microcred.store.tables import BatchRow

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy import Engine
    from sqlalchemy.orm import sessionmaker

    from microcred.issuing.issuance import IssuanceService
    from microcred.jobs.queue import JobQueue

log = logging.getLogger(__name__)

CHUNK_JOB = "batches.chunk"
WATCHDOG_JOB = "batches.watchdog"
CHUNK_SIZE = 1000
CHUNK_PRIORITY = 10  # above the default 0 of e-mail and periodic jobs
MAX_REPORTED = 1000  # bad rows kept in the report; all are counted
INSERT_ROWS = 1000  # batch_rows written per statement while reading, so memory stays flat
STALLED_AFTER = timedelta(minutes=5)
# Runs of one chunk that may end in an unexpected error (not a MicrocredError) before the batch
# fails: two rounds of the queue's four tries, the second started by the watchdog.
MAX_CHUNK_FAILURES = 8
CHUNK_FAILURES = "chunkFailures"  # the report entry counting them, by chunk
# Chunks (2,000, 8,000, 32,000... rows in) at which PostgreSQL's statistics of the tables a
# batch grows are refreshed: see BatchService._analyze.
ANALYZE_AT = frozenset(2 * 4**k for k in range(12))
GROWN_TABLES = ("batch_rows", "credentials", "status_indices", "notifications", "audit_events")


class BatchService:
    chunk_size = CHUNK_SIZE

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        engine: Engine,
        clock: Callable[[], datetime],
        issuance: IssuanceService,
        queue: JobQueue,
    ) -> None:
        """``engine``: PostgreSQL uploads write their rows with COPY on a raw connection."""
        self.sessions = sessions
        self.engine = engine
        self.clock = clock
        self.issuance = issuance
        self.queue = queue

    # -- upload --------------------------------------------------------------------------------

    def create(
        self,
        actor: Actor,
        issuer_id: str,
        achievement_id: str,
        source: IO[bytes] | bytes,
        *,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> BatchRow:
        """Validate the CSV, store its good rows and queue their issuance; returns the batch
        (already finished when jobs run immediately). A file that cannot be read at all raises
        :class:`InputError` and stores nothing."""
        actor.require(issuer_id, "issuer")
        stream = io.BytesIO(source) if isinstance(source, bytes) else source
        sha256 = _digest(stream)
        now = self.clock()
        batch_id = str(uuid.uuid4())
        with transaction(self.sessions) as session:
            self._check_target(session, issuer_id, achievement_id)
            reader = CsvReader(
                stream, issuer_id=issuer_id, achievement_id=achievement_id, encoding=encoding
            )
            with reader:
                batch = BatchRow(
                    id=batch_id,
                    issuer_id=issuer_id,
                    achievement_id=achievement_id,
                    filename=filename[:500] if filename else None,
                    file_sha256=sha256,
                    state="queued",
                    total_rows=0,
                    valid_rows=0,
                    invalid_rows=0,
                    issued_rows=0,
                    new_rows=0,
                    chunks=0,
                    report=[],
                    created_by=actor.name,
                    created_at=now,
                    updated_at=now,
                )
                BatchRepository(session).add(batch)
                report, valid, invalid = self._store_rows(session, batch_id, reader)
            batch.total_rows = reader.rows
            batch.valid_rows = valid
            batch.invalid_rows = invalid
            batch.chunks = -(-valid // self.chunk_size)
            batch.report = report
            if reader.header.ignored:
                batch.report = [{"ignoredColumns": reader.header.ignored}, *report]
            if valid == 0:
                batch.state, batch.finished_at = "done", now
            chunks = batch.chunks
        for chunk in range(chunks):
            self.queue.enqueue(CHUNK_JOB, batch_id, chunk)
        return self._load(batch_id)

    @staticmethod
    def _check_target(session: Session, issuer_id: str, achievement_id: str) -> None:
        IssuerRepository(session).require(issuer_id)
        achievement = AchievementRepository(session).require(issuer_id, achievement_id)
        if achievement.archived:
            raise InputError(
                "achievement is archived", expected="an active achievement", found=achievement_id
            )

    def _store_rows(
        self, session: Session, batch_id: str, reader: CsvReader
    ) -> tuple[list[dict[str, object]], int, int]:
        report: list[dict[str, object]] = []
        pending: list[dict[str, object]] = []
        valid = invalid = 0
        rows = BatchRowRepository(session)
        for row in reader:
            if isinstance(row, BadRow):
                invalid += 1
                if len(report) < MAX_REPORTED:
                    report.append(row.to_json())
                continue
            assert isinstance(row, GoodRow)
            pending.append(
                {
                    "batch_id": batch_id,
                    "line": row.line,
                    "chunk": valid // self.chunk_size,
                    "idempotency_key": row.key,
                    "data": row.data,
                }
            )
            valid += 1
            if len(pending) >= INSERT_ROWS:
                rows.add_many(pending)
                pending = []
        if pending:
            rows.add_many(pending)
        return report, valid, invalid

    # -- reading -------------------------------------------------------------------------------

    def get(self, actor: Actor, issuer_id: str, batch_id: str) -> BatchRow:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return BatchRepository(session).require(issuer_id, batch_id)

    def list(
        self, actor: Actor, issuer_id: str, *, offset: int = 0, limit: int = 50
    ) -> tuple[list[BatchRow], int]:
        actor.require(issuer_id, "viewer")
        with self.sessions() as session:
            return BatchRepository(session).page(issuer_id, offset=offset, limit=limit)

    def _load(self, batch_id: str) -> BatchRow:
        with self.sessions() as session:
            batch = BatchRepository(session).get(batch_id)
        assert batch is not None
        return batch

    # -- the jobs ------------------------------------------------------------------------------

    def run_chunk(self, batch_id: str, chunk: int) -> None:
        """Issue the rows of one chunk that have no credential yet (a no-op when none)."""
        with self.sessions() as session:
            batch = BatchRepository(session).get(batch_id)
            if batch is None or batch.state not in OPEN_STATES:
                return
            rows = BatchRowRepository(session).unissued(batch_id, chunk)
        if not rows:
            return
        if chunk in ANALYZE_AT:
            self._analyze()
        # The audit log names who uploaded the batch, acting with the role issuing needs.
        actor = Actor(issuer_id=batch.issuer_id, name=batch.created_by, role="issuer")
        requests = [
            IssueRequest(
                achievement_id=batch.achievement_id,
                email=data.get("email"),
                did=data.get("did"),
                name=data.get("name"),
                narrative=data.get("narrative"),
                grade=data.get("grade"),
                evidence_url=data.get("evidence"),
                idempotency_key=key,
                batch_id=batch_id,
            )
            for key, data in rows
        ]
        try:
            issued = self.issuance.issue(actor, batch.issuer_id, requests)
            self._record(
                batch_id,
                chunk,
                {credential.id for credential in issued if credential.batch_id == batch_id},
            )
        except MicrocredError as exc:
            # Not transient (the achievement was archived, the issuer removed): retrying
            # cannot help, so the batch stops and says why.
            self._fail(batch_id, exc)
        except Exception as exc:
            # Perhaps transient (a lock timeout, a dropped connection): the queue retries and
            # the watchdog re-queues, but only so often, or a bug would loop forever.
            if not self._count_failure(batch_id, chunk, exc):
                raise

    def _record(self, batch_id: str, chunk: int, new: set[str]) -> None:
        """Mark the chunk's rows with their credentials and move the counters, counting only
        rows nobody marked before; ``new`` holds the ids of credentials this batch issued.

        A second worker on the same chunk, blocked on the row locks until the first commits,
        then finds them marked and counts nothing (see :meth:`BatchRowRepository.mark_issued`)."""
        now = self.clock()
        with transaction(self.sessions) as session:
            marked = BatchRowRepository(session).mark_issued(batch_id, chunk)
            batch = BatchRepository(session).lock(batch_id)
            assert batch is not None
            batch.issued_rows += len(marked)
            batch.new_rows += sum(1 for credential_id in marked if credential_id in new)
            batch.updated_at = now
            if batch.state == "queued":
                batch.state = "running"
            if batch.issued_rows >= batch.valid_rows:
                batch.state, batch.finished_at = "done", now

    def _analyze(self) -> None:
        """Refresh PostgreSQL's statistics of the tables a batch grows (not on SQLite).

        A batch takes tables from a few rows to 100,000s within minutes. Planning on
        statistics from before it, PostgreSQL picked the issuer's index over the unique
        (issuer, idempotency key) one and the status list's rows over the indices asked for,
        reading every credential so far for each chunk. Autovacuum would refresh them a minute
        later at best, and not at all where it is off; ANALYZE is what PostgreSQL advises
        after a bulk load. It takes no lock that blocks reads or writes."""
        try:
            refresh_statistics(self.engine, GROWN_TABLES)
        except Exception:  # statistics only: issuing goes on without them
            log.warning("could not refresh the statistics of %s", GROWN_TABLES, exc_info=True)

    def _fail(self, batch_id: str, error: MicrocredError) -> None:
        log.warning("batch %s failed: %s", batch_id, error)
        now = self.clock()
        with transaction(self.sessions) as session:
            BatchRepository(session).fail_if_open(batch_id, str(error)[:2000], now)

    def _count_failure(self, batch_id: str, chunk: int, error: Exception) -> bool:
        """Count an unexpected failure of ``chunk``; True when the batch is not to be retried
        (this was its last allowed failure, so it is now failed, or it is no longer open)."""
        # The issuer sees batch.error (API, console), so it names only the exception's type:
        # its text may name database hosts, users or paths. The full text goes to the log.
        kind = type(error).__name__[:100]
        try:
            with transaction(self.sessions) as session:
                batch = BatchRepository(session).lock(batch_id)
                if batch is None or batch.state not in OPEN_STATES:
                    return True
                counts = chunk_failures(batch)
                counts[str(chunk)] = failures = counts.get(str(chunk), 0) + 1
                batch.report = [
                    *(entry for entry in batch.report if CHUNK_FAILURES not in entry),
                    {CHUNK_FAILURES: counts},
                ]
                if failures < MAX_CHUNK_FAILURES:
                    log.warning(
                        "batch %s chunk %d failed (%d of %d): %s: %s",
                        batch_id,
                        chunk,
                        failures,
                        MAX_CHUNK_FAILURES,
                        kind,
                        error,
                    )
                    return False
                now = self.clock()
                batch.state, batch.finished_at, batch.updated_at = "failed", now, now
                batch.error = (
                    f"chunk {chunk} failed {failures} times with an unexpected error, "
                    f"so the batch was stopped; the last was a {kind} "
                    "(the server log has the details)"
                )
        except Exception:  # the database itself may be what fails: leave it to the retries
            log.exception("could not count the failure of batch %s chunk %d", batch_id, chunk)
            return False
        log.error(
            "batch %s failed: chunk %d failed %d times: %s: %s",
            batch_id,
            chunk,
            failures,
            kind,
            error,
            exc_info=error,
        )
        return True

    def recover(self, stalled_after: timedelta | None = None) -> int:
        """Queue again every chunk of an open batch that still has rows without a credential;
        with ``stalled_after``, only for batches that have not moved for that long. Returns the
        number of chunks queued. Chunks that are still queued will simply run twice; the second
        run finds nothing to do."""
        now = self.clock()
        work: list[tuple[str, int]] = []
        with transaction(self.sessions) as session:
            rows = BatchRowRepository(session)
            since = None if stalled_after is None else now - stalled_after
            for batch in BatchRepository(session).open(not_moved_since=since):
                chunks = rows.unfinished_chunks(batch.id)
                if not chunks:  # every row issued, the last mark lost with its worker
                    batch.state, batch.finished_at = "done", now
                batch.updated_at = now  # so the watchdog waits a full period before next time
                work.extend((batch.id, chunk) for chunk in chunks)
        for batch_id, chunk in work:
            self.queue.enqueue(CHUNK_JOB, batch_id, chunk)
        if work:
            log.info("re-queued %d unfinished chunks", len(work))
        return len(work)

    def watchdog(self) -> None:
        self.recover(stalled_after=STALLED_AFTER)


def bad_rows(batch: BatchRow) -> builtins.list[dict[str, object]]:
    """The report's bad rows (line, reason, expected, found)."""
    return [entry for entry in batch.report if "reason" in entry]


def chunk_failures(batch: BatchRow) -> dict[str, int]:
    """How often each chunk (by number, as text) failed with an unexpected error."""
    for entry in batch.report:
        if CHUNK_FAILURES in entry:
            return dict(entry[CHUNK_FAILURES])
    return {}


def ignored_columns(batch: BatchRow) -> builtins.list[str]:
    """Header columns the upload did not use."""
    for entry in batch.report:
        if "ignoredColumns" in entry:
            return list(entry["ignoredColumns"])
    return []


def _digest(stream: IO[bytes]) -> str:
    """The file's SHA-256, refusing files over the limit; leaves the stream at its start."""
    size = stream.seek(0, io.SEEK_END)
    if size > MAX_FILE_BYTES:
        raise InputError(
            "the file is too large", expected=f"at most {MAX_FILE_BYTES} bytes", found=f"{size}"
        )
    stream.seek(0)
    digest = hashlib.sha256()
    while block := stream.read(1 << 20):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()
