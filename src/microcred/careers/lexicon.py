"""A small translation lexicon: German, French and Spanish words for occupations and skills,
each to the English words O*NET's titles use. Written here for this matcher (no copy of any
dictionary); it covers the common occupations and a job seeker's phrasing, not the language.

``data/lexicon.txt`` has one line per English entry:
``english = german forms; french forms; spanish forms``. Forms are folded (case, accents)
before use, and German compounds are split on the forms listed (``Softwareentwickler`` ->
``software`` + ``entwickler``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from microcred.careers.text import fold

TABLE = Path(str(resources.files("microcred.careers"))) / "data" / "lexicon.txt"


@cache
def lexicon() -> dict[str, tuple[str, ...]]:
    """Folded foreign form (one word or several) -> the English words it stands for."""
    table: dict[str, list[str]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, _, forms = line.partition("=")
        targets = english.split()
        for language_forms in forms.split(";"):
            for form in language_forms.split(","):
                key = fold(form.strip())
                if key:
                    table.setdefault(key, [])
                    table[key].extend(t for t in targets if t not in table[key])
    return {key: tuple(value) for key, value in table.items()}


@cache
def compound_parts() -> tuple[str, ...]:
    """Single-word German forms long enough to be split out of a compound, longest first."""
    return tuple(
        sorted((k for k in lexicon() if " " not in k and len(k) >= 4), key=len, reverse=True)
    )
