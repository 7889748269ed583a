"""Languages: gettext catalogues per locale, chosen from a cookie or Accept-Language.

The ``.po`` files under ``locale/`` are the source of truth; they are compiled in memory the
first time a locale is used, so no ``.mo`` files are built or committed.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "mc_lang"


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue for ``language`` (one of LANGUAGES)."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain="messages")


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language if it is one of ours, else the best match in Accept-Language."""
    if cookie in LANGUAGES:
        return cookie
    for tag in preferred_tags(accept_language or ""):
        base = tag.split("-", 1)[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


def preferred_tags(header: str) -> list[str]:
    """Language tags from an Accept-Language header, best first (q=0 dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _q, _p, tag in sorted(weighted)]


def format_date(moment: datetime | None, language: str, form: str = "long") -> str:
    return "" if moment is None else dates.format_date(moment, format=form, locale=language)


def format_datetime(moment: datetime | None, language: str) -> str:
    if moment is None:
        return ""
    return dates.format_datetime(moment, format="medium", tzinfo=moment.tzinfo, locale=language)


def format_number(value: float | int, language: str) -> str:
    return numbers.format_decimal(value, locale=language)


def language_name(language: str) -> str:
    return Locale.parse(language).get_display_name(language) or language
