"""Open Badges baking: PNG/SVG round trips, damaged files, OB 2.0 fixtures and hostile SVGs."""

from __future__ import annotations

import json
import zlib
from xml.dom import minidom

import pytest

from microcred.crypto.baking import (
    OB2_SVG_NAMESPACE,
    OB3_SVG_NAMESPACE,
    BakedPayload,
    bake,
    bake_png,
    bake_svg,
    default_badge_png,
    sanitize_svg,
    unbake,
)
from microcred.errors import BakingError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CREDENTIAL = json.dumps(
    {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://example.edu/credentials/3732",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.edu/issuers/565049", "type": "Profile"},
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"},
    },
    separators=(",", ":"),
)
NON_ASCII = json.dumps({"name": "Zürich 東京", "note": "a ]]> b"}, ensure_ascii=False)
JWT = "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2lnbmF0dXJl"
TEXTS = pytest.mark.parametrize("text", [CREDENTIAL, NON_ASCII, JWT], ids=["json", "utf8", "jwt"])

SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <circle cx="32" cy="32" r="30" fill="#1f6feb"/>
</svg>
"""


# --- an independent PNG reader, so the module under test does not grade itself -----------------


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk as (type, data); asserts the signature, each CRC and the IEND framing."""
    assert data[:8] == PNG_SIGNATURE
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        crc = int.from_bytes(data[pos + 8 + length : pos + 12 + length], "big")
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert pos == len(data)
    assert chunks[0][0] == b"IHDR"
    assert chunks[-1] == (b"IEND", b"")
    return chunks


def chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def with_chunks(png: bytes, *extra: bytes) -> bytes:
    """Insert hand-made chunks right after IHDR (8 signature + 25 IHDR bytes)."""
    return png[:33] + b"".join(extra) + png[33:]


def parse(svg: bytes) -> minidom.Document:
    return minidom.parseString(svg)


def hrefs(element: minidom.Element) -> list[str]:
    """Values of href and xlink:href."""
    return [attr.value for attr in element.attributes.values() if attr.localName == "href"]


# --- default_badge_png ---------------------------------------------------------------------------


def test_default_badge_png_is_a_valid_png() -> None:
    png = default_badge_png(width=5, height=3, rgb=(1, 2, 3))
    chunks = png_chunks(png)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    ihdr = chunks[0][1]
    assert int.from_bytes(ihdr[0:4], "big") == 5
    assert int.from_bytes(ihdr[4:8], "big") == 3
    assert ihdr[8:] == bytes([8, 2, 0, 0, 0])  # 8-bit RGB, no interlace
    assert zlib.decompress(chunks[1][1]) == (b"\x00" + bytes([1, 2, 3]) * 5) * 3


@pytest.mark.parametrize(
    "kwargs",
    [{"width": 0}, {"height": 5000}, {"width": 2.5}, {"rgb": (0, 0, 256)}, {"rgb": (1, 2)}],
)
def test_default_badge_png_refuses_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(BakingError) as info:
        default_badge_png(**kwargs)  # type: ignore[arg-type]
    assert info.value.expected is not None


# --- PNG -----------------------------------------------------------------------------------------


@TEXTS
def test_png_round_trip(text: str) -> None:
    png = default_badge_png()
    baked = bake_png(png, text)
    assert unbake(baked) == BakedPayload(format="png", version="ob3", text=text)
    chunks = png_chunks(baked)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    # keyword, NUL, compression flag 0, method 0, empty language tag and translated keyword
    assert chunks[1][1] == b"openbadgecredential\0\0\0\0\0" + text.encode("utf-8")
    inserted = chunk(b"iTXt", chunks[1][1])
    assert baked.replace(inserted, b"") == png  # every other byte is untouched


def test_png_rebake_replaces_the_credential() -> None:
    png = default_badge_png()
    twice = bake_png(bake_png(png, CREDENTIAL), JWT)
    texts = [body for kind, body in png_chunks(twice) if kind == b"iTXt"]
    assert len(texts) == 1
    assert unbake(twice).text == JWT
    assert twice == bake_png(png, JWT)


