"""Pictures of QR codes for tests: a clean PNG as segno renders it, and a photo-like JPEG
(scaled, turned a little, on a noisy background, slightly blurred)."""

from __future__ import annotations

import io
import random

import segno
from PIL import Image, ImageFilter


def qr_png(text: str, *, scale: int = 6) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_photo(text: str, *, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    code = Image.open(io.BytesIO(qr_png(text, scale=8))).convert("L")
    code = code.resize((int(code.width * 0.85), int(code.height * 0.85)), Image.Resampling.BILINEAR)
    code = code.rotate(7, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    width, height = code.width + 500, code.height + 360
    noise = Image.effect_noise((width, height), 40).point(lambda v: 90 + v // 3)
    photo = Image.merge("RGB", (noise, noise.point(lambda v: v * 9 // 10), noise))
    photo.paste(code.convert("RGB"), (rng.randint(120, 380), rng.randint(80, 280)))
    photo = photo.filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=82)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge canvas (a decompression bomb's shape)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
