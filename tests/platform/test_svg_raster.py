"""Issue 19: an SVG badge (designed or uploaded) gets a PNG rendition where pixels are needed:
the Open Graph card and the certificate PDF show the badge itself, not the stand-in disc.
Only the sanitised SVG is rendered."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader

from microcred.accounts.actor import SYSTEM
from microcred.achievements.designer import BadgeDesign, render_svg
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.web.app import create_app
from microcred.web.pages.artwork import card_png
from microcred.web.pages.raster import png_of
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture

PLUM = (110, 20, 90)
PLAIN = BadgeDesign(shape="rounded", background="#6e145a", border="#ffffff", line1="", icon="")


def _open(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_an_svg_badge_is_rendered_at_the_size_asked() -> None:
    rendered = png_of(render_svg(PLAIN), "image/svg+xml", 200)
    assert rendered is not None
    png, media_type = rendered
    assert media_type == "image/png"
    picture = _open(png)
    assert picture.size == (200, 200)
    assert picture.getpixel((100, 100)) == PLUM  # the middle of the shape: its background


def test_a_png_passes_and_what_cannot_be_drawn_is_none() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), PLUM).save(buffer, format="PNG")
    assert png_of(buffer.getvalue(), "image/png", 100) == (buffer.getvalue(), "image/png")
    assert png_of(b"GIF89a", "image/gif", 100) is None
    assert png_of(None, "image/svg+xml", 100) is None
    assert png_of(b"<svg", "image/svg+xml", 100) is None  # not XML: logged, not raised
    empty = b'<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>'
    assert png_of(empty, "image/svg+xml", 100) is None


def test_only_the_sanitised_svg_is_rendered(tmp_path_factory: pytest.TempPathFactory) -> None:
    secret = tmp_path_factory.mktemp("files") / "secret.png"
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50), (0, 255, 0)).save(buffer, format="PNG")
    secret.write_bytes(buffer.getvalue())
    hostile = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' width="50" height="50"><rect width="50" height="50" fill="#6e145a"/>'
        f'<image href="file://{secret}" width="50" height="50"/>'
        f'<image xlink:href="{secret}" width="50" height="50"/>'
        "<script>alert(1)</script></svg>"
    ).encode()
    rendered = png_of(hostile, "image/svg+xml", 50)
    assert rendered is not None
    assert _open(rendered[0]).getpixel((25, 25)) == PLUM  # the local file was not drawn


def test_the_open_graph_card_shows_a_designed_badge() -> None:
    svg = render_svg(PLAIN)
    card = _open(card_png(title="T", issuer="I", line="L", image=svg, media_type="image/svg+xml"))
    # The badge box: 360 px square at (70, 135); its middle is the design's background.
    assert card.getpixel((70 + 180, 135 + 180)) == PLUM


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def test_the_certificate_pdf_shows_a_designed_badge(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    achievement = runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT, design=PLAIN)
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement.id, email="ada@example.org", name="Ada")]
    )
    response = web.get(f"/credentials/{row.id}/certificate.pdf")
    assert response.status_code == 200
    pictures = [
        p.image.convert("RGB") for p in PdfReader(io.BytesIO(response.content)).pages[0].images
    ]
    centres = [p.getpixel((p.width // 2, p.height // 2)) for p in pictures]
    assert PLUM in centres
