"""The documented scale-out (docs/design/deployment.md, deploy/Procfile), run for real: two
web processes (``microcred serve --no-jobs``, uvicorn on loopback ports) and one job worker
over PostgreSQL and Redis. A credential issued on one web process verifies on the other, and
the e-mail job it queued is done by the worker. Skips only without PostgreSQL or Redis."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text

from tests.platform.conftest import POSTGRES_SERVER, _postgres_available

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of its own (others' tests use 13, 14)
PUBLIC_URL = "https://badges.example.org"
ACHIEVEMENT = {"name": "Scale-out", "description": "Runs many.", "criteria": {"narrative": "Ran."}}
SRC = Path(__file__).resolve().parents[2] / "src"


def _redis() -> object:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis server at {REDIS_URL}")
    return client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def platform_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    if not _postgres_available():
        pytest.skip(f"no PostgreSQL server at {POSTGRES_SERVER}")
    client = _redis()
    client.flushdb()  # type: ignore[attr-defined]
    name = f"microcred_deploy_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    env = {key: value for key, value in os.environ.items() if not key.startswith("MICROCRED_")}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]),
            "MICROCRED_DATABASE_URL": f"{POSTGRES_SERVER}/{name}",
            "MICROCRED_QUEUE_URL": REDIS_URL,
            "MICROCRED_PUBLIC_URL": PUBLIC_URL,
            "MICROCRED_DATA_DIR": str(tmp_path / "data"),
            "MICROCRED_MASTER_SECRET": "a-deployment-test-master-secret-0123456789",
            "MICROCRED_MODE": "production",
            "MICROCRED_LOG_FORMAT": "json",
        }
    )
    yield env
    client.flushdb()  # type: ignore[attr-defined]
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _microcred(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "microcred.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Processes:
    """The processes this test started, each ended by its own id."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, env: dict[str, str], name: str, *args: str) -> None:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "microcred.cli.main", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))

    def stop(self) -> None:
        for process, _log in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # the worker's forked children too
        for process, _log in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for _p, log in self.started)


def _wait_ready(base: str, processes: Processes, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{base} never became ready\n{processes.output()}"
        for process, _log in processes.started:
            assert process.poll() is None, f"a process exited\n{processes.output()}"
        time.sleep(0.3)


def test_two_web_processes_and_a_worker_on_postgresql_and_redis(
    platform_env: dict[str, str], tmp_path: Path
) -> None:
    env = platform_env
    # The release step, then the issuer and its API key, as the operator would.
    assert "database at revision" in _microcred(env, "migrate")
    issuer = json.loads(_microcred(env, "issuers", "create", "--slug", "acme", "--name", "Acme"))
    token = _microcred(env, "api-keys", "create", "--issuer", "acme", "--name", "ops").strip()
    auth = {"Authorization": f"Bearer {token}"}

    ports = [_free_port(), _free_port()]
    processes = Processes(tmp_path)
    try:
        for index, port in enumerate(ports):
            processes.start(
                env,
                f"web{index + 1}",
                "serve",
                "--no-jobs",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            )
        processes.start(env, "worker", "worker", "--workers", "1")
        web1, web2 = (f"http://127.0.0.1:{port}" for port in ports)
        _wait_ready(web1, processes)
        _wait_ready(web2, processes)

        achievement = httpx.post(
            f"{web1}/api/v1/issuers/{issuer['id']}/achievements",
            json={"achievement": ACHIEVEMENT},
            headers=auth,
            timeout=30,
        )
        assert achievement.status_code == 201, achievement.text
        issued = httpx.post(
            f"{web1}/api/v1/issuers/{issuer['id']}/credentials",
            json={
                "achievementId": achievement.json()["id"],
                "recipient": {"email": "ada@example.org", "name": "Ada"},
            },
            headers=auth,
            timeout=30,
        )
        assert issued.status_code == 201, issued.text
        credential = issued.json()["credential"]

        # The other web process serves and verifies what the first issued.
        served = httpx.get(f"{web2}/credentials/{issued.json()['id']}", timeout=30)
        assert served.json() == credential
        verified = httpx.post(f"{web2}/api/v1/verify", json={"credential": credential}, timeout=30)
        assert verified.status_code == 200, verified.text
        assert verified.json()["verified"] is True, verified.json()

        # The e-mail job the issuance queued in Redis is done by the worker (web processes run
        # no consumer): the message lands in the shared data directory's outbox.
        outbox = Path(env["MICROCRED_DATA_DIR"]) / "outbox"
        deadline = time.monotonic() + 60
        while not list(outbox.glob("*.eml")):
            assert time.monotonic() < deadline, f"the job was not done\n{processes.output()}"
            time.sleep(0.2)
        (message,) = outbox.glob("*.eml")
        assert issued.json()["id"] in message.name
        deadline = time.monotonic() + 30
        while True:
            scrape = httpx.get(f"{web1}/metrics", timeout=30).text.splitlines()
            if "microcred_queue_depth 0.0" in scrape:
                break
            assert time.monotonic() < deadline, scrape
            time.sleep(0.2)
        assert 'microcred_credentials_stored{state="active"} 1.0' in scrape
        assert "microcred_credentials_issued_total 1.0" in scrape  # web1 issued it
        scrape2 = httpx.get(f"{web2}/metrics", timeout=30).text.splitlines()
        assert "microcred_credentials_issued_total 0.0" in scrape2
    finally:
        processes.stop()
    # Every process wrote JSON lines, each with no API token in it.
    output = processes.output()
    assert token not in output
    for _process, log in processes.started:
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                json.loads(line)
