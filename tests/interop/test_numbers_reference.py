"""Why some numbers are refused at issue, shown against the reference: jsonld.js signs 1e-7 as
the integer 0 and 0.30000000000000004 as 0.3; every number we accept canonicalizes to the same
bytes there as here; and our model of JavaScript's number text matches node's."""

from __future__ import annotations

import copy
import json
import random
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from microcred.crypto.canon import canonicalize, clear_fast_path_cache
from microcred.crypto.numbers import _javascript_text, check_round_trip
from microcred.errors import ModelError
from tests.interop.reference_stack import JS_DIR, node_or_skip

NODE = node_or_skip()
pytestmark = pytest.mark.interop

ACCEPTED = [0, -0.0, 2**53 - 1, -(2**53 - 1), 0.1, 1.5e-7, 1e-6, 2.5e-300, 1e21, 1.5e308]
REFUSED = [1e-7, 5e-10, 0.30000000000000004, 2**53, 2**53 + 1]


def document(numbers: list[Any]) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", {"n": "https://example.org/n"}],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "n": numbers},
    }


def reference_canon(doc: dict[str, Any], tmp: Path) -> str:
    path = tmp / "doc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    done = subprocess.run(
        [NODE, str(JS_DIR / "canon.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=JS_DIR,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_accepted_number_canonicalizes_alike(tmp_path: Path) -> None:
    doc = document(ACCEPTED)
    check_round_trip(doc)
    expected = reference_canon(doc, tmp_path)
    clear_fast_path_cache()
    assert canonicalize(copy.deepcopy(doc)) == expected
    assert canonicalize(copy.deepcopy(doc), use_fast_path=False) == expected


def test_the_refused_numbers_are_read_otherwise_by_the_reference(tmp_path: Path) -> None:
    for number in REFUSED:
        with pytest.raises(ModelError):
            check_round_trip(document([number]))
    tiny = reference_canon(document([1e-7]), tmp_path)
    assert '"0"^^<http://www.w3.org/2001/XMLSchema#integer>' in tiny  # not 1.0E-7
    assert reference_canon(document([0.30000000000000004]), tmp_path) == reference_canon(
        document([0.3]), tmp_path
    )  # the two cannot be told apart under a signature
    big = reference_canon(document([2**53 + 1]), tmp_path)
    assert '"9007199254740992"' in big  # the last digit is gone


def test_javascript_number_text_matches_node() -> None:
    rng = random.Random(13)
    values = [struct.unpack("<d", rng.randbytes(8))[0] for _ in range(400)]
    values += [rng.uniform(-1, 1) * 10.0 ** rng.randint(-30, 30) for _ in range(400)]
    values += [1e-7, 1.5e-7, 1e-6, 1e21, 1e20, 5e-324, 0.1, 123456789012345680000.0]
    values = [v for v in values if v == v and abs(v) != float("inf")]
    script = (
        "const xs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(xs.map(x => String(x))));"
    )
    done = subprocess.run(
        [NODE, "-e", script],
        input=json.dumps(values),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    theirs = json.loads(done.stdout)
    ours = [_javascript_text(v) if v != 0 else "0" for v in values]
    assert ours == theirs
