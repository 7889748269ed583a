"""Check messages: English for the API and CLI, every template in every page catalogue with
the same fields, and a broken translation never breaks a page."""

from __future__ import annotations

import string

import pytest

from microcred.verify import Status
from microcred.verify import messages as m
from microcred.verify.result import Check


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_every_check_message_is_translated_with_the_same_fields(language: str) -> None:
    from microcred.web.pages import i18n

    catalogue = i18n.translations(language)
    templates = m.templates()
    assert len(templates) > 50
    for name, template in templates.items():
        translated = catalogue.gettext(template)
        assert translated != template, (language, name)
        assert fields(translated) == fields(template), (language, name, translated)


def test_a_check_keeps_english_and_fills_translations() -> None:
    check = Check.said("validity", Status.FAILED, m.EXPIRED, end="2025-01-01")
    assert check.message == "expired on 2025-01-01"
    assert check.to_json() == {
        "name": "validity",
        "status": "failed",
        "message": "expired on 2025-01-01",
    }
    german = {m.EXPIRED: "abgelaufen am {end}"}
    assert check.localised(lambda t: german.get(t, t)) == "abgelaufen am 2025-01-01"
    # A catalogue entry with a wrong field falls back to English rather than failing.
    assert check.localised(lambda _t: "abgelaufen am {ende}") == "expired on 2025-01-01"
    # Braces in a value are not read as fields.
    odd = Check.said("input", Status.FAILED, m.UNREADABLE, reason="{x}")
    assert odd.localised(lambda t: t) == "the input could not be read: {x}"
    # A check made from a plain message (the transparency check) reads the same everywhere.
    plain = Check("log", Status.PASSED, "included")
    assert plain.localised(lambda _t: "übersetzt") == "included"
