"""The learner's whole record as a PDF, read back with pypdf: every name and issuer in any
script, page breaks that keep each credential together, and hostile text shown as text."""

from __future__ import annotations

import io
import re
from dataclasses import fields
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from microcred.errors import NotConfiguredError
from microcred.wallet import record_pdf
from microcred.wallet.record_pdf import RecordEntry, RecordFonts, RecordLabels, render_record

GENERATED = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def _entry(index: int = 0, **changes: object) -> RecordEntry:
    values: dict[str, object] = {
        "achievement": f"Data Analysis with Python {index}",
        "issuer": "Example University of Applied Sciences",
        "issued": date(2026, 1, 15),
        "state": "Valid",
        "verification_url": f"https://wallet.example/credentials/{index:04d}",
        "valid_until": date(2028, 1, 15),
        "ects": 5.0,
        "eqf_level": 6,
    }
    values.update(changes)
    return RecordEntry(**values)  # type: ignore[arg-type]


def _pages(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text() for page in reader.pages]


def _flat(text: str) -> str:
    """Extracted text with runs of whitespace as one space (pypdf spaces words as it sees fit)."""
    return re.sub(r"\s+", " ", text)


def test_the_record_names_the_learner_the_date_and_every_credentials_facts() -> None:
    entries = [
        _entry(1),
        _entry(
            2,
            achievement="Project Management Basics",
            issuer="Volkshochschule München",
            state="Revoked",
            valid=False,
            valid_from=date(2026, 2, 1),
            valid_until=None,
            ects=2.5,
            eqf_level=None,
        ),
    ]
    data = render_record(entries, learner_name="Ada Lovelace", generated=GENERATED)
    assert data.startswith(b"%PDF-")
    text = _flat(" ".join(_pages(data)))
    assert "Learning record" in text
    assert "Held by Ada Lovelace" in text
    assert "Generated on 2026-12-07" in text
    assert "Credentials: 2" in text
    assert "Issuer: Example University of Applied Sciences" in text
    assert "Issued on: 2026-01-15 · Valid until: 2028-01-15" in text
    assert "ECTS credits: 5 · EQF level: 6" in text
    assert "Issuer: Volkshochschule München" in text
    assert "Valid from: 2026-02-01" in text
    assert "State: Revoked" in text
    assert "ECTS credits: 2.5" in text
    assert "https://wallet.example/credentials/0001" in text
    assert "https://wallet.example/credentials/0002" in text
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata is not None
    assert reader.metadata.title == "Learning record: Ada Lovelace"


NON_LATIN = [
    ("Στατιστική ανάλυση δεδομένων", "Εθνικό Μετσόβιο Πολυτεχνείο"),
    ("Машинное обучение", "Московский государственный университет"),
    ("Ελληνικά και Кириллица: Data Literacy", "Université Paris-Saclay"),
]
CJK = [
    ("数据分析入门", "清华大学"),
    ("機械学習の基礎", "東京大学"),
    ("데이터 과학 기초", "서울대학교"),
]


def _check_names(pairs: list[tuple[str, str]], learner: str) -> None:
    entries = [_entry(i, achievement=name, issuer=issuer) for i, (name, issuer) in enumerate(pairs)]
    text = _flat(
        " ".join(_pages(render_record(entries, learner_name=learner, generated=GENERATED)))
    )
    assert f"Held by {learner}" in text
    for name, issuer in pairs:
        assert name in text
        assert f"Issuer: {issuer}" in text


def test_greek_and_cyrillic_names_and_issuers_are_in_the_text() -> None:
    _check_names(NON_LATIN, "Αθηνά Παπαδοπούλου")


def test_chinese_japanese_and_korean_names_and_issuers_are_in_the_text() -> None:
    if len(RecordFonts.find().fallbacks) < 2:
        pytest.skip("the CJK fallback fonts are not installed (fonts-droid-fallback, fonts-nanum)")
    _check_names(CJK, "山田 花子")


def test_two_hundred_credentials_break_into_pages_each_block_kept_together() -> None:
    entries = [_entry(i) for i in range(200)]
    pages = _pages(render_record(entries, learner_name="Ada Lovelace", generated=GENERATED))
    assert len(pages) >= 20
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in _flat(page)
    flat = [_flat(page) for page in pages]
    for entry in entries:
        holding = [i for i, page in enumerate(flat) if entry.verification_url in page]
        assert len(holding) == 1, entry.verification_url
        page = flat[holding[0]]
        # the whole block is on that page: name, issuer line, dates, URL
        assert f"{entry.achievement} Issuer:" in page


