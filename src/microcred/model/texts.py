"""Achievement text in several languages: JSON-LD language maps beside the default strings.

OB 3.0 keeps ``name``, ``description``, ``criteria.narrative`` and (EU) ``learningOutcome.title``
plain strings (its JSON Schema says so), so those stay the default text, in ``inLanguage``.
The translations travel in ``nameMap``, ``descriptionMap``, ``narrativeMap`` and ``titleMap``,
terms of our ``https://w3id.org/microcred/i18n/v1`` context: language maps
(``@container: @language``) over the same IRIs. In RDF every translation is one more value of
schema:name (etc.), tagged with its language, as VC 2.0's language value objects would give.
See ``docs/design/achievement-languages.md``.
"""

from __future__ import annotations

from typing import Annotated, Any

import langcodes
from pydantic import BeforeValidator

from microcred.errors import short
from microcred.model.values import fail

I18N_CONTEXT = "https://w3id.org/microcred/i18n/v1"
MAP_FIELDS = ("nameMap", "descriptionMap", "narrativeMap", "titleMap")
"""The JSON names of the language maps (for callers that must not take them as input)."""


def language_tag(value: object) -> str:
    """A valid BCP 47 tag in its standard form (``pt-br`` -> ``pt-BR``); raises ValueError."""
    if not isinstance(value, str) or not 2 <= len(value) <= 35:
        raise ValueError(f"not a BCP 47 language tag: {short(value)}")
    try:
        valid = langcodes.tag_is_valid(value)
        standard = langcodes.standardize_tag(value) if valid else ""
    except (ValueError, LookupError):
        valid = False
    if not valid:
        raise ValueError(f"not a BCP 47 language tag: {short(value)}")
    return str(standard)


def _language_map(value: Any) -> dict[str, str]:
    expected = 'an object of BCP 47 language tag -> text, such as {"de": "...", "pt-BR": "..."}'
    if not isinstance(value, dict) or not value:
        raise fail("not a language map", expected)
    for tag, text in value.items():
        try:
            language_tag(tag)
        except ValueError:
            raise fail(
                "not a BCP 47 language tag", expected, subfield=str(tag), found=tag
            ) from None
        if not isinstance(text, str) or not text.strip():
            raise fail(
                "translation is empty or not a string",
                "a non-empty string",
                subfield=tag,
                found=text,
            )
    return value


LanguageMap = Annotated[dict[str, str], BeforeValidator(_language_map)]
"""A JSON-LD language map: BCP 47 tag (standard form) -> text in that language."""
