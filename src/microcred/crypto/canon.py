"""RDFC-1.0 canonicalization of JSON-LD documents, with work limits and a cached fast path.

General path: inline the bundled contexts, let pyoxigraph turn JSON-LD into RDF, canonicalize
with RDFC-1.0, sort the N-Quads. pyoxigraph matches the reference (jsonld.js + rdf-canonize)
byte for byte where PyLD does not, but ~90 % of its time goes into processing the ~24 KB of
contexts on every call.

Fast path: documents of the same *shape* (same keys, types, contexts; any strings and finite
numbers) expand to the same RDF up to those values. For each new shape we run the general path
once on a copy whose every string is a unique placeholder IRI, note which quad position each
placeholder lands in (an IRI, or a literal's lexical form), and where each number's literal goes
(numbers are placeholders inside the general path already), and keep that as a template. Later
documents of that shape substitute their strings, and their numbers' literals written by the same
``number_literal``, into the template, compiled once into N-Quads lines with gaps
(``crypto.rdfc_template``), and canonicalize. A string that would expand differently from its
placeholder (relative or compact IRIs, blank node ids, characters N-Quads cannot carry raw, text
inside an ``@json`` literal) sends the document down the general path.
``tests/crypto/test_canon.py`` checks the two paths agree.

RDFC-1.0 can take exponential time on crafted graphs (many blank nodes that look alike), and
pyoxigraph has no work limit. So untrusted input is bounded in size, quads and blank nodes; before
any hashing, in how its blank nodes connect (JSON-LD nesting makes trees: a blank node with very
many blank neighbours, or blank nodes in cycles, come from explicit ``_:`` ids); after the cheap
first-degree hashes, in the n-degree work its look-alike nodes would cause (estimated, refused
past a bound). What is left is canonicalized in a child process killed at the deadline, within
the request's :class:`~microcred.crypto.work.WorkBudget` and the server's few worker slots.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import pyoxigraph as ox

from microcred.crypto import direction, rdfc, rdfc_template, unsigned
from microcred.crypto.jsonld import all_term_names, bundled_urls, inline_document, keyword_aliases
from microcred.crypto.work import ChildSlot, WorkBudget
from microcred.errors import CanonicalizationError, WorkLimitError


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one untrusted document may cause."""

    max_bytes: int = 2 * 1024 * 1024
    max_quads: int = 20_000
    max_blank_nodes: int = 2_000
    timeout_seconds: float = 5.0
    max_blank_degree: int = 256  # distinct blank neighbours of one blank node
    max_blank_cycles: int = 16  # independent cycles among blank nodes (JSON-LD trees have none)
    max_look_alike_work: int = 2_000  # estimated n-degree permutations (rdfc.look_alike_work)
    # Shared by every canonicalization of one request; not part of the limits' identity.
    budget: WorkBudget | None = field(default=None, compare=False)


DEFAULT_LIMITS = Limits()

# Like the reference's "safe mode": a term no context defines would silently drop out of the
# signed statements. A leading @vocab (any later @vocab overrides it) makes such terms visible.
_UNDEFINED_VOCAB = "urn:x-microcred-undefined-term:"
_UNDEFINED_TERMS = {"@vocab": _UNDEFINED_VOCAB}
# Likewise for relative IRIs, which a processor without a base IRI drops.
_RELATIVE_BASE = "https://relative-iri.microcred.invalid/"
_UNSIGNED_MARKERS = (
    (
        _RELATIVE_BASE,
        "document uses relative IRIs (they would not be signed)",
        "absolute IRIs such as https://..., urn:..., did:...",
    ),
    (
        _UNDEFINED_VOCAB,
        "document uses terms its contexts do not define (they would not be signed)",
        "every property and type defined by a context",
    ),
)

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
    if use_fast_path:
        found = _fast_template(doc, limits)
        if found is not None:
            template, leaves = found
            assert template.quads is not None
            assert template.compiled is not None
            if limits is not None:
                _check_structure(*template.blank_structure, limits)  # before any hashing
            try:
                result = rdfc_template.canonicalize(template.compiled, leaves)
            except UnicodeEncodeError as exc:
                raise _surrogate_error(exc) from exc
            if result is not None:
                counts = (template.compiled.quads, len(template.compiled.mentions))
                return _checked(result, limits, counts)
            try:
                return _canonicalize_quads(_fill(template.quads, leaves), limits)
            except WorkLimitError:
                raise  # the general path would only spend the same work again
            except CanonicalizationError:
                pass  # e.g. an IRI the N-Quads parser is stricter about: the general path decides
    unsigned.check_coverage(doc, lambda copy: to_nquads(copy, limits=limits))
    nquads = to_nquads(doc, limits=limits)
    quads = _split_quads(nquads)
    if quads is None:
        return canonicalize_nquads(nquads, limits=limits)
    return _canonicalize_quads(quads, limits)