HOSTILE = [
    ") Tj ET BT /F1 48 Tf 100 100 Td (pwned) Tj ET BT (",
    "back\\slash \\) \\\\ (unbalanced (( )",
    "%%EOF endstream endobj 1 0 obj << /Type /Catalog >>",
    "<script>alert(1)</script> **not bold** {title} {name}",
]


def test_hostile_text_is_shown_literally_and_the_file_stays_whole() -> None:
    entries = [
        _entry(i, achievement=text, issuer=text, state=text) for i, text in enumerate(HOSTILE)
    ]
    entries.append(_entry(9, achievement="Line\nbreak\r\x00and\x1bcontrols\u2028here"))
    data = render_record(entries, learner_name=") Tj (Mallory \\", generated=GENERATED)
    reader = PdfReader(io.BytesIO(data), strict=True)
    text = _flat(" ".join(page.extract_text() for page in reader.pages))
    for hostile in HOSTILE:
        assert _flat(hostile) in text
    assert "Held by ) Tj (Mallory \\" in text
    assert "Line break and controls here" in text
    # Page text goes in as glyph numbers: none of it is in the file as it was written.
    assert b"pwned" not in data
    assert data.count(b"%%EOF") == 1
    assert reader.metadata is not None
    assert reader.metadata.title == "Learning record: ) Tj (Mallory \\"


def test_only_web_addresses_become_links() -> None:
    entries = [
        _entry(1, verification_url="https://wallet.example/credentials/1"),
        _entry(2, verification_url="javascript:alert(document.cookie)"),
    ]
    reader = PdfReader(io.BytesIO(render_record(entries, learner_name="A", generated=GENERATED)))
    uris = [
        str(annotation.get_object()["/A"]["/URI"])
        for page in reader.pages
        for annotation in page.get("/Annots", [])
    ]
    assert uris == ["https://wallet.example/credentials/1"]
    assert "javascript:alert(document.cookie)" in _flat(reader.pages[0].extract_text())


def test_an_overlong_name_is_cut_and_an_unbroken_one_wraps() -> None:
    long_name = "Word " * 400
    unbroken = "X" * 500
    data = render_record(
        [_entry(1, achievement=long_name), _entry(2, achievement=unbroken)],
        learner_name="Ada",
        generated=GENERATED,
    )
    text = _flat(" ".join(_pages(data)))
    assert "…" in text
    assert text.count("Word") < 130
    assert "".join(text.split()).count("X" * 500) == 1


def test_an_empty_record_says_so() -> None:
    text = _flat(
        " ".join(_pages(render_record([], learner_name="Ada", generated=date(2026, 1, 2))))
    )
    assert "No credentials yet." in text
    assert "Generated on 2026-01-02" in text


def test_labels_come_from_a_catalogue() -> None:
    german = {
        "Learning record": "Lernnachweis",
        "Held by {name}": "Inhaberin: {name}",
        "Issuer": "Aussteller",
        "Page {page} of {pages}": "Seite {page} von {pages}",
    }
    labels = RecordLabels().translated(lambda s: german.get(s, s))
    data = render_record([_entry(1)], learner_name="Ada", generated=GENERATED, labels=labels)
    text = _flat(" ".join(_pages(data)))
    assert "Lernnachweis" in text
    assert "Inhaberin: Ada" in text
    assert "Aussteller: Example University" in text
    assert "Seite 1 von 1" in text


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_every_label_is_in_the_pages_catalogues(language: str) -> None:
    from microcred.web.pages import i18n

    catalogue = i18n.translations(language)
    english = RecordLabels()
    translated = english.translated(catalogue.gettext)
    same = [
        f.name for f in fields(english) if getattr(translated, f.name) == getattr(english, f.name)
    ]
    assert same == []
    for field in fields(english):  # the fields a label fills in survive translation
        wanted = set(re.findall(r"\{\w+\}", getattr(english, field.name)))
        assert set(re.findall(r"\{\w+\}", getattr(translated, field.name))) == wanted


def test_without_a_unicode_font_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(record_pdf, "FONT_DIRS", (tmp_path,))
    with pytest.raises(NotConfiguredError, match="no Unicode font") as caught:
        RecordFonts.find()
    assert "fonts-dejavu-core" in (caught.value.expected or "")
