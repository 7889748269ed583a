"""`make bench`: issue and verify rates per core, per proof format, with the JS reference beside.

Every figure is measured in this run, on one core (one process, one thread). The credential is
the ~2.5 KB OB 3.0 fixture the interop tests use (achievement with criteria, image, two
alignments); each issuance signs a different credential (new id, recipient, status index), as
bulk issuance does. The ledger figures come from bench/ledger_bench.py.

The machine is shared and noisy, so each rate is printed beside the Ed25519 floor measured in the
same run (the backend the keys use, and OpenSSL for comparison): compare shares, not rates.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: E402
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from microcred.crypto import jose, proofs  # noqa: E402
from microcred.crypto.canon import DEFAULT_LIMITS, canonicalize  # noqa: E402
from microcred.crypto.did import DidResolver  # noqa: E402
from microcred.crypto.keys import ED25519_BACKEND, KeyFile, SigningKey  # noqa: E402
from microcred.crypto.statuslist import status_entry  # noqa: E402

FIXTURE = ROOT / "tests" / "interop" / "fixtures" / "ob3-realistic.json"
JS_DIR = ROOT / "interop" / "js"
SECONDS = 2.0


def rate(operation: Callable[[int], object], seconds: float = SECONDS) -> float:
    """Calls of ``operation(i)`` per CPU second of this process, over about ``seconds`` of CPU.

    CPU time, not wall time: on a shared machine the wall clock also counts the time other
    processes hold the core, which says nothing about our cost per call.
    """
    for i in range(20):
        operation(i)
    count, start, wall = 0, time.process_time(), time.perf_counter()
    while True:
        for _ in range(50):
            operation(count)
            count += 1
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            _cpu_share.append(elapsed / (time.perf_counter() - wall))
            return count / elapsed


_cpu_share: list[float] = []  # CPU time / wall time of each measurement: how contended the run was


def credentials(key: KeyFile, n: int) -> list[dict[str, Any]]:
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))
    out = []
    for i in range(n):
        doc = copy.deepcopy(base)
        doc["id"] = f"urn:uuid:{uuid.uuid4()}"
        doc["issuer"]["id"] = key.controller
        doc["credentialSubject"]["id"] = f"did:example:learner-{i}"
        doc["credentialStatus"] = status_entry(
            list_url="https://issuer.example/status/1", index=i * 7 % 131072, purpose="revocation"
        )
        out.append(doc)
    return out


def js_reference() -> dict[str, Any] | None:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules").is_dir():
        return None
    done = subprocess.run(
        [node, str(JS_DIR / "bench.mjs"), str(FIXTURE), "--seconds", str(int(SECONDS) + 1)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        print(f"JS reference failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    p256 = KeyFile.for_did_key(SigningKey.generate("P-256"))
    docs = credentials(key, 4096)
    resolver = DidResolver()
    size = len(json.dumps(docs[0], separators=(",", ":")))
    print(f"credential: {FIXTURE.name} + credentialStatus, {size} bytes of JSON; one core\n")

    # The floor under every proof format: raw Ed25519 through the backend the keys use
    # (libsodium), and through OpenSSL (the ``cryptography`` key objects) for comparison.
    message = b"x" * 64
    signature = key.key.sign(message)
    native, native_public = key.key.native, key.key.public.native
    assert isinstance(native, Ed25519PrivateKey)
    assert isinstance(native_public, Ed25519PublicKey)
    ed_sign = rate(lambda i: key.key.sign(message), 1.0)
    ed_verify = rate(lambda i: key.key.public.verify(signature, message), 1.0)
    ossl_sign = rate(lambda i: native.sign(message), 1.0)
    ossl_verify = rate(lambda i: native_public.verify(signature, message), 1.0)

    rows: list[tuple[str, float, float]] = []
    for suite in proofs.CRYPTOSUITES:
        signed = [
            proofs.sign(d, key.key, verification_method=key.verification_method, cryptosuite=suite)
            for d in docs[:256]
        ]
        issue = rate(
            lambda i, s=suite: proofs.sign(
                docs[i % len(docs)],
                key.key,
                verification_method=key.verification_method,
                cryptosuite=s,
            )
        )
        verify = rate(
            lambda i, s=signed: proofs.verify(s[i % len(s)], resolver, limits=DEFAULT_LIMITS)
        )
        rows.append((suite, issue, verify))
    # Without the proof-configuration cache: every proof created in a second of its own.
    start = datetime(2026, 1, 1, tzinfo=UTC)
    spread = [
        proofs.sign(
            d,
            key.key,
            verification_method=key.verification_method,
            created=start + timedelta(seconds=n),
        )
        for n, d in enumerate(docs[:1024])
    ]
    issue = rate(
        lambda i: proofs.sign(
            docs[i % len(docs)],
            key.key,
            verification_method=key.verification_method,
            created=start + timedelta(seconds=10_000 + i),
        )
    )
    verify = rate(lambda i: proofs.verify(spread[i % len(spread)], resolver, limits=DEFAULT_LIMITS))
    rows.insert(1, ("  rdfc, new second", issue, verify))
    for label, k in [("vc-jwt EdDSA", key), ("vc-jwt ES256", p256)]:
        tokens = [jose.sign_jwt(d, k.key, kid=k.verification_method) for d in docs[:256]]
        issue = rate(
            lambda i, k=k: jose.sign_jwt(docs[i % len(docs)], k.key, kid=k.verification_method)
        )
        verify = rate(lambda i, t=tokens: jose.verify_jwt(t[i % len(t)], resolver))
        rows.append((label, issue, verify))
    general = rate(lambda i: canonicalize(docs[i % len(docs)], use_fast_path=False), 1.0)
    fast = rate(lambda i: canonicalize(docs[i % len(docs)]), 1.0)

    print(
        f"Ed25519 floor ({ED25519_BACKEND}, used): {ed_sign:,.0f} sign/s, {ed_verify:,.0f} verify/s"
    )
    print(
        f"Ed25519 via OpenSSL (for comparison): {ossl_sign:,.0f} sign/s, "
        f"{ossl_verify:,.0f} verify/s ({ed_sign / ossl_sign:.2f}x, {ed_verify / ossl_verify:.2f}x)"
    )
    print(
        "\n% of floor: the rate as a share of the Ed25519 rate; "
        "+us: time per call beyond the signature\n"
    )
    print(
        f"{'format':<18}{'issue/s':>10}{'% floor':>9}{'+us':>7}"
        f"{'verify/s':>11}{'% floor':>9}{'+us':>7}"
    )
    for name, issue, verify in rows:
        es256 = "ES256" in name  # its floor is P-256, not measured here
        print(
            f"{name:<18}{issue:>10,.0f}{_share(issue, ed_sign, es256)}"
            f"{verify:>11,.0f}{_share(verify, ed_verify, es256)}"
        )
    print(
        f"\nRDFC-1.0 canonicalization of the credential: general path {general:,.0f}/s, "
        f"fast path {fast:,.0f}/s ({fast / general:.1f}x)"
    )
    print(
        f"this process had the core {min(_cpu_share):.0%}-{max(_cpu_share):.0%} of the wall time "
        "(rates are per CPU second)"
    )

    reference = js_reference()
    if reference is None:
        print("\nJS reference (Digital Bazaar): not measured (run `make js`; needs Node)")
        return
    ours = rows[0]
    print(
        f"\nJS reference (Digital Bazaar, eddsa-rdfc-2022, {reference.get('node')}): "
        f"{reference['issue_per_cpu_s']:,.0f} issue/s, {reference['verify_per_cpu_s']:,.0f} "
        "verify/s per CPU second of the Node process"
    )
    print(
        f"microcred / reference: issue {ours[1] / reference['issue_per_cpu_s']:.1f}x, "
        f"verify {ours[2] / reference['verify_per_cpu_s']:.1f}x"
    )


def _share(rate_: float, floor: float, other_curve: bool) -> str:
    if other_curve:
        return f"{'-':>9}{'-':>7}"
    extra = 1e6 / rate_ - 1e6 / floor
    return f"{rate_ / floor:>9.0%}{extra:>7.0f}"


if __name__ == "__main__":
    main()
