"""Europass: what an EDC costs here, beside the Open Badges credential it comes from.

Per credential (the EU micro-credential fixture), medians over the runs, one core:
build the EDC, check it against the Commission's shapes (no-cv + full, pyshacl), seal it
(JAdES EdDSA), verify the sealed EDC (seal + shapes), and, in the same run, verify the
Open Badges 3.0 credential it was made from (eddsa-rdfc-2022) for the ratio.

    .venv/bin/python bench/europass_bench.py --runs 30
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from microcred.crypto.keys import KeyFile, SigningKey  # noqa: E402
from microcred.europass.export import Learner, build_edc  # noqa: E402
from microcred.europass.seal import seal, seal_certificate  # noqa: E402
from microcred.signing import sign_credential  # noqa: E402
from microcred.verify import Verifier  # noqa: E402
from microcred.verify.shacl import check_edc  # noqa: E402


def median_ms(work: Callable[[], Any], runs: int) -> float:
    work()  # warm: contexts, shapes parsed once per process
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    fixture = ROOT / "tests" / "fixtures" / "model" / "eu-microcredential.json"
    unsigned = json.loads(fixture.read_text())
    unsigned.pop("proof", None)
    key_file = KeyFile.for_did_key(SigningKey.generate())
    unsigned["issuer"]["id"] = key_file.controller
    signed = sign_credential(unsigned, key_file, suite="eddsa-rdfc-2022")
    assert isinstance(signed, dict)
    now = datetime.now(UTC)
    cert = seal_certificate(
        key_file.key,
        organisation="University of Zed",
        country="IE",
        legal_identifier="IE1234567T",
        did=key_file.controller,
        now=now,
    )

    def build() -> dict[str, Any]:
        return build_edc(signed, legal_identifier="IE1234567T", learner=Learner("Ana"), issued=now)

    edc = build()
    sealed = json.dumps(seal(edc, key_file.key, cert, now=now)).encode()
    ob = json.dumps(signed).encode()
    verifier = Verifier()
    figures = {
        "build EDC": median_ms(build, runs),
        "shapes (no-cv + full)": median_ms(lambda: check_edc(edc), runs),
        "seal (JAdES EdDSA)": median_ms(lambda: seal(edc, key_file.key, cert, now=now), runs),
        "verify sealed EDC": median_ms(lambda: verifier.verify(sealed), runs),
        "verify OB 3.0 (same run)": median_ms(lambda: verifier.verify(ob), runs),
    }
    for name, ms in figures.items():
        print(f"{name:<28} {ms:8.2f} ms")
    ratio = figures["verify sealed EDC"] / figures["verify OB 3.0 (same run)"]
    print(f"{'EDC verify / OB verify':<28} {ratio:8.1f} x")
    print(f"sealed EDC {len(sealed)} bytes, OB credential {len(ob)} bytes")


if __name__ == "__main__":
    main()