def test_png_rebake_replaces_a_credential_placed_elsewhere() -> None:
    png = default_badge_png()
    old = chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0" + CREDENTIAL.encode())
    late = png[:-12] + old + png[-12:]  # just before IEND
    baked = bake_png(late, JWT)
    assert [kind for kind, _ in png_chunks(baked)] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    assert unbake(baked).text == JWT


def test_png_keeps_other_text_chunks() -> None:
    comment = chunk(b"tEXt", b"Comment\0made by hand")
    png = with_chunks(default_badge_png(), comment)
    baked = bake_png(png, CREDENTIAL)
    assert comment in baked
    assert unbake(baked).text == CREDENTIAL


@pytest.mark.parametrize("chunk_index", [0, 1, 2], ids=["IHDR", "IDAT", "IEND"])
def test_png_with_a_flipped_crc_bit_is_refused(chunk_index: int) -> None:
    baked = bytearray(bake_png(default_badge_png(), CREDENTIAL))
    # offsets of the last CRC byte of IHDR, iTXt... are found by walking the chunks
    ends, pos = [], 8
    while pos < len(baked):
        pos += 12 + int.from_bytes(baked[pos : pos + 4], "big")
        ends.append(pos)
    kinds = [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    target = [b"IHDR", b"IDAT", b"IEND"][chunk_index]
    baked[ends[kinds.index(target)] - 1] ^= 0x01
    with pytest.raises(BakingError, match="bad CRC") as info:
        unbake(bytes(baked))
    assert info.value.expected is not None
    assert info.value.found is not None
    with pytest.raises(BakingError, match="bad CRC"):
        bake_png(bytes(baked), JWT)


def test_png_with_a_flipped_data_bit_is_refused() -> None:
    baked = bytearray(bake_png(default_badge_png(), CREDENTIAL))
    baked[60] ^= 0x10  # inside the iTXt text
    with pytest.raises(BakingError, match="bad CRC"):
        unbake(bytes(baked))


@pytest.mark.parametrize("cut", [8, 20, 33, 50, -1, -12])
def test_truncated_png_is_refused(cut: int) -> None:
    baked = bake_png(default_badge_png(), CREDENTIAL)
    with pytest.raises(BakingError) as info:
        unbake(baked[:cut])
    assert info.value.expected is not None


def test_png_with_trailing_data_is_refused() -> None:
    with pytest.raises(BakingError, match="after the PNG's IEND") as info:
        bake_png(default_badge_png() + b"PK\x03\x04", CREDENTIAL)
    assert info.value.found == "4 bytes"


def test_png_with_a_garbled_chunk_type_is_refused() -> None:
    png = with_chunks(default_badge_png(), chunk(b"i\x00Xt", b"x"))
    with pytest.raises(BakingError, match="garbled PNG chunk"):
        unbake(png)


def test_png_must_start_with_ihdr() -> None:
    png = default_badge_png()
    idat_first = PNG_SIGNATURE + png[33:]
    with pytest.raises(BakingError, match="IHDR") as info:
        unbake(idat_first)
    assert info.value.found == "IDAT"


def test_png_size_limit() -> None:
    png = default_badge_png()
    with pytest.raises(BakingError, match="too large"):
        bake_png(png, CREDENTIAL, max_bytes=len(png) - 1)


def test_png_without_a_credential() -> None:
    with pytest.raises(BakingError, match="nothing is baked") as info:
        unbake(default_badge_png())
    assert "openbadgecredential" in (info.value.expected or "")
    assert info.value.found == "chunks IHDR, IDAT, IEND"


def test_png_with_two_credentials_is_refused() -> None:
    one = chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0" + CREDENTIAL.encode())
    two = chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0" + JWT.encode())
    with pytest.raises(BakingError, match="more than once"):
        unbake(with_chunks(default_badge_png(), one, two))


def test_png_compressed_itxt_is_refused() -> None:
    body = b"openbadgecredential\0\x01\x00\0\0" + zlib.compress(CREDENTIAL.encode())
    with pytest.raises(BakingError, match="compressed") as info:
        unbake(with_chunks(default_badge_png(), chunk(b"iTXt", body)))
    assert info.value.found == "compression flag 1"


def test_png_itxt_that_is_not_utf8_is_refused() -> None:
    body = b"openbadgecredential\0\0\0\0\0\xff\xfe"
    with pytest.raises(BakingError, match="not UTF-8"):
        unbake(with_chunks(default_badge_png(), chunk(b"iTXt", body)))


# --- OB 2.0 PNG fixtures, built per the OB 2.0 baking spec ---------------------------------------

OB2_ASSERTION = json.dumps(
    {
        "@context": "https://w3id.org/openbadges/v2",
        "id": "https://example.org/assertions/123",
        "type": "Assertion",
        "recipient": {"type": "email", "identity": "alice@example.org", "hashed": False},
        "issuedOn": "2016-12-31T23:59:59+00:00",
        "verification": {"type": "hosted"},
        "badge": "https://example.org/badges/5",
    }
)
OB2_JWS = "eyJhbGciOiJSUzI1NiJ9.eyJpZCI6ImEifQ.c2ln"


@pytest.mark.parametrize("text", [OB2_ASSERTION, OB2_JWS], ids=["assertion", "jws"])
def test_ob2_png_itxt_unbakes(text: str) -> None:
    itxt = chunk(b"iTXt", b"openbadges\0\0\0\0\0" + text.encode())
    png = with_chunks(default_badge_png(), itxt)
    assert unbake(png) == BakedPayload(format="png", version="ob2", text=text)


def test_legacy_ob_png_text_chunk_unbakes_to_the_url() -> None:
    url = "https://example.org/assertions/123"
    png = with_chunks(default_badge_png(), chunk(b"tEXt", b"openbadges\0" + url.encode()))
    assert unbake(png) == BakedPayload(format="png", version="ob2", text=url)


def test_ob3_wins_over_ob2_and_baking_keeps_the_ob2_chunk() -> None:
    ob2 = chunk(b"iTXt", b"openbadges\0\0\0\0\0" + OB2_ASSERTION.encode())
    png = with_chunks(default_badge_png(), ob2)
    baked = bake_png(png, JWT)
    assert ob2 in baked
    assert unbake(baked) == BakedPayload(format="png", version="ob3", text=JWT)


# --- credential text -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", "a.b", "a.b.c.d", "{broken", "\ud800"])
def test_bake_refuses_text_that_is_neither_json_nor_jws(text: str) -> None:
    for image in (default_badge_png(), SVG):
        with pytest.raises(BakingError) as info:
            bake(image, text)
        assert info.value.expected is not None


# --- format sniffing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (b"", "(empty)"),
        (b"GIF89a\x01\x00\x01\x00", "47 49 46 38"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "ff d8 ff e0"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 8, "SVGZ"),
        (b"%PDF-1.7", "25 50 44 46"),
    ],
)
def test_neither_png_nor_svg_is_refused(data: bytes, hint: str) -> None:
    for call in (lambda: unbake(data), lambda: bake(data, CREDENTIAL)):
        with pytest.raises(BakingError, match="not a PNG or SVG") as info:
            call()
        assert "PNG" in (info.value.expected or "")
        assert hint in (info.value.found or "")


