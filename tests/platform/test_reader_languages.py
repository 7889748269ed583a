"""Which language a page shows an achievement in: the reader's languages in order, matched by
RFC 4647 lookup and then by primary language, the default text as the fallback."""

from __future__ import annotations

import pytest

from microcred.web.pages.reading import achievement_texts, best_language, direction

AVAILABLE = ["de", "de-AT", "fr-CA", "pt-BR", "zh-Hant"]


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        (["de"], "de"),
        (["de-AT"], "de-AT"),
        (["de-CH-1996"], "de"),  # lookup: de-CH-1996, de-CH, de
        (["fr"], "fr-CA"),  # same primary language
        (["fr-FR"], "fr-CA"),
        (["pt-br"], "pt-BR"),  # tags are case-insensitive
        (["zh-Hant-TW"], "zh-Hant"),
        (["en"], None),  # the default's language: the default text
        (["en-GB", "de"], None),  # the default is a match for en-GB, before de
        (["it", "ja", "de"], "de"),
        (["it", "ja"], None),  # nothing matches: the default text
        ([], None),
    ],
)
def test_best_language(preferences: list[str], expected: str | None) -> None:
    assert best_language(AVAILABLE, "en", preferences) == expected


def test_each_text_falls_back_on_its_own() -> None:
    achievement = {
        "name": "Data literacy",
        "nameMap": {"de": "Datenkompetenz"},
        "description": "Reads data.",
        "criteria": {"narrative": "A task.", "narrativeMap": {"de": "Eine Aufgabe."}},
        "inLanguage": "en",
        "learningOutcome": [
            {"title": "Cleans data", "titleMap": {"de": "Bereinigt Daten"}},
            {"title": "Reads charts"},
        ],
    }
    texts = achievement_texts(achievement, ["de-DE", "en"])
    assert (texts.name.text, texts.name.lang) == ("Datenkompetenz", "de")
    assert (texts.description.text, texts.description.lang) == ("Reads data.", "en")
    assert (texts.criteria.text, texts.criteria.lang) == ("Eine Aufgabe.", "de")
    assert [(t.text, t.lang) for t in texts.learning_outcomes] == [
        ("Bereinigt Daten", "de"),
        ("Reads charts", "en"),
    ]
    english = achievement_texts(achievement, ["en"])
    assert english.name.text == "Data literacy"


def test_maps_that_are_not_maps_are_ignored() -> None:
    texts = achievement_texts({"name": "X", "nameMap": ["de", "Y"]}, ["de"])
    assert (texts.name.text, texts.name.lang) == ("X", None)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ar", "rtl"),
        ("he-IL", "rtl"),
        ("fa", "rtl"),
        ("de", "ltr"),
        ("az-Arab", "rtl"),
        ("ku-Latn", "ltr"),
        (None, None),
    ],
)
def test_direction(lang: str | None, expected: str | None) -> None:
    assert direction(lang) == expected
