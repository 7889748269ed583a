"""What the presentation behind every employer hit costs (issue 16), beside the plain search
measured in the same run.

A throw-away SQLite server issues one real credential (eddsa-rdfc-2022, the server's issuer)
to each of N learners, all shared with employers. Each round runs the same search, 20 results,
once plain (``EmployerSearchService.search``) and once with a presentation per hit
(``PresentationService.search``: the credentials read again, a holder key per learner, an
eddsa-jcs-2022 proof per hit); then one hit's presentation through the VC-API verifier
(``/presentations/verify``: what the console's browser asks for each hit). Prints median and
p99, wall clock and process CPU, and the ratio presented / plain.

    .venv/bin/python bench/employer_presentations_bench.py [--learners 400] [--rounds 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.platform.careers_support import make_catalogue  # noqa: E402
from tests.platform.wallet_support import make_learner  # noqa: E402

from microcred.accounts.actor import SYSTEM  # noqa: E402
from microcred.issuers.service import IssuerInput  # noqa: E402
from microcred.issuing.issuance import IssueRequest  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402


def timed(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = call(*args, **kwargs)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def line(name: str, wall: list[float], cpu: list[float]) -> str:
    return (
        f"{name:<34} wall p50 {statistics.median(wall):7.1f} / p99 {p99(wall):7.1f} ms   "
        f"CPU p50 {statistics.median(cpu):7.1f} / p99 {p99(cpu):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        runtime = Runtime(
            Settings(
                data_dir=base / "data",
                database_url=f"sqlite:///{base / 'microcred.db'}",
                public_url="https://badges.example.org",
                queue_immediate=True,
            )
        )
        issuer = runtime.issuers.create(
            SYSTEM, IssuerInput(slug="alpha", name="Alpha Academy", url="https://alpha.example")
        )
        ids = make_catalogue(runtime, issuer.id, eu=False)
        names = list(ids)
        for n in range(args.learners):
            email = f"learner{n}@example.org"
            learner = make_learner(runtime, email)
            [row] = runtime.issuance.issue(
                SYSTEM, issuer.id, [IssueRequest(ids[names[n % len(names)]], email=email)]
            )
            runtime.employer_search.share(learner, row.id)
        plain: tuple[list[float], list[float]] = ([], [])
        presented: tuple[list[float], list[float]] = ([], [])
        verify: tuple[list[float], list[float]] = ([], [])
        employer = None
        for round_ in range(args.rounds):
            if round_ % 25 == 0:  # 60 searches an hour each: a fresh employer now and then
                _, token = runtime.employer_search.create_employer(f"Employer {round_}")
                employer = runtime.employer_search.authenticate(token)
            assert employer is not None
            query: dict[str, Any] = {"skills": ["Python", "Tableau"], "limit": 20}
            wall, cpu, _ = timed(runtime.employer_search.search, employer, **query)
            plain[0].append(wall)
            plain[1].append(cpu)
            wall, cpu, found = timed(runtime.employer_presentations.search, employer, **query)
            presented[0].append(wall)
            presented[1].append(cpu)
            options = {"challenge": found.challenge, "domain": found.domain}
            wall, cpu, result = timed(
                runtime.vcapi.verify_presentation, found.hits[0].presentation, options
            )
            assert result.verified, result.errors
            verify[0].append(wall)
            verify[1].append(cpu)
        runtime.close()
    print(f"{args.learners} learners sharing, {args.rounds} rounds of 20 results")
    print(line("search (plain)", *plain))
    print(line("search + 20 presentations", *presented))
    print(line("verify one presentation (VC-API)", *verify))
    ratio = statistics.median(presented[1]) / max(statistics.median(plain[1]), 1e-9)
    extra = (statistics.median(presented[1]) - statistics.median(plain[1])) / 20
    print(f"presented / plain CPU (median): {ratio:.2f}x; about {extra:.2f} ms CPU per hit")


if __name__ == "__main__":
    main()
