"""The achievement editor's "Other languages" part: the language of the main text (inLanguage)
and one block per translation (language tag, name, description, criteria, learning outcomes).

Kept apart from the rest of the editor (``achievements.py``) and drawn by its own partial
(``console/_achievement_translations.html``); the service checks what it gives (see
``achievements.texts``), this module only moves text between the form and that JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import FormData

from microcred.achievements.texts import LEARNING_OUTCOMES
from microcred.errors import ModelError
from microcred.model import language_tag
from microcred.store.tables import AchievementRow
from microcred.web.pages import i18n

MAX_BLOCKS = 8
"""Translation blocks the form takes (the API takes more)."""
_KEYS = ("lang", "name", "description", "criteria", "outcomes")


@dataclass
class TranslationForm:
    """What the part shows, as typed (a failed save loses nothing)."""

    in_language: str = ""
    blocks: list[dict[str, str]] = field(default_factory=list)

    def rows(self) -> list[dict[str, str]]:
        """The filled blocks and one empty one (up to MAX_BLOCKS)."""
        filled = [b for b in self.blocks if any(b.values())]
        return [*filled, {}][:MAX_BLOCKS]

    @staticmethod
    def lang_of(block: Mapping[str, str]) -> str | None:
        """The block's tag for a ``lang`` attribute: only a valid one (a typo stays text)."""
        try:
            return language_tag(block.get("lang"))
        except ValueError:
            return None

    @property
    def language_choices(self) -> list[str]:
        """Our UI languages, and the stored one if it is another."""
        choices = list(i18n.LANGUAGES)
        if self.in_language and self.in_language not in choices:
            choices.append(self.in_language)
        return choices


def from_form(form: FormData) -> TranslationForm:
    blocks = [
        {key: str(form.get(f"tr_{key}_{i}") or "").strip() for key in _KEYS}
        for i in range(MAX_BLOCKS)
    ]
    return TranslationForm(str(form.get("in_language") or "").strip(), blocks)


def from_row(row: AchievementRow) -> TranslationForm:
    language = row.definition.get("inLanguage")
    blocks = [
        {
            "lang": tag,
            "name": str(texts.get("name") or ""),
            "description": str(texts.get("description") or ""),
            "criteria": str(texts.get("criteria") or ""),
            "outcomes": "\n".join(str(t) for t in texts.get(LEARNING_OUTCOMES) or ()),
        }
        for tag, texts in (row.translations or {}).items()
        if isinstance(texts, Mapping)
    ]
    return TranslationForm(language if isinstance(language, str) else "", blocks)


def new_form(language: str) -> TranslationForm:
    """A new achievement's: its main text in the editor's language, to start with."""
    return TranslationForm(language)


def apply(definition: dict[str, Any], values: TranslationForm) -> dict[str, dict[str, Any]]:
    """Put the chosen inLanguage into ``definition``; return the translations the blocks give
    (a block with text but no language is refused here, naming its input)."""
    definition.pop("inLanguage", None)
    if values.in_language:
        definition["inLanguage"] = values.in_language
    translations: dict[str, dict[str, Any]] = {}
    for index, block in enumerate(values.blocks):
        texts = {k: block.get(k, "") for k in ("name", "description", "criteria")}
        outcomes = block.get("outcomes", "").split("\n")
        while outcomes and not outcomes[-1].strip():
            outcomes.pop()
        if not any(texts.values()) and not outcomes:
            continue
        if not block.get("lang"):
            raise ModelError(
                "the language of this translation is missing",
                field=f"tr_lang_{index}",
                expected="a language tag such as de, fr or pt-BR",
                found="nothing",
            )
        entry: dict[str, Any] = {k: v for k, v in texts.items() if v}
        if outcomes:
            entry[LEARNING_OUTCOMES] = [line.strip() for line in outcomes]
        translations[block["lang"]] = entry
    return translations


_PATH = re.compile(r"translations\.([^.]*)(?:\.(\w+))?")
_INPUTS = {"name": "name", "description": "description", "criteria": "criteria"}


def locate(problem: Any, values: TranslationForm) -> Any:
    """The editor's FieldError pointed at this part's input: the block whose language the
    error's path names (``translations.de.name`` -> ``tr_name_<i>``), or ``in_language``."""
    path = str(getattr(problem, "field", "") or "")
    if path == "inLanguage":
        return replace(problem, input="in_language")
    if path.startswith("tr_lang_"):
        return replace(problem, input=path)
    match = _PATH.fullmatch(path) or _PATH.match(path)
    if not match:
        return problem
    tag, key = match.group(1).lower(), match.group(2)
    for index, block in enumerate(values.blocks):
        if block.get("lang", "").lower() == tag:
            kind = "outcomes" if key == LEARNING_OUTCOMES else _INPUTS.get(key or "", "lang")
            return replace(problem, input=f"tr_{kind}_{index}")
    return replace(problem, input="tr_lang_0")
