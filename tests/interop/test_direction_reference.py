"""Text with a base direction (``@direction``), signed so the direction is covered, the way the
reference signs it (jsonld.js with rdfDirection "i18n-datatype", as eddsa-rdfc-2022 calls it):
the same canonical bytes, our signatures verify there and theirs here, and a changed direction
fails on both sides."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from microcred.crypto import proofs
from microcred.crypto.canon import canonicalize, clear_fast_path_cache
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.verify import Status, Verifier
from tests.interop.reference_stack import JS_DIR, node_or_skip

NODE = node_or_skip()
pytestmark = pytest.mark.interop

KEY = KeyFile.for_did_key(SigningKey.generate())


def unsigned(issuer: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:2f1d5a52-0b4c-4f43-9d6e-8a1c3b7e9f10",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "name": [
            {"@value": "\u0634\u0647\u0627\u062f\u0629", "@language": "ar", "@direction": "rtl"},
            {"@value": "Certificate", "@language": "EN-gb", "@direction": "ltr"},
        ],
        "description": {"@value": "\u05ea\u05e2\u05d5\u05d3\u05d4", "@direction": "rtl"},
        "credentialSubject": {"id": "did:example:learner"},
    }


def node(script: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NODE, str(JS_DIR / script), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
        cwd=JS_DIR,
    )


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def js_verdict(document: dict[str, Any], tmp: Path, name: str) -> dict[str, Any]:
    done = node("verify.mjs", write(tmp / f"{name}.json", document))
    assert done.returncode in (0, 1), done.stderr
    verdict: dict[str, Any] = json.loads(done.stdout)
    return verdict


def flipped(document: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["name"][0]["@direction"] = "ltr"  # the same text, read the other way
    return changed


def test_canonical_bytes_match_the_reference_on_both_paths(tmp_path: Path) -> None:
    document = unsigned(KEY.controller)
    done = node("canon.mjs", write(tmp_path / "doc.json", document))
    assert done.returncode == 0, done.stderr
    clear_fast_path_cache()
    assert canonicalize(copy.deepcopy(document)) == done.stdout
    assert canonicalize(copy.deepcopy(document), use_fast_path=False) == done.stdout
    assert canonicalize(copy.deepcopy(document)) == done.stdout  # from the cached template
    assert "^^<https://www.w3.org/ns/i18n#ar_rtl>" in done.stdout
    assert "^^<https://www.w3.org/ns/i18n#en-gb_ltr>" in done.stdout
    assert "^^<https://www.w3.org/ns/i18n#_rtl>" in done.stdout


def test_our_signature_verifies_in_the_reference_and_covers_the_direction(tmp_path: Path) -> None:
    signed = proofs.sign(
        unsigned(KEY.controller), KEY.key, verification_method=KEY.verification_method
    )
    assert js_verdict(signed, tmp_path, "ours")["verified"] is True
    assert js_verdict(flipped(signed), tmp_path, "ours-flipped")["proofVerified"] is False
    assert Verifier().verify(flipped(signed)).check("proof").status == Status.FAILED  # type: ignore[union-attr]


def test_the_references_signature_verifies_here_and_covers_the_direction(tmp_path: Path) -> None:
    keys = node("keys.mjs")
    assert keys.returncode == 0, keys.stderr
    key = json.loads(keys.stdout)
    key_path = write(tmp_path / "key.json", key)
    done = node("sign.mjs", "--key", key_path, write(tmp_path / "in.json", unsigned(key["did"])))
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    result = Verifier().verify(theirs)
    assert result.check("proof").status == Status.PASSED, result.to_json()  # type: ignore[union-attr]
    assert result.verified
    assert Verifier().verify(flipped(theirs)).check("proof").status == Status.FAILED  # type: ignore[union-attr]
