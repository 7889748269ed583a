"""Re-evaluating every pathway for one learner (issue 15's target: <= 20 ms for a learner
holding 200 credentials and 50 pathways of 10 parts each), on SQLite (the embedded default).

Times, in the same run, each a median of interleaved rounds:

* the floor: reading what the learner holds (``pathways.held``: the states of the wallet's 200
  holdings; each credential's facts were read from its document once, on the first call);
* evaluating the 50 pathways over those facts, in memory (index built once, 50 trees);
* the whole re-evaluation (``pathways.progress``: read, index, the pathways from the store,
  50 trees), which is what an event for that learner costs before any award;
* the same on a cold process (no facts kept: every document read), for the record.

Half the pathways are complete, half miss a part, so both outcomes are walked. Prints medians
in milliseconds beside the target, and each as a ratio to the floor.

    .venv/bin/python bench/pathways_bench.py --rounds 30
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from microcred.accounts.actor import SYSTEM  # noqa: E402
from microcred.issuers.service import IssuerInput  # noqa: E402
from microcred.issuing.issuance import IssueRequest  # noqa: E402
from microcred.pathways.evaluate import HeldIndex, Plan, evaluate  # noqa: E402
from microcred.pathways.tree import parse_definition  # noqa: E402
from microcred.runtime import Runtime  # noqa: E402
from microcred.settings import Settings  # noqa: E402
from microcred.store.tables import LearnerEmailRow, LearnerRow  # noqa: E402

HELD = 200
PATHWAYS = 50
PARTS = 10
TARGET_MS = 20.0
EMAIL = "bench@example.org"


def setup(root: Path) -> Runtime:
    settings = Settings(
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'bench.db'}",
        public_url="https://badges.example.org",
        queue_immediate=True,
    )
    runtime = Runtime(settings)
    issuer = runtime.issuers.create(SYSTEM, IssuerInput(slug="bench", name="Bench University"))
    achievements = [
        runtime.achievements.create(
            SYSTEM,
            issuer.id,
            {
                "name": f"Module {n + 1}",
                "description": "A module.",
                "criteria": {"narrative": "Passed."},
                "creditsAvailable": 5,
            },
        ).id
        for n in range(HELD + PATHWAYS)  # one per pathway nobody holds: the incomplete half
    ]
    now = runtime.clock()
    with runtime.sessions.begin() as session:
        learner_id = str(uuid.uuid4())
        session.add(LearnerRow(id=learner_id, display_name="Bench", settings={}, created_at=now))
        session.flush()
        session.add(LearnerEmailRow(email=EMAIL, learner_id=learner_id, verified_at=now))
    runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=ref, email=EMAIL) for ref in achievements[:HELD]],
    )
    chooser = random.Random(15)
    for number in range(PATHWAYS):
        parts = chooser.sample(achievements[:HELD], PARTS)
        if number % 2:
            parts[-1] = achievements[HELD + number]  # never held: stays incomplete
        runtime.pathways.create(
            SYSTEM,
            issuer.id,
            {
                "name": f"Pathway {number + 1}",
                "requirement": {
                    "id": "root",
                    "type": "credits" if number % 3 == 0 else "allOf",
                    **({"min": 50} if number % 3 == 0 else {}),
                    "withinMonths": 24,
                    "of": [
                        {"id": f"p{i}", "type": "achievement", "achievement": ref}
                        for i, ref in enumerate(parts)
                    ],
                },
            },
        )
    return runtime


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runtime = setup(Path(folder))
        _key, held = runtime.pathways.held(EMAIL)
        definitions = [view.definition for view in runtime.pathways.all(state="active")]
        # Resolved as the service resolves them: achievement ids -> our achievement URLs.
        plans = [
            Plan(
                d,
                {
                    p.achievement: runtime.urls.achievement(p.achievement)
                    for p in d.root.parts()
                    if p.achievement
                },
            )
            for d in definitions
        ]
        now = runtime.clock()

        def in_memory() -> None:
            index = HeldIndex(held)
            for plan in plans:
                evaluate(plan, index, now)

        progress = runtime.pathways.progress(EMAIL)
        complete = sum(1 for p in progress if p.complete)
        assert len(held) == HELD, len(held)
        assert len(progress) == PATHWAYS, len(progress)

        def cold() -> None:
            runtime.pathways._cache = type(runtime.pathways._cache)()
            runtime.pathways._plans.clear()
            runtime.pathways.progress(EMAIL)

        cases: dict[str, Callable[[], object]] = {
            "read holdings (floor)": lambda: runtime.pathways.held(EMAIL),
            "evaluate 50 pathways in memory": in_memory,
            "re-evaluate all (progress)": lambda: runtime.pathways.progress(EMAIL),
            "re-evaluate all, cold process": cold,
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, run in cases.items():
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
        # Parse alone, for the record (the store keeps the checked JSON; reading re-parses).
        started = time.perf_counter()
        for definition in definitions:
            parse_definition(definition.to_json())
        parse_ms = (time.perf_counter() - started) * 1000
        runtime.close()

    floor = median_ms(times["read holdings (floor)"])
    print(
        f"pathways: {HELD} credentials held, {PATHWAYS} pathways of {PARTS} parts "
        f"({complete} complete), {args.rounds} rounds, SQLite"
    )
    # Medians and the best round: on a shared machine the median carries other work's noise.
    print(f"  {'':<34} {'median':>11} {'best':>11}")
    for name, samples in times.items():
        value = median_ms(samples)
        best = min(samples) * 1000
        target = f"  target <= {TARGET_MS:g} ms" if name.endswith("(progress)") else ""
        print(
            f"  {name:<34} {value:8.2f} ms {best:8.2f} ms  x{value / floor:5.2f} of floor{target}"
        )
    print(f"  parsing the 50 definitions once      {parse_ms:8.2f} ms")


if __name__ == "__main__":
    main()
