"""RDFC-1.0 canonicalization of JSON-LD documents, with work limits and a cached fast path.

General path: inline the bundled contexts, let pyoxigraph turn JSON-LD into RDF, canonicalize
with RDFC-1.0, sort the N-Quads. pyoxigraph matches the reference (jsonld.js + rdf-canonize)
byte for byte where PyLD does not, but ~90 % of its time goes into processing the ~24 KB of
contexts on every call.

Fast path: documents of the same *shape* (same keys, types, contexts, numbers; any strings) expand
to the same RDF up to the strings. For each new shape we run the general path once on a copy
whose every string is a unique placeholder IRI, note which quad position each placeholder lands
in (an IRI, or a literal's lexical form), and keep that as a template. Later documents of that
shape substitute their strings into the template and only parse N-Quads and canonicalize. A
string that would expand differently from its placeholder (relative or compact IRIs, blank node
ids, characters N-Quads cannot carry raw, text inside an ``@json`` literal) sends the document
down the general path. ``tests/crypto/test_canon_fast.py`` checks the two paths agree.

RDFC-1.0 can take exponential time on crafted graphs (many blank nodes that look alike), and
pyoxigraph has no work limit. So untrusted input is bounded in size, quads and blank nodes, and a
graph whose blank nodes are not told apart by their first-degree hashes is canonicalized in a
child process that is killed at the time limit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from microcred.crypto.jsonld import all_term_names, bundled_urls, inline_document, keyword_aliases
from microcred.errors import CanonicalizationError, short


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one untrusted document may cause."""

    max_bytes: int = 2 * 1024 * 1024
    max_quads: int = 20_000
    max_blank_nodes: int = 2_000
    timeout_seconds: float = 5.0


DEFAULT_LIMITS = Limits()

# Like the reference's "safe mode": a term no context defines would silently drop out of the
# signed statements. A leading @vocab (any later @vocab overrides it) makes such terms visible.
_UNDEFINED_VOCAB = "urn:x-microcred-undefined-term:"
_UNDEFINED_TERMS = {"@vocab": _UNDEFINED_VOCAB}
# Likewise for relative IRIs, which a processor without a base IRI drops.
_RELATIVE_BASE = "https://relative-iri.microcred.invalid/"

# Blank nodes whose first-degree hashes collide need RDFC-1.0's n-degree hashing, the part that can
# explode. A couple of look-alike nodes (say, two identical alignments) cost nothing; beyond that
# the work moves to a child process with a deadline.
_MAX_AMBIGUOUS_IN_PROCESS = 2


def canonicalize(
    doc: Mapping[str, Any], *, limits: Limits | None = None, use_fast_path: bool = True
) -> str:
    """Canonical N-Quads (RDFC-1.0) of a JSON-LD document, as jsonld.js + rdf-canonize give them.

    With ``limits`` the input is treated as untrusted: its size, quads, blank nodes and time are
    bounded, and exceeding any raises :class:`CanonicalizationError`. A context that is not
    bundled raises :class:`ContextError` naming it.
    """
    nquads = _fast_nquads(doc, limits) if use_fast_path else None
    if nquads is not None:
        try:
            return canonicalize_nquads(nquads, limits=limits)
        except CanonicalizationError:
            pass  # e.g. an IRI the N-Quads parser is stricter about: the general path decides
    return canonicalize_nquads(to_nquads(doc, limits=limits), limits=limits)


