"""A one-page PDF certificate (A4 landscape): badge image, issuer logo, the public page's QR
code, the EU micro-credential elements, in fonts that print every language.

It used to be hand-written PDF in Helvetica (WinAnsi: anything else printed as "?"). Names come
from anywhere, so it is now set with fpdf2 in the system's DejaVu Sans, with Droid Sans
Fallback and Nanum Gothic for Chinese, Japanese and Korean, the fonts and writer of the wallet's
PDF record (``wallet/record_pdf.py``, which explains the choice). Text is untrusted: control
characters become spaces, fields are bounded, and embedded TrueType text is written as glyph
numbers, so nothing in a name can end a PDF string. Images are drawn only when Pillow reads them
as PNG within a pixel budget (an SVG badge, or one it cannot read, becomes a plain disc). The
certificate is a printout: the QR code and the link lead to the credential's page, where the
signed credential is verified.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import segno
from fpdf import FPDF
from PIL import Image

from microcred.wallet.record_pdf import RecordFonts
from microcred.web.pages.raster import png_of

log = logging.getLogger(__name__)

MARGIN = 18.0  # mm
MAX_PIXELS = 4096 * 4096
MAX_FIELD = 600
ACCENT = (11, 92, 173)
MUTED = (74, 85, 96)
TEXT = (27, 31, 36)
ALERT = (164, 14, 38)
_PALETTE = ((11, 92, 173), (17, 99, 41), (122, 77, 0), (130, 41, 150), (164, 14, 38))


@dataclass(frozen=True)
class CertificateImages:
    badge: bytes | None = None
    badge_media_type: str | None = None
    logo: bytes | None = None
    logo_media_type: str | None = None


@dataclass(frozen=True)
class CertificateText:
    heading: str
    achievement: str
    recipient: str | None  # shown only when the recipient chose to show it
    awarded_to: str
    issuer: str
    issued_label: str
    issued: str
    valid_until: str | None
    description: str
    url: str
    verify_hint: str
    state: str | None  # e.g. "Revoked", printed in red; None when valid
    eu_heading: str = ""
    eu: Sequence[tuple[str, str]] = field(default=())  # (label, value), already translated


def render_certificate(
    t: CertificateText,
    *,
    created: datetime,
    images: CertificateImages | None = None,
    fonts: RecordFonts | None = None,
) -> bytes:
    pictures = images or CertificateImages()
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    _fonts(pdf, fonts or RecordFonts.find())
    if created.tzinfo is not None:
        pdf.set_creation_date(created)
    pdf.set_title(_clean(t.achievement))
    pdf.set_author(_clean(t.issuer))
    pdf.set_creator("microcred")
    pdf.add_page()
    width, height = pdf.w, pdf.h
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(2)
    pdf.rect(8, 8, width - 16, height - 16)
    pdf.set_line_width(0.3)
    pdf.rect(12, 12, width - 24, height - 24)

    badge = 46.0
    if not _picture(pdf, pictures.badge, pictures.badge_media_type, MARGIN + 2, 26, badge):
        colour = _PALETTE[hashlib.sha256(t.achievement.encode()).digest()[0] % len(_PALETTE)]
        pdf.set_fill_color(*colour)
        pdf.ellipse(MARGIN + 2, 26, badge, badge, style="F")
        pdf.set_draw_color(255, 255, 255)  # the ring of the default badge (achievements/images)
        pdf.set_line_width(1.2)
        pdf.ellipse(MARGIN + 5.5, 29.5, badge - 7, badge - 7, style="D")
        pdf.set_draw_color(*ACCENT)
    logo_box = 30.0
    _picture(pdf, pictures.logo, pictures.logo_media_type, width - MARGIN - logo_box, 20, logo_box)

    left = MARGIN + badge + 10
    column = width - left - MARGIN - logo_box - 6
    pdf.set_xy(left, 24)
    _text(pdf, "", 12, MUTED, column, 6, t.heading.upper())
    pdf.set_x(left)
    _text(pdf, "B", 24, TEXT, column, 10, t.achievement, max_lines=3)
    if t.recipient:
        pdf.set_xy(left, pdf.get_y() + 2)
        _text(pdf, "", 11, MUTED, column, 6, t.awarded_to)
        pdf.set_x(left)
        _text(pdf, "B", 18, TEXT, column, 8, t.recipient, max_lines=2)
    pdf.set_xy(left, pdf.get_y() + 3)
    _text(pdf, "", 12, TEXT, column, 6, t.issuer, max_lines=2)
    dates = f"{t.issued_label} {t.issued}" + (f" – {t.valid_until}" if t.valid_until else "")
    pdf.set_x(left)
    _text(pdf, "", 11, TEXT, column, 6, dates)
    if t.state:
        pdf.set_x(left)
        _text(pdf, "B", 13, ALERT, column, 7, t.state)

    qr = 30.0
    bottom = height - MARGIN - qr - 4  # the footer (hint, link, QR code) starts here
    full = width - 2 * MARGIN
    pdf.set_xy(MARGIN, max(pdf.get_y() + 4, 26 + badge + 6))
    if t.description:
        _text(pdf, "", 10, MUTED, full, 5, t.description, max_lines=4)
    if t.eu and pdf.get_y() < bottom - 12:
        pdf.set_xy(MARGIN, pdf.get_y() + 3)
        _text(pdf, "B", 11, ACCENT, full, 6, t.eu_heading)
        _elements(pdf, t.eu, full, bottom)

    _qr(pdf, t.url, width - MARGIN - qr, height - MARGIN - qr, qr)
    pdf.set_xy(MARGIN, height - MARGIN - 12)
    _text(pdf, "", 9, MUTED, full - qr - 6, 5, t.verify_hint, max_lines=1)
    pdf.set_x(MARGIN)
    pdf.set_font("Certificate", "", 9)
    pdf.set_text_color(*ACCENT)
    url = _clean(t.url, 300)
    link = url if url.startswith(("https://", "http://")) else ""
    pdf.cell(full - qr - 6, 5, url, link=link)
    return bytes(pdf.output())


def _fonts(pdf: FPDF, fonts: RecordFonts) -> None:
    pdf.add_font("Certificate", "", str(fonts.regular))
    pdf.add_font("Certificate", "B", str(fonts.bold))
    names = [f"CertificateFallback{i}" for i in range(len(fonts.fallbacks))]
    for name, path in zip(names, fonts.fallbacks, strict=True):
        pdf.add_font(name, "", str(path))
    if names:
        pdf.set_fallback_fonts(names, exact_match=False)


def _text(
    pdf: FPDF,
    style: str,
    size: float,
    colour: tuple[int, int, int],
    width: float,
    height: float,
    text: str,
    *,
    max_lines: int = 1,
) -> None:
    """Wrapped text at the current position, cut to ``max_lines`` (with an ellipsis)."""
    pdf.set_font("Certificate", style, size)
    pdf.set_text_color(*colour)
    clean = _clean(text)
    lines = _lines(pdf, width, height, clean)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1].rstrip() + "…"]
    x = pdf.get_x()
    for line in lines:
        pdf.set_x(x)
        pdf.cell(width, height, line, new_x="LMARGIN", new_y="NEXT")


def _elements(pdf: FPDF, rows: Sequence[tuple[str, str]], width: float, bottom: float) -> None:
    """The EU elements as label: value lines in two columns, as many as fit above ``bottom``."""
    half = (width - 8) / 2
    top = pdf.get_y()
    y = [top, top]
    for index, (label, value) in enumerate(rows):
        side = index % 2
        if y[side] + 5 > bottom:
            continue
        pdf.set_xy(MARGIN + side * (half + 8), y[side])
        pdf.set_font("Certificate", "B", 8.5)
        pdf.set_text_color(*TEXT)
        head = f"{_clean(label, 120)}: "
        label_width = min(pdf.get_string_width(head) + 1, half * 0.55)
        pdf.cell(label_width, 4.5, head)
        pdf.set_font("Certificate", "", 8.5)
        lines = _lines(pdf, half - label_width, 4.5, _clean(value))
        room = max(1, int((bottom - y[side]) // 4.5))
        shown = lines[: min(2, room)]
        if len(lines) > len(shown):
            shown[-1] = shown[-1].rstrip() + "…"
        for number, line in enumerate(shown):
            pdf.set_xy(MARGIN + side * (half + 8) + label_width, y[side] + number * 4.5)
            pdf.cell(half - label_width, 4.5, line)
        y[side] += 4.5 * len(shown) + 1


def _lines(pdf: FPDF, width: float, height: float, text: str) -> list[str]:
    """How fpdf2 would wrap ``text`` in the current font, as lines (nothing drawn)."""
    lines = pdf.multi_cell(width, height, text, dry_run=True, output="LINES")
    assert isinstance(lines, list)
    return [str(line) for line in lines] or [""]


def _picture(
    pdf: FPDF, data: bytes | None, media_type: str | None, x: float, y: float, box: float
) -> bool:
    """Draws a PNG (or an SVG rendered to one) scaled into a square ``box``; False when there
    is none it can read."""
    as_png = png_of(data, media_type, 600)  # ~330 dpi across the badge's 46 mm
    if as_png is None:
        return False
    data = as_png[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            if opened.width * opened.height > MAX_PIXELS:
                return False
            picture = opened.convert("RGBA")
    except Exception as error:  # a stored image Pillow cannot read: the page goes without it
        log.warning("image (%d bytes) not drawn on the certificate: %s", len(data), error)
        return False
    scale = box / max(picture.width, picture.height)
    w, h = picture.width * scale, picture.height * scale
    pdf.image(picture, x + (box - w) / 2, y + (box - h) / 2, w, h)
    return True


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    pdf.image(io.BytesIO(buffer.getvalue()), x, y, size, size)


def _clean(text: str, limit: int = MAX_FIELD) -> str:
    """One line of printable text, at most ``limit`` characters."""
    printable = "".join(" " if (ord(c) < 32 or 127 <= ord(c) < 160) else c for c in text)
    return " ".join(printable.split())[:limit]
