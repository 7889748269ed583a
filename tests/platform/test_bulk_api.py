"""Bulk issuance through the API and the service (jobs run in the caller: queue_immediate)."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from microcred.accounts.actor import SYSTEM
from microcred.bulk.batches import ANALYZE_AT, CHUNK_JOB, GROWN_TABLES, MAX_CHUNK_FAILURES
from microcred.crypto import proofs
from microcred.crypto.did import DidResolver
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.tables import BatchRowRow, CredentialRow
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture, make_issuer

CSV = (
    b"email,name\n"
    b"ada@example.org,Ada Lovelace\n"
    b"bad-address,Nobody\n"
    b"grace@example.org,Grace Hopper\n"
    b"alan@example.org,Alan Turing\n"
)


def upload(
    client: TestClient, issuer: IssuerFixture, achievement_id: str, data: bytes, **params: str
) -> dict[str, object]:
    response = client.post(
        f"/api/v1/issuers/{issuer.id}/batches",
        params={"achievementId": achievement_id, **params},
        content=data,
        headers={**issuer.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    body: dict[str, object] = response.json()
    assert response.headers["location"] == f"/api/v1/issuers/{issuer.id}/batches/{body['id']}"
    return body


def credentials(runtime: Runtime, issuer_id: str) -> list[CredentialRow]:
    with runtime.sessions() as session:
        return list(
            session.scalars(select(CredentialRow).where(CredentialRow.issuer_id == issuer_id))
        )


def test_upload_reports_bad_rows_and_issues_the_good_ones(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    body = upload(client, issuer, achievement_id, CSV, filename="cohort.csv")
    assert body["state"] == "done"
    assert body["filename"] == "cohort.csv"
    assert (body["totalRows"], body["validRows"], body["invalidRows"]) == (4, 3, 1)
    assert (body["issuedRows"], body["newCredentials"], body["progress"]) == (3, 3, 1.0)
    assert body["report"] == [
        {
            "line": 3,
            "reason": "recipient e-mail is not an address",
            "expected": "name@domain.tld",
            "found": "'bad-address'",
        }
    ]
    issued = credentials(runtime, issuer.id)
    assert sorted(c.recipient_email or "" for c in issued) == [
        "ada@example.org",
        "alan@example.org",
        "grace@example.org",
    ]
    assert {c.batch_id for c in issued} == {body["id"]}
    # A bulk credential is a real one: signed eddsa-rdfc-2022, with its status entries.
    document = issued[0].document
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert len(document["credentialStatus"]) == 2
    resolver = DidResolver()
    resolver.add_document(runtime.issuers.did_document(issuer.slug))
    verified = proofs.verify(document, resolver)
    assert verified.cryptosuite == "eddsa-rdfc-2022"

    progress = client.get(
        f"/api/v1/issuers/{issuer.id}/batches/{body['id']}", headers=issuer.headers
    )
    assert progress.status_code == 200
    assert progress.json()["issuedRows"] == 3
    listing = client.get(f"/api/v1/issuers/{issuer.id}/batches", headers=issuer.headers).json()
    assert [b["id"] for b in listing["items"]] == [body["id"]]
    assert listing["total"] == 1


def test_uploading_the_same_file_again_issues_nothing_twice(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    first = upload(client, issuer, achievement_id, CSV)
    before = {c.id for c in credentials(runtime, issuer.id)}
    again = upload(client, issuer, achievement_id, CSV.replace(b"Ada Lovelace", b"Ada L."))
    assert again["id"] != first["id"]
    assert (again["state"], again["issuedRows"], again["newCredentials"]) == ("done", 3, 0)
    assert {c.id for c in credentials(runtime, issuer.id)} == before
    # One new recipient among known ones: exactly one new credential.
    more = upload(client, issuer, achievement_id, CSV + b"edsger@example.org,Edsger\n")
    assert (more["issuedRows"], more["newCredentials"]) == (4, 1)
    assert len(credentials(runtime, issuer.id)) == 4


def test_rerunning_chunks_and_recovery_issue_nothing_twice(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.batches.chunk_size = 2
    rows = b"".join(b"p%d@example.org,P%d\n" % (i, i) for i in range(7))
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement_id, b"email,name\n" + rows)
    assert (batch.state, batch.chunks, batch.issued_rows) == ("done", 4, 7)
    with runtime.sessions() as session:
        pairs = session.execute(select(BatchRowRow.line, BatchRowRow.chunk)).all()
    chunk_of = dict(pairs)
    assert chunk_of == {2: 0, 3: 0, 4: 1, 5: 1, 6: 2, 7: 2, 8: 3}
    for chunk in range(4):
        runtime.queue.enqueue(CHUNK_JOB, batch.id, chunk)
    assert runtime.batches.recover() == 0
    assert len(credentials(runtime, issuer.id)) == 7
    after = runtime.batches.get(SYSTEM, issuer.id, batch.id)
    assert (after.issued_rows, after.new_rows) == (7, 7)


def test_two_workers_on_the_same_chunk_at_once_issue_and_count_each_row_once(
    settings: Settings,
) -> None:
    """A chunk handed to two workers at the same moment (a retry racing a slow first run):
    both sign, one insert loses on the idempotency key, and the rows are marked and counted
    once."""
    runtime = Runtime(settings.model_copy(update={"queue_immediate": False}))
    try:
        issuer = make_issuer(runtime, "racer")
        achievement = runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT).id
        runtime.batches.chunk_size = 40
        rows = b"".join(b"p%d@example.org,P%d\n" % (i, i) for i in range(60))
        batch = runtime.batches.create(SYSTEM, issuer.id, achievement, b"email,name\n" + rows)
        assert (batch.state, batch.chunks) == ("queued", 2)  # queued, not run: no consumer
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                start.wait(10)
                runtime.batches.run_chunk(batch.id, 0)
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        middle = runtime.batches.get(SYSTEM, issuer.id, batch.id)
        assert (middle.issued_rows, middle.new_rows, middle.state) == (40, 40, "running")
        runtime.batches.run_chunk(batch.id, 1)
        done = runtime.batches.get(SYSTEM, issuer.id, batch.id)
        assert (done.issued_rows, done.new_rows, done.state) == (60, 60, "done")
        with runtime.sessions() as session:
            marks = session.scalars(
                select(BatchRowRow.credential_id).where(BatchRowRow.batch_id == batch.id)
            ).all()
            stored = session.scalars(
                select(CredentialRow.id).where(CredentialRow.batch_id == batch.id)
            ).all()
        assert len(stored) == 60
        assert sorted(marks) == sorted(stored)  # every row marked with its own credential
    finally:
        runtime.close()


def test_lost_chunk_is_recovered(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """A chunk whose job vanished (its worker died) is found and queued again by recover()."""
    runtime.batches.chunk_size = 3
    queued: list[tuple[str, int]] = []
    real = runtime.queue.enqueue
    runtime.queue.enqueue = lambda name, *args: queued.append(args)  # type: ignore[method-assign]
    rows = b"".join(b"p%d@example.org\n" % i for i in range(8))
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement_id, b"email\n" + rows)
    assert queued == [(batch.id, 0), (batch.id, 1), (batch.id, 2)]
    runtime.batches.run_chunk(batch.id, 1)  # the other two jobs are "lost"
    assert runtime.batches.get(SYSTEM, issuer.id, batch.id).state == "running"
    queued.clear()
    assert runtime.batches.recover() == 2
    assert queued == [(batch.id, 0), (batch.id, 2)]
    runtime.queue.enqueue = real  # type: ignore[method-assign]
    for args in queued:
        runtime.queue.enqueue(CHUNK_JOB, *args)
    done = runtime.batches.get(SYSTEM, issuer.id, batch.id)
    assert (done.state, done.issued_rows, done.new_rows) == ("done", 8, 8)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CredentialRow)) == 8
        assert (
            session.scalar(
                select(func.count())
                .select_from(BatchRowRow)
                .where(BatchRowRow.credential_id.is_(None))
            )
            == 0
        )


def test_a_file_with_no_good_rows_is_done_at_once(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    body = upload(client, issuer, achievement_id, b"email,course\nnope,Maths\n")
    assert (body["state"], body["validRows"], body["invalidRows"]) == ("done", 0, 1)
    assert body["ignoredColumns"] == ["course"]
    assert body["progress"] == 1.0
    assert credentials(runtime, issuer.id) == []


def test_archived_achievement_fails_the_batch_with_a_reason(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    queued: list[tuple[str, int]] = []
    runtime.queue.enqueue = lambda name, *args: queued.append(args)  # type: ignore[method-assign]
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement_id, b"email\na@example.org\n")
    runtime.achievements.update(SYSTEM, issuer.id, achievement_id, archived=True)
    runtime.batches.run_chunk(*queued[0])
    failed = runtime.batches.get(SYSTEM, issuer.id, batch.id)
    assert failed.state == "failed"
    assert "archived" in (failed.error or "")
    assert credentials(runtime, issuer.id) == []


def test_a_chunk_failing_unexpectedly_is_retried_a_bounded_number_of_times(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Not a MicrocredError (a bug, say): the queue retries and the watchdog re-queues, until
    the chunk has failed MAX_CHUNK_FAILURES times; then the batch fails and says why, naming
    only the exception's type: its text goes to the server log, not to the issuer."""
    caplog.set_level("WARNING", logger="microcred.bulk.batches")
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(runtime.queue, "enqueue", lambda name, *args: queued.append(args))
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement_id, b"email\na@example.org\n")

    def broken(*args: object, **kwargs: object) -> None:
        # Like a driver error that names a database host: the issuer must not see it.
        raise RuntimeError("connection to db-primary.internal:5432 refused\nwith a second line")

    monkeypatch.setattr(runtime.issuance, "issue", broken)
    url = f"/api/v1/issuers/{issuer.id}/batches/{batch.id}"
    for _ in range(MAX_CHUNK_FAILURES - 1):
        with pytest.raises(RuntimeError):  # raised, so the queue retries it
            runtime.batches.run_chunk(batch.id, 0)
        assert client.get(url, headers=issuer.headers).json()["state"] == "queued"
        queued.clear()
        assert runtime.batches.recover() == 1  # what the watchdog does for a stalled batch
        assert queued == [(batch.id, 0)]

    runtime.batches.run_chunk(batch.id, 0)  # the last allowed failure: not raised again

    body = client.get(url, headers=issuer.headers).json()
    assert body["state"] == "failed"
    assert body["finishedAt"] is not None
    assert body["error"] == (
        f"chunk 0 failed {MAX_CHUNK_FAILURES} times with an unexpected error, so the batch "
        "was stopped; the last was a RuntimeError (the server log has the details)"
    )
    assert "db-primary" not in client.get(url, headers=issuer.headers).text
    # The full text is in the server's log instead.
    assert "connection to db-primary.internal:5432 refused" in caplog.text
    assert body["report"] == []
    queued.clear()
    assert runtime.batches.recover() == 0  # never queued again
    assert queued == []
    runtime.batches.run_chunk(batch.id, 0)  # a late duplicate job finds a closed batch
    assert credentials(runtime, issuer.id) == []


