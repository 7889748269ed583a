"""Liveness, readiness, metrics and structured logs (issue 20, scale-out an operator can run)."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text

from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.db import head_revision
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.learners_support import link_path
from tests.platform.test_pages import PASSWORD, csrf, staff


def _checks(answer: dict[str, object]) -> dict[str, dict[str, object]]:
    checks = answer["checks"]
    assert isinstance(checks, list)
    return {check["name"]: check for check in checks}


def test_healthz_says_alive_without_touching_anything(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert answer.headers["cache-control"] == "no-store"
    assert len(answer.headers["x-request-id"]) == 32


def test_readyz_checks_database_queue_data_dir_and_keys(
    client: TestClient, issuer: IssuerFixture
) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ready"
    checks = _checks(body)
    assert set(checks) == {"database", "queue", "data_dir", "keys"}
    assert all(check["ok"] for check in checks.values())
    assert head_revision() in str(checks["database"]["detail"])
    # The log key (made when the first issuer's DID document or log is read) and alpha's key.
    client.get("/.well-known/did.json")
    assert _checks(client.get("/readyz").json())["keys"]["detail"] == (
        "2 key(s) opened with the master secret"
    )


def test_readyz_refuses_a_schema_behind_head(runtime: Runtime, client: TestClient) -> None:
    def set_revision(revision: str) -> None:
        with runtime.engine.begin() as connection:
            connection.execute(text(f"UPDATE alembic_version SET version_num = '{revision}'"))

    set_revision("0001")
    try:
        answer = client.get("/readyz")
    finally:
        set_revision(head_revision())  # the PostgreSQL database is shared by the session
    assert answer.status_code == 503
    checks = _checks(answer.json())
    assert answer.json()["status"] == "not ready"
    assert checks["database"]["ok"] is False
    assert "revision 0001, expected" in str(checks["database"]["detail"])
    assert checks["queue"]["ok"] is True


def test_readyz_refuses_keys_the_master_secret_does_not_open(
    settings: Settings, issuer: IssuerFixture
) -> None:
    other = Runtime(settings.model_copy(update={"master_secret": SecretStr("x" * 40)}))
    try:
        with TestClient(create_app(other)) as client:
            answer = client.get("/readyz")
    finally:
        other.close()
    assert answer.status_code == 503
    keys = _checks(answer.json())["keys"]
    assert keys["ok"] is False
    assert "SealingError" in str(keys["detail"])


def test_readyz_refuses_an_unreachable_queue(settings: Settings) -> None:
    # Nothing listens on port 1 of loopback.
    broken = Runtime(settings.model_copy(update={"queue_url": "redis://127.0.0.1:1/0"}))
    try:
        with TestClient(create_app(broken)) as client:
            answer = client.get("/readyz")
            scrape = client.get("/metrics")
    finally:
        broken.close()
    assert answer.status_code == 503
    queue = _checks(answer.json())["queue"]
    assert queue["ok"] is False
    assert "ConnectionError" in str(queue["detail"])
    # The scrape still answers, without the queue's figure.
    assert scrape.status_code == 200
    assert "microcred_queue_depth" not in scrape.text
    assert "microcred_credentials_stored" in scrape.text


def test_metrics_count_requests_by_route_latency_queue_and_issuance(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    body = {"achievementId": achievement_id, "recipient": {"email": "ada@example.org"}}
    url = f"/api/v1/issuers/{issuer.id}/credentials"
    issued = client.post(url, json=body, headers=issuer.headers)
    assert issued.status_code == 201, issued.text
    credential_id = issued.json()["id"]
    assert client.get(f"/credentials/{credential_id}").status_code == 200
    assert client.get("/credentials/00000000-0000-0000-0000-000000000000").status_code == 404
    scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = scrape.text.splitlines()
    route = "/api/v1/issuers/{issuer_id}/credentials"
    assert f'microcred_http_requests_total{{method="POST",route="{route}",status="201"}} 1.0' in (
        lines
    )
    # The route template, never the id: one series for both credentials asked for.
    page = "/credentials/{credential_id}"
    assert f'microcred_http_requests_total{{method="GET",route="{page}",status="200"}} 1.0' in lines
    assert f'microcred_http_requests_total{{method="GET",route="{page}",status="404"}} 1.0' in lines
    assert credential_id not in scrape.text
    buckets = [
        line
        for line in lines
        if line.startswith("microcred_http_request_duration_seconds_bucket")
        and f'route="{route}"' in line
    ]
    assert len(buckets) == 12  # 11 bounds and +Inf
    assert (
        f'microcred_http_request_duration_seconds_count{{method="POST",route="{route}"}} 1.0'
        in (lines)
    )
    assert "microcred_queue_depth 0.0" in lines
    assert "microcred_credentials_issued_total 1.0" in lines
    assert 'microcred_credentials_stored{state="active"} 1.0' in lines
    assert 'microcred_credentials_stored{state="revoked"} 0.0' in lines


def test_metrics_need_the_token_or_a_loopback_client(settings: Settings) -> None:
    open_runtime = Runtime(settings)
    try:
        with TestClient(create_app(open_runtime), client=("203.0.113.7", 4000)) as stranger:
            assert stranger.get("/metrics").status_code == 404
        with TestClient(create_app(open_runtime), client=("127.0.0.1", 4000)) as local:
            assert local.get("/metrics").status_code == 200
    finally:
        open_runtime.close()
    guarded = Runtime(settings.model_copy(update={"metrics_token": SecretStr("s3cret-scrape")}))
    try:
        with TestClient(create_app(guarded), client=("127.0.0.1", 4000)) as local:
            assert local.get("/metrics").status_code == 401
            wrong = local.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            right = local.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
            assert right.status_code == 200
            assert "microcred_http_requests_total" in right.text
    finally:
        guarded.close()


def test_job_failures_are_counted_for_every_worker_in_the_database(settings: Settings) -> None:
    runtime = Runtime(settings.model_copy(update={"queue_immediate": False}))
    try:

        def broken() -> None:
            raise RuntimeError("this job always fails")

        queue = runtime.queue
        queue.register("always-fails", broken, retries=1, retry_delay=0)
        queue.enqueue("always-fails")
        queue.start()
        try:
            deadline = time.monotonic() + 20
            while runtime.operations.job_failures().get("always-fails", 0) < 2:
                assert time.monotonic() < deadline, runtime.operations.job_failures()
                time.sleep(0.05)
        finally:
            queue.stop()
        with TestClient(create_app(runtime)) as client:
            lines = client.get("/metrics").text.splitlines()
    finally:
        runtime.close()
    assert 'microcred_job_failures_total{task="always-fails"} 2.0' in lines


# ---- structured logs -------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    from microcred.operations.logs import configure_logging

    configure_logging("json", stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in before[0]:
        root.addHandler(handler)
    root.setLevel(before[1])


def test_json_logs_carry_request_ids_and_never_a_secret(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, json_log: io.StringIO
) -> None:
    email = staff(runtime, issuer)
    secrets = [
        issuer.token,
        issuer.token.removeprefix("mc_").partition("_")[2],
        PASSWORD,
        runtime.settings.master_secret.get_secret_value(),
    ]
    with TestClient(
        create_app(runtime), base_url="https://testserver", follow_redirects=False
    ) as web:
        # An API issuance with the issuer's token, and a request id of the caller's.
        issued = web.post(
            f"/api/v1/issuers/{issuer.id}/credentials",
            json={"achievementId": achievement_id, "recipient": {"email": "ada@example.org"}},
            headers={**issuer.headers, "X-Request-ID": "caller-chosen-id-1"},
        )
        assert issued.status_code == 201, issued.text
        assert issued.headers["x-request-id"] == "caller-chosen-id-1"
        # A wrong token (logged as a 401, the token itself never).
        wrong = "mc_0123456789ab_" + "W" * 43
        secrets.append(wrong)
        web.get(f"/api/v1/issuers/{issuer.id}/credentials", headers={"Authorization": wrong})
        # Staff sign in with a password, and get a session cookie.
        form = web.get("/console/sign-in")
        signed_in = web.post(
            "/console/sign-in",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf(form.text)},
        )
        assert signed_in.status_code == 303, signed_in.text
        secrets += [value for value in web.cookies.values() if len(value) >= 16]
        # A learner signs in through a one-time link whose token is in the path.
        path = link_path(runtime.learners.issue_sign_in_link("ada@example.org"))
        secrets.append(path.rsplit("/", 1)[-1])
        page = web.get(path)
        assert page.status_code == 200
        web.post(path, data={"csrf_token": csrf(page.text)})
        # A query string with a token in it.
        web.get("/verify?token=query-secret-value-123")
        secrets.append("query-secret-value-123")
        logging.getLogger("microcred.test").warning(
            "calling with Authorization: Bearer %s", issuer.token
        )
    output = json_log.getvalue()
    lines = [line for line in output.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # one JSON object per line, every line
    assert len(records) >= 8
    for secret in secrets:
        assert len(secret) >= 8
        assert secret not in output, f"a secret reached the log: {secret[:6]}..."
    requests = [r for r in records if r["logger"] == "microcred.request"]
    chosen = [r for r in requests if r.get("request_id") == "caller-chosen-id-1"]
    assert chosen
    assert chosen[-1]["route"] == "/api/v1/issuers/{issuer_id}/credentials"
    assert chosen[-1]["status"] == 201
    assert chosen[-1]["level"] == "info"
    assert isinstance(chosen[-1]["ms"], float)
    # Every request line has its own id; the sign-in link's path is logged as its template.
    assert len({r["request_id"] for r in requests}) == len(requests)
    assert any("{token}" in r["route"] for r in requests)
    scrubbed = [r for r in records if r["logger"] == "microcred.test"]
    assert scrubbed[0]["message"] == "calling with Authorization: Bearer ***"
