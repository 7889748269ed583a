"""PNG renditions of SVG badge images and logos, where a page needs pixels (the Open Graph card,
the e-mail-signature banner, the certificate PDF).

Only what the SVG sanitiser leaves is rendered (it runs again here, so a row stored before some
sanitiser change is held to today's rule), with resvg: no script, and references limited to
``#fragments`` and raster ``data:`` URLs by the sanitiser, so rendering fetches nothing. Any
failure gives None and the caller draws its stand-in, as for a PNG it cannot read.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict

import resvg_py

from microcred.crypto.baking import sanitize_svg

log = logging.getLogger(__name__)

MAX_SIZE = 1024  # pixels a side; callers ask for what they draw
CACHED = 64  # renditions kept: a shared page's card is asked for again by every crawler
_cache: OrderedDict[tuple[str, int], bytes | None] = OrderedDict()
_lock = threading.Lock()


def png_of(data: bytes | None, media_type: str | None, size: int) -> tuple[bytes, str] | None:
    """The image as PNG bytes: a PNG as it is, an SVG rendered ``size`` pixels wide."""
    if not data:
        return None
    if media_type == "image/png":
        return data, "image/png"
    if media_type != "image/svg+xml":
        return None
    key = (hashlib.sha256(data).hexdigest(), max(16, min(size, MAX_SIZE)))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            found = _cache[key]
            return (found, "image/png") if found is not None else None
    rendered = _render(data, key[1])
    with _lock:
        _cache[key] = rendered
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    return (rendered, "image/png") if rendered is not None else None


def _render(data: bytes, width: int) -> bytes | None:
    try:
        svg = sanitize_svg(data).decode("utf-8")
        return bytes(resvg_py.svg_to_bytes(svg_string=svg, width=width))
    except Exception as error:  # an SVG resvg cannot draw: the caller goes without it
        log.warning(
            "SVG image (%d bytes) not rendered: %s: %s", len(data), type(error).__name__, error
        )
        return None
