"""Issue 19: the badge designer in the achievement editor. The issuer chooses a shape, colours,
text and an icon; the server draws the SVG from those parameters alone (text escaped, through
the SVG sanitiser), stores it as the achievement's image and keeps the parameters so the
editor reopens the design. The preview works without a script (the form posts, the page
shows the drawing) and with one (an image address the server draws)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.dom.minidom import parseString

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM, Role
from microcred.achievements.designer import (
    LAYOUTS,
    SHAPES,
    BadgeDesign,
    contrast,
    fit,
    parse_design,
    render_svg,
    text_width,
)
from microcred.achievements.icons import ICONS
from microcred.crypto.baking import sanitize_svg
from microcred.errors import InputError, ModelError
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture
from tests.platform.test_pages import csrf, sign_in, staff
from tests.platform.test_pages_console import SVG, full_form, post_form

DESIGN = {
    "badge_source": "design",
    "badge_shape": "shield",
    "badge_background": "#0E7490",
    "badge_border": "#fbbf24",
    "badge_text_colour": "#ffffff",
    "badge_line1": '<script>alert("x")</script>',
    "badge_line2": "Level 2 & up",
    "badge_icon": "chart",
}


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def console(web: TestClient, runtime: Runtime, issuer: IssuerFixture, role: Role) -> TestClient:
    sign_in(web, staff(runtime, issuer, role))
    return web


# ---- drawing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_and_icon_draws_a_clean_svg(shape: str) -> None:
    for icon in ("", *ICONS):
        design = parse_design(
            {
                "shape": shape,
                "background": "#112233",
                "border": "#445566",
                "text_colour": "#ffffff",
                "line1": "Data Analysis",
                "line2": "Level 2" if icon else "",
                "icon": icon,
            }
        )
        svg = render_svg(design)
        assert sanitize_svg(svg) == svg  # the sanitiser has nothing left to take out
        root = parseString(svg).documentElement
        assert root.getAttribute("viewBox") == "0 0 400 400"
        texts = [t.firstChild.data for t in root.getElementsByTagName("text")]
        assert texts == (["Data Analysis", "Level 2"] if icon else ["Data Analysis"])
        assert ("<path" in svg.decode()) or shape in ("circle", "hexagon", "rounded")


def test_text_is_escaped_and_markup_never_reaches_the_image() -> None:
    svg = render_svg(
        BadgeDesign(line1='<script>alert("x")</script>', line2="A & B</text><a href='x'>")
    ).decode()
    assert "<script" not in svg
    assert "<a " not in svg
    assert "&lt;script&gt;" in svg
    assert "A &amp; B&lt;/text&gt;" in svg
    root = parseString(svg.encode()).documentElement
    assert not root.getElementsByTagName("script")
    assert not root.getElementsByTagName("a")


def test_control_characters_are_dropped_and_spaces_folded() -> None:
    design = parse_design(
        {
            "background": "#000000",
            "border": "#000000",
            "text_colour": "#ffffff",
            "line1": "A\x00\x1b  B\nC\ud800",
        }
    )
    assert design.line1 == "A B C"
    render_svg(design)  # well-formed XML: a NUL or a lone surrogate would not be


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"shape": "star"}, "shape"),
        ({"background": "red"}, "background"),
        ({"border": "#12345"}, "border"),
        ({"text_colour": "#ffffff;fill:url(x)"}, "text_colour"),
        ({"line1": "x" * 31}, "line1"),
        ({"icon": "skull"}, "icon"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(
    values: dict[str, str], field: str
) -> None:
    good = BadgeDesign().to_json()
    with pytest.raises(ModelError) as caught:
        parse_design({**good, **values})
    assert caught.value.field == field
    assert caught.value.expected


def test_long_lines_get_a_smaller_size_and_then_are_squeezed_into_the_shape() -> None:
    short_size, short_squeezed = fit("Python", 290, 58, 18)
    long_size, _ = fit("Kommunikationsfähigkeit im Team", 290, 58, 18)
    assert short_size == 58
    assert not short_squeezed
    assert long_size < short_size
    widest, squeezed = fit("WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", 290, 58, 18)
    assert squeezed
    assert widest == 18
    svg = render_svg(BadgeDesign(line1="W" * 30)).decode()
    assert f'textLength="{LAYOUTS["circle"].text_width:.0f}"' in svg


FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


@pytest.mark.skipif(not FONT.exists(), reason="DejaVu Sans Bold is not installed")
@pytest.mark.parametrize(
    "text",
    [
        "Data Analysis",
        "Python",
        "Kommunikationsfähigkeit im Team",
        "LEVEL 2 CERTIFIED",
        "Introduction to Statistics",
        "Sécurité informatique",
    ],
)
def test_the_width_estimate_is_close_to_the_real_font(text: str) -> None:
    from PIL import ImageFont

    real = ImageFont.truetype(str(FONT), 100).getlength(text)
    estimate = text_width(text, 100)
    assert 0.85 < estimate / real < 1.2, (text, estimate, real)


def test_contrast_follows_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


# ---- the service -------------------------------------------------------------------------------


def test_the_service_stores_the_drawing_and_the_parameters(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    design = BadgeDesign(shape="hexagon", line1="Python", icon="code")
    row = runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT, design=design)
    assert row.image == render_svg(design)
    assert row.image_media_type == "image/svg+xml"
    assert row.badge_design == design.to_json()
    # The same design again changes nothing; another one is a new version.
    same = runtime.achievements.update(SYSTEM, issuer.id, row.id, design=design)
    assert same.version == 1
    other = runtime.achievements.update(
        SYSTEM, issuer.id, row.id, design=BadgeDesign(shape="ribbon", line1="Python")
    )
    assert other.version == 2
    assert other.badge_design is not None
    assert other.badge_design["shape"] == "ribbon"
    # An upload replaces the design (it no longer describes the image).
    uploaded = runtime.achievements.update(SYSTEM, issuer.id, row.id, image=SVG)
    assert uploaded.badge_design is None
    with pytest.raises(InputError, match="not both"):
        runtime.achievements.update(SYSTEM, issuer.id, row.id, image=SVG, design=design)


# ---- the editor ------------------------------------------------------------------------------


def test_an_issuer_designs_a_badge_and_the_editor_reopens_the_design(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "issuer")
    page = web.get("/console/achievements/new")
    assert page.status_code == 200
    assert 'name="badge_shape" value="circle" checked' in page.text
    response = post_form(web, "/console/achievements/new", full_form(csrf(page.text), **DESIGN))
    assert response.status_code == 303, response.text
    achievement_id = response.headers["location"].split("/")[3].split("?")[0]
    row = runtime.achievements.get(SYSTEM, issuer.id, achievement_id)
    assert row.badge_design == {
        "shape": "shield",
        "background": "#0e7490",
        "border": "#fbbf24",
        "text_colour": "#ffffff",
        "line1": '<script>alert("x")</script>',
        "line2": "Level 2 & up",
        "icon": "chart",
    }
    served = web.get(f"/achievements/{achievement_id}/image")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("image/svg+xml")
    assert b"<script" not in served.content
    assert b"&lt;script&gt;alert" in served.content

    editor = web.get(f"/console/achievements/{achievement_id}")
    assert 'name="badge_shape" value="shield" checked' in editor.text
    assert 'name="badge_icon" value="chart" checked' in editor.text
    assert 'value="#0e7490"' in editor.text
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in editor.text
    assert 'name="badge_source" value="keep" checked' in editor.text  # saving keeps the image


def test_the_preview_button_shows_the_drawing_and_saves_nothing(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "issuer")
    token = csrf(web.get("/console/achievements/new").text)
    form = full_form(token, **{**DESIGN, "badge_text_colour": "#0f7a92", "action": "preview_badge"})
    answer = post_form(web, "/console/achievements/new", form)
    assert answer.status_code == 200
    assert runtime.achievements.list(SYSTEM, issuer.id) == []
    assert "Preview only" in answer.text
    assert 'value="Applied Statistics &lt;b&gt;101&lt;/b&gt;"' in answer.text  # nothing lost
    assert 'id="badge-contrast"' in answer.text  # text nearly the background's colour
    src = answer.text.split('id="badge-design-preview"')[0].rsplit('<img src="', 1)[1]
    drawn = web.get(src.split('"')[0].replace("&amp;", "&"))
    assert drawn.status_code == 200
    assert drawn.headers["content-type"] == "image/svg+xml"
    assert "sandbox" in drawn.headers["content-security-policy"]
    assert b'fill="#0f7a92"' in drawn.content


def test_a_bad_colour_is_shown_next_to_its_input(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "issuer")
    token = csrf(web.get("/console/achievements/new").text)
    answer = post_form(
        web, "/console/achievements/new", full_form(token, **{**DESIGN, "badge_border": "blue"})
    )
    assert answer.status_code == 422
    assert 'id="badge_border-error"' in answer.text
    assert "#rrggbb" in answer.text
    assert runtime.achievements.list(SYSTEM, issuer.id) == []


def test_the_preview_image_needs_the_issuer_role_and_good_parameters(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    url = "/console/achievements/badge-preview.svg?" + "&".join(
        f"{k}={v}" for k, v in BadgeDesign().to_json().items()
    ).replace("#", "%23")
    assert web.get(url, follow_redirects=False).status_code in (303, 401)
    console(web, runtime, issuer, "viewer")
    assert web.get(url).status_code == 403


def test_bad_preview_parameters_are_a_clear_422(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "issuer")
    answer = web.get(
        "/console/achievements/badge-preview.svg",
        params={**BadgeDesign().to_json(), "shape": "<svg onload=x>"},
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/plain")
    assert "unknown badge shape" in answer.text


def test_an_upload_still_works_beside_the_designer(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "issuer")
    token = csrf(web.get("/console/achievements/new").text)
    response = post_form(
        web,
        "/console/achievements/new",
        full_form(token, badge_source="upload"),
        files={"image": ("badge.svg", SVG, "image/svg+xml")},
    )
    assert response.status_code == 303
    (row,) = runtime.achievements.list(SYSTEM, issuer.id)
    assert row.badge_design is None
    assert row.image is not None
    assert b"<script" not in row.image


# ---- the API ---------------------------------------------------------------------------------


def test_the_api_draws_a_design_and_names_a_bad_parameter(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    row = runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT)
    path = f"/api/v1/issuers/{issuer.id}/achievements/{row.id}/image/design"
    body = {"shape": "hexagon", "background": "#0E7490", "textColour": "#ffffff", "line1": "API"}
    answer = client.put(path, json=body, headers=issuer.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2
    stored = runtime.achievements.get(SYSTEM, issuer.id, row.id)
    assert stored.badge_design is not None
    assert stored.badge_design["background"] == "#0e7490"
    assert stored.image == render_svg(parse_design(stored.badge_design))
    bad = client.put(path, json={**body, "icon": "skull"}, headers=issuer.headers)
    assert bad.status_code == 422
    assert "icon" in bad.text
    extra = client.put(path, json={**body, "onload": "x"}, headers=issuer.headers)
    assert extra.status_code == 422
    elsewhere = client.put(path, json=body, headers=other_issuer.headers)
    assert elsewhere.status_code == 404