def to_nquads(doc: Mapping[str, Any], *, limits: Limits | None = None) -> str:
    """The document's RDF as (non-canonical) N-Quads, through pyoxigraph's JSON-LD parser."""
    if not isinstance(doc, Mapping):
        raise CanonicalizationError("JSON-LD document is not an object", found=type(doc).__name__)
    if "@context" not in doc:
        raise CanonicalizationError(
            "document has no @context", expected="an @context naming bundled contexts", found="none"
        )
    expanded = inline_document(doc)
    expanded["@context"] = [_UNDEFINED_TERMS, *_as_list(expanded["@context"])]
    text = json.dumps(expanded, ensure_ascii=False, allow_nan=False)
    if limits is not None and len(text) > limits.max_bytes * 8:
        # Inlined contexts add ~24 KB per context list; the raw size is checked by the verifier.
        raise CanonicalizationError(
            "document is too large", expected=f"<= {limits.max_bytes} bytes"
        )
    try:
        quads = ox.parse(text, format=ox.RdfFormat.JSON_LD, base_iri=_RELATIVE_BASE)
        dataset = ox.Dataset()
        for count, quad in enumerate(quads, start=1):
            if limits is not None and count > limits.max_quads:
                raise CanonicalizationError(
                    "document expands to too many RDF statements",
                    expected=f"<= {limits.max_quads}",
                    found=f"more than {limits.max_quads}",
                )
            dataset.add(quad)
        nquads = _serialize(dataset)
    except (SyntaxError, ValueError, UnicodeError) as exc:
        raise CanonicalizationError(f"JSON-LD could not be converted to RDF: {exc}") from exc
    if _RELATIVE_BASE in nquads:
        found = sorted(set(re.findall(re.escape(_RELATIVE_BASE) + r"([^>]*)>", nquads)))
        raise CanonicalizationError(
            "document uses relative IRIs (they would not be signed)",
            expected="absolute IRIs such as https://..., urn:..., did:...",
            found=", ".join(found),
        )
    if _UNDEFINED_VOCAB in nquads:
        terms = sorted(set(re.findall(re.escape(_UNDEFINED_VOCAB) + r"([^>]*)>", nquads)))
        raise CanonicalizationError(
            "document uses terms its contexts do not define (they would not be signed)",
            expected="every property and type defined by a context",
            found=", ".join(terms),
        )
    return nquads


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def canonicalize_nquads(nquads: str, *, limits: Limits | None = None) -> str:
    """RDFC-1.0 over N-Quads text; returns the sorted canonical N-Quads."""
    if limits is not None:
        _check_graph_limits(nquads, limits)
        if _ambiguous_blank_nodes(nquads) > _MAX_AMBIGUOUS_IN_PROCESS:
            return _canonicalize_in_child(nquads, limits.timeout_seconds)
    return _canonicalize_text(nquads)


def _canonicalize_text(nquads: str) -> str:
    try:
        dataset = ox.Dataset(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    except (SyntaxError, ValueError, UnicodeError) as exc:
        raise CanonicalizationError(f"RDF could not be canonicalized: {exc}") from exc
    return _sorted_lines(_serialize(dataset))


def _serialize(dataset: ox.Dataset) -> str:
    out = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS)
    return out.decode("utf-8") if isinstance(out, bytes) else str(out)


def _sorted_lines(nquads: str) -> str:
    # Split on "\n" only: str.splitlines would also break inside literals at U+2028 and friends.
    lines = [line for line in nquads.split("\n") if line]
    lines.sort()
    return "".join(line + "\n" for line in lines)


# --- work limits -----------------------------------------------------------------------------

_TERM = r'<[^>]*>|_:[^\s]+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?'
_QUAD_RE = re.compile(rf"^({_TERM}) ({_TERM}) ({_TERM})(?: ({_TERM}))? \.$")


def _blank_positions(line: str) -> tuple[str, ...] | None:
    match = _QUAD_RE.match(line)
    if match is None:
        return None
    return tuple(term if term and term.startswith("_:") else "" for term in match.groups())


def _check_graph_limits(nquads: str, limits: Limits) -> None:
    lines = nquads.count("\n")
    if lines > limits.max_quads:
        raise CanonicalizationError(
            "document expands to too many RDF statements",
            expected=f"<= {limits.max_quads}",
            found=str(lines),
        )
    blanks = set(re.findall(r"(?:^| )(_:[^\s]+)", nquads, flags=re.MULTILINE))
    if len(blanks) > limits.max_blank_nodes:
        raise CanonicalizationError(
            "document has too many blank nodes",
            expected=f"<= {limits.max_blank_nodes}",
            found=str(len(blanks)),
        )


