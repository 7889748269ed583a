"""`make bench`: issue and verify rates per core, per proof format, with the JS reference beside.

Every figure is measured in this run, on one core (one process, one thread). The credential is
the ~2.5 KB OB 3.0 fixture the interop tests use (achievement with criteria, image, two
alignments); each issuance signs a different credential (new id, recipient, status index), as
bulk issuance does. The ledger figures come from bench/ledger_bench.py.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from microcred.crypto import jose, proofs  # noqa: E402
from microcred.crypto.canon import DEFAULT_LIMITS, canonicalize  # noqa: E402
from microcred.crypto.did import DidResolver  # noqa: E402
from microcred.crypto.keys import KeyFile, SigningKey  # noqa: E402
from microcred.crypto.statuslist import status_entry  # noqa: E402

FIXTURE = ROOT / "tests" / "interop" / "fixtures" / "ob3-realistic.json"
JS_DIR = ROOT / "interop" / "js"
SECONDS = 2.0


def rate(operation: Callable[[int], object], seconds: float = SECONDS) -> float:
    """Calls per second of ``operation(i)`` over about ``seconds``, after a short warm-up."""
    for i in range(20):
        operation(i)
    count, start = 0, time.perf_counter()
    while True:
        for _ in range(50):
            operation(count)
            count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


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

    # The floor under every proof format: raw Ed25519 in OpenSSL.
    message = b"x" * 64
    signature = key.key.sign(message)
    ed_sign = rate(lambda i: key.key.sign(message), 1.0)
    ed_verify = rate(lambda i: key.key.public.verify(signature, message), 1.0)

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
    for label, k in [("vc-jwt EdDSA", key), ("vc-jwt ES256", p256)]:
        tokens = [jose.sign_jwt(d, k.key, kid=k.verification_method) for d in docs[:256]]
        issue = rate(
            lambda i, k=k: jose.sign_jwt(docs[i % len(docs)], k.key, kid=k.verification_method)
        )
        verify = rate(lambda i, t=tokens: jose.verify_jwt(t[i % len(t)], resolver))
        rows.append((label, issue, verify))
    general = rate(lambda i: canonicalize(docs[i % len(docs)], use_fast_path=False), 1.0)
    fast = rate(lambda i: canonicalize(docs[i % len(docs)]), 1.0)

    floor = f"Ed25519 floor: {ed_sign:,.0f} sign/s, {ed_verify:,.0f} verify/s"
    print(f"{'format':<18}{'issue/s':>10}{'verify/s':>10}   ({floor})")
    for name, issue, verify in rows:
        share = (
            f"issue {issue / ed_sign:.0%} of sign floor, verify {verify / ed_verify:.0%} of verify"
        )
        print(f"{name:<18}{issue:>10,.0f}{verify:>10,.0f}   {share}")
    print(
        f"\nRDFC-1.0 canonicalization of the credential: general path {general:,.0f}/s, "
        f"fast path {fast:,.0f}/s ({fast / general:.1f}x)"
    )

    reference = js_reference()
    if reference is None:
        print("\nJS reference (Digital Bazaar): not measured (run `make js`; needs Node)")
        return
    ours = rows[0]
    print(
        f"\nJS reference (Digital Bazaar, eddsa-rdfc-2022, {reference.get('node')}): "
        f"{reference['issue_per_s']:,.0f} issue/s, {reference['verify_per_s']:,.0f} verify/s"
    )
    print(
        f"microcred / reference: issue {ours[1] / reference['issue_per_s']:.1f}x, "
        f"verify {ours[2] / reference['verify_per_s']:.1f}x"
    )


if __name__ == "__main__":
    main()
