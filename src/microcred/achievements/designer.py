"""The badge designer: a shape, three colours, one or two lines of text and an icon, drawn as
SVG on the server.

The stored image is generated from these parameters only: shapes and icons are this module's
own markup, colours must be ``#rrggbb``, text is XML-escaped (control characters dropped), so no
markup an issuer typed can reach the image. The result still goes through the project's SVG
sanitiser, like any uploaded badge.

Text is fitted without a font at hand: each line's width is estimated from character classes
(calibrated against DejaVu Sans Bold, see the tests) and the font size chosen to fit the shape's
text box; where even the smallest size would not fit, ``textLength`` squeezes the line into the
box, so a viewer with a wider font still sees it inside the badge.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

from microcred.achievements.icons import ICONS
from microcred.crypto.baking import sanitize_svg
from microcred.errors import ModelError, short

Shape = Literal["circle", "shield", "hexagon", "rounded", "ribbon"]
SHAPES: tuple[Shape, ...] = ("circle", "shield", "hexagon", "rounded", "ribbon")
MAX_LINE = 30  # characters per line of text
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
SIZE = 400  # the badge's own units (viewBox 0 0 400 400)


@dataclass(frozen=True)
class BadgeDesign:
    shape: Shape = "circle"
    background: str = "#1d4ed8"
    border: str = "#f59e0b"
    text_colour: str = "#ffffff"
    line1: str = ""
    line2: str = ""
    icon: str = "star"
    """A name in :data:`ICONS`, or "" for none."""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


# The form's input for each parameter (errors name the input).
INPUTS = {
    "shape": "badge_shape",
    "background": "badge_background",
    "border": "badge_border",
    "text_colour": "badge_text_colour",
    "line1": "badge_line1",
    "line2": "badge_line2",
    "icon": "badge_icon",
}


def parse_design(values: Mapping[str, Any]) -> BadgeDesign:
    """A design from the form's (or the stored JSON's) values, keyed as :class:`BadgeDesign`.
    Raises :class:`ModelError` naming the parameter that is wrong."""
    shape = str(values.get("shape") or "circle")
    if shape not in SHAPES:
        raise ModelError(
            "unknown badge shape", field="shape", expected=" | ".join(SHAPES), found=short(shape)
        )
    colours = {}
    for name in ("background", "border", "text_colour"):
        colour = str(values.get(name) or "").strip()
        if not _COLOUR.match(colour):
            raise ModelError(
                "not a colour", field=name, expected="#rrggbb, such as #1d4ed8", found=short(colour)
            )
        colours[name] = colour.lower()
    lines = {}
    for name in ("line1", "line2"):
        text = clean_text(str(values.get(name) or ""))
        if len(text) > MAX_LINE:
            raise ModelError(
                "badge text is too long",
                field=name,
                expected=f"at most {MAX_LINE} characters a line",
                found=f"{len(text)} characters",
            )
        lines[name] = text
    icon = str(values.get("icon") or "")
    if icon and icon not in ICONS:
        raise ModelError(
            "unknown badge icon",
            field="icon",
            expected="none or " + " | ".join(ICONS),
            found=short(icon),
        )
    return BadgeDesign(
        shape,  # checked against SHAPES above
        colours["background"],
        colours["border"],
        colours["text_colour"],
        lines["line1"],
        lines["line2"],
        icon,
    )


def clean_text(text: str) -> str:
    """One line of badge text: control characters, lone surrogates and line breaks dropped
    (XML cannot hold the first two), runs of spaces made one."""
    kept = "".join(" " if ch.isspace() else ch for ch in text if _printable(ch))
    return " ".join(kept.split())


def _printable(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")


# ---- shapes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    outline: str  # markup with {fill} and {stroke} to fill in
    text_width: float  # the room a line of text has
    icon_y: float  # the icon's centre when there is text too
    text_y: float  # the baseline of a single line (two lines sit around it)
    centre_y: float  # the middle of the shape (icon alone, text alone)


def _hexagon() -> str:
    points = " ".join(
        f"{200 + 186 * math.cos(math.radians(a)):.1f},{200 + 186 * math.sin(math.radians(a)):.1f}"
        for a in range(-90, 270, 60)
    )
    return f'<polygon points="{points}" fill="{{fill}}" stroke="{{stroke}}" stroke-width="14"/>'


_RIBBON_TAILS = (
    '<path d="M128 262 L86 388 L132 366 L160 396 L196 290 Z" fill="{stroke}"/>'
    '<path d="M272 262 L314 388 L268 366 L240 396 L204 290 Z" fill="{stroke}"/>'
)
LAYOUTS: dict[Shape, _Layout] = {
    "circle": _Layout(
        '<circle cx="200" cy="200" r="186" fill="{fill}" stroke="{stroke}" stroke-width="14"/>',
        290,
        140,
        258,
        200,
    ),
    "shield": _Layout(
        '<path d="M200 14 L372 72 V188 C372 286 302 352 200 388 C98 352 28 286 28 188 V72 Z"'
        ' fill="{fill}" stroke="{stroke}" stroke-width="14" stroke-linejoin="round"/>',
        270,
        130,
        240,
        192,
    ),
    "hexagon": _Layout(_hexagon(), 280, 140, 258, 200),
    "rounded": _Layout(
        '<rect x="18" y="18" width="364" height="364" rx="64" fill="{fill}" stroke="{stroke}"'
        ' stroke-width="14"/>',
        320,
        140,
        262,
        200,
    ),
    "ribbon": _Layout(
        _RIBBON_TAILS
        + '<circle cx="200" cy="172" r="152" fill="{fill}" stroke="{stroke}" stroke-width="14"/>',
        230,
        118,
        212,
        172,
    ),
}


# ---- text fitting ----------------------------------------------------------------------------

_NARROW = set("iljI.,:;'!|`")
_SEMI = set('fjrt()[]{}-/\\"*')
_WIDE = set("mwMW@%&")


def text_width(text: str, font_size: float) -> float:
    """An estimate of the line's width in bold sans-serif at ``font_size``."""
    em = 0.0
    for ch in text:
        if ch == " ":
            em += 0.35
        elif ch in _NARROW:
            em += 0.36
        elif ch in _SEMI:
            em += 0.49
        elif ch in _WIDE or unicodedata.east_asian_width(ch) in ("W", "F"):
            em += 1.0
        elif ch.isupper() or ch.isdigit():
            em += 0.77 if ch.isupper() else 0.70
        else:
            em += 0.67
    return em * font_size


