"""Defect 5 of issue 20: the SVG sanitiser kept external references on XHTML elements.

A badge is downloaded and opened from disk, where a browser renders an SVG as a document: an
``<html:img src>``, ``srcset``, ``poster``, ``ping``, ``<frame src>`` or ``<meta http-equiv=
"refresh">`` inside it then fetches (or navigates) as soon as it opens. The sanitiser now keeps
only the SVG elements and attributes it lists, so whatever it does not know is gone. SVGs with a
UTF-8 byte order mark or in UTF-16 are read like any other.
"""

from __future__ import annotations

from xml.dom import minidom

import pytest

from microcred.achievements.images import check_badge_image
from microcred.crypto.baking import bake, sanitize_svg, unbake
from microcred.errors import InputError

JWT = "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2lnbmF0dXJl"
EVIL = b"evil.example"

# Every way in that we know of; each carries "evil.example" or "alert", none of which may survive.
HOSTILE = b"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet href="https://evil.example/x.css" type="text/css"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:html="http://www.w3.org/1999/xhtml" xmlns:m="http://www.w3.org/1998/Math/MathML"
     xmlns:ev="http://www.w3.org/2001/xml-events" xmlns:inkscape="http://www.inkscape.org/x"
     viewBox="0 0 64 64" onload="alert(1)">
  <html:img src="https://evil.example/img.png" srcset="https://evil.example/2x.png 2x"/>
  <html:video poster="https://evil.example/poster.png"><html:source src="https://evil.example/v"/></html:video>
  <html:audio src="https://evil.example/a.mp3"/>
  <html:a href="#ok" ping="https://evil.example/ping">x</html:a>
  <html:frameset><html:frame src="https://evil.example/frame"/></html:frameset>
  <html:meta http-equiv="refresh" content="0;url=https://evil.example/refresh"/>
  <html:link rel="stylesheet" href="https://evil.example/l.css"/>
  <html:iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"/>
  <html:object data="https://evil.example/o"/><html:embed src="https://evil.example/e"/>
  <html:form action="https://evil.example/f"><html:input formaction="https://evil.example/i"/></html:form>
  <html:style>@import "https://evil.example/s.css";</html:style>
  <html:script>alert(1)</html:script>
  <m:math><m:maction actiontype="statusline" href="https://evil.example/m">x</m:maction></m:math>
  <ev:listener event="click" handler="#h"/>
  <script type="text/javascript">alert(1)</script>
  <script xlink:href="https://evil.example/x.js"/>
  <foreignObject width="8" height="8"><html:div>alert(1)</html:div></foreignObject>
  <a xlink:href="javascript:alert(1)"><rect width="8" height="8"/></a>
  <a href="https://evil.example/phish" ping="https://evil.example/ping"><rect width="8"/></a>
  <rect width="8" height="8" src="https://evil.example/r" poster="https://evil.example/p"/>
  <rect width="8" height="8" style="fill: url(https://evil.example/track.svg#p)"/>
  <rect width="8" height="8" filter="url(https://evil.example/f.svg#f)"/>
  <rect width="8" height="8" mask="url( 'https://evil.example/m.svg#m' )"/>
  <rect width="8" height="8" cursor="url(https://evil.example/c.cur), auto"/>
  <rect width="8" height="8" inkscape:label="https://evil.example/label"/>
  <style>@font-face { font-family: x; src: url(https://evil.example/font.woff) }</style>
  <style>rect { background: url("https://evil.example/bg.png") }</style>
  <filter id="f"><feImage href="https://evil.example/feimage.png"/></filter>
  <image href="https://evil.example/pixel.png" width="8" height="8"/>
  <image href="data:image/svg+xml;base64,PHN2Zy8+" width="8" height="8"/>
  <use href="https://evil.example/sprite.svg#icon"/>
  <use href="data:image/svg+xml;base64,PHN2Zy8+#x"/>
  <set attributeName="href" to="https://evil.example/set"/>
  <animate attributeName="xlink:href" values="javascript:alert(1)"/>
  <animate attributeName="fill" values="url(https://evil.example/anim#p)"/>
  <animate attributeName="style" values="fill:url(https://evil.example/anim2#p)"/>
  <animate attributeName="onbegin" values="alert(1)"/>
  <text><tref xlink:href="https://evil.example/tref"/></text>
  <g xml:base="https://evil.example/"><use href="#ok"/></g>
  <inkscape:perspective href="https://evil.example/ink"/>
  <circle id="ok" cx="32" cy="32" r="30" fill="#1f6feb"/>
</svg>
"""

BENIGN = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="64" height="64" viewBox="0 0 64 64" version="1.1">
  <title>Badge</title>
  <desc>A round badge</desc>
  <defs>
    <linearGradient id="g" x1="0" y1="0" x2="1" y2="1" gradientUnits="objectBoundingBox">
      <stop offset="0" stop-color="#fff" stop-opacity="0.5"/><stop offset="1" stop-color="#000"/>
    </linearGradient>
    <clipPath id="c"><circle cx="32" cy="32" r="30"/></clipPath>
    <filter id="blur"><feGaussianBlur in="SourceGraphic" stdDeviation="2"/></filter>
    <path id="arc" d="M 10 32 A 22 22 0 0 1 54 32"/>
  </defs>
  <style>.label { font-family: sans-serif; fill: url(#g) }</style>
  <g clip-path="url(#c)" transform="translate(1 1)" opacity="0.9">
    <circle cx="32" cy="32" r="30" fill="url(#g)" stroke="#333" stroke-width="2"/>
    <use xlink:href="#arc" fill="none" stroke="red"/>
    <image href="data:image/png;base64,iVBORw0KGgo=" width="8" height="8"/>
  </g>
  <text class="label" x="32" y="36" text-anchor="middle" font-size="10"
        filter="url(#blur)"><textPath href="#arc">Data</textPath><tspan dx="1">Py</tspan></text>
  <animate attributeName="opacity" values="0;1" dur="1s" repeatCount="indefinite"/>
  <a href="#arc"><rect width="4" height="4" rx="1"/></a>
</svg>
"""


def _names(svg: bytes) -> list[str]:
    doc = minidom.parseString(svg)
    return [e.localName for e in doc.getElementsByTagName("*")]


@pytest.mark.parametrize("operation", ["sanitize", "bake"])
def test_nothing_hostile_survives(operation: str) -> None:
    out = sanitize_svg(HOSTILE) if operation == "sanitize" else bake(HOSTILE, JWT)
    lowered = out.lower()
    for gone in (EVIL, b"alert", b"javascript", b"xhtml", b"mathml", b"xml-events", b"inkscape"):
        assert gone not in lowered, (gone, out.decode())
    for attribute in (b"src=", b"srcset", b"poster", b"ping", b"http-equiv", b"srcdoc", b"action"):
        assert attribute not in lowered, attribute
    names = _names(out)
    for element in ("img", "video", "frame", "meta", "link", "iframe", "script", "foreignObject"):
        assert element not in names
    assert names.count("circle") == 1  # what is harmless stays
    if operation == "bake":
        assert unbake(out).text == JWT


def test_a_benign_badge_keeps_its_elements_and_attributes() -> None:
    out = sanitize_svg(BENIGN)
    assert _names(out) == _names(BENIGN)
    before = minidom.parseString(BENIGN).getElementsByTagName("*")
    after = minidom.parseString(out).getElementsByTagName("*")
    for old, new in zip(before, after, strict=True):
        assert dict(old.attributes.items()) == dict(new.attributes.items()), old.localName


SIMPLE = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle r="4"/></svg>'
ENCODED = {
    "utf-8 with BOM": b"\xef\xbb\xbf" + SIMPLE.encode(),
    "utf-8 with BOM and declaration": b"\xef\xbb\xbf<?xml version='1.0'?>\n" + SIMPLE.encode(),
    "utf-16 LE with BOM": SIMPLE.encode("utf-16"),
    "utf-16 BE with BOM": b"\xfe\xff" + SIMPLE.encode("utf-16-be"),
    "utf-16 LE declared": "<?xml version='1.0' encoding='UTF-16'?>".encode("utf-16-le")
    + SIMPLE.encode("utf-16-le"),
    "utf-16 with BOM and declaration": (
        "<?xml version='1.0' encoding='UTF-16'?>\n" + SIMPLE
    ).encode("utf-16"),
    "doctype first": b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' + SIMPLE.encode(),
    "leading blank lines": b"\n\n  " + SIMPLE.encode(),
}


@pytest.mark.parametrize("data", ENCODED.values(), ids=ENCODED.keys())
def test_byte_order_marks_and_utf16_are_read(data: bytes) -> None:
    stored, media_type = check_badge_image(data)
    assert media_type == "image/svg+xml"
    assert stored.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert _names(stored) == ["svg", "circle"]
    assert unbake(bake(data, JWT)).text == JWT


@pytest.mark.parametrize(
    "data",
    [
        b"<html>hi</html>",
        b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg'>",
        "<a/>".encode("utf-16"),
    ],
    ids=["html", "unclosed-svg-with-bom", "utf16-not-svg"],
)
def test_xml_that_is_no_svg_is_the_uploads_fault(data: bytes) -> None:
    with pytest.raises(InputError, match="badge image must be PNG or SVG") as info:
        check_badge_image(data)
    assert info.value.expected is not None
