"""Benchmark of the transparency log's storage: append rates in memory, SQLite and PostgreSQL,
and proof time and size as the log grows.

Run: ``.venv/bin/python bench/log_store_bench.py [--quick] [--postgres URL]``.

- Memory: single appends and batched appends through ``MerkleLog`` on ``MemoryLogStore``.
- SQL: ``SqlLogStore.append_entries`` on a migrated database, one transaction per batch, each
  batch also signing and storing a checkpoint, as the platform does. Batch 1 is the worst case
  (one event per transaction); batch 1000 is bulk issuance. Then inclusion and consistency
  proofs read from the SQL store (one node query each).
- The full recheck (``microcred log fsck``) of each SQL log: every entry rehashed, every node
  and checkpoint compared, read a chunk at a time.
- Proof time and size at 10**6 and 10**7 entries (``--quick``: 10**6 only) from the memory
  store; sizes are exact and are the same for any store.

The machine is shared, so every rate is also printed as a ratio to a floor measured in the
same run: SHA-256 leaf hashes of the same entries in a tight loop (the least work any append
or recheck does per entry).

PostgreSQL runs in a temporary database on the server at ``--postgres`` (default
MICROCRED_TEST_POSTGRES or postgres@127.0.0.1:5432) and is skipped if none answers.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, text

from microcred.ledger import (
    Checkpoint,
    MemoryLogStore,
    MerkleLog,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    sign_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from microcred.ledger.recheck import recheck
from microcred.ledger.store import LogStore
from microcred.store.db import make_engine, migrate, session_factory, transaction
from microcred.store.log import NewEntry, SqlLogStore, SqlRecheckSource
from microcred.verify.log_check import issuance_entry

ORIGIN = "bench.example.org/log"
KEY = Ed25519PrivateKey.generate()
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def entries(n: int, offset: int = 0) -> list[bytes]:
    # Real entries are ~75 bytes: the issuance commitment of a (tiny) credential.
    return [issuance_entry({"id": f"urn:uuid:{offset + i:032x}"}) for i in range(n)]


FLOOR = 0.0  # leaf hashes per second in this run, set by measure_floor()
TARGET_MEMORY_APPENDS = 50_000


def rate(count: int, seconds: float) -> str:
    per_second = count / seconds
    ratio = f"  {per_second / FLOOR:8.3g} x floor" if FLOOR else ""
    return f"{per_second:>12,.0f} entries/s{ratio}"


def measure_floor(n: int) -> None:
    global FLOOR
    items = entries(n)
    start = time.perf_counter()
    for item in items:
        leaf_hash(item)
    FLOOR = n / (time.perf_counter() - start)
    print(f"floor       leaf hashes         {FLOOR:>12,.0f} hashes/s   ({n:,} entries)")


# --- memory ----------------------------------------------------------------------------------


def bench_memory(n: int) -> None:
    items = entries(n)
    log = MerkleLog(MemoryLogStore())
    start = time.perf_counter()
    for item in items:
        log.append(item)
    single = time.perf_counter() - start
    log = MerkleLog(MemoryLogStore())
    start = time.perf_counter()
    for i in range(0, n, 1000):
        log.extend(items[i : i + 1000])
    batched = time.perf_counter() - start
    print(f"memory      single appends      {rate(n, single)}   ({n:,} entries)")
    print(f"memory      batches of 1000     {rate(n, batched)}")
    met = "met" if n / single >= TARGET_MEMORY_APPENDS else "NOT met"
    print(f"memory      single appends >= {TARGET_MEMORY_APPENDS:,}/s: {met}")


# --- SQL -------------------------------------------------------------------------------------


def bench_sql(label: str, engine: Engine, n: int, batch_sizes: tuple[int, ...]) -> None:
    sessions = session_factory(engine)
    at = datetime.now(UTC)
    offset = 0
    for batch in batch_sizes:
        count = n if batch > 1 else min(n, 2000)
        items = entries(count, offset)
        offset += count
        start = time.perf_counter()
        for i in range(0, count, batch):
            with transaction(sessions) as session:
                store = SqlLogStore(session)
                store.lock()
                chunk = items[i : i + batch]
                log = store.append_entries([NewEntry(e, None, at) for e in chunk])
                note = sign_checkpoint(
                    Checkpoint(ORIGIN, log.size, log.root(), datetime.now(UTC)), KEY
                )
                store.add_checkpoint(size=log.size, root_hash=log.root(), note=note, at=at)
        seconds = time.perf_counter() - start
        print(f"{label:<11} batches of {batch:<6}   {rate(count, seconds)}   ({count:,} entries)")
    with sessions() as session:
        store = SqlLogStore(session)
        size = store.size()
        time_proofs(f"{label} store", store, size, samples=200)
    with sessions() as session:
        start = time.perf_counter()
        report = recheck(SqlRecheckSource(session))
        seconds = time.perf_counter() - start
    print(
        f"{label:<11} recheck (fsck)      {rate(report.size, seconds)}   "
        f"({report.nodes:,} nodes, {report.checkpoints:,} checkpoints)"
    )
    # Memory is the chunk and the frontier, whatever the size: the traced peak shows it.
    tracemalloc.start()
    with sessions() as session:
        recheck(SqlRecheckSource(session))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<11} recheck peak Python memory {peak / 2**20:8.1f} MiB   (n={report.size:,})")


def with_postgres(url: str, work: Callable[[Engine], None]) -> None:
    try:
        admin = create_engine(f"{url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect():
            pass
    except Exception as error:
        print(f"postgresql  skipped: no server at {url} ({type(error).__name__})")
        return
    name = f"microcred_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{url}/{name}")
    try:
        migrate(engine)
        work(engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


# --- proofs ----------------------------------------------------------------------------------


def time_proofs(label: str, store: LogStore, size: int, samples: int = 2000) -> None:
    rng = random.Random(5)
    root = MerkleLog(store).root(size)
    indices = [rng.randrange(size) for _ in range(samples)]
    start = time.perf_counter()
    proofs = [inclusion_proof(store, i, size) for i in indices]
    generate = (time.perf_counter() - start) / samples
    leaves = [store.leaf_hash(i) for i in indices]
    start = time.perf_counter()
    for index, leaf, proof in zip(indices, leaves, proofs, strict=True):
        verify_inclusion(leaf_hash=leaf, index=index, tree_size=size, proof=proof, root=root)
    check = (time.perf_counter() - start) / samples
    inclusion_bytes = sum(32 * len(p) for p in proofs) / samples
    firsts = [rng.randrange(1, size) for _ in range(samples)]
    start = time.perf_counter()
    cproofs = [consistency_proof(store, first, size) for first in firsts]
    cgenerate = (time.perf_counter() - start) / samples
    roots = [MerkleLog(store).root(first) for first in firsts]
    start = time.perf_counter()
    for first, proof, old in zip(firsts, cproofs, roots, strict=True):
        verify_consistency(size1=first, size2=size, proof=proof, root1=old, root2=root)
    ccheck = (time.perf_counter() - start) / samples
    consistency_bytes = sum(32 * len(p) for p in cproofs) / samples
    print(
        f"{label:<17} n={size:>10,}  inclusion {inclusion_bytes:5.0f} B "
        f"gen {generate * 1e6:7.0f} us verify {check * 1e6:4.0f} us | consistency "
        f"{consistency_bytes:5.0f} B gen {cgenerate * 1e6:7.0f} us verify {ccheck * 1e6:4.0f} us"
    )


def bench_memory_proofs(sizes: list[int]) -> None:
    log = MerkleLog(MemoryLogStore())
    chunk = 1 << 16
    leaves = [leaf_hash(e) for e in entries(chunk)]
    for size in sizes:
        while log.size < size:
            log.append_leaf_hashes(leaves[: min(chunk, size - log.size)])
        time_proofs("memory store", log.store, size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts, proofs at 1M only")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "MICROCRED_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
        ),
    )
    args = parser.parse_args()
    memory_n = 100_000 if args.quick else 1_000_000
    sql_n = 20_000 if args.quick else 200_000
    measure_floor(memory_n)
    bench_memory(memory_n)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        migrate(engine)
        bench_sql("sqlite", engine, sql_n, (1, 1000))
        engine.dispose()
    with_postgres(args.postgres, lambda engine: bench_sql("postgresql", engine, sql_n, (1, 1000)))
    bench_memory_proofs([10**6] if args.quick else [10**6, 10**7])


if __name__ == "__main__":
    main()