def test_xml_that_is_not_svg_is_refused() -> None:
    with pytest.raises(BakingError, match="not an SVG") as info:
        unbake(b"<html xmlns='http://www.w3.org/1999/xhtml'><body/></html>")
    assert info.value.found == "<html> in http://www.w3.org/1999/xhtml"


def test_bake_dispatches_on_the_image_format() -> None:
    assert unbake(bake(default_badge_png(), JWT)).format == "png"
    assert unbake(bake(b"\xef\xbb\xbf" + SVG, JWT)).format == "svg"
    without_declaration = b"\n  " + SVG.split(b"\n", 1)[1]
    assert unbake(bake(without_declaration, JWT)).format == "svg"


# --- SVG -----------------------------------------------------------------------------------------


@TEXTS
def test_svg_round_trip(text: str) -> None:
    baked = bake_svg(SVG, text)
    assert unbake(baked) == BakedPayload(format="svg", version="ob3", text=text)
    root = parse(baked).documentElement
    assert root.getAttribute("xmlns:openbadges") == OB3_SVG_NAMESPACE
    first = root.firstChild
    assert first.namespaceURI == OB3_SVG_NAMESPACE
    assert first.localName == "credential"
    assert first.tagName == "openbadges:credential"
    if text == JWT:
        assert first.getAttribute("verify") == JWT
        assert not first.childNodes
    else:
        assert not first.hasAttribute("verify")
        assert {node.nodeType for node in first.childNodes} == {minidom.Node.CDATA_SECTION_NODE}
    assert len(root.getElementsByTagName("circle")) == 1