def _ambiguous_blank_nodes(nquads: str) -> int:
    """How many blank nodes share their first-degree hash input with another blank node.

    RDFC-1.0 section 4.6: a blank node's first-degree hash covers the quads it appears in, itself
    written ``_:a`` and every other blank node ``_:z``. Unique inputs mean unique hashes, and then
    canonicalization never reaches the costly n-degree step.
    """
    signatures: dict[str, list[str]] = {}
    for line in nquads.split("\n"):
        if not line or "_:" not in line:
            continue
        positions = _blank_positions(line)
        if positions is None:
            return sys.maxsize  # unparseable here: let the child process decide, under a deadline
        match = _QUAD_RE.match(line)
        assert match is not None
        terms = match.groups()
        for label in {p for p in positions if p}:
            shown = " ".join(
                ("_:a" if t == label else "_:z") if t and t.startswith("_:") else (t or "")
                for t in terms
            )
            signatures.setdefault(label, []).append(shown)
    if len(signatures) < 2:
        return 0
    counts: dict[tuple[str, ...], int] = {}
    for quads in signatures.values():
        key = tuple(sorted(quads))
        counts[key] = counts.get(key, 0) + 1
    return sum(n for n in counts.values() if n > 1)


def _canonicalize_in_child(nquads: str, timeout: float) -> str:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "microcred.crypto._canon_worker"],
            input=nquads.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CanonicalizationError(
            "canonicalization took too long (graph with many look-alike blank nodes)",
            expected=f"<= {timeout} s",
            found="still running; stopped",
        ) from exc
    if done.returncode != 0:
        raise CanonicalizationError(
            "RDF could not be canonicalized", found=done.stderr.decode("utf-8", "replace")[-300:]
        )
    return done.stdout.decode("utf-8")


# --- fast path ---------------------------------------------------------------------------------

_SLOT_PREFIX = "urn:x-microcred-slot:"
_SLOT_RE = re.compile(r'([<"])urn:x-microcred-slot:(\d+):([>"])')
# Characters an IRIREF cannot hold raw, and an absolute-IRI scheme, per RFC 3987 / N-Quads.
_ABSOLUTE_IRI_RE = re.compile(
    r"([A-Za-z][A-Za-z0-9+.\-]*):(?:[^\x00-\x20<>\"{}|^`\\\x7f%]|%[0-9A-Fa-f]{2})*"
)
_IRI = 1
_LITERAL = 2
_LITERAL_ESCAPES = {
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    **{c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F] if c not in (0x0A, 0x0D)},
}


@dataclass(frozen=True)
class _Template:
    # Alternating text pieces and (slot index, role) pairs; None where the shape is unsafe.
    parts: tuple[str | tuple[int, int], ...] | None


_STRING = object()  # stands for any string in a shape key
_CACHE_SIZE = 512
_templates: OrderedDict[Hashable, _Template] = OrderedDict()


def clear_fast_path_cache() -> None:
    _templates.clear()


def _fast_nquads(doc: Mapping[str, Any], limits: Limits | None) -> str | None:
    """N-Quads for ``doc`` from a cached template, or None where only the general path is safe."""
    walker = _ShapeWalker()
    try:
        key = walker.shape(doc)
    except _UnsafeShapeError:
        return None
    template = _templates.get(key)
    if template is None:
        template = _build_template(doc, len(walker.leaves), limits)
        _templates[key] = template
        if len(_templates) > _CACHE_SIZE:
            _templates.popitem(last=False)
    else:
        _templates.move_to_end(key)
    if template.parts is None:
        return None
    return _fill(template.parts, walker.leaves)


