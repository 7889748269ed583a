"""The service layer under load: `microcred` served by uvicorn with N worker processes (the
documented deployment, docs/design/deployment.md), driven over loopback by ``wrk`` at 20
concurrent connections, beside the engine's own verification rate measured in the same run.

What it does:

1. makes a throw-away data directory (SQLite, the embedded default; ``--database-url`` for
   PostgreSQL) with one issuer, one achievement and a few credentials, as the demo has;
2. measures in this process, on one core, the engine (``proofs.verify`` of those credentials
   with their DID document at hand) and the service (``VerificationService.verify_bytes``,
   which adds the DID document, status list and log reads from the store), per CPU second;
3. starts ``uvicorn microcred.web.asgi:create_web_app --factory --workers N`` on a loopback port;
4. runs ``wrk`` (one thread, 20 connections, closed loop: a bounded load) against each endpoint,
   as 20 clients behind a proxy (``X-Forwarded-For``, which uvicorn trusts from loopback, so
   the per-client verification limits apply to each client, not to all 20 as one):
   ``POST /api/v1/verify``, ``POST /credentials/verify`` (VC-API), the public credential page as
   HTML, and ``GET /verify``; prints requests/s, p50 and p99, non-2xx answers, and each rate as
   a share of the engine's.

The generator runs on the same 2 cores as the server: wrk's own CPU time is printed, as the
share of the machine the server did not get. wrk is C and event-driven, so it costs far less
per request than a Python generator would (locust needs about a core for ~1,000 requests/s).

    .venv/bin/python bench/load_bench.py --seconds 10 --workers 2

Needs ``wrk`` (Debian package ``wrk``); as root the script installs it with apt-get when it is
missing, otherwise it says so and stops without failing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from microcred.accounts.actor import SYSTEM  # noqa: E402
from microcred.crypto import proofs  # noqa: E402
from microcred.crypto.canon import DEFAULT_LIMITS  # noqa: E402
from microcred.crypto.did import DidResolver  # noqa: E402
from microcred.issuers.service import IssuerInput  # noqa: E402
from microcred.issuing.issuance import IssueRequest  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402

CONNECTIONS = 20
CREDENTIALS = 4

# wrk calls request() for every request: the bodies (one per credential) are sent in turn.
# done() prints the figures as one JSON line, which main() reads.
WRK_SCRIPT = """
local bodies = {}
local method = os.getenv("LOAD_METHOD")
for line in io.lines(os.getenv("LOAD_BODIES")) do bodies[#bodies + 1] = line end
local n = 0
request = function()
  n = n + 1
  -- 20 clients behind the load balancer: per-client limits apply to each, not to all at once
  local client = "10.0.0." .. ((n % 20) + 1)
  if method == "POST" then
    return wrk.format("POST", nil,
                      {["Content-Type"] = "application/json", ["X-Forwarded-For"] = client},
                      bodies[(n % #bodies) + 1])
  end
  return wrk.format("GET", bodies[(n % #bodies) + 1],
                    {["Accept"] = "text/html", ["X-Forwarded-For"] = client})
end
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
            + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'LOAD {"requests": %d, "seconds": %f, "p50": %f, "p99": %f, "bad": %d}\\n',
    summary.requests, seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    bad))
end
"""


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    bodies: list[str]  # POST: one JSON body per line; GET: one path per line
    path: str
    target_rate: float
    target_p99_ms: float


def rate(operation: Callable[[int], object], seconds: float) -> float:
    """Calls of ``operation(i)`` per CPU second of this process (one thread, so one core)."""
    for i in range(10):
        operation(i)
    count, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for _ in range(20):
            operation(count)
            count += 1
    return count / (time.process_time() - start)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk not found: installing the Debian package")
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
        )
        found = shutil.which("wrk")
    return found


def make_site(settings: Settings) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One issuer, one achievement, a few credentials; their documents and the DID document."""
    runtime = Runtime(settings)
    try:
        issuer = runtime.issuers.create(
            SYSTEM, IssuerInput(slug="load", name="Load Test Academy", country="DE")
        )
        achievement = runtime.achievements.create(
            SYSTEM,
            issuer.id,
            {
                "name": "Load Testing",
                "description": "Keeps a service answering under load.",
                "criteria": {"narrative": "Ran the load bench."},
            },
        )
        requests = [
            IssueRequest(achievement.id, email=f"learner{n}@example.org", name=f"Learner {n}")
            for n in range(CREDENTIALS)
        ]
        rows = runtime.issuance.issue(SYSTEM, issuer.id, requests)
        return [row.document for row in rows], dict(runtime.issuers.did_document(issuer.slug))
    finally:
        runtime.close()


def engine_rates(
    settings: Settings,
    documents: list[dict[str, Any]],
    did_document: dict[str, Any],
    seconds: float,
) -> tuple[float, float]:
    """The engine (proof check alone, DID document at hand) and the service in process."""

    class Resolver(DidResolver):
        def resolve(self, did: str) -> Any:
            return did_document

    resolver = Resolver()
    engine = rate(
        lambda i: proofs.verify(documents[i % len(documents)], resolver, limits=DEFAULT_LIMITS),
        seconds,
    )
    # As the server runs it: verifications counted in the background (queue_immediate off).
    runtime = Runtime(settings.model_copy(update={"queue_immediate": False}))
    try:
        data = [json.dumps(d).encode() for d in documents]
        first = runtime.verification.verify_bytes(data[0])
        assert first.verified, first.to_json()
        service = rate(lambda i: runtime.verification.verify_bytes(data[i % len(data)]), seconds)
    finally:
        runtime.close()
    return engine, service


def asgi_costs(settings: Settings, endpoints: list[Endpoint], rounds: int = 5) -> list[float]:
    """CPU ms per request of each endpoint through the ASGI application in this process, no
    HTTP and no server around it (the least of ``rounds`` rounds of 200, one thread): what the
    service layer itself costs, which the machine's other load hardly moves."""
    from microcred.web.app import create_app

    runtime = Runtime(settings.model_copy(update={"queue_immediate": False}))
    app = create_app(runtime)

    async def call(endpoint: Endpoint, body_or_path: str, n: int) -> int:
        post = endpoint.method == "POST"
        path = endpoint.path if post else body_or_path
        headers = [(b"host", b"127.0.0.1"), (b"x-forwarded-for", f"10.0.1.{n % 20}".encode())]
        kind = (b"content-type", b"application/json") if post else (b"accept", b"text/html")
        headers.append(kind)
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": endpoint.method, "scheme": "http", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": headers, "client": (f"10.0.1.{n % 20}", 40000), "server": ("127.0.0.1", 80),
        }  # fmt: skip
        body = body_or_path.encode() if post else b""
        sent = False
        status = [0]

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # no disconnect while the answer is made
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]

        await app(scope, receive, send)
        return status[0]

    async def measure() -> list[float]:
        costs = []
        async with app.router.lifespan_context(app):
            for endpoint in endpoints:
                for n in range(50):
                    assert await call(endpoint, endpoint.bodies[n % len(endpoint.bodies)], n) == 200
                best = float("inf")
                for _ in range(rounds):
                    start = time.process_time()
                    for n in range(200):
                        await call(endpoint, endpoint.bodies[n % len(endpoint.bodies)], n)
                    best = min(best, (time.process_time() - start) / 200)
                costs.append(best * 1000)
        return costs

    try:
        return asyncio.run(measure())
    finally:
        runtime.close()


@contextmanager
def served(
    env: dict[str, str], port: int, workers: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "microcred.web.asgi:create_web_app",
        "--factory",
        "--workers",
        str(workers),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--http",  # as microcred serve runs it (web/http_protocol.py)
        "microcred.web.http_protocol:CoalescingHttpToolsProtocol",
        # The generator stands for 20 clients behind a proxy on loopback (X-Forwarded-For).
        "--forwarded-allow-ips",
        "127.0.0.1",
        "--log-level",
        "warning",
    ]
    # The request log goes to a file, as a deployment's goes to its collector.
    with log.open("wb") as sink:
        server = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.3)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (uvicorn's master and its worker processes)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(parents.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def drive(
    wrk: str,
    port: int,
    endpoint: Endpoint,
    seconds: float,
    folder: Path,
    server: list[int],
    connections: int = CONNECTIONS,
) -> dict[str, Any]:
    script = folder / "load.lua"
    script.write_text(WRK_SCRIPT)
    bodies = folder / f"{endpoint.name.replace(' ', '_').replace('/', '_')}.txt"
    bodies.write_text("\n".join(endpoint.bodies) + "\n")
    env = {**os.environ, "LOAD_METHOD": endpoint.method, "LOAD_BODIES": str(bodies)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(server)
    done = subprocess.run(
        [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{endpoint.path}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = cpu_seconds(server) - server_before
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOAD "))
    figures: dict[str, Any] = json.loads(line.removeprefix("LOAD "))
    figures["rate"] = figures["requests"] / figures["seconds"]
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    figures["generator_cpu"] = cpu / figures["seconds"]  # cores wrk held
    figures["server_cpu"] = server_cpu / figures["seconds"]  # cores the server held
    figures["per_cpu"] = figures["requests"] / server_cpu if server_cpu else 0.0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--engine-seconds", type=float, default=2.0)
    parser.add_argument("--database-url", help="e.g. a fresh PostgreSQL database; else SQLite")
    parser.add_argument("--connections", type=int, default=CONNECTIONS, help="wrk's clients")
    parser.add_argument("--only", help="only the endpoints whose name contains this text")
    args = parser.parse_args()
    wrk = ensure_wrk()
    if wrk is None:
        print("load_bench: skipped, wrk is not installed (Debian package wrk)")
        return
    port = free_port()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        env = {
            **os.environ,
            "MICROCRED_DATA_DIR": str(folder / "data"),
            "MICROCRED_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "MICROCRED_LOG_FORMAT": "text",
            "PYTHONPATH": str(ROOT / "src"),
        }
        if args.database_url:
            env["MICROCRED_DATABASE_URL"] = args.database_url
        settings = Settings(
            data_dir=folder / "data",
            database_url=args.database_url,
            public_url=f"http://127.0.0.1:{port}",
            queue_immediate=True,
        )
        documents, did_document = make_site(settings)
        engine, service = engine_rates(settings, documents, did_document, args.engine_seconds)
        credential_bodies = [json.dumps({"credential": d}) for d in documents]
        vcapi_bodies = [json.dumps({"verifiableCredential": d}) for d in documents]
        pages = [f"/credentials/{d['id'].rsplit('/', 1)[-1]}" for d in documents]
        endpoints = [
            Endpoint("POST /api/v1/verify", "POST", credential_bodies, "/api/v1/verify", 1000, 50),
            Endpoint(
                "POST /credentials/verify", "POST", vcapi_bodies, "/credentials/verify", 1000, 50
            ),
            Endpoint("credential page (HTML)", "GET", pages, pages[0], 1500, 30),
            Endpoint("GET /verify", "GET", ["/verify"], "/verify", 3000, 1e9),
        ]
        print(
            f"engine (proofs.verify, eddsa-rdfc-2022): {engine:8.0f} verifications/s per core\n"
            f"service in process (verify_bytes):       {service:8.0f} verifications/s per core\n"
            f"server: uvicorn --workers {args.workers}, "
            f"{'PostgreSQL' if args.database_url else 'SQLite'}; "
            f"load: wrk, {args.connections} connections, {args.seconds:g} s each; "
            f"{os.cpu_count()} cores shared by server and generator\n"
        )
        if args.only:
            endpoints = [e for e in endpoints if args.only in e.name]
        in_process = asgi_costs(settings, endpoints)
        with served(env, port, args.workers, folder / "server.log") as process:
            tree = process_tree(process.pid)
            for endpoint in endpoints:  # warm every worker's caches and connections
                drive(wrk, port, endpoint, 1, folder, tree, args.connections)
            print(
                f"{'endpoint':26} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'bad':>4} "
                f"{'x engine':>8} {'srv cores':>9} {'req/srv-cpu-s':>13} {'wrk cores':>9} "
                f"{'asgi ms':>7}  target"
            )
            for endpoint, cost in zip(endpoints, in_process, strict=True):
                f = drive(wrk, port, endpoint, args.seconds, folder, tree, args.connections)
                met = f["rate"] >= endpoint.target_rate and f["p99"] <= endpoint.target_p99_ms
                target = f">= {endpoint.target_rate:g}/s" + (
                    f", p99 <= {endpoint.target_p99_ms:g} ms"
                    if endpoint.target_p99_ms < 1e9
                    else ""
                )
                print(
                    f"{endpoint.name:26} {f['rate']:7.0f} {f['p50']:7.1f} {f['p99']:7.1f} "
                    f"{f['bad']:4d} {f['rate'] / engine:8.2f} {f['server_cpu']:9.2f} "
                    f"{f['per_cpu']:13.0f} {f['generator_cpu']:9.2f} {cost:7.3f}  "
                    f"{target}: {'met' if met else 'NOT met'}"
                )
            print(
                "\nreq/s and latency are wall-clock under the generator; srv cores: CPU the "
                "server's processes held (of 2); req/srv-cpu-s: requests per CPU second of the "
                "server, which other load on the machine does not lower; x engine: req/s over "
                "the engine's verifications/s per core; asgi ms: CPU per request through the "
                "application in this process, without HTTP or server (least of 5 x 200)."
            )


if __name__ == "__main__":
    main()
