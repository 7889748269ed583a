"""The learner's whole record as a printable PDF: every credential they hold, one block each.

Why a library (fpdf2) and not the hand-written PDF of ``web/pages/certificate.py``: that page is
a few lines of Latin text in the standard Helvetica fonts, which PDF describes in a handful of
objects. A record is many pages of names from anywhere (Greek, Cyrillic, Chinese, Japanese), so
it needs what a hand-written writer would have to grow: TrueType fonts embedded as subsets with a
ToUnicode map (so the text can be searched and copied, not only seen), a fallback font for the
scripts DejaVu Sans lacks, line wrapping by measured glyph widths, and page breaks that keep one
credential's block together. fpdf2 does all of that, is maintained by the py-pdf organisation
(beside pypdf, which the tests read the output with), and is pure Python on top of fontTools.

Fonts are the system's, found at run time, never bundled: DejaVu Sans (required; Debian's
``fonts-dejavu-core``) and, when installed, fallbacks for Chinese and Japanese (Droid Sans
Fallback, ``fonts-droid-fallback``, Apache 2.0) and Korean (Nanum Gothic, ``fonts-nanum``, OFL).
Without them those characters have no glyph: fpdf2 leaves them out of the page and logs which
ones, and the verification URL still names the credential. Right-to-left scripts are set
left to right, unshaped (fpdf2 shapes them only with the optional uharfbuzz).

Text from credentials is untrusted. It is never parsed as markup (no markdown), control
characters become spaces, each field is bounded in length, and with embedded TrueType fonts
every character is written as a glyph number in hex, so parentheses, backslashes or PDF
operators in a name are shown as they are and cannot end a string. Links are made only for
http(s) URLs. The PDF is a printout: each credential is verified at its URL.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode

from microcred.errors import NotConfiguredError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu"),  # Fedora
    Path("/usr/share/fonts/TTF"),  # Arch
)
# Fallbacks for the scripts DejaVu Sans lacks, tried in this order; of each group the first
# installed file is used. Droid Sans Fallback has Han and kana, no Hangul: Nanum Gothic has it.
FALLBACK_FONTS: tuple[tuple[Path, ...], ...] = (
    (
        Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
        Path("/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf"),
        Path("/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf"),
    ),
    (
        Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf"),
        Path("/usr/share/fonts/nanum/NanumGothic.ttf"),
    ),
)
MAX_FIELD_CHARS = 600  # a name longer than this is cut: one block must fit on a page
MARGIN_MM = 18
MEASURE_BELOW_MM = 90  # a usual block is about 40 mm high
ACCENT = (11, 92, 173)
MUTED = (90, 98, 110)
ALERT = (176, 0, 32)
TEXT = (27, 31, 36)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class RecordEntry:
    """One credential as the record prints it (the wallet summarises each credential so).

    ``state`` is the wallet's word for it in the reader's language ("Valid", "Revoked",
    "Expired", ...); ``valid`` says whether it is in good standing (others print in red).
    ``ects`` and ``eqf_level`` are printed where the credential's achievement states them.
    """

    achievement: str
    issuer: str
    issued: date | datetime
    state: str
    verification_url: str
    valid: bool = True
    valid_from: date | datetime | None = None
    valid_until: date | datetime | None = None
    ects: float | None = None
    eqf_level: int | None = None


@dataclass(frozen=True)
class RecordLabels:
    """The record's own words, English by default; :meth:`translated` gives another language
    (the pages' catalogues hold every label, with ``{name}`` fields as written here)."""

    title: str = "Learning record"
    holder: str = "Held by {name}"
    generated: str = "Generated on {date}"
    count: str = "Credentials: {count}"
    issuer: str = "Issuer"
    issued: str = "Issued on"
    valid_from: str = "Valid from"
    valid_until: str = "Valid until"
    state: str = "State"
    ects: str = "ECTS credits"
    eqf: str = "EQF level"
    verify: str = "Verify at"
    empty: str = "No credentials yet."
    page: str = "Page {page} of {pages}"
    note: str = (
        "This record is a printout. Each credential is signed by its issuer: "
        "check it at its verification address."
    )

    def translated(self, gettext: Callable[[str], str]) -> RecordLabels:
        """Every label looked up in a catalogue (the English text is the message id)."""
        return replace(self, **{f.name: gettext(getattr(self, f.name)) for f in fields(self)})


@dataclass(frozen=True)
class RecordFonts:
    """The TrueType files the record is set in; :meth:`find` looks in the usual places."""

    regular: Path
    bold: Path
    fallbacks: tuple[Path, ...] = ()

    @classmethod
    def find(cls) -> RecordFonts:
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.is_file() and bold.is_file():
                found = (next((p for p in group if p.is_file()), None) for group in FALLBACK_FONTS)
                return cls(regular, bold, tuple(p for p in found if p is not None))
        raise NotConfiguredError(
            "no Unicode font for the PDF record is installed",
            expected="DejaVu Sans (the fonts-dejavu-core package)",
            found=", ".join(str(d) for d in FONT_DIRS) + ": not there",
        )


def render_record(
    entries: Sequence[RecordEntry],
    *,
    learner_name: str,
    generated: date | datetime,
    labels: RecordLabels | None = None,
    fonts: RecordFonts | None = None,
) -> bytes:
    """The PDF of the learner's record, as bytes (A4 portrait, one block per credential)."""
    words = labels or RecordLabels()
    pdf = _RecordPdf(fonts or RecordFonts.find(), words, _clean(learner_name, 200))
    created = generated if isinstance(generated, datetime) else None
    if created is not None and created.tzinfo is not None:
        pdf.set_creation_date(created)
    pdf.set_title(f"{words.title}: {_clean(learner_name, 200)}")
    pdf.set_author(_clean(learner_name, 200))
    pdf.set_creator("microcred")
    pdf.add_page()
    _header(pdf, words, learner_name, generated, len(entries))
    if not entries:
        pdf.set_font("Record", size=11)
        _paragraph(pdf, 6, words.empty)
    for entry in entries:
        _entry(pdf, words, entry)
    return bytes(pdf.output())


class _RecordPdf(FPDF):
    def __init__(self, fonts: RecordFonts, labels: RecordLabels, learner: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._labels = labels
        self._learner = learner
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=MARGIN_MM + 4)
        self.add_font("Record", "", str(fonts.regular))
        self.add_font("Record", "B", str(fonts.bold))
        names = [f"RecordFallback{i}" for i in range(len(fonts.fallbacks))]
        for name, path in zip(names, fonts.fallbacks, strict=True):
            self.add_font(name, "", str(path))
        if names:
            self.set_fallback_fonts(names, exact_match=False)
        self.alias_nb_pages("{pages}")

    def footer(self) -> None:
        self.set_y(-MARGIN_MM)
        self.set_font("Record", size=8)
        self.set_text_color(*MUTED)
        page = self._labels.page.replace("{page}", str(self.page_no()))
        self.cell(0, 5, f"{self._learner} · {page}", align="C")


def _header(
    pdf: _RecordPdf, words: RecordLabels, name: str, generated: date | datetime, count: int
) -> None:
    pdf.set_text_color(*ACCENT)
    pdf.set_font("Record", "B", 20)
    _paragraph(pdf, 10, _clean(words.title, 200))
    pdf.set_text_color(*TEXT)
    pdf.set_font("Record", "B", 13)
    holder = _fill(words.holder, name=_clean(name, 200))
    _paragraph(pdf, 7, holder)
    pdf.set_font("Record", size=10)
    pdf.set_text_color(*MUTED)
    summary = " · ".join(
        [_fill(words.generated, date=_day(generated)), _fill(words.count, count=str(count))]
    )
    _paragraph(pdf, 6, summary)
    _paragraph(pdf, 5, words.note)
    pdf.ln(3)
    _rule(pdf)


def _entry(pdf: _RecordPdf, words: RecordLabels, entry: RecordEntry) -> None:
    lines = _entry_lines(words, entry)
    # Keep a credential's block on one page when it fits on one. Measuring costs as much as
    # writing, so it is done only near the bottom of a page.
    if pdf.h - pdf.b_margin - pdf.get_y() < MEASURE_BELOW_MM:
        height = _block_height(pdf, entry, lines)
        usable = pdf.h - pdf.t_margin - pdf.b_margin
        if height <= usable and pdf.will_page_break(height):
            pdf.add_page()
    pdf.set_text_color(*TEXT)
    pdf.set_font("Record", "B", 12)
    _paragraph(pdf, 6.5, _clean(entry.achievement))
    pdf.set_font("Record", size=10)
    for text, color in lines:
        pdf.set_text_color(*color)
        _paragraph(pdf, 5.2, text)
    url = _clean(entry.verification_url)
    pdf.set_text_color(*ACCENT)
    link = url if url.startswith(("https://", "http://")) else ""
    _paragraph(pdf, 5.2, f"{words.verify}: {url}", link=link, wrapmode=WrapMode.CHAR)
    pdf.ln(2)
    _rule(pdf)


Color = tuple[int, int, int]


def _entry_lines(words: RecordLabels, entry: RecordEntry) -> list[tuple[str, Color]]:
    """The block's lines under the achievement's name, each with its colour."""
    dates = [f"{words.issued}: {_day(entry.issued)}"]
    if entry.valid_from is not None:
        dates.append(f"{words.valid_from}: {_day(entry.valid_from)}")
    if entry.valid_until is not None:
        dates.append(f"{words.valid_until}: {_day(entry.valid_until)}")
    lines = [
        (f"{words.issuer}: {_clean(entry.issuer)}", TEXT),
        (" · ".join(dates), TEXT),
        (f"{words.state}: {_clean(entry.state, 100)}", TEXT if entry.valid else ALERT),
    ]
    credits = []
    if entry.ects is not None:
        credits.append(f"{words.ects}: {_number(entry.ects)}")
    if entry.eqf_level is not None:
        credits.append(f"{words.eqf}: {entry.eqf_level}")
    if credits:
        lines.append((" · ".join(credits), TEXT))
    return lines


def _block_height(pdf: _RecordPdf, entry: RecordEntry, lines: Sequence[tuple[str, Color]]) -> float:
    pdf.set_font("Record", "B", 12)
    total = _measure(pdf, 6.5, _clean(entry.achievement))
    pdf.set_font("Record", size=10)
    total += sum(_measure(pdf, 5.2, text) for text, _ in lines)
    url = f"verify: {_clean(entry.verification_url)}"
    return total + _measure(pdf, 5.2, url, wrapmode=WrapMode.CHAR) + 4


def _paragraph(pdf: FPDF, height: float, text: str, **options: Any) -> None:
    """Left-aligned text that wraps, never read as markup; the next line starts below it."""
    pdf.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT", **options)


def _measure(pdf: FPDF, height: float, text: str, **options: Any) -> float:
    found = pdf.multi_cell(0, height, text, align="L", dry_run=True, output="HEIGHT", **options)
    assert isinstance(found, float | int)
    return float(found)


def _rule(pdf: _RecordPdf) -> None:
    pdf.set_draw_color(210, 214, 220)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)


def _clean(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """Untrusted text made printable: controls to spaces, NFC, bounded length."""
    value = _CONTROL.sub(" ", unicodedata.normalize("NFC", str(text))).strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _fill(template: str, **values: str) -> str:
    """``{name}`` fields filled in without str.format (a translated label may hold braces)."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def _day(moment: date | datetime) -> str:
    return moment.date().isoformat() if isinstance(moment, datetime) else moment.isoformat()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


__all__ = ["RecordEntry", "RecordFonts", "RecordLabels", "render_record"]
