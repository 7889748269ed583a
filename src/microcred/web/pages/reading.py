"""Achievement text in the reader's language: which of the languages an achievement is written
in a page shows, read from its OB 3.0 JSON (``name`` + ``nameMap`` ...; see ``model.texts``).

The reader's languages, best first: the UI language they chose (cookie), then their browser's
Accept-Language, then the page's language. Each is matched as RFC 4647 "lookup" does (de-CH-1996,
de-CH, de), then against any tag of the same primary language (a "de" reader gets "de-AT"); the
first that finds a text wins, and the default text is the fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from markupsafe import Markup

from microcred.web.pages import i18n

# Scripts written right to left, and languages whose usual script is (for dir="rtl").
_RTL_SCRIPTS = frozenset({"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg", "mand"})
_RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "dv", "ckb", "syr"})


@dataclass(frozen=True)
class Localized:
    """A text and the language it is in (None: the default text of unstated language)."""

    text: str
    lang: str | None = None

    @property
    def dir(self) -> str | None:
        return direction(self.lang)

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


def reader_languages(request: Request) -> tuple[str, ...]:
    """The reader's languages, best first (see the module docstring)."""
    chosen = request.cookies.get(i18n.LANGUAGE_COOKIE)
    preferred = [chosen] if chosen in i18n.LANGUAGES else []
    preferred += i18n.preferred_tags(request.headers.get("accept-language") or "")
    preferred.append(i18n.negotiate(chosen, request.headers.get("accept-language")))
    return tuple(dict.fromkeys(tag for tag in preferred if tag and tag != "*"))


def best_language(
    available: Iterable[str], default: str | None, preferences: Sequence[str]
) -> str | None:
    """The tag among ``available`` to show, or None for the default text (in ``default``)."""
    tags = {tag.lower(): tag for tag in available}
    default_key = default.lower() if default else None
    for wanted in preferences:
        key = wanted.lower()
        while key:
            if key == default_key:
                return None
            if key in tags:
                return tags[key]
            key = key.rpartition("-")[0]
        primary = wanted.lower().split("-", 1)[0]
        if default_key and default_key.split("-", 1)[0] == primary:
            return None
        for lowered in sorted(tags):
            if lowered.split("-", 1)[0] == primary:
                return tags[lowered]
    return None


def node_languages(node: Mapping[str, Any], *map_keys: str) -> set[str]:
    """Every tag any of the node's language maps holds."""
    found: set[str] = set()
    for key in map_keys:
        language_map = node.get(key)
        if isinstance(language_map, Mapping):
            found.update(str(tag) for tag in language_map)
    return found


def text_in(
    node: Mapping[str, Any], field: str, language: str | None, default_language: str | None
) -> Localized:
    """``node[field]`` in ``language`` from ``node[field + "Map"]``, else the default text."""
    language_map = node.get(f"{field}Map")
    if language is not None and isinstance(language_map, Mapping):
        text = language_map.get(language)
        if isinstance(text, str) and text:
            return Localized(text, language)
    value = node.get(field)
    return Localized(value if isinstance(value, str) else "", default_language)


@dataclass(frozen=True)
class AchievementTexts:
    """An achievement's texts in one reader's language (each falls back on its own)."""

    name: Localized
    description: Localized
    criteria: Localized
    learning_outcomes: list[Localized]


def achievement_texts(
    achievement: Mapping[str, Any], preferences: Sequence[str]
) -> AchievementTexts:
    """The texts of an OB 3.0 Achievement JSON for a reader with ``preferences``."""
    default = achievement.get("inLanguage")
    default = default if isinstance(default, str) else None
    criteria = achievement.get("criteria")
    criteria = criteria if isinstance(criteria, Mapping) else {}
    outcomes = [o for o in achievement.get("learningOutcome") or () if isinstance(o, Mapping)]
    available = node_languages(achievement, "nameMap", "descriptionMap")
    available |= node_languages(criteria, "narrativeMap")
    for outcome in outcomes:
        available |= node_languages(outcome, "titleMap")
    language = best_language(available, default, preferences)
    return AchievementTexts(
        name=text_in(achievement, "name", language, default),
        description=text_in(achievement, "description", language, default),
        criteria=text_in(criteria, "narrative", language, default),
        learning_outcomes=[
            t for t in (text_in(o, "title", language, default) for o in outcomes) if t.text
        ],
    )


def name_in(
    names: Mapping[str, str], name: str, default: str | None, preferences: Sequence[str]
) -> Localized:
    """A name from a plain tag -> name mapping (the issuer page's list of achievements)."""
    language = best_language(names, default, preferences)
    if language is not None:
        return Localized(names[language], language)
    return Localized(name, default)


def direction(lang: str | None) -> str | None:
    """``rtl`` for a right-to-left language or script, ``ltr`` for the others, None unknown."""
    if not lang:
        return None
    parts = lang.lower().split("-")
    if len(parts) > 1 and len(parts[1]) == 4:
        return "rtl" if parts[1] in _RTL_SCRIPTS else "ltr"
    return "rtl" if parts[0] in _RTL_LANGUAGES else "ltr"


def credential_name(request: Request, document: object, fallback: str | None) -> Localized:
    """The achievement name of a credential document (JSON object) in the reader's language;
    ``fallback`` (of unstated language) when the document holds no language map."""
    if isinstance(document, Mapping):
        subject = document.get("credentialSubject")
        subject = subject[0] if isinstance(subject, list) and subject else subject
        achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
        if isinstance(achievement, Mapping) and isinstance(achievement.get("nameMap"), Mapping):
            name = achievement_texts(achievement, reader_languages(request)).name
            if name.text:
                return name
    return Localized(fallback or "")


def lang_attrs(text: object) -> Markup:
    """For templates: ` lang=".." dir=".."` on an element holding a Localized text in a
    stated language, nothing otherwise."""
    lang = getattr(text, "lang", None)
    if not isinstance(lang, str) or not lang:
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(lang, direction(lang))
