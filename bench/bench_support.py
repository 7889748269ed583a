"""What the page benchmarks share: a runtime on a throw-away SQLite file with one issuer and
one achievement, and interleaved timing (every case once per round, so a busy machine slows
all alike).

Imported by scripts run as ``python bench/NAME.py`` (this folder is then first on the path).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from microcred.accounts.actor import SYSTEM  # noqa: E402
from microcred.issuers.service import IssuerInput  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402


@dataclass(frozen=True)
class BenchSite:
    runtime: Runtime
    settings: Settings
    issuer_id: str
    achievement_id: str


@contextmanager
def bench_site(**achievement_options: Any) -> Iterator[BenchSite]:
    """A runtime (jobs run in the caller) with the issuer "Bench Academy" and its achievement
    "Bench"; ``achievement_options`` go to ``achievements.create``. Closed and deleted after."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder) / "data",
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            public_url="https://badges.example.org",
            queue_immediate=True,
        )
        runtime = Runtime(settings)
        try:
            issuer = runtime.issuers.create(SYSTEM, IssuerInput(slug="bench", name="Bench Academy"))
            achievement = runtime.achievements.create(
                SYSTEM,
                issuer.id,
                {"name": "Bench", "description": "d", "criteria": {"narrative": "n"}},
                **achievement_options,
            )
            yield BenchSite(runtime, settings, issuer.id, achievement.id)
        finally:
            runtime.close()


def interleaved(cases: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each case: one warm-up call each, then ``rounds`` rounds."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for case in cases.values():  # warm caches, templates, connections
        case()
    for _ in range(rounds):
        for name, case in cases.items():
            start = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - start)
    return times
