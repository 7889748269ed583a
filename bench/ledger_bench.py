"""Benchmark of the pure transparency log: append rate, and proof time and size as the log grows.

Run standalone: ``.venv/bin/python bench/ledger_bench.py [--max-entries N] [--budget SECONDS]``.
First the append rate (one million single appends, then one million in batches). Then, for tree
sizes 10**3, 10**4, ... up to ``--max-entries`` (default ten million, skipped if the predicted
time exceeds the budget), it times inclusion and consistency proofs (generation from the store,
and verification) and reports their size in bytes, which grows with log2(n). Tree sizes below
the log's current size are past tree heads, proved from the same stored nodes.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from microcred.ledger import (
    MemoryLogStore,
    MerkleLog,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

SAMPLES = 2000
TEMPLATE = '{"type":"issued","credential":"urn:uuid:%08x-5c1e-4a7e-9b2d-1f0c3e5a7b9d","seq":%d}'
ENTRIES = [(TEMPLATE % (i, i)).encode() for i in range(1 << 16)]  # ~90 bytes, like a log event


@dataclass
class ProofFigures:
    generate_us: float
    verify_us: float
    mean_bytes: float
    max_bytes: int


def _entry(index: int) -> bytes:
    return ENTRIES[index & 0xFFFF]


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure_appends(count: int) -> tuple[MerkleLog, float, float]:
    """Appends ``count`` entries one call each, then as many again in batches; returns rates."""
    log = MerkleLog(MemoryLogStore())
    append = log.append
    single = _timed(lambda: [append(_entry(i)) for i in range(count)])
    batched = _timed(lambda: grow(log, 2 * count))
    return log, count / single, count / batched


def grow(log: MerkleLog, size: int, batch: int = 65536) -> None:
    while log.size < size:
        start = log.size
        log.extend(_entry(i) for i in range(start, min(size, start + batch)))


def measure_inclusion(log: MerkleLog, size: int, rng: random.Random) -> ProofFigures:
    """Proofs for the tree of the first ``size`` entries (a past size if the log is bigger)."""
    root, store = log.root(size), log.store
    indices = [rng.randrange(size) for _ in range(SAMPLES)]
    start = time.perf_counter()
    proofs = [inclusion_proof(store, index, size) for index in indices]
    generate = time.perf_counter() - start
    start = time.perf_counter()
    for index, proof in zip(indices, proofs, strict=True):
        verify_inclusion(
            leaf_hash=leaf_hash(_entry(index)), index=index, tree_size=size, proof=proof, root=root
        )
    verify = time.perf_counter() - start
    sizes = [32 * len(proof) for proof in proofs]
    return ProofFigures(
        1e6 * generate / SAMPLES, 1e6 * verify / SAMPLES, sum(sizes) / SAMPLES, max(sizes)
    )


def measure_consistency(log: MerkleLog, size: int, rng: random.Random) -> ProofFigures:
    root, store = log.root(size), log.store
    olds = [rng.randrange(1, size) for _ in range(SAMPLES)]
    old_roots = [log.root(old) for old in olds]  # what each client would hold from a checkpoint
    start = time.perf_counter()
    proofs = [consistency_proof(store, old, size) for old in olds]
    generate = time.perf_counter() - start
    start = time.perf_counter()
    for old, old_root, proof in zip(olds, old_roots, proofs, strict=True):
        verify_consistency(size1=old, size2=size, proof=proof, root1=old_root, root2=root)
    verify = time.perf_counter() - start
    sizes = [32 * len(proof) for proof in proofs]
    return ProofFigures(
        1e6 * generate / SAMPLES, 1e6 * verify / SAMPLES, sum(sizes) / SAMPLES, max(sizes)
    )


def _peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-entries", type=int, default=10_000_000)
    parser.add_argument("--budget", type=float, default=100.0, help="seconds, roughly")
    args = parser.parse_args()
    began = time.perf_counter()
    rng = random.Random(9162)

    print("microcred.ledger benchmark (in-memory store, SHA-256, one Python thread)")
    log, single_rate, batch_rate = measure_appends(min(1_000_000, args.max_entries // 2))
    print(f"append, one call per entry : {single_rate:>10,.0f} entries/s")
    print(f"extend, batches of 65,536  : {batch_rate:>10,.0f} entries/s")
    print()
    print(
        f"{'tree size':>11} {'log2':>5} | {'incl gen':>9} {'incl ver':>9} {'incl B':>7} | "
        f"{'cons gen':>9} {'cons ver':>9} {'cons B':>7} {'max B':>6} | {'peak RSS':>9}"
    )
    print(
        f"{'':>11} {'':>5} | {'us':>9} {'us':>9} {'mean':>7} | "
        f"{'us':>9} {'us':>9} {'mean':>7} {'':>6} | {'MiB':>9}"
    )
    size = 1000
    while size <= args.max_entries:
        missing = max(0, size - log.size)
        predicted = missing / batch_rate
        elapsed = time.perf_counter() - began
        if elapsed + predicted > args.budget:
            print(f"{size:>11,} skipped: about {predicted:.0f} s more would exceed the budget")
            break
        grow(log, size)
        inclusion = measure_inclusion(log, size, rng)
        consistency = measure_consistency(log, size, rng)
        print(
            f"{size:>11,} {math.log2(size):>5.1f} | "
            f"{inclusion.generate_us:>9.1f} {inclusion.verify_us:>9.1f} "
            f"{inclusion.mean_bytes:>7.0f} | "
            f"{consistency.generate_us:>9.1f} {consistency.verify_us:>9.1f} "
            f"{consistency.mean_bytes:>7.0f} {consistency.max_bytes:>6} | "
            f"{_peak_rss_mib():>9.0f}"
        )
        size *= 10
    print()
    print(f"total {time.perf_counter() - began:.1f} s; proofs are one batched store read each")


if __name__ == "__main__":
    main()
