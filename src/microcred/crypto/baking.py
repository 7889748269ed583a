"""Open Badges baking: embed a credential in a PNG or SVG badge image, and get it back out.

OB 3.0 bakes into a PNG ``iTXt`` chunk keyed ``openbadgecredential`` or an SVG
``<openbadges:credential>`` element; OB 2.0 images (``iTXt``/``tEXt`` ``openbadges``,
``<openbadges:assertion>``) can be unbaked but are never written. See ``docs/design/baking.md``
for the formats and the SVG threat model.

PNG is handled byte by byte: chunks are read with their CRCs checked, and baking only inserts
(or replaces) one chunk, so every other byte of the image is kept. SVG is parsed with defusedxml
(no entity declarations, no DTD internal subset, bounded size and depth) and sanitised before it
is baked, so an issuer's upload cannot carry script or external references into a badge.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal
from xml.dom import Node
from xml.dom.minidom import CDATASection, Document, Element
from xml.parsers.expat import ExpatError

# defusedxml ships no type information (and its typeshed stubs are not a dependency).
import defusedxml.minidom as defused_minidom  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException

from microcred.crypto import svgsafe
from microcred.crypto.svgsafe import OB2_SVG_NAMESPACE, OB3_SVG_NAMESPACE, SVG_NAMESPACE
from microcred.errors import BakingError, short

__all__ = [
    "DEFAULT_MAX_BYTES",
    "OB2_SVG_NAMESPACE",
    "OB3_SVG_NAMESPACE",
    "BakedPayload",
    "bake",
    "bake_png",
    "bake_svg",
    "default_badge_png",
    "image_format",
    "sanitize_svg",
    "unbake",
]

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
"""Largest image accepted for baking or unbaking, in bytes."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB3_PNG_KEYWORD = b"openbadgecredential"
OB2_PNG_KEYWORD = b"openbadges"

_XMLNS_NAMESPACE = svgsafe.XMLNS_NAMESPACE

_MAX_SVG_DEPTH = 256  # minidom serialises recursively; deeper trees would hit RecursionError
_MAX_PNG_CHUNK = 0x7FFF_FFFF  # PNG limits chunk lengths to 2**31 - 1

_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# Characters XML 1.0 cannot carry at all, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

Format = Literal["png", "svg"]
Version = Literal["ob3", "ob2"]
_Kind = Literal["json", "jwt"]


@dataclass(frozen=True, slots=True)
class BakedPayload:
    """What :func:`unbake` found in an image.

    ``text`` is exactly what the image carries: OB 3.0 credential JSON or a VC-JWT; for OB 2.0 an
    assertion's JSON, a JWS, or the URL of a hosted assertion. Nothing here is verified.
    """

    format: Format
    version: Version
    text: str


# --------------------------------------------------------------------------------------------
# Public API


