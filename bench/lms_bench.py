"""Learning platforms at size (SQLite file, the embedded default), against issue 17's targets:
10,000 xAPI statements posted in batches of 100 are judged against 100 award rules in <= 10 s
(two workers), and one LTI launch costs <= 20 ms of server time with the platform's JWKS cached.

* intake: 10,000 statements of 1,000 learners (completions and scores over 140 activities),
  100 batches of 100 posted to ``POST /xapi/statements`` by two threads, each with its own
  client; 100 rules (50 "completed", 30 "score >= 0.8", 20 "all of these 3 modules"). Each
  batch is validated, stored, judged (progress, rules, awards) in one transaction and its
  award job queued (the jobs are not run here: issuing is the next figure);
* awarding: the award jobs for the first 500 awards run in this process (sign + store each
  credential), as credentials per second, beside the intake's statements per second;
* LTI: ``POST /lti/launch`` with a fresh login each round (the login is not timed), the id_token
  signed by a platform key made here with joserfc, its JWKS served on loopback and cached by
  the tool after the first launch; median and 95th percentile, and the id_token's signature
  check alone as the floor.

    .venv/bin/python bench/lms_bench.py [--launches 200]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402
from joserfc import jwt  # noqa: E402
from joserfc.jwk import KeySet, RSAKey  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from microcred.accounts.actor import SYSTEM  # noqa: E402
from microcred.issuers.service import IssuerInput  # noqa: E402
from microcred.lms.rules import RuleSpec  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402
from microcred.store.tables import LmsAwardRow  # noqa: E402
from microcred.web.app import create_app  # noqa: E402

STATEMENTS, BATCH, LEARNERS = 10_000, 100, 1_000
COURSE = "https://lms.example.org/course/1"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ACHIEVEMENT = {
    "name": "Module badge",
    "description": "Completed a module.",
    "criteria": {"narrative": "Complete the module."},
}


def rules(runtime: Runtime, issuer_id: str) -> None:
    achievement = runtime.achievements.create(SYSTEM, issuer_id, ACHIEVEMENT).id
    specs = [RuleSpec("completed", (f"{COURSE}/a/{n}",)) for n in range(50)]
    specs += [RuleSpec("score", (f"{COURSE}/b/{n}",), 0.8) for n in range(30)]
    specs += [
        RuleSpec("modules", tuple(f"{COURSE}/c/{3 * n + k}" for k in range(3))) for n in range(20)
    ]
    for spec in specs:
        runtime.lms.add_rule(SYSTEM, issuer_id, achievement_id=achievement, spec=spec)


def statements(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    made = []
    for _ in range(STATEMENTS):
        pool = rng.choice("abc")
        activity = f"{COURSE}/{pool}/{rng.randrange({'a': 50, 'b': 30, 'c': 60}[pool])}"
        statement: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": {"mbox": f"mailto:learner{rng.randrange(LEARNERS)}@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": activity, "definition": {"name": {"en": "Module"}}},
            "timestamp": "2026-12-07T10:00:00Z",
        }
        if pool == "b":
            statement["verb"] = {"id": "http://adlnet.gov/expapi/verbs/scored"}
            statement["result"] = {"score": {"scaled": round(rng.random(), 2)}}
        made.append(statement)
    return made


def intake(runtime: Runtime, headers: dict[str, str], seed: int) -> tuple[float, float]:
    batches = [statements(seed)[i : i + BATCH] for i in range(0, STATEMENTS, BATCH)]
    queue = list(enumerate(batches))
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        with TestClient(create_app(runtime)) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    _n, batch = queue.pop()
                answer = client.post("/xapi/statements", json=batch, headers=headers)
                if answer.status_code != 200:
                    failures.append(answer.text)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if failures:
        raise SystemExit(f"intake failed: {failures[0]}")
    return elapsed, cpu


class Platform:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "p1", "alg": "RS256"}, private=True)
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"keys": [platform.key.as_dict(private=False)]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.jwks_url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"

    def token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://moodle.example.edu",
            "aud": "tool",
            "sub": "user-1",
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "email": "lea@example.org",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": "1",
            LTI + "target_link_uri": "https://badges.example.org/wallet",
            LTI + "resource_link": {"id": "r1"},
            LTI + "roles": [],
        }
        return jwt.encode({"alg": "RS256", "kid": "p1"}, claims, self.key)


def launches(
    runtime: Runtime, issuer_id: str, rounds: int
) -> tuple[list[float], list[float], float]:
    platform = Platform()
    runtime.lti.add_platform(
        SYSTEM,
        issuer_id,
        platform_issuer="https://moodle.example.edu",
        client_id="tool",
        deployment_ids=["1"],
        auth_url="https://moodle.example.edu/auth",
        token_url="https://moodle.example.edu/token",
        jwks_url=platform.jwks_url,
    )
    times: list[float] = []
    cpu_times: list[float] = []
    params = {
        "iss": "https://moodle.example.edu",
        "login_hint": "u",
        "target_link_uri": "https://badges.example.org/wallet",
    }
    with TestClient(create_app(runtime)) as client:
        for number in range(rounds + 1):
            login = client.get("/lti/login", params=params, follow_redirects=False)
            query = {
                k: v[0] for k, v in parse_qs(urlsplit(login.headers["location"]).query).items()
            }
            form = {"id_token": platform.token(query["nonce"]), "state": query["state"]}
            started, cpu = time.perf_counter(), time.process_time()
            answer = client.post("/lti/launch", data=form, follow_redirects=False)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            if answer.status_code != 303:
                raise SystemExit(f"launch failed: {answer.text}")
            if number:  # the first launch fetched the JWKS
                times.append(elapsed * 1000)
                cpu_times.append(cpu * 1000)
    keys = KeySet.import_key_set({"keys": [platform.key.as_dict(private=False)]})
    token = platform.token("n")
    started = time.perf_counter()
    for _ in range(200):
        jwt.decode(token, keys, algorithms=["RS256"])
    floor = (time.perf_counter() - started) / 200 * 1000
    platform.server.shutdown()
    return times, cpu_times, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            data_dir=Path(directory),
            public_url="https://badges.example.org",
            fetch_allow_networks=["127.0.0.0/8"],
        )
        runtime = Runtime(settings)
        issuer = runtime.issuers.create(
            SYSTEM, IssuerInput(slug="bench", name="Bench", url="https://bench.example")
        )
        rules(runtime, issuer.id)
        row, secret = runtime.lms.create_lrs_key(SYSTEM, issuer.id, "bench")
        basic = base64.b64encode(f"{row.key}:{secret}".encode()).decode()
        headers = {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}

        seconds, cpu = intake(runtime, headers, seed=17)
        with runtime.sessions() as session:
            awards = list(session.scalars(select(LmsAwardRow.id).order_by(LmsAwardRow.created_at)))
            total = session.scalar(select(func.count()).select_from(LmsAwardRow))
        sample = awards[:500]
        started = time.perf_counter()
        for start in range(0, len(sample), 100):
            runtime.lms.award_job(issuer.id, *sample[start : start + 100])
        award_seconds = time.perf_counter() - started

        times, cpu_times, floor = launches(runtime, issuer.id, args.launches)
        runtime.close()

    rate = STATEMENTS / seconds
    print(f"xAPI intake: {STATEMENTS} statements in batches of {BATCH}, 100 rules, 2 workers")
    print(f"  {seconds:6.2f} s   (target <= 10 s)   {rate:8.0f} statements/s   {total} awards made")
    # The machine is shared: the process's own CPU time says what the work cost.
    print(f"  {cpu:6.2f} s of this process's CPU time   load average {os.getloadavg()[0]:.1f}")
    credentials = len(sample) / award_seconds
    print(f"awarding: {len(sample)} awards issued in {award_seconds:.2f} s")
    print(
        f"  {credentials:8.0f} credentials/s   ({rate / credentials:.1f} statements judged "
        "per credential issued, same run)"
    )
    median, p95 = statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]
    print(f"LTI launch, JWKS cached, {len(times)} launches")
    print(f"  median {median:6.2f} ms   p95 {p95:6.2f} ms   (target <= 20 ms)")
    print(f"  median CPU time {statistics.median(cpu_times):6.2f} ms (test client and server)")
    print(f"  floor: the id_token's RS256 check alone {floor:.3f} ms ({median / floor:.0f}x)")


if __name__ == "__main__":
    main()