def fit(text: str, room: float, largest: float, smallest: float) -> tuple[float, bool]:
    """The font size that fits ``text`` in ``room`` (at most ``largest``), and whether it must
    still be squeezed (it does not fit even at ``smallest``)."""
    at_one = text_width(text, 1.0)
    if at_one == 0:
        return largest, False
    size = min(largest, room / at_one)
    if size < smallest:
        return smallest, True
    return round(size, 1), False


# ---- drawing ---------------------------------------------------------------------------------


def render_svg(design: BadgeDesign) -> bytes:
    """The badge as a sanitised SVG document (UTF-8)."""
    layout = LAYOUTS[design.shape]
    lines = [line for line in (design.line1, design.line2) if line]
    parts = [layout.outline.format(fill=design.background, stroke=design.border)]
    if design.icon:
        size = 150.0 if not lines else (104.0 if len(lines) == 1 else 88.0)
        centre = layout.centre_y if not lines else layout.icon_y - (8 if len(lines) == 2 else 0)
        scale = size / 24
        parts.append(
            f'<g transform="translate({200 - size / 2:.1f} {centre - size / 2:.1f})'
            f' scale({scale:.3f})" fill="none" stroke="{design.text_colour}" stroke-width="2"'
            ' stroke-linecap="round" stroke-linejoin="round">'
            f'<path d="{ICONS[design.icon]}"/></g>'
        )
    baselines = _baselines(layout, len(lines), bool(design.icon))
    for index, (line, baseline) in enumerate(zip(lines, baselines, strict=True)):
        largest = 58.0 if index == 0 else 38.0
        if len(lines) == 1 and not design.icon:
            largest = 72.0
        size, squeeze = fit(line, layout.text_width, largest, 18.0)
        squeezed = (
            f' textLength="{layout.text_width:.0f}" lengthAdjust="spacingAndGlyphs"'
            if squeeze
            else ""
        )
        parts.append(
            f'<text x="200" y="{baseline:.1f}" font-family={quoteattr(FONT)}'
            f' font-size="{size}" font-weight="bold" fill="{design.text_colour}"'
            f' text-anchor="middle"{squeezed}>{escape(line)}</text>'
        )
    label = " ".join(lines) or "badge"
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}"'
        f' viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label={quoteattr(label)}>'
        f"<title>{escape(label)}</title>{''.join(parts)}</svg>"
    )
    return sanitize_svg(svg.encode())


def _baselines(layout: _Layout, count: int, icon: bool) -> list[float]:
    if count == 0:
        return []
    if not icon:  # text alone: centred on the shape
        return [layout.centre_y + 24] if count == 1 else [layout.centre_y - 4, layout.centre_y + 48]
    if count == 1:
        return [layout.text_y + 16]
    return [layout.text_y, layout.text_y + 48]


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def shape_thumbnail(shape: Shape) -> str:
    """The shape's outline alone, as inline SVG markup for the form's shape picker (our own
    markup; no user input)."""
    outline = LAYOUTS[shape].outline.format(fill="currentColor", stroke="currentColor")
    return (
        '<svg viewBox="0 0 400 400" width="36" height="36" aria-hidden="true" focusable="false">'
        f"{outline}</svg>"
    )


def icon_thumbnail(icon: str) -> str:
    return (
        '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"'
        ' fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"'
        f' stroke-linejoin="round"><path d="{ICONS[icon]}"/></svg>'
    )


__all__ = [
    "INPUTS",
    "SHAPES",
    "BadgeDesign",
    "contrast",
    "parse_design",
    "render_svg",
]