def test_issued_rows_equal_what_was_stored(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """Credentials are inserted with Core executemany; the objects handed back (to the API,
    the hooks, the chunk job) must still say exactly what the database holds."""
    requests = [
        IssueRequest(achievement_id=achievement_id, email="ada@example.org", name="Ada"),
        IssueRequest(achievement_id=achievement_id, did="did:example:grace", idempotency_key="g"),
    ]
    issued = runtime.issuance.issue(SYSTEM, issuer.id, requests)
    columns = [column.key for column in CredentialRow.__table__.columns]
    with runtime.sessions() as session:
        for row in issued:
            stored = session.get(CredentialRow, row.id)
            assert stored is not None
            assert {c: getattr(row, c) for c in columns} == {c: getattr(stored, c) for c in columns}
            assert row.state == "active"


def test_stored_rows_keep_every_character_of_the_file(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """Rows are written by COPY on PostgreSQL and INSERT on SQLite: names with the characters
    COPY's text format escapes (tab, newline, backslash) arrive as written, and so do the
    credentials issued from them."""
    names = ["Tab\there", "Two\nlines", "Back\\slash \\N", "Zoë \u2603 \U0001f600", 'Quote "q"']
    data = "email,name\n" + "".join(
        f'p{i}@example.org,"{name.replace(chr(34), chr(34) * 2)}"\n' for i, name in enumerate(names)
    )
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement_id, data.encode())
    assert batch.state == "done"
    with runtime.sessions() as session:
        stored = session.execute(
            select(BatchRowRow.line, BatchRowRow.data, BatchRowRow.chunk)
            .where(BatchRowRow.batch_id == batch.id)
            .order_by(BatchRowRow.line)
        ).all()
        issued = session.scalars(
            select(CredentialRow.recipient_name)
            .where(CredentialRow.batch_id == batch.id)
            .order_by(CredentialRow.recipient_email)
        ).all()
    # Lines as an editor numbers them: the quoted newline makes row 3 two lines long.
    assert [line for line, _, _ in stored] == [2, 3, 5, 6, 7]
    assert [d["name"] for _, d, _ in stored] == names
    assert [d["email"] for _, d, _ in stored] == [f"p{i}@example.org" for i in range(5)]
    assert issued == names


# PostgreSQL's planner statistics only: SQLite plans without them, so no SQLite variant.
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_postgresql_statistics_are_refreshed_as_a_batch_grows(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    assert runtime.engine.dialect.name == "postgresql"

    def analyzed() -> dict[str, object]:
        with runtime.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT relname, last_analyze FROM pg_stat_user_tables")
            ).all()
        return {name: at for name, at in rows if name in GROWN_TABLES}

    assert sorted(ANALYZE_AT)[:3] == [2, 8, 32]
    before = analyzed()
    runtime.batches.chunk_size = 1
    rows = b"".join(b"p%d@example.org\n" % i for i in range(2))
    runtime.batches.create(SYSTEM, issuer.id, achievement_id, b"email\n" + rows)
    assert analyzed() == before  # chunks 0 and 1: not yet

    rows = b"".join(b"q%d@example.org\n" % i for i in range(3))
    runtime.batches.create(SYSTEM, issuer.id, achievement_id, b"email\n" + rows)
    after = analyzed()  # chunk 2 refreshed every table a batch grows
    assert sorted(after) == sorted(GROWN_TABLES)
    assert all(at is not None and at != before.get(name) for name, at in after.items())


def test_unusable_uploads_are_clear_4xx_and_store_nothing(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}/batches"
    csv_headers = {**issuer.headers, "Content-Type": "text/csv"}
    cases = [
        ({"achievementId": achievement_id}, b"name\nAda\n", csv_headers, 422, "recipient column"),
        (
            {"achievementId": achievement_id},
            "email\nj@é.org\n".encode("cp1252"),
            csv_headers,
            422,
            "not utf-8",
        ),
        ({"achievementId": achievement_id}, b"", csv_headers, 422, "no body"),
        ({"achievementId": "nope"}, CSV, csv_headers, 404, "no such achievement"),
        ({}, CSV, csv_headers, 422, "achievementId"),
        (
            {"achievementId": achievement_id},
            CSV,
            {**issuer.headers, "Content-Type": "application/json"},
            422,
            "request body",
        ),
    ]
    for params, data, headers, status, message in cases:
        response = client.post(url, params=params, content=data, headers=headers)
        assert response.status_code == status, (message, response.text)
        assert message.lower() in response.text.lower()
    listing = client.get(url, headers=issuer.headers).json()
    assert listing["total"] == 0


def test_other_issuers_and_viewers(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    other_issuer: IssuerFixture,
    achievement_id: str,
) -> None:
    body = upload(client, issuer, achievement_id, CSV)
    # Another issuer sees neither the batch nor may upload for this issuer.
    seen = client.get(
        f"/api/v1/issuers/{issuer.id}/batches/{body['id']}", headers=other_issuer.headers
    )
    assert seen.status_code == 404
    mine = client.get(
        f"/api/v1/issuers/{other_issuer.id}/batches/{body['id']}", headers=other_issuer.headers
    )
    assert mine.status_code == 404
    post = client.post(
        f"/api/v1/issuers/{issuer.id}/batches",
        params={"achievementId": achievement_id},
        content=CSV,
        headers={**other_issuer.headers, "Content-Type": "text/csv"},
    )
    assert post.status_code == 404
    viewer = make_issuer(runtime, "gamma", role="viewer")
    refused = client.post(
        f"/api/v1/issuers/{viewer.id}/batches",
        params={"achievementId": achievement_id},
        content=CSV,
        headers={**viewer.headers, "Content-Type": "text/csv"},
    )
    assert refused.status_code == 403