def to_nquads(doc: Mapping[str, Any], *, limits: Limits | None = None) -> str:
    """The document's RDF as (non-canonical) N-Quads, through pyoxigraph's JSON-LD parser."""
    nquads, numbers = _nquads_with_number_slots(doc, limits)
    if numbers:
        nquads = _write_numbers(nquads, numbers)
        if _NUMBER_PREFIX in nquads:
            raise CanonicalizationError(
                "numbers inside JSON literals are not supported",
                expected="numbers as property values",
                found="a number inside an @json value",
            )
    return nquads


def _nquads_with_number_slots(
    doc: Mapping[str, Any], limits: Limits | None
) -> tuple[str, list[int | float]]:
    """N-Quads in which the document's numbers are still placeholders, and the numbers (in the
    order of ``_numbers_to_placeholders``): the fast path keeps them as slots of a template."""
    if not isinstance(doc, Mapping):
        raise CanonicalizationError("JSON-LD document is not an object", found=type(doc).__name__)
    if "@context" not in doc:
        raise CanonicalizationError(
            "document has no @context", expected="an @context naming bundled contexts", found="none"
        )
    numbers: list[int | float] = []
    expanded = inline_document(_numbers_to_placeholders(direction.typed_directions(doc), numbers))
    expanded["@context"] = [_UNDEFINED_TERMS, *_as_list(expanded["@context"])]
    text = json.dumps(expanded, ensure_ascii=False, allow_nan=False)
    _check_encodable(text)  # pyoxigraph fails on a lone surrogate with an unrelated error
    if limits is not None and len(text) > limits.max_bytes * 8:
        # Inlined contexts add ~24 KB per context list; the raw size is checked by the verifier.
        raise CanonicalizationError(
            "document is too large", expected=f"<= {limits.max_bytes} bytes"
        )
    try:
        # Lenient: an invalid IRI or language tag stays in the output (and is refused below)
        # rather than silently taking its statement away.
        quads = ox.parse(text, format=ox.RdfFormat.JSON_LD, base_iri=_RELATIVE_BASE, lenient=True)
        dataset = ox.Dataset()
        problems: list[CanonicalizationError] = []
        for count, quad in enumerate(quads, start=1):
            if limits is not None and count > limits.max_quads:
                raise CanonicalizationError(
                    "document expands to too many RDF statements",
                    expected=f"<= {limits.max_quads}",
                    found=f"more than {limits.max_quads}",
                )
            dataset.add(unsigned.screened(quad, problems))
        nquads = _serialize(dataset)
    except (SyntaxError, ValueError, UnicodeError) as exc:
        raise CanonicalizationError(f"JSON-LD could not be converted to RDF: {exc}") from exc
    for marker, problem, expected in _UNSIGNED_MARKERS:
        if marker in nquads:
            found = sorted(set(re.findall(re.escape(marker) + r"([^>]*)>", nquads)))
            raise CanonicalizationError(problem, expected=expected, found=", ".join(found))
    if problems:
        raise problems[0]
    return nquads, numbers


