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
from collections.abc import Callable

from bench_support import bench_site, interleaved
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.web.app import create_app

HTML = {"Accept": "text/html"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with bench_site() as site:
        runtime = site.runtime
        (row,) = runtime.issuance.issue(
            SYSTEM,
            site.issuer_id,
            [IssueRequest(site.achievement_id, email="a@example.org", name="A")],
        )
        runtime.events.record(row.id, "claimed")
        private = runtime.recipients.private_url(row.id).removeprefix(site.settings.base_url)
        with TestClient(create_app(runtime), base_url="https://testserver") as web:
            cases: dict[str, Callable[[], object]] = {
                "floor: read the credential row": lambda: runtime.credentials.get_public(row.id),
                "record a share (one upsert)": lambda: runtime.events.record(row.id, "shared"),
                "repeat claim (nothing written)": lambda: runtime.events.record(row.id, "claimed"),
                "public page": lambda: web.get(f"/credentials/{row.id}", headers=HTML),
                "private-link page (+ claim)": lambda: web.get(private, headers=HTML),
            }
            times = interleaved(cases, args.rounds)
    floor = statistics.median(times["floor: read the credential row"])
    page = statistics.median(times["public page"])
    print(f"{'case':34} {'median ms':>10} {'x floor':>8} {'x page':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:34} {median * 1000:10.3f} {median / floor:8.2f} {median / page:8.2f}")


if __name__ == "__main__":
    main()
