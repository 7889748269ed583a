"""The SVG allow-list: what a sanitised badge may keep; everything else is taken out.

A baked badge is downloaded and opened from disk, where a browser renders it as a document with
no Content-Security-Policy, so anything that runs, fetches or navigates would fire. A deny-list
missed XHTML elements (``<html:img src>``, ``srcset``, ``poster``, ``ping``, ``<frame>``,
``<meta http-equiv="refresh">``, issue 20), so the rule is now the other way round: an element is
kept only if it is a static SVG element named here (in the SVG namespace, exact case), or the
Open Badges credential/assertion element; an attribute only if it is named here. Kept values are
then checked: a reference (``href``, ``xlink:href``) must be a same-document ``#fragment`` (or a
raster ``data:`` URL on ``<image>``), every ``url(...)`` must be ``url(#...)``, CSS may not
import, escape or run anything, and nothing may name a ``javascript:`` or ``vbscript:`` URL.

No maintained Python sanitiser fits: nh3/ammonia parse HTML and write HTML (not well-formed XML,
so a baked SVG would not be an SVG), and the svg-hush binding keeps relative URLs, which from a
file on disk load local files. The parser under this (defusedxml, see ``baking``) refuses entity
and DTD tricks before anything here runs.
"""

from __future__ import annotations

import re
from xml.dom import Node
from xml.dom.minidom import Document, Element

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/"
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
OB2_SVG_NAMESPACE = "http://openbadges.org"


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Static SVG 1.1 / 2 elements. Not here, so removed with all they hold: script, foreignObject,
# handler/listener, tref, cursor and color-profile (they load files), the font elements,
# iframe/video/audio/canvas and every element of another namespace (XHTML, MathML, editors').
ELEMENTS = _names(
    """a circle clipPath defs desc ellipse filter g image line linearGradient marker mask
    metadata path pattern polygon polyline radialGradient rect stop style svg switch symbol
    text textPath title tspan use view
    animate animateMotion animateTransform set mpath
    feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
    feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR
    feGaussianBlur feImage feMerge feMergeNode feMorphology feOffset fePointLight
    feSpecularLighting feSpotLight feTile feTurbulence"""
)
ANIMATIONS = frozenset({"animate", "animateMotion", "animateTransform", "set"})
# The baked credential (OB 3.0) and an OB 2.0 assertion baked before: text and ``verify`` only.
BADGE_ELEMENTS = frozenset({(OB3_SVG_NAMESPACE, "credential"), (OB2_SVG_NAMESPACE, "assertion")})

# Attributes without a namespace. Not here, so removed: every on* handler, src, srcset, poster,
# ping, target, http-equiv, action, formaction, data, cursor (loads an image), editors' own.
ATTRIBUTES = _names(
    """id class style lang tabindex role focusable aria-label aria-labelledby
    aria-describedby aria-hidden systemLanguage
    x y width height rx ry cx cy r fx fy fr x1 y1 x2 y2 d points pathLength viewBox
    preserveAspectRatio version baseProfile zoomAndPan transform href type media
    dx dy rotate textLength lengthAdjust startOffset method spacing side path offset
    gradientUnits gradientTransform spreadMethod patternUnits patternContentUnits
    patternTransform clipPathUnits maskUnits maskContentUnits filterUnits primitiveUnits
    markerWidth markerHeight markerUnits refX refY orient
    alignment-baseline baseline-shift clip clip-path clip-rule color color-interpolation
    color-interpolation-filters color-rendering direction display dominant-baseline fill
    fill-opacity fill-rule filter flood-color flood-opacity font-family font-size
    font-size-adjust font-stretch font-style font-variant font-weight image-rendering
    letter-spacing lighting-color marker-end marker-mid marker-start mask mask-type opacity
    overflow paint-order pointer-events shape-rendering stop-color stop-opacity stroke
    stroke-dasharray stroke-dashoffset stroke-linecap stroke-linejoin stroke-miterlimit
    stroke-opacity stroke-width text-anchor text-decoration text-rendering transform-origin
    unicode-bidi vector-effect visibility white-space word-spacing writing-mode
    mix-blend-mode isolation
    in in2 result stdDeviation mode values tableValues slope intercept amplitude exponent
    operator k1 k2 k3 k4 order kernelMatrix divisor bias targetX targetY edgeMode
    kernelUnitLength preserveAlpha surfaceScale diffuseConstant specularConstant
    specularExponent scale xChannelSelector yChannelSelector azimuth elevation pointsAtX
    pointsAtY pointsAtZ limitingConeAngle z baseFrequency numOctaves seed stitchTiles radius
    attributeName attributeType begin dur end min max restart repeatCount repeatDur
    calcMode keyTimes keySplines from to by additive accumulate keyPoints origin"""
)
NAMESPACED_ATTRIBUTES = frozenset(
    {(XLINK_NAMESPACE, "href"), (XML_NAMESPACE, "lang"), (XML_NAMESPACE, "space")}
)
# Namespace declarations kept: the others only named what was removed.
KEPT_NAMESPACES = frozenset({SVG_NAMESPACE, XLINK_NAMESPACE, OB3_SVG_NAMESPACE, OB2_SVG_NAMESPACE})
# An animation may not rewrite a reference or the style (that would re-create what was removed).
_UNANIMATABLE = frozenset({"href", "style"})