# --- numbers, as JSON-LD 1.1 and the reference write them ---------------------------------------
# pyoxigraph writes 1e20 as a double where JSON-LD says integer (any integral number below 1e21),
# and doubles with 17 significant digits where JSON-LD says 16 (JavaScript's toExponential(15)).
# So each number goes to pyoxigraph as a placeholder string, and we write its literal ourselves.
_NUMBER_PREFIX = "urn:x-microcred-number:"
_NUMBER_RE = re.compile(
    r'<urn:x-microcred-number:(\d+):>|"urn:x-microcred-number:(\d+):"(\^\^<[^>]*>|@[A-Za-z0-9-]+)?'
)
_XSD = "http://www.w3.org/2001/XMLSchema#"
_MAX_SAFE_INTEGER = 2**53


def _numbers_to_placeholders(node: Any, numbers: list[int | float]) -> Any:
    if isinstance(node, bool) or node is None or isinstance(node, str):
        return node
    if isinstance(node, int | float):
        if isinstance(node, float) and not math.isfinite(node):
            # JSON has no NaN or Infinity (Python's json reads them): no RDF literal either.
            raise CanonicalizationError(
                "a number is not finite", expected="a JSON number", found=str(node)
            )
        numbers.append(node)
        return f"{_NUMBER_PREFIX}{len(numbers) - 1}:"
    if isinstance(node, dict):
        return {
            k: v if k == "@context" else _numbers_to_placeholders(v, numbers)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_numbers_to_placeholders(v, numbers) for v in node]
    return node


def _write_numbers(nquads: str, numbers: list[int | float]) -> str:
    def literal(match: re.Match[str]) -> str:
        index = int(match.group(1) or match.group(2))
        suffix = match.group(3) or ""
        coerced = suffix[3:-1] if suffix.startswith("^^") else None
        return number_literal(numbers[index], coerced)

    return _NUMBER_RE.sub(literal, nquads)


def number_literal(value: int | float, datatype: str | None = None) -> str:
    """A JSON number as an RDF literal (JSON-LD 1.1, object to RDF conversion).

    Numbers are IEEE doubles, as in JavaScript: integers beyond 2^53 lose their low digits.
    Integral values below 1e21 become xsd:integer unless coerced to xsd:double; the rest become
    doubles written like ``toExponential(15)`` with trailing zeros trimmed (``1.5E0``).
    """
    if isinstance(value, int) and abs(value) > _MAX_SAFE_INTEGER:
        value = float(value)
    if datatype == _XSD + "string":
        datatype = None
    integral = isinstance(value, int) or (value.is_integer() and abs(value) < 1e21)
    if integral and datatype != _XSD + "double":
        return f'"{int(value)}"^^<{datatype or _XSD + "integer"}>'
    mantissa, exponent = f"{float(value):.15e}".split("e")
    mantissa = mantissa.rstrip("0")
    mantissa = mantissa + "0" if mantissa.endswith(".") else mantissa
    return f'"{mantissa}E{int(exponent)}"^^<{datatype or _XSD + "double"}>'


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def canonicalize_nquads(nquads: str, *, limits: Limits | None = None) -> str:
    """RDFC-1.0 over N-Quads text; returns the sorted canonical N-Quads."""
    if limits is not None:
        _check_graph_limits(nquads, limits)
        quads = _split_quads(nquads)
        if quads is None:  # unparseable here: let the child process decide, under its deadline
            return _canonicalize_in_child(nquads, limits)
        _check_blank_structure(quads, limits)
        look_alikes, work = rdfc.look_alike_work(quads)
        if work > limits.max_look_alike_work:
            raise _refused(
                limits,
                "graph has too many look-alike blank nodes to canonicalize",
                f"<= {limits.max_look_alike_work} estimated n-degree steps",
                f"{look_alikes} look-alike blank nodes, about {work} steps",
            )
        if look_alikes > _MAX_AMBIGUOUS_IN_PROCESS:
            return _canonicalize_in_child(nquads, limits)
    return _canonicalize_text(nquads)


