"""What counting costs the public credential page (SQLite file, the embedded default).

Times, in the same run and interleaved so a busy machine slows all alike:

* the floor: reading the credential row by id (``credentials.get_public``), the least a page does;
* ``events.record(id, "shared")``: the one INSERT ... SELECT ... ON CONFLICT DO UPDATE a share
  or a verification costs (after the first, it counts up the day's row);
* ``events.record(id, "claimed")`` once claimed: the repeat visit of the private link;
* the public page through the ASGI app, and the private-link page (whose claim runs after the
  response, as a background task, but inside TestClient's call, so it is included here).

Prints medians in milliseconds and each as a ratio to the floor.

    .venv/bin/python bench/pages_bench.py --rounds 300
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402

from microcred.accounts.actor import SYSTEM  # noqa: E402
from microcred.issuers.service import IssuerInput  # noqa: E402
from microcred.issuing.issuance import IssueRequest  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402
from microcred.web.app import create_app  # noqa: E402

HTML = {"Accept": "text/html"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder) / "data",
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            public_url="https://badges.example.org",
            queue_immediate=True,
        )
        runtime = Runtime(settings)
        issuer = runtime.issuers.create(SYSTEM, IssuerInput(slug="bench", name="Bench Academy"))
        achievement = runtime.achievements.create(
            SYSTEM, issuer.id, {"name": "Bench", "description": "d", "criteria": {"narrative": "n"}}
        )
        (row,) = runtime.issuance.issue(
            SYSTEM, issuer.id, [IssueRequest(achievement.id, email="a@example.org", name="A")]
        )
        runtime.events.record(row.id, "claimed")
        private = runtime.recipients.private_url(row.id).removeprefix(settings.base_url)
        with TestClient(create_app(runtime), base_url="https://testserver") as web:
            cases: dict[str, Callable[[], object]] = {
                "floor: read the credential row": lambda: runtime.credentials.get_public(row.id),
                "record a share (one upsert)": lambda: runtime.events.record(row.id, "shared"),
                "repeat claim (nothing written)": lambda: runtime.events.record(row.id, "claimed"),
                "public page": lambda: web.get(f"/credentials/{row.id}", headers=HTML),
                "private-link page (+ claim)": lambda: web.get(private, headers=HTML),
            }
            times = {name: [] for name in cases}
            for case in cases.values():  # warm caches, templates, connections
                case()
            for _ in range(args.rounds):
                for name, case in cases.items():
                    start = time.perf_counter()
                    case()
                    times[name].append(time.perf_counter() - start)
        runtime.close()
    floor = statistics.median(times["floor: read the credential row"])
    page = statistics.median(times["public page"])
    print(f"{'case':34} {'median ms':>10} {'x floor':>8} {'x page':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:34} {median * 1000:10.3f} {median / floor:8.2f} {median / page:8.2f}")


if __name__ == "__main__":
    main()
