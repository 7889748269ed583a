"""Raster cards for sharing: the 1200x630 Open Graph image and the e-mail-signature banner.

Drawn with Pillow. The badge itself is drawn in when it is a PNG, or an SVG rendered to one
(``raster``); otherwise a plain disc in the badge colour stands in. Images from uploads are
opened with a pixel limit, and any failure to read one just falls back to the disc.
"""

from __future__ import annotations

import hashlib
import io
import logging
import textwrap
import warnings
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from microcred.web.pages.raster import png_of

log = logging.getLogger(__name__)

FONT_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)
BOLD_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
)
MAX_BADGE_PIXELS = 4096 * 4096
_PALETTE = (
    (29, 78, 216),
    (4, 120, 87),
    (180, 83, 9),
    (124, 58, 237),
    (190, 18, 60),
    (14, 116, 144),
)
INK = (27, 31, 36)
MUTED = (74, 85, 96)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int, *, bold: bool = False) -> Font:
    for path in BOLD_FILES if bold else FONT_FILES:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)  # Pillow's bundled font


def _badge(image: bytes | None, media_type: str | None, size: int) -> Image.Image | None:
    as_png = png_of(image, media_type, size)
    if as_png is None:
        return None
    image = as_png[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(image))
            if opened.width * opened.height > MAX_BADGE_PIXELS:
                return None
            badge = opened.convert("RGBA")
    except Exception as error:  # a stored image Pillow cannot read: draw the card without it
        log.warning(
            "badge image (%d bytes) not drawn on the card: %s: %s",
            len(image),
            type(error).__name__,
            error,
        )
        return None
    return ImageOps.contain(badge, (size, size))  # small badges are scaled up too


def card_png(
    *,
    title: str,
    issuer: str,
    line: str,
    image: bytes | None,
    media_type: str | None,
    width: int = 1200,
    height: int = 630,
) -> bytes:
    """A card: badge on the left, achievement name, issuer and one more line on the right."""
    colour = _PALETTE[hashlib.sha256(title.encode()).digest()[0] % len(_PALETTE)]
    scale = height / 630
    canvas = Image.new("RGB", (width, height), (245, 247, 250))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, width, int(18 * scale)), fill=colour)
    badge_size = int(min(height * 0.62, width * 0.3))
    left = int(70 * scale)
    top = (height - badge_size) // 2
    badge = _badge(image, media_type, badge_size)
    if badge is not None:
        offset = ((badge_size - badge.width) // 2, (badge_size - badge.height) // 2)
        canvas.paste(badge, (left + offset[0], top + offset[1]), badge)
    else:
        draw.ellipse((left, top, left + badge_size, top + badge_size), fill=colour)
        inset = int(badge_size * 0.08)
        draw.ellipse(
            (left + inset, top + inset, left + badge_size - inset, top + badge_size - inset),
            outline=(255, 255, 255),
            width=max(2, int(6 * scale)),
        )
    x = left + badge_size + int(60 * scale)
    room = max(10, int((width - x - 40 * scale) / (30 * scale)))  # characters per line
    title_font = _font(int(60 * scale), bold=True)
    lines = textwrap.wrap(title, room)[:3] or [""]
    if len(textwrap.wrap(title, room)) > 3:
        lines[-1] = lines[-1][: room - 1] + "…"
    y = int(height / 2 - (len(lines) * 70 * scale) / 2 - 30 * scale)
    for text in lines:
        draw.text((x, y), text, font=title_font, fill=INK)
        y += int(70 * scale)
    y += int(16 * scale)
    draw.text((x, y), issuer[:60], font=_font(int(34 * scale)), fill=MUTED)
    y += int(48 * scale)
    draw.text((x, y), line[:80], font=_font(int(26 * scale)), fill=MUTED)
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()