def _canonicalize_quads(quads: list[rdfc.Quad], limits: Limits | None) -> str:
    """Canonicalize quads whose terms are already in canonical N-Quads form (our serializers')."""
    if limits is not None:
        _check_blank_structure(quads, limits)  # before any hashing
    try:
        result = rdfc.canonicalize_distinct(quads)
    except UnicodeEncodeError as exc:
        raise CanonicalizationError("text holds an unpaired surrogate", found=str(exc)) from exc
    if result is not None:
        return _checked(result, limits)
    # Look-alike blank nodes: RDFC-1.0's n-degree step, in pyoxigraph (under limits if given).
    return canonicalize_nquads("".join(" ".join(q) + " .\n" for q in quads), limits=limits)


def _checked(result: str, limits: Limits | None, counts: tuple[int, int] | None = None) -> str:
    """The fast paths' output, after the limits and the one check they skip. ``counts`` (quads,
    blank nodes) spares counting them in the text when the caller knows them."""
    _check_encodable(result)
    if limits is not None:
        _check_graph_limits(result, limits, counts)
    return result


def _check_encodable(text: str) -> None:
    # A lone surrogate is valid in JSON text ("\\ud800") but not in UTF-8 N-Quads: an error
    # here, rather than when the caller encodes the result.
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise _surrogate_error(exc) from exc


def _surrogate_error(exc: UnicodeEncodeError) -> CanonicalizationError:
    return CanonicalizationError(
        "text holds an unpaired surrogate", expected="Unicode text", found=str(exc)
    )


def _split_quads(nquads: str) -> list[rdfc.Quad] | None:
    quads: list[rdfc.Quad] = []
    for line in nquads.split("\n"):
        if not line:
            continue
        match = _QUAD_RE.match(line)
        if match is None:
            return None
        quads.append(tuple(t for t in match.groups() if t is not None))
    return quads


def _canonicalize_text(nquads: str) -> str:
    _check_encodable(nquads)
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


def _check_graph_limits(nquads: str, limits: Limits, counts: tuple[int, int] | None = None) -> None:
    lines = nquads.count("\n") if counts is None else counts[0]
    if lines > limits.max_quads:
        raise CanonicalizationError(
            "document expands to too many RDF statements",
            expected=f"<= {limits.max_quads}",
            found=str(lines),
        )
    if counts is None:
        blanks = len(set(re.findall(r"(?:^| )(_:[^\s]+)", nquads, flags=re.MULTILINE)))
    else:
        blanks = counts[1]
    if blanks > limits.max_blank_nodes:
        raise CanonicalizationError(
            "document has too many blank nodes",
            expected=f"<= {limits.max_blank_nodes}",
            found=str(blanks),
        )


def _check_blank_structure(quads: list[rdfc.Quad], limits: Limits) -> None:
    """Refuse, by counting alone, blank nodes wired up to make n-degree hashing explode."""
    _check_structure(*rdfc.blank_structure(quads), limits)


def _check_structure(degree: int, cycles: int, limits: Limits) -> None:
    if degree > limits.max_blank_degree:
        raise _refused(
            limits,
            "a blank node has too many blank neighbours (look-alike blank nodes)",
            f"<= {limits.max_blank_degree}",
            str(degree),
        )
    if cycles > limits.max_blank_cycles:
        raise _refused(
            limits,
            "blank nodes refer to each other in too many cycles (look-alike blank nodes)",
            f"<= {limits.max_blank_cycles} cycles",
            f"{cycles} cycles",
        )


def _refused(limits: Limits, message: str, expected: str, found: str) -> WorkLimitError:
    error = WorkLimitError(message, expected=expected, found=found)
    return limits.budget.refuse(error) if limits.budget is not None else error


