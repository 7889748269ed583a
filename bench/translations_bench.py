"""What translated achievement text (issue 19) costs eddsa-rdfc-2022: signing and verifying
the same credential with no translations, and with the name, description, criteria and two
learning outcomes translated into 3 and into 12 languages (language maps of the
microcred/i18n/v1 context). Interleaved rounds in one process, best of five, CPU time per call;
the machine is shared, so read the ratios to "none"."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from microcred.crypto import proofs  # noqa: E402
from microcred.crypto.did import DidResolver  # noqa: E402
from microcred.crypto.keys import KeyFile, SigningKey  # noqa: E402
from microcred.model import Profile, build_credential, parse_achievement  # noqa: E402
from microcred.model.profile import Address  # noqa: E402

ROUNDS = 5
COUNT = 40
LANGUAGES = ["de", "fr", "es", "it", "pt-BR", "nl", "pl", "sv", "cs", "el", "ar", "zh-Hant"]


def achievement(languages: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "https://badges.example.org/achievements/bench",
        "type": ["Achievement"],
        "name": "Data literacy for public servants",
        "description": "Reads, cleans and questions the data a department publishes.",
        "criteria": {"narrative": "Three graded tasks and a short presentation."},
        "inLanguage": "en",
        "learningOutcome": [
            {"type": "LearningOutcome", "title": "Cleans a published data set"},
            {"type": "LearningOutcome", "title": "Questions a chart before sharing it"},
        ],
        "assessmentType": ["project"],
        "participationForm": "online",
        "qualityAssurance": ["internal"],
        "volumeOfLearning": "PT30H",
    }
    if languages:
        data["nameMap"] = {t: f"{data['name']} ({t})" for t in languages}
        data["descriptionMap"] = {t: f"{data['description']} ({t})" for t in languages}
        data["criteria"]["narrativeMap"] = {t: f"Drei Aufgaben ({t})" for t in languages}
        for outcome in data["learningOutcome"]:
            outcome["titleMap"] = {t: f"{outcome['title']} ({t})" for t in languages}
    return data


def credential(key: KeyFile, languages: list[str]) -> dict[str, Any]:
    return build_credential(
        id=f"urn:uuid:{uuid.uuid4()}",
        issuer=Profile(
            id=key.controller, name="Bench Academy", address=Address(address_country_code="DE")
        ),
        achievement=parse_achievement(achievement(languages)),
        subject="did:example:learner",
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    )


def per_call_us(operation: Callable[[], object]) -> float:
    start = time.process_time()
    for _ in range(COUNT):
        operation()
    return (time.process_time() - start) / COUNT * 1e6


def main() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    resolver = DidResolver()
    cases = {"none": [], "3 languages": LANGUAGES[:3], "12 languages": LANGUAGES}
    documents = {name: credential(key, langs) for name, langs in cases.items()}
    signed = {
        name: proofs.sign(doc, key.key, verification_method=key.verification_method)
        for name, doc in documents.items()
    }
    best: dict[tuple[str, str], float] = {}
    for _ in range(ROUNDS):
        for name in cases:

            def sign(name: str = name) -> object:
                return proofs.sign(
                    documents[name], key.key, verification_method=key.verification_method
                )

            def verify(name: str = name) -> object:
                return proofs.verify(signed[name], resolver)

            for operation, run in (("sign", sign), ("verify", verify)):
                took = per_call_us(run)
                best[(name, operation)] = min(best.get((name, operation), took), took)
    size = {name: len(str(doc)) for name, doc in documents.items()}
    print(f"translated achievement text, eddsa-rdfc-2022, best of {ROUNDS} x {COUNT} (CPU us/call)")
    for name in cases:
        sign_us, verify_us = best[(name, "sign")], best[(name, "verify")]
        print(
            f"  {name:<13} {size[name]:>6} chars  sign {sign_us:8.0f} us "
            f"(x{sign_us / best[('none', 'sign')]:.2f})  verify {verify_us:8.0f} us "
            f"(x{verify_us / best[('none', 'verify')]:.2f})"
        )


if __name__ == "__main__":
    main()
