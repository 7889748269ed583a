"""Text as the matcher reads it: scripts it accepts, folding, tokens, stop words, stems."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import snowballstemmer  # type: ignore[import-untyped]

LANGUAGES = ("en", "de", "fr", "es")
_STEMMERS = {"en": "english", "de": "german", "fr": "french", "es": "spanish"}
_WORD = re.compile(r"[^\W_]+(?:[+#]+|(?:[.\-'][^\W_]+)*)", re.UNICODE)


def scripts(text: str) -> dict[str, int]:
    """How many letters of each script ``text`` has (by the first word of the Unicode name)."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "UNKNOWN")
            script = name.split(" ")[0]
            if script in ("LATIN", "UNKNOWN") or name.startswith("MODIFIER"):
                script = "LATIN" if script != "UNKNOWN" else script
            counts[script] = counts.get(script, 0) + 1
    return counts


def fold(text: str) -> str:
    """Case-folded, accents removed, ß as ss (``Ingénieur`` -> ``ingenieur``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")


def words(text: str) -> list[str]:
    """The folded words of ``text`` (keeps ``c++``, ``c#``, ``node.js``)."""
    return [w.strip(".-'") for w in _WORD.findall(fold(text)) if w.strip(".-'")]


@cache
def _stemmer(language: str) -> object:
    return snowballstemmer.stemmer(_STEMMERS[language])


@lru_cache(maxsize=200_000)
def stem(word: str, language: str = "en") -> str:
    stemmed: str = _stemmer(language).stemWord(word)  # type: ignore[attr-defined]
    return stemmed


STOP_WORDS = frozenset(
    fold(w)
    for w in """
    a an and the of to in on for with as at by or i me my want would like wish become becoming
    be work working job jobs career careers as an to do doing get learn learning how can could
    someone person who will into field role position professional dream future am is are
    ich will möchte moechte werden als arbeiten beruf job karriere mein meine ein eine einen der
    die das und oder im in zum zur mit von gerne gern lernen machen sein bin wäre
    je veux voudrais devenir etre être travailler comme un une le la les de des du et ou en dans
    pour avec metier métier carriere carrière mon ma mes faire apprendre aimerais souhaite
    quiero quisiera ser trabajar como un una el la los las de del y o en para con profesion
    profesión carrera mi mis hacer aprender me gustaria gustaría convertirme llegar
    """.split()  # noqa: SIM905 (a word list reads best as text)
)
