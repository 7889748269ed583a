"""A goal as typed: what is accepted (length, script) and the English search terms it gives.

The lexicon turns German, French and Spanish words into the English of O*NET's titles: longest
phrases first, then single words, then German compounds split on known parts, then the word's
Snowball stem in each language; a word none of these knows is kept as it is (``Python``).
"""

from __future__ import annotations

from functools import cache

from microcred.careers.lexicon import compound_parts, lexicon
from microcred.careers.text import LANGUAGES, STOP_WORDS, scripts, stem, words
from microcred.errors import GoalError

MAX_GOAL_CHARS = 500
_MAX_PHRASE = 4


def checked_goal(goal: str) -> str:
    text = " ".join(goal.split())
    if not text:
        raise GoalError("the goal is empty", expected="a few words, e.g. 'become an electrician'")
    if len(text) > MAX_GOAL_CHARS:
        raise GoalError(
            "the goal is too long",
            expected=f"at most {MAX_GOAL_CHARS} characters",
            found=f"{len(text)} characters",
        )
    found = scripts(text)
    if not found:
        raise GoalError("the goal has no words", expected="letters", found=repr(text[:40]))
    other = {name: n for name, n in found.items() if name != "LATIN"}
    if sum(other.values()) > found.get("LATIN", 0):
        names = ", ".join(sorted(name.title() for name in other))
        raise GoalError(
            "the goal is in a script this matcher does not read",
            expected="Latin-script text in English, German, French or Spanish",
            found=names,
        )
    return text


@cache
def _stem_index() -> dict[str, tuple[str, ...]]:
    # Single-word forms by their stem in each language, so plurals and other inflections of a
    # listed form are found too (``electriciens`` -> ``electricien``).
    index: dict[str, tuple[str, ...]] = {}
    for form, targets in lexicon().items():
        if " " in form:
            continue
        for language in LANGUAGES[1:]:
            index.setdefault(f"{language}:{stem(form, language)}", targets)
    return index


def _decompound(word: str) -> tuple[str, ...] | None:
    table = lexicon()
    for part in compound_parts():
        if word.startswith(part) and len(word) - len(part) >= 3:
            rest = word[len(part) :]
            for tail in (rest, rest[1:] if rest.startswith("s") else None):
                if tail and tail in table:
                    return table[part] + table[tail]
                if tail and len(tail) >= 4:
                    inner = _decompound(tail)
                    if inner is not None:
                        return table[part] + inner
    for part in compound_parts():  # a known head noun at the end: "...entwickler"
        if word.endswith(part) and len(word) - len(part) >= 3:
            return (word[: len(word) - len(part)], *lexicon()[part])
    return None


def _word_terms(word: str) -> tuple[str, ...]:
    table = lexicon()
    if word in table:
        return table[word]
    for language in LANGUAGES[1:]:
        hit = _stem_index().get(f"{language}:{stem(word, language)}")
        if hit is not None:
            return hit
    if len(word) >= 8:
        parts = _decompound(word)
        if parts is not None:
            return parts
    return (word,)


def english_terms(goal: str) -> list[str]:
    """The English-stemmed search terms of a (checked) goal, in order, stop words removed."""
    tokens = words(goal)
    table = lexicon()
    terms: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 1, -1):
            phrase = " ".join(tokens[i : i + size])
            if phrase in table:
                # A phrase names a concept ("machine learning"): it counts twice.
                terms.extend(table[phrase] * 2)
                i += size
                break
        else:
            word = tokens[i]
            i += 1
            if word in STOP_WORDS:
                continue
            terms.extend(_word_terms(word))
    return [stem(term) for term in terms if term not in STOP_WORDS]