def _canonicalize_in_child(nquads: str, limits: Limits) -> str:
    with ChildSlot(limits.budget, limits.timeout_seconds) as slot:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "microcred.crypto._canon_worker"],
                input=nquads.encode("utf-8"),
                capture_output=True,
                timeout=slot.seconds,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise slot.refused(
                "canonicalization took too long (graph with many look-alike blank nodes)",
                f"<= {slot.seconds:.1f} s",
                "still running; stopped",
            ) from exc
    if done.returncode != 0:
        raise CanonicalizationError(
            "RDF could not be canonicalized", found=done.stderr.decode("utf-8", "replace")[-300:]
        )
    return done.stdout.decode("utf-8")


# --- fast path ---------------------------------------------------------------------------------

_SLOT_PREFIX = "urn:x-microcred-slot:"
_SLOT_TERM_RE = re.compile(
    r'<urn:x-microcred-slot:(\d+):>|"urn:x-microcred-slot:(\d+):"((?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)'
)
# Characters an IRIREF cannot hold raw, and an absolute-IRI scheme, per RFC 3987 / N-Quads.
_ABSOLUTE_IRI_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):[^\x00-\x20<>\"{}|^`\\\x7f]*")
_IRI = rdfc_template.IRI
_LITERAL = rdfc_template.LITERAL
_TERM_SLOT = rdfc_template.TERM
_NUMBER_TERM_RE = re.compile(
    r'<urn:x-microcred-number:(\d+):>|"urn:x-microcred-number:(\d+):"((?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)'
)


@dataclass(frozen=True)
class _Template:
    # Quads of terms: fixed text, or (slot index, role, literal suffix); None where unsafe.
    quads: tuple[tuple[str | tuple[int, int, str], ...], ...] | None
    iri_slots: tuple[int, ...] = ()
    compiled: rdfc_template.Compiled | None = None  # the quads as lines with gaps
    # Slot len(strings) + k is the literal of number numbers[k][0], coerced to numbers[k][1].
    numbers: tuple[tuple[int, str | None], ...] = ()
    # The blank nodes' degree and cycles (rdfc.blank_structure): the same for every document of
    # the template (slots never hold blank nodes), so checked before any hashing, once counted.
    blank_structure: tuple[int, int] = (0, 0)


_STRING = object()  # stands for any string in a shape key
_NUMBER = object()  # stands for any finite number in a shape key
_CACHE_SIZE = 512
_templates: OrderedDict[Hashable, _Template] = OrderedDict()
_templates_lock = threading.Lock()


def clear_fast_path_cache() -> None:
    with _templates_lock:
        _templates.clear()
    unsigned.clear_cache()


def _fast_template(
    doc: Mapping[str, Any], limits: Limits | None
) -> tuple[_Template, list[str]] | None:
    """The cached template for ``doc`` and its strings, or None where only the general path is
    safe."""
    walker = _ShapeWalker()
    try:
        key = walker.shape(doc)
    except _UnsafeShapeError:
        return None
    leaves = walker.leaves
    numbers = walker.numbers
    template = _cached_template(
        key, lambda: _build_template(doc, leaves, numbers, limits, frozenset())
    )
    if template.quads is None:
        return None
    # Strings in IRI positions that are not plain absolute IRIs (vocabulary terms such as
    # "assertionMethod", compact IRIs) expand through the contexts: pin their values into a
    # second template so the general path expands them, once per distinct value.
    pinned = frozenset(i for i in template.iri_slots if not _is_plain_iri(leaves[i]))
    if pinned:
        pinned_key = (key, tuple((i, leaves[i]) for i in sorted(pinned)))
        checked = template.iri_slots
        template = _cached_template(
            pinned_key, lambda: _build_template(doc, leaves, numbers, limits, pinned)
        )
        if template.quads is None or not set(template.iri_slots) <= set(checked) - pinned:
            return None
    if template.quads is None:
        return None
    # Every IRI slot now holds a plain absolute IRI. The numbers follow the strings, each as the
    # literal the general path writes for it (same function, same coercion).
    if template.numbers:
        leaves = leaves + [number_literal(numbers[i], datatype) for i, datatype in template.numbers]
    return template, leaves