def bake(image: bytes, credential: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Bake ``credential`` into a PNG or SVG image, chosen by sniffing ``image``."""
    if _sniff(image) == "png":
        return bake_png(image, credential, max_bytes=max_bytes)
    return bake_svg(image, credential, max_bytes=max_bytes)


def bake_png(image: bytes, credential: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Bake an OB 3.0 credential (JSON text or VC-JWT) into a PNG.

    The credential goes into one uncompressed ``iTXt`` chunk keyed ``openbadgecredential`` right
    after ``IHDR``; an existing one is replaced. All other bytes are copied unchanged.
    """
    _classify(credential)
    chunks = _read_png(image, max_bytes=max_bytes)
    new_chunk = _png_chunk(b"iTXt", _itxt_body(OB3_PNG_KEYWORD, credential))
    ihdr_end = chunks[0].end
    parts = [image[:ihdr_end], new_chunk]
    copied_to = ihdr_end
    for chunk in chunks[1:]:
        if chunk.kind == b"iTXt" and _itxt_keyword(chunk.data) == OB3_PNG_KEYWORD:
            parts.append(image[copied_to : chunk.start])
            copied_to = chunk.end
    parts.append(image[copied_to:])
    return b"".join(parts)


def bake_svg(image: bytes, credential: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Sanitise an SVG and bake an OB 3.0 credential (JSON text or VC-JWT) into it.

    Per OB 3.0, ``<openbadges:credential>`` becomes the first child of ``<svg>``: a VC-JWT goes
    in its ``verify`` attribute, JSON goes in its body as CDATA. An existing one is replaced.
    The result is UTF-8 and has been through :func:`sanitize_svg`.
    """
    kind = _classify(credential)
    if bad := _XML_INVALID.search(credential):
        raise BakingError(
            "credential has a character that XML cannot carry",
            expected="text without control characters other than tab, LF and CR",
            found=f"U+{ord(bad.group()):04X} at position {bad.start()}",
        )
    doc = _parse_svg(image, max_bytes=max_bytes)
    _sanitize(doc)
    root = _root(doc)
    for old in list(doc.getElementsByTagNameNS(OB3_SVG_NAMESPACE, "credential")):
        if old.parentNode is not None:
            old.parentNode.removeChild(old)

    element = doc.createElementNS(OB3_SVG_NAMESPACE, "openbadges:credential")
    declared = root.getAttributeNS(_XMLNS_NAMESPACE, "openbadges")
    if not declared:
        root.setAttributeNS(_XMLNS_NAMESPACE, "xmlns:openbadges", OB3_SVG_NAMESPACE)
    elif declared != OB3_SVG_NAMESPACE:
        # The prefix is taken (typically by an OB 2.0 bake): bind it again locally.
        element.setAttributeNS(_XMLNS_NAMESPACE, "xmlns:openbadges", OB3_SVG_NAMESPACE)
    if kind == "jwt":
        element.setAttribute("verify", credential)
    else:
        for section in _cdata_sections(doc, credential):
            element.appendChild(section)
    root.insertBefore(element, root.firstChild)
    return _serialize(doc)


def sanitize_svg(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Return a UTF-8 copy of an SVG with everything that can run or fetch taken out.

    Kept by allow-list (:mod:`microcred.crypto.svgsafe`): static SVG elements and their
    attributes, references only to ``#fragments`` (and raster ``data:`` URLs on ``<image>``),
    CSS that fetches nothing; every other element (XHTML's, script, foreignObject, ...) and
    attribute (``on*``, ``src``, ``srcset``, ``ping``, ...) is removed, with ``<!DOCTYPE>`` and
    processing instructions. Read in UTF-8 or UTF-16, with or without a byte order mark.
    Refused with :class:`BakingError`: entity declarations (XXE, billion laughs), DTD internal
    subsets, ill-formed XML, a root that is not ``<svg>``, input over ``max_bytes`` and nesting
    deeper than 256 elements.
    """
    doc = _parse_svg(data, max_bytes=max_bytes)
    _sanitize(doc)
    return _serialize(doc)


def unbake(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> BakedPayload:
    """Extract the baked credential from a PNG or SVG; OB 3.0 is preferred over OB 2.0.

    Raises :class:`BakingError` for a damaged image, for a baked element or chunk that appears
    twice, and when nothing is baked in.
    """
    if _sniff(data) == "png":
        return _unbake_png(data, max_bytes=max_bytes)
    return _unbake_svg(data, max_bytes=max_bytes)


def default_badge_png(
    *, width: int = 128, height: int = 128, rgb: tuple[int, int, int] = (31, 111, 235)
) -> bytes:
    """A plain one-colour RGB PNG, for demos and tests (no imaging library needed)."""
    for name, size in (("width", width), ("height", height)):
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 4096:
            raise BakingError(f"badge {name} out of range", expected="1..4096", found=str(size))
    if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
        raise BakingError("bad badge colour", expected="three values in 0..255", found=str(rgb))
    # 8-bit truecolour, no interlace; each scanline starts with filter type 0 (None).
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    row = b"\x00" + bytes(rgb) * width
    return b"".join(
        [
            PNG_SIGNATURE,
            _png_chunk(b"IHDR", ihdr),
            _png_chunk(b"IDAT", zlib.compress(row * height, 9)),
            _png_chunk(b"IEND", b""),
        ]
    )


# --------------------------------------------------------------------------------------------
# Shared


# How an XML document's first bytes tell its encoding (XML 1.0 appendix F): a byte order mark,
# or "<" in UTF-16 without one; anything else is read as an ASCII superset.
_XML_STARTS = (
    (b"\xef\xbb\xbf", 3, "utf-8"),
    (b"\xff\xfe", 2, "utf-16-le"),
    (b"\xfe\xff", 2, "utf-16-be"),
    (b"<\x00", 0, "utf-16-le"),
    (b"\x00<", 0, "utf-16-be"),
)


def image_format(data: bytes) -> Format | None:
    """ "png", "svg" (XML starting with "<" after a byte order mark and blank space, in UTF-8 or
    UTF-16), or None. Says nothing of whether the SVG is well-formed: parsing does that."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head, codec = data[:512], "latin-1"
    for start, skip, encoding in _XML_STARTS:
        if data.startswith(start):
            head, codec = data[skip : skip + 512], encoding
            break
    text = head.decode(codec, errors="ignore")
    return "svg" if text.lstrip(" \t\r\n").startswith("<") else None


def _sniff(data: bytes) -> Format:
    found = image_format(data)
    if found is not None:
        return found
    hint = " (gzip: SVGZ is not supported)" if data.startswith(b"\x1f\x8b") else ""
    raise BakingError(
        "not a PNG or SVG image",
        expected="a PNG (signature 89 50 4e 47 0d 0a 1a 0a) or an SVG (XML starting with '<')",
        found=f"first bytes {data[:8].hex(' ') or '(empty)'}{hint}",
    )


def _classify(credential: str) -> _Kind:
    """OB 3.0 bakes JSON and VC-JWT differently (SVG), so tell them apart up front."""
    try:
        credential.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BakingError(
            "credential is not valid Unicode text", expected="UTF-8 encodable text", found=str(exc)
        ) from exc
    if _COMPACT_JWS.fullmatch(credential):
        return "jwt"
    try:
        parsed = json.loads(credential)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise BakingError(
            "credential is neither JSON nor a compact JWS",
            expected="a JSON object (OpenBadgeCredential) or header.payload.signature",
            found=short(credential),
        )
    return "json"


def _check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise BakingError(
            "image is too large", expected=f"at most {max_bytes} bytes", found=f"{len(data)} bytes"
        )


# --------------------------------------------------------------------------------------------
# PNG


@dataclass(frozen=True, slots=True)
class _Chunk:
    kind: bytes
    data: bytes
    start: int  # offset of the length field
    end: int  # offset just past the CRC


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")


def _read_png(data: bytes, *, max_bytes: int) -> list[_Chunk]:
    """All chunks of a PNG, with signature, CRCs and IHDR..IEND framing checked."""
    _check_size(data, max_bytes)
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError(
            "not a PNG file",
            expected=f"signature {PNG_SIGNATURE.hex(' ')}",
            found=data[:8].hex(" ") or "(empty)",
        )
    chunks: list[_Chunk] = []
    pos = len(PNG_SIGNATURE)
    while pos < len(data) and not (chunks and chunks[-1].kind == b"IEND"):
        if len(data) - pos < 12:
            raise BakingError(
                f"PNG truncated at offset {pos}",
                expected="a chunk header and CRC (at least 12 bytes)",
                found=f"{len(data) - pos} bytes",
            )
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if length > _MAX_PNG_CHUNK or not kind.isalpha():
            raise BakingError(
                f"garbled PNG chunk header at offset {pos}",
                expected="a length below 2**31 and a four-letter chunk type",
                found=f"length {length}, type {kind!r}",
            )
        end = pos + 12 + length
        if end > len(data):
            raise BakingError(
                f"PNG truncated inside chunk {kind.decode()} at offset {pos}",
                expected=f"{length + 4} bytes of data and CRC",
                found=f"{len(data) - pos - 8} bytes",
            )
        body = data[pos + 8 : end - 4]
        stored = int.from_bytes(data[end - 4 : end], "big")
        computed = zlib.crc32(body, zlib.crc32(kind))
        if stored != computed:
            raise BakingError(
                f"bad CRC in PNG chunk {kind.decode()} at offset {pos}",
                expected=f"0x{computed:08x}",
                found=f"0x{stored:08x}",
            )
        chunks.append(_Chunk(kind, body, pos, end))
        pos = end
    if not chunks or chunks[0].kind != b"IHDR" or len(chunks[0].data) != 13:
        raise BakingError(
            "PNG does not start with a valid IHDR chunk",
            expected="IHDR with 13 data bytes",
            found=chunks[0].kind.decode() if chunks else "no chunks",
        )
    if chunks[-1].kind != b"IEND":
        raise BakingError(
            "PNG truncated", expected="an IEND chunk at the end", found=chunks[-1].kind.decode()
        )
    if pos != len(data):
        # Bytes after IEND are how PNG/ZIP/HTML polyglots hide things: refuse them.
        raise BakingError(
            "data after the PNG's IEND chunk",
            expected="nothing after IEND",
            found=f"{len(data) - pos} bytes",
        )
    return chunks


def _itxt_keyword(body: bytes) -> bytes:
    return body.split(b"\0", 1)[0]


def _itxt_body(keyword: bytes, text: str) -> bytes:
    # keyword NUL, compression flag 0 and method 0, empty language tag NUL,
    # empty translated keyword NUL, then the UTF-8 text (not NUL-terminated).
    return keyword + b"\0\0\0\0\0" + text.encode("utf-8")


def _itxt_text(chunk: _Chunk) -> str:
    keyword, _, rest = chunk.data.partition(b"\0")
    name = keyword.decode("latin-1")
    parts = rest[2:].split(b"\0", 2)
    if len(rest) < 2 or len(parts) != 3:
        raise BakingError(
            f"malformed iTXt chunk '{name}' at offset {chunk.start}",
            expected="keyword, compression flag and method, language tag, translated keyword",
            found=short(chunk.data[:60]),
        )
    if rest[0] != 0:
        raise BakingError(
            f"compressed iTXt chunk '{name}' at offset {chunk.start}",
            expected="compression flag 0 (Open Badges baking forbids compression)",
            found=f"compression flag {rest[0]}",
        )
    try:
        return parts[2].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakingError(
            f"iTXt chunk '{name}' text is not UTF-8", expected="UTF-8 text", found=str(exc)
        ) from exc


def _one(found: list[str], what: str) -> str | None:
    if len(found) > 1:
        raise BakingError(f"{what} appears more than once", expected="one", found=str(len(found)))
    return found[0] if found else None


def _unbake_png(data: bytes, *, max_bytes: int) -> BakedPayload:
    chunks = _read_png(data, max_bytes=max_bytes)
    ob3: list[str] = []
    ob2: list[str] = []
    for chunk in chunks:
        if chunk.kind == b"iTXt":
            keyword = _itxt_keyword(chunk.data)
            if keyword == OB3_PNG_KEYWORD:
                ob3.append(_itxt_text(chunk))
            elif keyword == OB2_PNG_KEYWORD:
                ob2.append(_itxt_text(chunk))
        elif chunk.kind == b"tEXt" and _itxt_keyword(chunk.data) == OB2_PNG_KEYWORD:
            # Pre-2013 baking: a hosted assertion URL in a Latin-1 tEXt chunk.
            ob2.append(chunk.data.partition(b"\0")[2].decode("latin-1"))
    text = _one(ob3, "iTXt chunk 'openbadgecredential'")
    if text is not None:
        return BakedPayload("png", "ob3", text)
    text = _one(ob2, "'openbadges' chunk")
    if text is not None:
        return BakedPayload("png", "ob2", text)
    kinds = list(dict.fromkeys(c.kind.decode() for c in chunks))
    raise BakingError(
        "nothing is baked into this PNG",
        expected="an iTXt chunk 'openbadgecredential' (OB 3.0) or 'openbadges' (OB 2.0)",
        found="chunks " + ", ".join(kinds),
    )


# --------------------------------------------------------------------------------------------
# SVG


def _parse_svg(data: bytes, *, max_bytes: int) -> Document:
    _check_size(data, max_bytes)
    try:
        doc: Document = defused_minidom.parseString(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise BakingError(
            "SVG declares entities or references external ones; refused",
            expected="an SVG without <!ENTITY> declarations",
            found=short(exc, 120),
        ) from exc
    except (ExpatError, ValueError) as exc:
        raise BakingError(
            "SVG is not well-formed XML", expected="a well-formed SVG document", found=str(exc)
        ) from exc
    # A bare <!DOCTYPE svg PUBLIC ...> (common in editor exports) is never loaded and is dropped
    # on output; an internal subset could still declare attribute defaults, so refuse it.
    subset = (doc.doctype.internalSubset or "").strip() if doc.doctype is not None else ""
    if subset:
        raise BakingError(
            "SVG has a DTD internal subset; refused",
            expected="no DTD declarations",
            found=short(subset),
        )
    root = doc.documentElement
    if root is None or root.namespaceURI != SVG_NAMESPACE or root.localName != "svg":
        found = "no element" if root is None else f"<{root.tagName}> in {root.namespaceURI}"
        raise BakingError(
            "not an SVG document", expected=f"an <svg> root in {SVG_NAMESPACE}", found=found
        )
    stack: list[tuple[Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > _MAX_SVG_DEPTH:
            raise BakingError(
                "SVG nests too deeply",
                expected=f"at most {_MAX_SVG_DEPTH} levels",
                found=f"more than {_MAX_SVG_DEPTH}",
            )
        stack.extend((child, depth + 1) for child in _child_elements(element))
    return doc


def _root(doc: Document) -> Element:
    # _parse_svg has checked there is one; this only narrows the type.
    assert doc.documentElement is not None
    return doc.documentElement


def _child_elements(element: Element) -> Iterator[Element]:
    for child in element.childNodes:
        if child.nodeType == Node.ELEMENT_NODE:
            yield child


def _serialize(doc: Document) -> bytes:
    return doc.toxml(encoding="utf-8")


def _cdata_sections(doc: Document, text: str) -> Iterator[CDATASection]:
    # "]]>" cannot occur inside CDATA, so split it across two sections.
    start = 0
    while (cut := text.find("]]>", start)) != -1:
        yield doc.createCDATASection(text[start : cut + 2])
        start = cut + 2
    yield doc.createCDATASection(text[start:])


def _body_text(element: Element) -> str:
    return "".join(
        child.data
        for child in element.childNodes
        if child.nodeType in (Node.TEXT_NODE, Node.CDATA_SECTION_NODE)
    )


def _unbake_svg(data: bytes, *, max_bytes: int) -> BakedPayload:
    doc = _parse_svg(data, max_bytes=max_bytes)
    ob3 = list(doc.getElementsByTagNameNS(OB3_SVG_NAMESPACE, "credential"))
    if len(ob3) > 1:
        raise BakingError(
            "<openbadges:credential> appears more than once", expected="one", found=str(len(ob3))
        )
    if ob3:
        element = ob3[0]
        body = _body_text(element).strip()
        if element.hasAttribute("verify"):
            # OB 3.0: a VC-JWT goes in verify, JSON goes in the body; both at once is ambiguous.
            if body:
                raise BakingError(
                    "<openbadges:credential> has both a verify attribute and a body",
                    expected="a VC-JWT in verify or JSON in the body",
                    found="both",
                )
            body = element.getAttribute("verify").strip()
        if not body:
            raise BakingError(
                "<openbadges:credential> is empty",
                expected="a VC-JWT in verify or JSON in the body",
                found="neither",
            )
        return BakedPayload("svg", "ob3", body)
    ob2 = list(doc.getElementsByTagNameNS(OB2_SVG_NAMESPACE, "assertion"))
    if len(ob2) > 1:
        raise BakingError(
            "<openbadges:assertion> appears more than once", expected="one", found=str(len(ob2))
        )
    if ob2:
        # OB 2.0: a body is the assertion JSON; without one, verify holds a JWS or a URL.
        text = _body_text(ob2[0]).strip() or ob2[0].getAttribute("verify").strip()
        if not text:
            raise BakingError(
                "<openbadges:assertion> is empty",
                expected="assertion JSON in the body, or a JWS or URL in verify",
                found="neither",
            )
        return BakedPayload("svg", "ob2", text)
    raise BakingError(
        "nothing is baked into this SVG",
        expected=(
            f"<openbadges:credential> in {OB3_SVG_NAMESPACE} (OB 3.0) "
            f"or <openbadges:assertion> in {OB2_SVG_NAMESPACE} (OB 2.0)"
        ),
        found="neither element",
    )


# --- sanitising ------------------------------------------------------------------------------


def _sanitize(doc: Document) -> None:
    # By allow-list: see microcred.crypto.svgsafe for what is kept and why.
    svgsafe.sanitize(doc)