_SAFE_IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp)[;,]")
# CSS that fetches, runs or hides what it does (escapes), after whitespace is removed.
_CSS_BANNED = ("\\", "@import", "expression(", "javascript:", "image-set(", "image(", "src(")
_CSS_LOCAL_URL = re.compile(r"url\(['\"]?#")
_SQUASH = re.compile(r"[\x00-\x20]+")


def squash(value: str) -> str:
    """Browsers ignore whitespace and control characters inside URL schemes ("java\\tscript:")."""
    return _SQUASH.sub("", value).lower()


def css_is_safe(css: str) -> bool:
    squashed = squash(css)
    if any(banned in squashed for banned in _CSS_BANNED):
        return False
    return squashed.count("url(") == len(_CSS_LOCAL_URL.findall(squashed))


def sanitize(doc: Document) -> None:
    """Take everything out of ``doc`` that the allow-list does not keep (in place)."""
    for node in list(doc.childNodes):
        if node.nodeType in (Node.DOCUMENT_TYPE_NODE, Node.PROCESSING_INSTRUCTION_NODE):
            doc.removeChild(node)
    root = doc.documentElement
    assert root is not None  # the parser checked there is an <svg> root
    stack: list[Element] = [root]
    while stack:
        element = stack.pop()
        _clean_attributes(element)
        badge = (element.namespaceURI, element.localName) in BADGE_ELEMENTS
        for child in list(element.childNodes):
            if child.nodeType == Node.ELEMENT_NODE and not badge and _keeps(child):
                stack.append(child)
            elif child.nodeType in (Node.TEXT_NODE, Node.CDATA_SECTION_NODE, Node.COMMENT_NODE):
                continue
            else:  # an element not on the list (or inside a badge element), a PI
                element.removeChild(child)


def _keeps(element: Element) -> bool:
    namespace, name = element.namespaceURI, element.localName
    if (namespace, name) in BADGE_ELEMENTS:
        return True
    if namespace != SVG_NAMESPACE or name not in ELEMENTS:
        return False
    if name in ANIMATIONS:
        target = element.getAttribute("attributeName").rpartition(":")[2].strip()
        return target in ATTRIBUTES and target not in _UNANIMATABLE
    if name == "style":
        return css_is_safe(_body_text(element))
    return True


def _clean_attributes(element: Element) -> None:
    badge = (element.namespaceURI, element.localName) in BADGE_ELEMENTS
    for attr in list(element.attributes.values()):
        if not _keeps_attribute(element, attr.namespaceURI, attr.localName, attr.value, badge):
            element.removeAttributeNode(attr)


def _keeps_attribute(
    element: Element, namespace: str | None, local: str, value: str, badge: bool
) -> bool:
    if namespace == XMLNS_NAMESPACE:
        return value in KEPT_NAMESPACES
    if badge:
        return namespace is None and local == "verify"  # a VC-JWT, a JWS or an OB 2.0 URL
    if namespace is None:
        if local not in ATTRIBUTES:
            return False
    elif (namespace, local) not in NAMESPACED_ATTRIBUTES:
        return False
    squashed = squash(value)
    if "javascript:" in squashed or "vbscript:" in squashed:
        return False
    if local == "href":
        image = element.localName == "image"
        return squashed.startswith("#") or bool(image and _SAFE_IMAGE_DATA.match(squashed))
    if local == "style" or "url(" in squashed:
        return css_is_safe(value)
    return True


def _body_text(element: Element) -> str:
    return "".join(
        child.data
        for child in element.childNodes
        if child.nodeType in (Node.TEXT_NODE, Node.CDATA_SECTION_NODE)
    )
