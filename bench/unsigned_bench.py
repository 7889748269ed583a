"""What the unsigned-content checks (crypto/unsigned.py, issue 2) cost eddsa-rdfc-2022.

Each figure is the time per call with the checks, beside the same call with the checks replaced
by no-ops (the floor), in interleaved rounds in one process; the best of five rounds each, CPU
time. The machine is shared, so read the ratios. The credential is the OB 3.0 fixture of
bench/run.py, with a new id for each issuance.

- sign / verify: the cached fast path, where no check should run per document;
- general path: canonicalization without the fast path (inline contexts, odd strings);
- first document of a shape: the template build, which now also converts the coverage copy.
"""

from __future__ import annotations

import copy
import json
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from microcred.crypto import canon, proofs, unsigned  # noqa: E402
from microcred.crypto.canon import DEFAULT_LIMITS  # noqa: E402
from microcred.crypto.did import DidResolver  # noqa: E402
from microcred.crypto.keys import KeyFile, SigningKey  # noqa: E402

FIXTURE = ROOT / "tests" / "interop" / "fixtures" / "ob3-realistic.json"
ROUNDS = 5
CHECKS = ("check_pinned", "check_coverage", "screened")
NO_OPS: dict[str, Callable[..., Any]] = {
    "check_pinned": lambda values: None,
    "check_coverage": lambda doc, nquads_of: None,
    "screened": lambda quad, problems: quad,
}


def per_call_us(operation: Callable[[int], object], count: int) -> float:
    start = time.process_time()
    for i in range(count):
        operation(i)
    return (time.process_time() - start) / count * 1e6


def main() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))
    docs = []
    for _ in range(200):
        doc = copy.deepcopy(base)
        doc["id"] = f"urn:uuid:{uuid.uuid4()}"
        doc["issuer"] = {**doc["issuer"], "id": key.controller}
        docs.append(doc)
    vm = key.verification_method
    signed = [proofs.sign(d, key.key, verification_method=vm) for d in docs]
    resolver = DidResolver()

    def first_of_shape(i: int) -> None:
        canon.clear_fast_path_cache()
        canon.canonicalize(docs[i % 200])

    cases: list[tuple[str, Callable[[int], object], int]] = [
        ("sign", lambda i: proofs.sign(docs[i % 200], key.key, verification_method=vm), 2000),
        ("verify", lambda i: proofs.verify(signed[i % 200], resolver, limits=DEFAULT_LIMITS), 2000),
        ("general path", lambda i: canon.canonicalize(docs[i % 200], use_fast_path=False), 100),
        ("first document of a shape", first_of_shape, 30),
    ]
    real = {name: getattr(unsigned, name) for name in CHECKS}
    print("unsigned-content checks: time per call, with the checks / with no-ops (the floor)")
    for name, operation, count in cases:
        best = {"checks": float("inf"), "floor": float("inf")}
        for _ in range(ROUNDS):
            for label, hooks in (("checks", real), ("floor", NO_OPS)):
                for attribute, hook in hooks.items():
                    setattr(unsigned, attribute, hook)
                best[label] = min(best[label], per_call_us(operation, count))
        for attribute, hook in real.items():
            setattr(unsigned, attribute, hook)
        ratio = best["checks"] / best["floor"]
        print(f"  {name:27s} {best['checks']:8.1f} us / {best['floor']:8.1f} us = {ratio:.2f}x")


if __name__ == "__main__":
    main()
