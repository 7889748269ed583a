"""Issue 19: an achievement translated into several languages, as our issuer builds it (default
strings, language maps under https://w3id.org/microcred/i18n/v1), signed with eddsa-rdfc-2022:
the same canonical bytes as Digital Bazaar's reference, our signature verifies there and theirs
here, and a changed translation fails on both sides."""

from __future__ import annotations

import copy
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.crypto import proofs
from microcred.crypto.canon import canonicalize, clear_fast_path_cache
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.model import I18N_CONTEXT, Profile, build_credential, parse_achievement
from microcred.model.profile import Address
from microcred.verify import Status, Verifier
from tests.interop.reference_stack import JS_DIR, node_or_skip

NODE = node_or_skip()
pytestmark = pytest.mark.interop

KEY = KeyFile.for_did_key(SigningKey.generate())
ACHIEVEMENT = {
    "id": "https://badges.example.org/achievements/data-literacy",
    "type": ["Achievement"],
    "name": "Data literacy",
    "nameMap": {
        "de": "Datenkompetenz",
        "fr-CA": "Littératie des données",
        "es": "Alfabetización de datos",
        "ar": "محو الأمية البيانية",
        "zh-Hant-TW": "資料素養",
    },
    "description": "Reads, cleans and questions data.",
    "descriptionMap": {"de": "Liest, bereinigt und hinterfragt Daten."},
    "criteria": {"narrative": "Three graded tasks.", "narrativeMap": {"de": "Drei Aufgaben."}},
    "inLanguage": "en",
    "achievementType": "MicroCredential",
    "creditsAvailable": 2,
    "creditSystem": "http://data.europa.eu/snb/education-credit/6fcec5c5af",
    "learningOutcome": [
        {
            "type": "LearningOutcome",
            "title": "Cleans a data set",
            "titleMap": {"de": "Bereinigt einen Datensatz", "fr-CA": "Nettoie des données"},
        },
        {"type": "LearningOutcome", "title": "Questions a chart"},
    ],
    "assessmentType": ["project"],
    "participationForm": "online",
    "qualityAssurance": ["internal"],
}


def unsigned(issuer: str) -> dict[str, Any]:
    return build_credential(
        id="urn:uuid:7d0e4b1c-2a3f-4e5d-8c9b-0a1b2c3d4e5f",
        issuer=Profile(
            id=issuer,
            name="Example Academy",
            address=Address(address_country_code="DE"),
        ),
        achievement=parse_achievement(ACHIEVEMENT),
        subject="did:example:learner",
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    )


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


def retranslated(document: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["credentialSubject"]["achievement"]["learningOutcome"][0]["titleMap"]["de"] = "Anders"
    return changed


def test_the_builder_adds_the_context_and_keeps_the_default_strings() -> None:
    document = unsigned(KEY.controller)
    assert document["@context"][-1] == I18N_CONTEXT
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["name"] == "Data literacy"  # OB 3.0's string, the default text
    assert achievement["nameMap"]["zh-Hant-TW"] == "資料素養"


def test_canonical_bytes_match_the_reference_on_both_paths(tmp_path: Path) -> None:
    document = unsigned(KEY.controller)
    done = node("canon.mjs", write(tmp_path / "doc.json", document))
    assert done.returncode == 0, done.stderr
    clear_fast_path_cache()
    assert canonicalize(copy.deepcopy(document)) == done.stdout
    assert canonicalize(copy.deepcopy(document), use_fast_path=False) == done.stdout
    assert canonicalize(copy.deepcopy(document)) == done.stdout  # from the cached template
    # Each translation is a language-tagged value of the same property as the default text.
    assert '<https://schema.org/name> "Data literacy" .' in done.stdout
    assert '<https://schema.org/name> "Datenkompetenz"@de .' in done.stdout
    assert '<https://schema.org/name> "資料素養"@zh-hant-tw .' in done.stdout
    assert '<http://purl.org/dc/terms/title> "Nettoie des données"@fr-ca .' in done.stdout
    assert '#narrative> "Drei Aufgaben."@de .' in done.stdout


def test_our_signature_verifies_in_the_reference_and_covers_the_translations(
    tmp_path: Path,
) -> None:
    signed = proofs.sign(
        unsigned(KEY.controller), KEY.key, verification_method=KEY.verification_method
    )
    verdict = js_verdict(signed, tmp_path, "ours")
    assert verdict["verified"] is True, verdict
    assert js_verdict(retranslated(signed), tmp_path, "changed")["proofVerified"] is False
    assert Verifier().verify(signed).check("proof").status == Status.PASSED  # type: ignore[union-attr]
    assert Verifier().verify(retranslated(signed)).check("proof").status == Status.FAILED  # type: ignore[union-attr]


def test_the_references_signature_verifies_here(tmp_path: Path) -> None:
    keys = node("keys.mjs")
    assert keys.returncode == 0, keys.stderr
    key = json.loads(keys.stdout)
    key_path = write(tmp_path / "key.json", key)
    done = node("sign.mjs", "--key", key_path, write(tmp_path / "in.json", unsigned(key["did"])))
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    result = Verifier().verify(theirs)
    assert result.check("proof").status == Status.PASSED, result.to_json()  # type: ignore[union-attr]
    assert result.verified, result.to_json()
    assert Verifier().verify(retranslated(theirs)).check("proof").status == Status.FAILED  # type: ignore[union-attr]
