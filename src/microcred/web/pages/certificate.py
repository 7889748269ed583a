"""A one-page PDF certificate, written directly (PDF 1.4, the standard Helvetica fonts).

No PDF library: the page is a few lines of text and a border, which the format describes in a
handful of objects. Text uses WinAnsiEncoding (Latin-1 plus a few more); characters it cannot
hold become "?" in the page text, but the document title in the metadata is exact (UTF-16).
The certificate points to the credential's URL, where the signed credential is verified: the
PDF itself is a printout, not a credential.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 842, 595  # A4 landscape, in points
MARGIN = 60


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


def _pdf_text(text: str) -> bytes:
    """A PDF literal string in WinAnsi (cp1252), escaped."""
    data = text.encode("cp1252", errors="replace")
    data = data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + data.replace(b"\r", b" ").replace(b"\n", b" ") + b")"


def _utf16(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _line(
    font: str, size: int, x: float, y: float, text: str, rgb: str = "0.106 0.122 0.141"
) -> bytes:
    return (
        f"BT {rgb} rg /{font} {size} Tf {x:.1f} {y:.1f} Td ".encode()
        + _pdf_text(text)
        + b" Tj ET\n"
    )


def render_certificate(t: CertificateText, *, created: datetime) -> bytes:
    ops: list[bytes] = [
        b"0.043 0.361 0.678 RG 6 w 24 24 794 547 re S\n",
        b"0.043 0.361 0.678 RG 1 w 36 36 770 523 re S\n",
    ]
    y = HEIGHT - 110
    ops.append(_line("F1", 16, MARGIN, y, t.heading.upper(), "0.29 0.333 0.376"))
    y -= 46
    for part in textwrap.wrap(t.achievement, 38)[:3] or [""]:
        ops.append(_line("F2", 30, MARGIN, y, part))
        y -= 36
    if t.recipient:
        y -= 6
        ops.append(_line("F1", 14, MARGIN, y, t.awarded_to, "0.29 0.333 0.376"))
        y -= 26
        ops.append(_line("F2", 22, MARGIN, y, t.recipient[:60]))
        y -= 20
    y -= 14
    ops.append(_line("F1", 14, MARGIN, y, t.issuer[:90]))
    y -= 20
    dates = f"{t.issued_label} {t.issued}" + (f" - {t.valid_until}" if t.valid_until else "")
    ops.append(_line("F1", 12, MARGIN, y, dates))
    if t.state:
        y -= 22
        ops.append(_line("F2", 14, MARGIN, y, t.state, "0.643 0.055 0.149"))
    y -= 30
    for part in textwrap.wrap(t.description, 110)[:6]:
        ops.append(_line("F1", 11, MARGIN, y, part, "0.29 0.333 0.376"))
        y -= 15
    ops.append(_line("F1", 10, MARGIN, 76, t.verify_hint[:140], "0.29 0.333 0.376"))
    ops.append(_line("F1", 10, MARGIN, 60, t.url[:140], "0.043 0.361 0.678"))
    content = b"".join(ops)
    stamp = created.strftime("D:%Y%m%d%H%M%SZ")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] "
            "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R "
            f"/Annots [8 0 R] >>"
        ).encode(),
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title "
        + _utf16(t.achievement)
        + b" /Author "
        + _utf16(t.issuer)
        + b" /Producer (microcred) /CreationDate ("
        + stamp.encode()
        + b") >>",
        # The URL line is a link to the credential page.
        b"<< /Type /Annot /Subtype /Link /Rect [60 55 782 72] /Border [0 0 0] "
        b"/A << /S /URI /URI " + _pdf_text(t.url) + b" >> >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 7 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
