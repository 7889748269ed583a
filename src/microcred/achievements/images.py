"""Badge images: uploads are checked and sanitised; without one, a generated SVG badge."""

from __future__ import annotations

import hashlib
import textwrap
from xml.sax.saxutils import escape

from microcred.crypto.baking import image_format, sanitize_svg
from microcred.errors import BakingError, InputError

MAX_IMAGE_BYTES = 1024 * 1024
_PALETTE = ("#1d4ed8", "#047857", "#b45309", "#7c3aed", "#be123c", "#0e7490")


def check_badge_image(data: bytes) -> tuple[bytes, str]:
    """The image to store and its media type. SVG is sanitised (no scripts, handlers, links)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(
            "badge image is too large",
            expected=f"at most {MAX_IMAGE_BYTES} bytes",
            found=f"{len(data)} bytes",
        )
    kind = image_format(data)
    if kind == "png":
        return data, "image/png"
    if kind == "svg":  # with a byte order mark or in UTF-16 too; stored as UTF-8
        try:
            return sanitize_svg(data, max_bytes=MAX_IMAGE_BYTES), "image/svg+xml"
        except BakingError as exc:  # XML, but no SVG we can keep: the upload is at fault
            raise InputError(
                f"badge image must be PNG or SVG: {exc.message}",
                expected=exc.expected,
                found=exc.found,
            ) from exc
    raise InputError(
        "badge image must be PNG or SVG", expected="PNG or SVG bytes", found=repr(data[:16])
    )


def default_badge_svg(name: str, issuer: str) -> bytes:
    """A round badge with the achievement's name and the issuer; all text is escaped."""
    colour = _PALETTE[hashlib.sha256(name.encode()).digest()[0] % len(_PALETTE)]
    lines = textwrap.wrap(name, 16)[:3] or [""]
    if len(textwrap.wrap(name, 16)) > 3:
        lines[-1] = lines[-1][:14] + "…"
    top = 200 - (len(lines) - 1) * 17
    title = "".join(
        f'<tspan x="200" y="{top + i * 34}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    issuer_text = escape(issuer if len(issuer) <= 32 else issuer[:31] + "…")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400"'
        f' role="img" aria-label="{escape(name, {chr(34): "&quot;"})}">'
        f'<circle cx="200" cy="200" r="190" fill="{colour}"/>'
        '<circle cx="200" cy="200" r="165" fill="none" stroke="#ffffff" stroke-width="6"/>'
        '<text font-family="sans-serif" font-size="30" font-weight="bold" fill="#ffffff"'
        f' text-anchor="middle">{title}</text>'
        '<text x="200" y="318" font-family="sans-serif" font-size="17" fill="#ffffff"'
        f' text-anchor="middle">{issuer_text}</text>'
        "</svg>"
    )
    return svg.encode()
