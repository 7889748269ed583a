"""Read the text of a QR code in a picture: a scan of a printed certificate, a phone photo.

Pictures come from strangers, so they are bounded before any pixel is decoded: bytes, then the
width x height the header declares (a small file can declare a huge canvas: a decompression
bomb), and only a few formats are opened. Large photos are scaled down first; a QR code that
fills part of a phone photo still has plenty of pixels per module at 2,048 px. Only JPEG can be
scaled while it is decoded, so the other formats, decoded at full size, have a lower bound.
"""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, UnidentifiedImageError

from microcred.crypto.baking import unbake
from microcred.errors import InputError, MicrocredError, NoQrCodeError

MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; beyond that it is not a phone picture
# PNG, WebP and GIF are decoded at full size before scaling (a 7000 x 7000 PNG of 203 KB took
# a second and 100 MB): at most a 16-megapixel screenshot or scan.
MAX_FULL_DECODE_PIXELS = 16_000_000
DECODE_SIDE = 2048
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")


def read_qr(data: bytes) -> str:
    """The text of the (first) QR code in the picture; raises :class:`InputError` for a
    picture that cannot be used and :class:`NoQrCodeError` when it holds no readable code."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(
            "the picture is too large",
            expected=f"at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB",
            found=f"{len(data)} bytes",
        )
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as picture:
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise _too_many(width, height)
            if picture.format != "JPEG" and width * height > MAX_FULL_DECODE_PIXELS:
                raise InputError(
                    f"the picture has too many pixels for a {picture.format} image "
                    "(only a JPEG photo may be larger)",
                    expected=f"at most {MAX_FULL_DECODE_PIXELS:,} pixels",
                    found=f"{width} x {height}",
                )
            gray = _scaled_gray(picture)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        # Pillow refuses a canvas past twice its own limit when opening it (and warns before
        # that: an error where warnings are errors); the check above covers the rest.
        raise InputError(
            "the picture has too many pixels", expected=f"at most {MAX_PIXELS:,} pixels"
        ) from exc
    except UnidentifiedImageError as exc:
        raise InputError(
            "not a picture that can be read",
            expected=" or ".join(FORMATS),
            found=_kind(data),
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt image data
        raise InputError("the picture is damaged", found=type(exc).__name__) from exc
    codes = zxingcpp.read_barcodes(
        gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    for code in codes:
        if code.valid and code.text.strip():
            return code.text.strip()
    raise NoQrCodeError("no QR code was found in the picture")


def is_plain_picture(data: bytes) -> bool:
    """A PNG, JPEG, WebP or GIF with no credential baked in: worth looking for a QR code in.
    (An SVG is never one: a QR code printed on a page arrives as a photo.)"""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        try:
            unbake(data)
        except MicrocredError:
            return True
        return False
    return data.startswith((b"\xff\xd8\xff", b"GIF87a", b"GIF89a")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


def _scaled_gray(picture: Image.Image) -> Image.Image:
    if max(picture.size) > DECODE_SIDE:
        picture.draft("L", (DECODE_SIDE, DECODE_SIDE))  # JPEG: decode at a lower scale
    gray = picture.convert("L")
    if max(gray.size) > DECODE_SIDE:
        gray.thumbnail((DECODE_SIDE, DECODE_SIDE))
    return gray


def _too_many(width: int, height: int) -> InputError:
    return InputError(
        "the picture has too many pixels",
        expected=f"at most {MAX_PIXELS:,} pixels",
        found=f"{width} x {height}",
    )


def _kind(data: bytes) -> str:
    if data.lstrip()[:1] == b"<":
        return "SVG or other text"
    return "an unknown format"


__all__ = [
    "MAX_FULL_DECODE_PIXELS",
    "MAX_IMAGE_BYTES",
    "MAX_PIXELS",
    "NoQrCodeError",
    "is_plain_picture",
    "read_qr",
]