def test_svg_rebake_replaces_the_credential() -> None:
    once = bake_svg(SVG, CREDENTIAL)
    twice = bake_svg(once, JWT)
    assert len(parse(twice).getElementsByTagNameNS(OB3_SVG_NAMESPACE, "credential")) == 1
    assert unbake(twice).text == JWT
    assert bake_svg(twice, NON_ASCII).count(b"openbadges:credential") == 2  # open + close tag


def test_svg_credential_element_anywhere_is_replaced() -> None:
    nested = SVG.replace(
        b"<circle",
        b'<g xmlns:ob="' + OB3_SVG_NAMESPACE.encode() + b'"><ob:credential verify="x.y.z"/></g>'
        b"<circle",
    )
    baked = bake_svg(nested, CREDENTIAL)
    assert b"x.y.z" not in baked
    assert unbake(baked).text == CREDENTIAL


def test_svg_with_utf16_encoding() -> None:
    text = SVG.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    baked = bake_svg(text.encode("utf-16"), NON_ASCII)
    assert unbake(baked).text == NON_ASCII


def test_svg_without_a_credential() -> None:
    with pytest.raises(BakingError, match="nothing is baked") as info:
        unbake(SVG)
    assert "<openbadges:credential>" in (info.value.expected or "")
    assert "<openbadges:assertion>" in (info.value.expected or "")


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ('<openbadges:credential verify="a.b.c">{"a": 1}</openbadges:credential>', "both"),
        ("<openbadges:credential>  </openbadges:credential>", "empty"),
        (
            '<openbadges:credential verify="a.b.c"/><openbadges:credential verify="d.e.f"/>',
            "more than once",
        ),
    ],
)
def test_ambiguous_svg_credentials_are_refused(element: str, message: str) -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_SVG_NAMESPACE}">'
        f"{element}</svg>"
    )
    with pytest.raises(BakingError, match=message):
        unbake(svg.encode())


def test_svg_unbake_strips_the_whitespace_around_a_cdata_body() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_SVG_NAMESPACE}">\n'
        f"  <openbadges:credential>\n    <![CDATA[{CREDENTIAL}]]>\n  </openbadges:credential>\n"
        "</svg>"
    )
    assert unbake(svg.encode()).text == CREDENTIAL


# --- OB 2.0 SVG fixtures, built per the OB 2.0 baking spec ---------------------------------------


def ob2_svg(element: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" '
        f'viewBox="0 0 512 512">\n  {element}\n  <rect width="512" height="512"/>\n</svg>\n'
    ).encode()


