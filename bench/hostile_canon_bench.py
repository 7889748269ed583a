"""Issue 20, defect 2: what a credential built to make RDFC-1.0 explode costs the verifier now,
beside an ordinary credential verified in the same run.

Each hostile credential carries a clique of look-alike blank nodes (and a did:key proof, which
anyone can make, so the proof check reaches canonicalization). Before the fix each cost 10-12 s
(two child processes at their 5 s deadline); now it is refused before any n-degree hashing.
Prints the median time to refuse each size and to verify the ordinary one, and their ratio.

    .venv/bin/python bench/hostile_canon_bench.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.platform.test_verify_work_limits import (  # noqa: E402
    good_credential,
    hostile_credential,
)

from microcred.crypto.canon import Limits  # noqa: E402
from microcred.crypto.work import WorkBudget  # noqa: E402
from microcred.verify import Verifier  # noqa: E402

ROUNDS = 20


def median_seconds(credential: dict[str, object]) -> tuple[float, bool, float]:
    times: list[float] = []
    verified, spent = False, 0.0
    for _ in range(ROUNDS):
        budget = WorkBudget()
        verifier = Verifier(limits=Limits(budget=budget))
        started = time.perf_counter()
        verified = verifier.verify(credential).verified
        times.append(time.perf_counter() - started)
        spent += budget.spent
    return statistics.median(times), verified, spent


def main() -> None:
    ordinary, ok, _ = median_seconds(good_credential())
    print(f"ordinary credential verified ({ok}): {ordinary * 1000:.2f} ms median")
    for nodes in (10, 30, 60):
        refused, verified, spent = median_seconds(hostile_credential(nodes))
        print(
            f"clique of {nodes:2} look-alike blank nodes refused (verified={verified}): "
            f"{refused * 1000:.2f} ms median, {refused / ordinary:.1f}x the ordinary one, "
            f"child-process time {spent:.2f} s over {ROUNDS} runs"
        )


if __name__ == "__main__":
    main()