def _cached_template(key: Hashable, build: Callable[[], _Template]) -> _Template:
    # Locked: verification runs in worker threads, and another thread may evict the key between
    # the lookup and move_to_end. Building (the general path, milliseconds) stays outside.
    with _templates_lock:
        template = _templates.get(key)
        if template is not None:
            _templates.move_to_end(key)
            return template
    template = build()
    with _templates_lock:
        _templates[key] = template
        if len(_templates) > _CACHE_SIZE:
            _templates.popitem(last=False)
    return template


class _UnsafeShapeError(Exception):
    pass


_MAX_SHAPE_DEPTH = 128  # deeper documents take the general path, whose coverage check refuses them


class _ShapeWalker:
    """Computes a document's shape key and collects its strings in walk order, and its numbers
    in the order ``_numbers_to_placeholders`` meets them.

    A number's value never changes the structure of the RDF, only its literal, so a number in
    content is a slot like a string; numbers in keyword values (kept as written) stay in the
    key too. Infinite and NaN values, which JSON cannot carry, take the general path."""

    def __init__(self) -> None:
        self.leaves: list[str] = []
        self.numbers: list[int | float] = []
        self._verbatim = _verbatim_keys()
        self._bundled = bundled_urls()

    def shape(self, node: Any, depth: int = 0) -> Hashable:
        # Strings, most of the leaves, are taken in the loops below without a call of their own.
        if isinstance(node, str):
            self.leaves.append(node)
            return _STRING
        if depth > _MAX_SHAPE_DEPTH:
            # The general path refuses it with the bound (thousands of levels overflowed here).
            raise _UnsafeShapeError
        if isinstance(node, dict):
            items: list[tuple[str, Hashable]] = []
            for k, v in node.items():
                if k == "@context":
                    self._check_context(v)
                    items.append((k, unsigned.freeze(v)))
                elif k in self._verbatim or (k.startswith("@") and k not in _SLOT_KEYWORDS):
                    items.append((k, unsigned.freeze(v)))
                    if not isinstance(v, str):
                        self._collect_numbers(v, depth + 1)
                elif isinstance(v, str):
                    self.leaves.append(v)
                    items.append((k, _STRING))
                else:
                    items.append((k, self.shape(v, depth + 1)))
            return ("{", tuple(items))
        if isinstance(node, list):
            shapes: list[Hashable] = []
            for v in node:
                if isinstance(v, str):
                    self.leaves.append(v)
                    shapes.append(_STRING)
                else:
                    shapes.append(self.shape(v, depth + 1))
            return ("[", tuple(shapes))
        if isinstance(node, int | float) and not isinstance(node, bool):
            if not math.isfinite(node):
                raise _UnsafeShapeError
            self.numbers.append(node)
            return _NUMBER
        # Booleans and null are part of the shape.
        return (type(node).__name__, node)

    def _collect_numbers(self, node: Any, depth: int) -> None:
        # Mirrors _numbers_to_placeholders (which also enters keyword values) for the indexes.
        if depth > _MAX_SHAPE_DEPTH:
            raise _UnsafeShapeError
        if isinstance(node, bool) or node is None or isinstance(node, str):
            return
        if isinstance(node, int | float):
            self.numbers.append(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                if k != "@context":
                    self._collect_numbers(v, depth + 1)
        elif isinstance(node, list):
            for v in node:
                self._collect_numbers(v, depth + 1)

    def _check_context(self, value: Any) -> None:
        urls = value if isinstance(value, list) else [value]
        if not all(isinstance(u, str) and u in self._bundled for u in urls):
            # Inline context objects could define prefixes the fast path does not know about.
            raise _UnsafeShapeError


_SLOT_KEYWORDS = frozenset({"@id", "@value"})


@cache
def _verbatim_keys() -> frozenset[str]:
    """Keys whose values shape the RDF (``type`` and other aliases of keywords but @id/@value)."""
    return frozenset(k for k, v in keyword_aliases().items() if v not in _SLOT_KEYWORDS)


def _with_placeholders(
    node: Any, counter: list[int], verbatim: frozenset[str], pinned: frozenset[int]
) -> Any:
    if isinstance(node, str):
        index = counter[0]
        counter[0] += 1
        return node if index in pinned else f"{_SLOT_PREFIX}{index}:"
    if isinstance(node, dict):
        return {
            k: v
            if k == "@context" or k in verbatim or (k.startswith("@") and k not in _SLOT_KEYWORDS)
            else _with_placeholders(v, counter, verbatim, pinned)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_with_placeholders(v, counter, verbatim, pinned) for v in node]
    return node


def _build_template(
    doc: Mapping[str, Any],
    leaves: list[str],
    numbers: list[int | float],
    limits: Limits | None,
    pinned: frozenset[int],
) -> _Template:
    # Once per shape (and per pinned values): leaves that would not be signed refuse the document.
    if pinned:
        unsigned.check_pinned(leaves[i] for i in pinned)
    else:
        unsigned.check_coverage(doc, lambda copy: to_nquads(copy, limits=limits))
    counter = [0]
    placeholder_doc = _with_placeholders(doc, counter, _verbatim_keys(), pinned)
    if counter[0] != len(leaves):
        return _Template(None)
    try:
        nquads, found_numbers = _nquads_with_number_slots(placeholder_doc, limits)
    except CanonicalizationError:
        return _Template(None)
    split = _split_quads(nquads)
    if split is None or found_numbers != numbers:
        return _Template(None)
    quads: list[tuple[str | tuple[int, int, str], ...]] = []
    iri_slots: set[int] = set()
    number_slots: list[tuple[int, str | None]] = []
    for quad in split:
        terms: list[str | tuple[int, int, str]] = []
        for term in quad:
            if _NUMBER_PREFIX in term:
                number = _NUMBER_TERM_RE.fullmatch(term)
                if number is None or _SLOT_PREFIX in term:
                    return _Template(None)  # a number inside a larger string, e.g. @json
                as_iri, as_literal, suffix = number.groups()
                coerced = suffix[3:-1] if suffix and suffix.startswith("^^") else None
                number_slots.append((int(as_iri or as_literal), coerced))
                terms.append((len(leaves) + len(number_slots) - 1, _TERM_SLOT, ""))
                continue
            if _SLOT_PREFIX not in term:
                terms.append(term)
                continue
            match = _SLOT_TERM_RE.fullmatch(term)
            if match is None:
                return _Template(None)  # a placeholder inside a larger string, e.g. @json
            iri, literal, suffix = match.groups()
            if iri is not None:
                iri_slots.add(int(iri))
                terms.append((int(iri), _IRI, ""))
            else:
                terms.append((int(literal), _LITERAL, suffix or ""))
        quads.append(tuple(terms))
    return _Template(
        tuple(quads),
        tuple(sorted(iri_slots)),
        rdfc_template.compile_quads(quads),
        tuple(number_slots),
        rdfc.blank_structure(
            tuple(t if isinstance(t, str) else "<>" for t in quad) for quad in quads
        ),
    )


@lru_cache(maxsize=4096)  # bounded: per-credential IRIs (ids, status URLs) pass through here
def _is_plain_iri(value: str) -> bool:
    """An absolute IRI that expands to itself: not a compact IRI, nothing N-Quads must escape,
    and valid to pyoxigraph's IRI parser (which the general path applies)."""
    match = _ABSOLUTE_IRI_RE.fullmatch(value)
    if match is None or match.group(1) in all_term_names():
        return False
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def _fill(
    quads: tuple[tuple[str | tuple[int, int, str], ...], ...], leaves: list[str]
) -> list[rdfc.Quad]:
    escapes = rdfc.LITERAL_ESCAPES
    return [
        tuple(
            term
            if isinstance(term, str)
            else "<" + leaves[term[0]] + ">"
            if term[1] == _IRI
            else leaves[term[0]]
            if term[1] == _TERM_SLOT
            else '"' + leaves[term[0]].translate(escapes) + '"' + term[2]
            for term in quad
        )
        for quad in quads
    ]
