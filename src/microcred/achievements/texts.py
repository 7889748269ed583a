"""An achievement's translations: checked once on input, stored beside the definition, and
written into the OB 3.0 JSON as the language maps of ``model.texts`` when a credential is built.

Input (API and console): ``{"de": {"name", "description", "criteria", "learningOutcomes"}}``,
each text optional; ``learningOutcomes`` is a list in the order of the definition's
``learningOutcome`` (an empty string leaves one untranslated). The default text stays where OB
3.0 expects it, in the language named by ``inLanguage``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microcred.errors import ModelError, short
from microcred.model import language_tag
from microcred.types import JsonObject

MAX_LANGUAGES = 40
LIMITS = {"name": 500, "description": 10_000, "criteria": 10_000}
LEARNING_OUTCOMES = "learningOutcomes"
_TAG_EXPECTED = "a registered BCP 47 language tag such as de, fr-CA or pt-BR"
_ENTRY_EXPECTED = f"an object with any of {', '.join([*LIMITS, LEARNING_OUTCOMES])}"

Translations = dict[str, dict[str, Any]]
"""Standard BCP 47 tag -> {"name": str, ..., "learningOutcomes": [str, ...]}, texts given only."""


def check_translations(
    value: object, *, default_language: str | None, outcomes: int
) -> Translations:
    """The translations as stored, or ModelError naming the field at fault.

    ``default_language``: the definition's ``inLanguage`` (a translation into it is refused, as
    it would contradict the default text); ``outcomes``: how many learning outcomes it has.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ModelError(
            "not an object",
            field="translations",
            expected='an object of language tag -> texts, e.g. {"de": {"name": "..."}}',
            found=type(value).__name__,
        )
    if len(value) > MAX_LANGUAGES:
        raise ModelError(
            "too many languages",
            field="translations",
            expected=f"at most {MAX_LANGUAGES}",
            found=str(len(value)),
        )
    default = _standard(default_language) if default_language else None
    checked: Translations = {}
    for raw_tag, entry in value.items():
        tag = _tag(raw_tag)
        if tag in checked:
            raise ModelError(
                "the same language is given twice",
                field=f"translations.{raw_tag}",
                expected="each language once (tags are case-insensitive)",
                found=short(raw_tag),
            )
        if default is not None and tag.lower() == default.lower():
            raise ModelError(
                "this is the language of the default text",
                field=f"translations.{raw_tag}",
                expected=f"a language other than inLanguage ({default}); edit the default text",
                found=short(raw_tag),
            )
        texts = _entry(tag, entry, outcomes)
        if texts:
            checked[tag] = texts
    if checked and default is None:
        # A reader is matched against the default text's language too: it must be known.
        raise ModelError(
            "the language of the default text is not given",
            field="inLanguage",
            expected="inLanguage (a BCP 47 tag, e.g. en) when translations are given",
        )
    return dict(sorted(checked.items()))


def with_language_maps(definition: Mapping[str, Any], translations: Translations) -> JsonObject:
    """The OB 3.0 definition with its translations as ``nameMap``, ``descriptionMap``,
    ``criteria.narrativeMap`` and ``learningOutcome[i].titleMap``."""
    data: JsonObject = dict(definition)
    if not translations:
        return data
    for field, key in (("name", "nameMap"), ("description", "descriptionMap")):
        language_map = {t: texts[field] for t, texts in translations.items() if field in texts}
        if language_map:
            data[key] = language_map
    narratives = {t: texts["criteria"] for t, texts in translations.items() if "criteria" in texts}
    if narratives and isinstance(data.get("criteria"), Mapping):
        data["criteria"] = {**data["criteria"], "narrativeMap": narratives}
    outcomes = data.get("learningOutcome")
    if isinstance(outcomes, list):
        data["learningOutcome"] = [
            _outcome(outcome, index, translations) for index, outcome in enumerate(outcomes)
        ]
    return data


def _outcome(outcome: Any, index: int, translations: Translations) -> Any:
    if not isinstance(outcome, Mapping):
        return outcome
    titles = {
        tag: texts[LEARNING_OUTCOMES][index]
        for tag, texts in translations.items()
        if index < len(texts.get(LEARNING_OUTCOMES, ())) and texts[LEARNING_OUTCOMES][index]
    }
    return {**outcome, "titleMap": titles} if titles else dict(outcome)


def _standard(tag: str) -> str:
    try:
        return language_tag(tag)
    except ValueError:
        return tag  # the model has already refused a malformed inLanguage


def _tag(raw: object) -> str:
    try:
        return language_tag(raw)
    except ValueError:
        raise ModelError(
            "not a BCP 47 language tag",
            field=f"translations.{raw}",
            expected=_TAG_EXPECTED,
            found=short(raw),
        ) from None


def _entry(tag: str, entry: object, outcomes: int) -> dict[str, Any]:
    where = f"translations.{tag}"
    if not isinstance(entry, Mapping):
        raise ModelError(
            "not an object", field=where, expected=_ENTRY_EXPECTED, found=type(entry).__name__
        )
    unknown = [key for key in entry if key not in LIMITS and key != LEARNING_OUTCOMES]
    if unknown:
        raise ModelError("unknown field", field=f"{where}.{unknown[0]}", expected=_ENTRY_EXPECTED)
    texts: dict[str, Any] = {}
    for key, limit in LIMITS.items():
        text = _text(entry.get(key), f"{where}.{key}", limit)
        if text:
            texts[key] = text
    titles = entry.get(LEARNING_OUTCOMES)
    if titles is not None:
        if not isinstance(titles, list) or len(titles) > outcomes:
            raise ModelError(
                "does not match the learning outcomes",
                field=f"{where}.{LEARNING_OUTCOMES}",
                expected=f"a list of at most {outcomes} titles, in the order of learningOutcome",
                found=short(titles),
            )
        checked = [
            _text(t, f"{where}.{LEARNING_OUTCOMES}.{i}", LIMITS["name"])
            for i, t in enumerate(titles)
        ]
        if any(checked):
            texts[LEARNING_OUTCOMES] = checked
    return texts


def _text(value: object, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ModelError("not a string", field=field, expected="text", found=short(value))
    text = value.strip()
    if len(text) > limit:
        raise ModelError(
            "too long", field=field, expected=f"at most {limit} characters", found=str(len(text))
        )
    return text