def test_ob2_svg_hosted_assertion_unbakes_to_the_json_body() -> None:
    svg = ob2_svg(
        '<openbadges:assertion verify="https://example.org/assertions/123">\n'
        f"    <![CDATA[\n{OB2_ASSERTION}\n    ]]>\n  </openbadges:assertion>"
    )
    assert unbake(svg) == BakedPayload(format="svg", version="ob2", text=OB2_ASSERTION)


@pytest.mark.parametrize("verify", [OB2_JWS, "https://example.org/assertions/123"])
def test_ob2_svg_verify_attribute_unbakes(verify: str) -> None:
    svg = ob2_svg(f'<openbadges:assertion verify="{verify}"/>')
    assert unbake(svg) == BakedPayload(format="svg", version="ob2", text=verify)


def test_baking_ob3_into_an_ob2_svg_rebinds_the_prefix_locally() -> None:
    svg = ob2_svg(f'<openbadges:assertion verify="{OB2_JWS}"/>')
    baked = bake_svg(svg, JWT)
    assert unbake(baked) == BakedPayload(format="svg", version="ob3", text=JWT)
    doc = parse(baked)
    assert doc.documentElement.getAttribute("xmlns:openbadges") == OB2_SVG_NAMESPACE
    assert len(doc.getElementsByTagNameNS(OB2_SVG_NAMESPACE, "assertion")) == 1


# --- hostile SVGs --------------------------------------------------------------------------------

