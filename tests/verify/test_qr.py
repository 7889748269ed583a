"""Reading QR codes from pictures: clean renders, photo-like shots, and pictures refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from microcred.errors import InputError, NoQrCodeError
from microcred.verify.qr import (
    MAX_FULL_DECODE_PIXELS,
    MAX_IMAGE_BYTES,
    MAX_PIXELS,
    is_plain_picture,
    read_qr,
)
from tests.verify.qr_fixtures import png_header_only, qr_photo, qr_png

URL = "https://badges.example.org/credentials/5a1f2c3d-0000-4000-8000-000000000001"


def test_a_rendered_qr_code_is_read() -> None:
    assert read_qr(qr_png(URL)) == URL


def test_a_photo_like_picture_is_read() -> None:
    photo = qr_photo(URL)
    assert photo.startswith(b"\xff\xd8\xff")  # a JPEG, as a phone sends it
    assert read_qr(photo) == URL


def test_a_picture_without_a_code_says_so() -> None:
    out = io.BytesIO()
    Image.effect_noise((300, 200), 50).save(out, format="PNG")
    with pytest.raises(NoQrCodeError, match="no QR code"):
        read_qr(out.getvalue())


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"definitely not a picture", "not a picture"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (qr_png(URL)[:60], "damaged"),
    ],
)
def test_junk_is_refused_clearly(data: bytes, words: str) -> None:
    with pytest.raises(InputError) as error:
        read_qr(data)
    assert words in str(error.value)
    assert not isinstance(error.value, NoQrCodeError)


def test_oversized_files_and_canvases_are_refused_before_decoding() -> None:
    with pytest.raises(InputError, match="too large"):
        read_qr(b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_IMAGE_BYTES)
    bomb = png_header_only(8_000, 8_000)
    assert len(bomb) < 200
    with pytest.raises(InputError, match="too many pixels") as error:
        read_qr(bomb)
    assert error.value.found == "8000 x 8000"
    # Past Pillow's own bomb limit too (it warns, which the reader turns into the same error).
    with pytest.raises(InputError, match="too many pixels"):
        read_qr(png_header_only(200_000, 200_000))
    # Between Pillow's warning and its error (where warnings are errors, as here).
    with pytest.raises(InputError, match="too many pixels"):
        read_qr(png_header_only(10_000, 10_000))


def test_a_png_too_large_to_decode_at_full_size_is_refused_before_decoding() -> None:
    # 7000 x 7000 is below the bound for photos, but a PNG cannot be scaled while decoded.
    assert MAX_FULL_DECODE_PIXELS < 7_000 * 7_000 <= MAX_PIXELS
    with pytest.raises(InputError) as error:
        read_qr(png_header_only(7_000, 7_000))
    assert error.value.message.startswith("the picture has too many pixels for a PNG image")
    assert error.value.expected == f"at most {MAX_FULL_DECODE_PIXELS:,} pixels"
    assert error.value.found == "7000 x 7000"
    # Just under the bound the PNG is opened: this one is damaged (its pixel data is a stub).
    with pytest.raises(InputError, match="damaged"):
        read_qr(png_header_only(4_000, 4_000))


def test_a_jpeg_photo_keeps_the_larger_bound() -> None:
    # 4200 x 4200 is past the full-decode bound; a JPEG is scaled while decoded, so it is read
    # (a blank picture: no code).
    out = io.BytesIO()
    Image.new("L", (4_200, 4_200), 255).save(out, format="JPEG", quality=50)
    with pytest.raises(NoQrCodeError):
        read_qr(out.getvalue())


def test_plain_pictures_are_told_from_baked_badges() -> None:
    from microcred.crypto.baking import bake_png, default_badge_png

    assert is_plain_picture(qr_png(URL))
    assert is_plain_picture(qr_photo(URL))
    assert not is_plain_picture(bake_png(default_badge_png(), '{"a": 1}'))
    assert not is_plain_picture(b'{"@context": []}')
