"""Translated achievement text in the model: language maps with registered BCP 47 tags, and a
credential that uses them must carry their context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from microcred.errors import ModelError
from microcred.model import I18N_CONTEXT, language_tag, parse_achievement, parse_credential

CONTEXTS = Path(__file__).resolve().parents[2] / "src" / "microcred" / "contexts"
BASE = {
    "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
    "type": ["Achievement"],
    "name": "Data literacy",
    "description": "Reads data.",
    "criteria": {"narrative": "A task."},
}


@pytest.mark.parametrize(
    ("tag", "standard"),
    [("de", "de"), ("pt-br", "pt-BR"), ("zh-hant-tw", "zh-Hant-TW"), ("sr-Latn", "sr-Latn")],
)
def test_registered_tags_are_standardised(tag: str, standard: str) -> None:
    assert language_tag(tag) == standard


@pytest.mark.parametrize("tag", ["xx", "de--x", "", "english", "a" * 40, 7, None])
def test_unregistered_or_malformed_tags_are_refused(tag: Any) -> None:
    with pytest.raises(ValueError, match="BCP 47"):
        language_tag(tag)


def test_language_maps_parse_and_round_trip() -> None:
    data = {
        **BASE,
        "nameMap": {"de": "Datenkompetenz", "pt-BR": "Letramento"},
        "criteria": {"narrative": "A task.", "narrativeMap": {"de": "Eine Aufgabe."}},
    }
    achievement = parse_achievement(data)
    assert achievement.has_translations
    assert achievement.to_json() == data
    assert not parse_achievement(BASE).has_translations


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("nameMap", {"xx": "?"}, "nameMap.xx"),
        ("nameMap", {"de": ""}, "nameMap.de"),
        ("nameMap", {"de": 5}, "nameMap.de"),
        ("descriptionMap", "Daten", "descriptionMap"),
        ("nameMap", {}, "nameMap"),
    ],
)
def test_bad_language_maps_name_the_key(field: str, value: Any, path: str) -> None:
    with pytest.raises(ModelError) as caught:
        parse_achievement({**BASE, field: value})
    assert caught.value.field == path


def test_a_credential_with_translations_needs_their_context() -> None:
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:00000000-0000-4000-8000-000000000002",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {**BASE, "nameMap": {"de": "Datenkompetenz"}},
        },
    }
    with pytest.raises(ModelError) as caught:
        parse_credential(credential)
    assert caught.value.field.endswith("@context")
    credential["@context"].append(I18N_CONTEXT)  # type: ignore[attr-defined]
    assert parse_credential(credential).achievement.name_map == {"de": "Datenkompetenz"}


def test_the_context_is_protected_registered_and_pinned() -> None:
    import hashlib

    definition = json.loads((CONTEXTS / "microcred-i18n-v1.jsonld").read_text(encoding="utf-8"))
    terms = definition["@context"]
    assert terms["@protected"] is True
    assert {k: v["@container"] for k, v in terms.items() if k != "@protected"} == {
        "nameMap": "@language",
        "descriptionMap": "@language",
        "narrativeMap": "@language",
        "titleMap": "@language",
    }
    # The same IRIs as the OB 3.0 / EU terms they translate.
    assert terms["nameMap"]["@id"] == "https://schema.org/name"
    assert terms["descriptionMap"]["@id"] == "https://schema.org/description"
    index = json.loads((CONTEXTS / "index.json").read_text(encoding="utf-8"))
    assert index[I18N_CONTEXT] == "microcred-i18n-v1.jsonld"
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (CONTEXTS / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
        if line
    )
    for name in ("microcred-i18n-v1.jsonld", "index.json"):
        assert sums[name] == hashlib.sha256((CONTEXTS / name).read_bytes()).hexdigest(), name