HOSTILE = b"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet href="https://evil.example/x.css" type="text/css"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0 0 64 64" onload="alert('onload')">
  <script type="text/javascript">alert('script')</script>
  <style>@import url(https://evil.example/a.css); rect { fill: red }</style>
  <style>.ok { fill: url(#grad) }</style>
  <defs><linearGradient id="grad"><stop offset="0" stop-color="#fff"/></linearGradient></defs>
  <a xlink:href="javascript:alert('href')"><rect width="8" height="8" onclick="alert(1)"/></a>
  <a href="java&#x09;script:alert('obfuscated')"><rect width="8" height="8"/></a>
  <a href="#grad"><rect width="8" height="8" fill="url(#grad)" style="fill: url(#grad)"/></a>
  <rect width="8" height="8" style="fill: url(https://evil.example/track.svg#p)"/>
  <rect width="8" height="8" fill="url('https://evil.example/track.svg#p')"/>
  <image href="data:image/png;base64,iVBORw0KGgo=" width="8" height="8"/>
  <image xlink:href="https://evil.example/pixel.png" width="8" height="8"/>
  <image href="data:image/svg+xml;base64,PHN2Zy8+" width="8" height="8"/>
  <image href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;" width="8" height="8"/>
  <use href="https://evil.example/sprite.svg#icon"/>
  <g xml:base="https://evil.example/"><use href="#grad"/></g>
  <set attributeName="xlink:href" to="javascript:alert('set')"/>
  <animate attributeName="onclick" values="alert('animate')"/>
  <animate attributeName="opacity" values="0;1" dur="1s"/>
  <foreignObject width="8" height="8">
    <div xmlns="http://www.w3.org/1999/xhtml"><iframe src="https://evil.example/"/></div>
  </foreignObject>
  <handler type="application/ecmascript">alert('handler')</handler>
  <SCRIPT>alert('upper')</SCRIPT>
  <circle cx="32" cy="32" r="30" fill="#1f6feb"/>
</svg>
"""


@pytest.mark.parametrize("operation", ["sanitize", "bake_json", "bake_jwt"])
def test_hostile_svg_is_defanged(operation: str) -> None:
    if operation == "sanitize":
        out = sanitize_svg(HOSTILE)
    else:
        text = CREDENTIAL if operation == "bake_json" else JWT
        out = bake(HOSTILE, text)
        assert unbake(out).text == text  # the credential survives intact
    lowered = out.lower()
    for gone in (
        b"alert",
        b"script",
        b"onload",
        b"onclick",
        b"evil.example",
        b"foreignobject",
        b"iframe",
        b"handler",
        b"doctype",
        b"xml-stylesheet",
        b"@import",
        b"xml:base",
        b"svg+xml",
        b"text/html",
    ):
        assert gone not in lowered, gone
    doc = parse(out)
    # benign content stays
    assert len(doc.getElementsByTagName("circle")) == 1
    assert len(doc.getElementsByTagName("rect")) == 5
    assert len(doc.getElementsByTagName("style")) == 1
    assert len(doc.getElementsByTagName("animate")) == 1  # the opacity one
    assert [hrefs(i) for i in doc.getElementsByTagName("image")] == [
        ["data:image/png;base64,iVBORw0KGgo="],
        [],
        [],
        [],
    ]
    assert [hrefs(a) for a in doc.getElementsByTagName("a")] == [[], [], ["#grad"]]
    assert [hrefs(u) for u in doc.getElementsByTagName("use")] == [[], ["#grad"]]
    assert b'fill="url(#grad)"' in out


def test_sanitize_keeps_a_benign_svg_intact() -> None:
    doc = parse(sanitize_svg(SVG))
    circle = doc.getElementsByTagName("circle")[0]
    assert circle.getAttribute("fill") == "#1f6feb"
    assert doc.documentElement.getAttribute("viewBox") == "0 0 64 64"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>
"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY % remote SYSTEM "https://evil.example/x.dtd"> %remote;]>
<svg xmlns="http://www.w3.org/2000/svg"/>
"""
ATTLIST_DEFAULT = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ATTLIST svg onload CDATA "alert(1)">]>
<svg xmlns="http://www.w3.org/2000/svg"/>
"""


@pytest.mark.parametrize(
    "svg",
    [XXE, BILLION_LAUGHS, PARAMETER_ENTITY, ATTLIST_DEFAULT],
    ids=["xxe", "billion-laughs", "parameter-entity", "attlist-default"],
)
@pytest.mark.parametrize("operation", ["bake", "sanitize", "unbake"])
def test_entity_and_dtd_attacks_are_refused(svg: bytes, operation: str) -> None:
    call = {
        "bake": lambda: bake_svg(svg, CREDENTIAL),
        "sanitize": lambda: sanitize_svg(svg),
        "unbake": lambda: unbake(svg),
    }[operation]
    with pytest.raises(BakingError) as info:
        call()
    assert "refused" in info.value.message
    assert info.value.expected is not None
    assert info.value.found is not None


def test_svg_size_limit() -> None:
    with pytest.raises(BakingError, match="too large") as info:
        sanitize_svg(SVG, max_bytes=10)
    assert info.value.expected == "at most 10 bytes"
    big = SVG.replace(b"</svg>", b"<!--" + b"x" * (5 * 1024 * 1024) + b"--></svg>")
    with pytest.raises(BakingError, match="too large"):
        unbake(big)


def test_deeply_nested_svg_is_refused() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * 5000 + b"</g>" * 5000 + b"</svg>"
    with pytest.raises(BakingError, match="nests too deeply"):
        bake_svg(svg, CREDENTIAL)


@pytest.mark.parametrize(
    "svg",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>",
        b"<svg xmlns='http://www.w3.org/2000/svg'><x:g/></svg>",
        b"<svg xmlns='http://www.w3.org/2000/svg'>",
        b"<svg/>",
    ],
    ids=["mismatched", "unbound-prefix", "unclosed", "no-namespace"],
)
def test_malformed_svg_is_refused(svg: bytes) -> None:
    with pytest.raises(BakingError) as info:
        bake_svg(svg, CREDENTIAL)
    assert info.value.expected is not None


def test_bake_svg_refuses_characters_xml_cannot_carry() -> None:
    text = json.dumps({"a": "\ufffe"}, ensure_ascii=False)
    with pytest.raises(BakingError, match="XML cannot carry") as info:
        bake_svg(SVG, text)
    assert info.value.found is not None
    assert "U+FFFE" in info.value.found