class _UnsafeShapeError(Exception):
    pass


class _ShapeWalker:
    """Computes a document's shape key and collects its strings in walk order."""

    def __init__(self) -> None:
        self.leaves: list[str] = []
        self._verbatim = {
            "@context",
            *(k for k, v in keyword_aliases().items() if v not in _SLOT_KEYWORDS),
        }
        self._bundled = bundled_urls()

    def shape(self, node: Any) -> Hashable:
        if isinstance(node, str):
            self.leaves.append(node)
            return _STRING
        if isinstance(node, dict):
            items: list[tuple[str, Hashable]] = []
            for k, v in node.items():
                if k == "@context":
                    self._check_context(v)
                    items.append((k, _freeze(v)))
                elif k in self._verbatim or (k.startswith("@") and k not in _SLOT_KEYWORDS):
                    items.append((k, _freeze(v)))
                else:
                    items.append((k, self.shape(v)))
            return ("{", tuple(items))
        if isinstance(node, list):
            return ("[", tuple(self.shape(v) for v in node))
        # Numbers, booleans and null are part of the shape: their RDF form is not a plain copy.
        return (type(node).__name__, node)

    def _check_context(self, value: Any) -> None:
        urls = value if isinstance(value, list) else [value]
        if not all(isinstance(u, str) and u in self._bundled for u in urls):
            # Inline context objects could define prefixes the fast path does not know about.
            raise _UnsafeShapeError


_SLOT_KEYWORDS = frozenset({"@id", "@value"})


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return ("{", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", tuple(_freeze(v) for v in value))
    return (type(value).__name__, value)


def _with_placeholders(node: Any, counter: list[int], verbatim: frozenset[str]) -> Any:
    if isinstance(node, str):
        index = counter[0]
        counter[0] += 1
        return f"{_SLOT_PREFIX}{index}:"
    if isinstance(node, dict):
        return {
            k: v
            if k == "@context" or k in verbatim or (k.startswith("@") and k not in _SLOT_KEYWORDS)
            else _with_placeholders(v, counter, verbatim)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_with_placeholders(v, counter, verbatim) for v in node]
    return node


def _build_template(doc: Mapping[str, Any], leaf_count: int, limits: Limits | None) -> _Template:
    verbatim = frozenset(k for k, v in keyword_aliases().items() if v not in _SLOT_KEYWORDS)
    counter = [0]
    placeholder_doc = _with_placeholders(doc, counter, verbatim)
    if counter[0] != leaf_count:
        return _Template(None)
    try:
        nquads = to_nquads(placeholder_doc, limits=limits)
    except CanonicalizationError:
        return _Template(None)
    parts: list[str | tuple[int, int]] = []
    position = 0
    for match in _SLOT_RE.finditer(nquads):
        opener, index, closer = match.groups()
        if (opener, closer) not in (("<", ">"), ('"', '"')):
            return _Template(None)
        parts.append(nquads[position : match.start()])
        parts.append((int(index), _IRI if opener == "<" else _LITERAL))
        position = match.end()
    parts.append(nquads[position:])
    found = sum(1 for p in parts if isinstance(p, tuple))
    if nquads.count(_SLOT_PREFIX) != found:
        return _Template(None)  # a placeholder inside a larger string, e.g. an @json literal
    return _Template(tuple(parts))


def _fill(parts: tuple[str | tuple[int, int], ...], leaves: list[str]) -> str | None:
    terms = all_term_names()
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = leaves[part[0]]
        if part[1] == _IRI:
            match = _ABSOLUTE_IRI_RE.fullmatch(value)
            if match is None or match.group(1) in terms or _has_surrogate(value):
                return None
            out.append("<" + value + ">")
        else:
            if _has_surrogate(value):
                return None
            out.append('"' + value.translate(_LITERAL_ESCAPES) + '"')
    return "".join(out)


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def describe(value: Any) -> str:
    return short(value)
