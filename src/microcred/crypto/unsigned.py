"""Refuse documents whose content would fall out of the signed RDF statements.

JSON-LD to RDF drops, without an error, whatever it cannot express: a node or property whose IRI
is not a valid IRI, a term mapped to ``null`` or to something shaped like a keyword, a blank-node
predicate, a value with nothing to hang on. A signature over the remaining statements then
"covers" content it does not: change the dropped part and the proof still verifies. The reference
(jsonld.js in safe mode, as Digital Bazaar's Data Integrity library calls it) refuses such
documents; so do we, naming what would go unsigned (``CanonicalizationError``).

- :func:`screened` (value level): the general path parses leniently, so an invalid IRI or
  language tag reaches the output instead of taking its statement away with it, and each such
  term is refused here.
- :func:`check_coverage` (shape level): a copy of the document whose every scalar leaf is a
  unique placeholder IRI goes through JSON-LD to RDF once per document shape; a placeholder
  missing from the output is a leaf that would not be signed. Strings that drop for what they
  are (keyword forms, terms mapped to null) stay as written and must come out as literal text.
  The same walk refuses what JSON-LD leaves out by design (``@index``), types that are terms
  mapped to null, a null ``@value``, and lists of lists (pyoxigraph flattens them).

Where the reference signs something we refuse, the reason is in docs/design/interop.md and
tests/interop/test_unsigned_reference.py.

Strings in IRI positions are the only leaves whose value decides whether they drop; the fast path
only fills in plain absolute IRIs there and sends the rest through the general path (see
``crypto.canon``), where :func:`screened` sees them.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from functools import cache, lru_cache
from typing import Any, NamedTuple

import pyoxigraph as ox

from microcred.crypto import direction
from microcred.crypto.jsonld import keyword_aliases
from microcred.errors import CanonicalizationError, short

# jsonld.js's well-formedness test for @language (BCP 47 shape), which its safe mode enforces.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# JSON-LD 1.1: strings of this form are reserved for future keywords and are ignored.
KEYWORD_LIKE = re.compile(r"@[A-Za-z]+")
_PLACEHOLDER = "urn:x-microcred-leaf:"
_PLACEHOLDER_RE = re.compile(r"urn:x-microcred-leaf:(\d+):")
# Keywords whose values say how to read the rest (kept as written, part of the shape); the values
# of every other key (@id, @value, @list, @set, @graph, @reverse, @included, @nest, terms) are
# content, and walked.
_VERBATIM_KEYWORDS = frozenset(
    {
        *("@context", "@type", "@language", "@direction", "@index", "@base", "@vocab"),
        *("@version", "@protected", "@propagate", "@import", "@prefix", "@container"),
    }
)
# Keywords JSON-LD gives a meaning only in some places and ignores elsewhere: a base direction
# or language belongs to a value object, the others to a context. Written anywhere else they are
# kept out of the RDF, so the signature would not cover them.
_VALUE_ONLY = frozenset({"@language", "@direction"})
_CONTEXT_ONLY = frozenset(
    {"@version", "@protected", "@propagate", "@import", "@prefix", "@container", "@base", "@vocab"}
)
_MAX_SHOWN = 5
_BLANK_NODE = re.compile(r"_:[A-Za-z0-9_.-]+")
_RDF_FIRST = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#first>"
_TAG_EXPECTED = "a BCP 47 language tag such as en or en-GB"
_MAX_DEPTH = 128  # inlining contexts refuses deeper documents anyway (crypto.jsonld)
_CACHE_SIZE = 512
_EXPECTED = (
    "every value to become an RDF statement: properties and types the contexts map to absolute "
    "IRIs, node ids that are absolute IRIs or blank node ids, values inside a node"
)

NQuadsOf = Callable[[Any], str]
"""JSON-LD document -> its N-Quads (``crypto.canon.to_nquads`` with the caller's limits)."""


# --- value level: the terms the lenient parser let through ---------------------------------------


def screened(quad: ox.Quad, problems: list[CanonicalizationError]) -> ox.Quad:
    """``quad`` as the strict parser and the reference write it (language tags in lower case: the
    lenient parser keeps the case it was given). A term JSON-LD to RDF would have dropped, or that
    the reference would write otherwise (an invalid IRI, an ill-formed language tag), is added to
    ``problems``; text with a base direction is written in the reference's i18n-datatype form
    (``crypto.direction``): the caller raises the first, after its own checks
    (which explain relative IRIs and undefined terms better)."""
    language: str | None = None
    try:
        for term in (quad.subject, quad.predicate, quad.graph_name):
            if type(term) is ox.NamedNode and not valid_iri(term.value):
                raise _invalid_iri(term.value)
        literal = quad.object
        if type(literal) is ox.NamedNode:
            if not valid_iri(literal.value):
                raise _invalid_iri(literal.value)
        elif type(literal) is ox.Literal:
            _check_literal(literal)
            if literal.direction is not None:
                text = direction.as_i18n_literal(literal)
                return ox.Quad(quad.subject, quad.predicate, text, quad.graph_name)
            language = literal.language
            if language is not None and not language.islower():
                text = ox.Literal(literal.value, language=language.lower())
                return ox.Quad(quad.subject, quad.predicate, text, quad.graph_name)
    except CanonicalizationError as problem:
        problems.append(problem)
    except ValueError:  # a tag our check passes and pyoxigraph's refuses
        problems.append(_unsigned("a language tag is not valid", _TAG_EXPECTED, str(language)))
    return quad


def _invalid_iri(value: str) -> CanonicalizationError:
    return _unsigned("an IRI is not a valid absolute IRI", "valid absolute IRIs", value)


def _check_literal(literal: ox.Literal) -> None:
    language = literal.language
    if language is not None and not _LANGUAGE_TAG.fullmatch(language):
        raise _unsigned("a language tag is not well-formed", _TAG_EXPECTED, language)
    if not valid_iri(literal.datatype.value):
        raise _unsigned(
            "a datatype IRI is not valid", "valid absolute IRIs", literal.datatype.value
        )


@lru_cache(maxsize=4096)  # bounded: per-credential IRIs pass through here on the general path
def valid_iri(value: str) -> bool:
    """Whether pyoxigraph's strict IRI parser accepts ``value`` (it rejects what RFC 3987 does)."""
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def check_pinned(values: Iterable[str]) -> None:
    """Strings about to be expanded as IRIs: one shaped like a keyword expands to nothing."""
    for value in values:
        if KEYWORD_LIKE.fullmatch(value):
            raise _unsigned(
                "an identifier has the form of a JSON-LD keyword and would be ignored",
                "absolute IRIs or blank node ids",
                value,
            )


# --- shape level: every leaf must reach the RDF ------------------------------------------------

_checked: OrderedDict[Hashable, CanonicalizationError | None] = OrderedDict()
# Verification runs in worker threads: another thread may evict a key between the lookup and
# move_to_end. The JSON-LD to RDF conversion on a miss stays outside the lock.
_checked_lock = threading.Lock()


def clear_cache() -> None:
    with _checked_lock:
        _checked.clear()


def check_coverage(doc: Mapping[str, Any], nquads_of: NQuadsOf) -> None:
    """Raise :class:`CanonicalizationError` naming the leaves of ``doc`` that would not be signed.

    Runs JSON-LD to RDF once per document shape (keys, contexts, keyword values, kinds of
    leaves); later documents of that shape cost one walk.
    """
    verbatim = _bundled_verbatim_keys()
    shape = _Shape(verbatim)
    shape.of(doc, 0)
    if shape.embedded_contexts:  # their aliases change which keys are kept as written
        verbatim = _verbatim_keys(doc)
        shape = _Shape(verbatim)
        shape.of(doc, 0)
    key = tuple(shape.tokens)
    found: CanonicalizationError | None = None
    with _checked_lock:
        hit = key in _checked
        if hit:
            _checked.move_to_end(key)
            found = _checked[key]
    if not hit:
        walk = _Walk(verbatim)
        placeholders = walk.node(doc, "")
        nquads = nquads_of(placeholders)
        found = _coverage_error(walk, nquads) or _ignored_keywords(
            walk, placeholders, nquads, nquads_of
        )
        with _checked_lock:
            _checked[key] = found
            if len(_checked) > _CACHE_SIZE:
                _checked.popitem(last=False)
    if found is not None:
        raise found


def _coverage_error(walk: _Walk, nquads: str) -> CanonicalizationError | None:
    seen = {int(index) for index in _PLACEHOLDER_RE.findall(nquads)}
    missing = [path for index, path in enumerate(walk.paths) if index not in seen]
    missing += walk.null_keys
    for text, paths in walk.kept.items():
        # Kept as written: each must come out as a literal (as a node id it would be ignored),
        # or as a string inside a JSON literal.
        written = nquads.count('"' + text + '"') + nquads.count('\\"' + text + '\\"')
        if written < len(paths):
            missing += [f"{path} ({text})" for path in paths[written:]]
    if walk.nested_arrays and _RDF_FIRST in nquads:
        # JSON-LD 1.1 makes an array inside a list a list of lists; pyoxigraph flattens it, so
        # the nesting would not be signed (and the reference's statements would differ).
        return CanonicalizationError(
            "a list holds an array (a list of lists): its nesting would not be signed",
            expected="lists of values or objects",
            found=", ".join(walk.nested_arrays[:_MAX_SHOWN]),
        )
    if not missing:
        return None
    shown = ", ".join(sorted(missing)[:_MAX_SHOWN])
    more = len(missing) - _MAX_SHOWN
    return _unsigned(
        "JSON-LD to RDF drops part of the document",
        _EXPECTED,
        shown + (f" and {more} more" if more > 0 else ""),
    )


def _ignored_keywords(
    walk: _Walk, placeholders: Any, nquads: str, nquads_of: NQuadsOf
) -> CanonicalizationError | None:
    """A keyword where JSON-LD may ignore it is refused when the statements are the same
    without it (inside a JSON literal, for one, it is text, and signed)."""
    written = _relabelled(nquads)
    ignored = [
        path
        for keys, path in walk.misplaced
        if _relabelled(nquads_of(_without(placeholders, keys))) == written
    ]
    if not ignored:
        return None
    return _unsigned(
        "a JSON-LD keyword is written where it has no meaning, and JSON-LD ignores it",
        "@language and @direction only beside an @value, context keywords only in a @context",
        ", ".join(sorted(ignored)[:_MAX_SHOWN]),
    )


def _relabelled(nquads: str) -> list[str]:
    """The statements with every blank node unnamed, in order: the parser names blank nodes at
    random and writes statements in no fixed order. (Keywords JSON-LD ignores change no wiring
    between blank nodes; one that changes anything else is signed.)"""
    return sorted(_BLANK_NODE.sub("_:", nquads).splitlines())


def _without(document: Any, keys: tuple[str | int, ...]) -> Any:
    """A copy of ``document`` without the entry at ``keys``, sharing what it does not change."""
    if len(keys) == 1:
        return {k: v for k, v in document.items() if k != keys[0]}
    head, rest = keys[0], keys[1:]
    if isinstance(document, list):
        assert isinstance(head, int)
        return [_without(v, rest) if i == head else v for i, v in enumerate(document)]
    return {k: _without(v, rest) if k == head else v for k, v in document.items()}


class _Shape:
    """A document's shape key: keys, contexts and values kept as written, strings that drop for
    what they are, the kind of every other leaf. Also refuses what drops whatever the values
    (types shaped like keywords or mapped to null, @index, a null @value, nesting too deep), and
    notes whether the document writes contexts of its own."""

    def __init__(self, keys: _Keys) -> None:
        self.tokens: list[Hashable] = []
        self.embedded_contexts = False
        self._verbatim = keys.verbatim
        self._types = keys.types
        self._indexes = keys.indexes
        self._index_maps = keys.index_maps
        self._null = keys.null_terms

    def of(self, value: Any, depth: int) -> None:
        tokens = self.tokens
        if depth > _MAX_DEPTH:
            raise CanonicalizationError(
                "document nests too deeply", expected=f"<= {_MAX_DEPTH} levels"
            )
        if isinstance(value, dict):
            tokens.append("{")
            for key, item in value.items():
                tokens.append(("k", key))
                if key == "@context":
                    self.embedded_contexts |= not all(isinstance(c, str) for c in _listed(item))
                    tokens.append(freeze(item, depth + 1))
                elif key in self._verbatim:
                    if key in self._types:
                        types = _strings(item)
                        check_pinned(t for t in types if t not in _Keywords.ALL)
                        for kind in types:
                            if kind in self._null:
                                raise _null_term(kind, "a type")
                    elif key in self._indexes:
                        raise _not_rdf(f"an @index value ({short(item)})")
                    tokens.append(freeze(item, depth + 1))
                elif isinstance(item, str):
                    tokens.append(("@", item) if self._kept(item) else "s")
                elif item is None and key == "@value":
                    # The reference refuses it (safe mode); we would sign the node without it.
                    raise CanonicalizationError(
                        "a value object has a null @value", expected="a value", found="null"
                    )
                else:
                    if key in self._index_maps and isinstance(item, dict):
                        raise _not_rdf(f"the keys of the index map {short(key)}")
                    self.of(item, depth + 1)
            tokens.append("}")
        elif isinstance(value, list):
            tokens.append("[")
            for item in value:
                self.of(item, depth + 1)
            tokens.append("]")
        elif isinstance(value, str):
            tokens.append(("@", value) if self._kept(value) else "s")
        else:
            tokens.append(value if value is None else type(value).__name__)

    def _kept(self, text: str) -> bool:
        return (text[:1] == "@" and KEYWORD_LIKE.fullmatch(text) is not None) or text in self._null


class _Walk:
    """Builds the placeholder copy of a document and each placeholder's path (once per shape)."""

    def __init__(self, keys: _Keys) -> None:
        self.paths: list[str] = []
        self.kept: dict[str, list[str]] = {}  # strings left as written, where they occur
        self.nested_arrays: list[str] = []
        self.null_keys: list[str] = []  # a property or a type-map key: either way it drops
        # Keywords where JSON-LD may ignore them (see _VALUE_ONLY): the keys leading to each
        # (in the copy), and its path.
        self.misplaced: list[tuple[tuple[str | int, ...], str]] = []
        self._verbatim = keys.verbatim
        self._null = keys.null_terms
        self._value_only = keys.value_only
        self._context_only = keys.context_only
        self._values = keys.values
        self._at: list[str | int] = []

    def node(self, value: Any, path: str) -> Any:
        if isinstance(value, dict):
            where = f"{path}." if path else ""
            self.null_keys += [
                f"{where}{key} (mapped to null)" for key in value if key in self._null
            ]
            value_object = not self._values.isdisjoint(value)
            copied: dict[str, Any] = {}
            for key, item in value.items():
                if key in self._context_only or (key in self._value_only and not value_object):
                    self.misplaced.append(((*self._at, key), where + key))
                if key == "@context" or key in self._verbatim:
                    copied[key] = item
                else:
                    self._at.append(key)
                    copied[key] = self.node(item, where + key)
                    self._at.pop()
            return copied
        if isinstance(value, list):
            self.nested_arrays += [
                f"{path}[{i}]" for i, v in enumerate(value) if isinstance(v, list)
            ]
            items = []
            for i, item in enumerate(value):
                self._at.append(i)
                items.append(self.node(item, f"{path}[{i}]"))
                self._at.pop()
            return items
        if value is None:
            return None
        if isinstance(value, str) and (KEYWORD_LIKE.fullmatch(value) or value in self._null):
            # What drops is the value itself (as an IRI it expands to nothing): keep it as it is.
            self.kept.setdefault(value, []).append(path or "(document)")
            return value
        # Any other scalar: a unique absolute IRI, which nothing drops for its own sake. In an IRI
        # position it stays an IRI, in a literal one it is literal text; either way it shows.
        self.paths.append(path or "(document)")
        return f"{_PLACEHOLDER}{len(self.paths) - 1}:"


class _Keys(NamedTuple):
    verbatim: frozenset[str]  # keys whose values are kept as written
    types: frozenset[str]  # those that mean @type
    indexes: frozenset[str]  # those that mean @index
    index_maps: frozenset[str]  # terms whose maps are keyed by index (the keys are not RDF)
    null_terms: frozenset[str]  # terms mapped to null: as a key, a type or a value they drop
    value_only: frozenset[str]  # those that mean @language or @direction
    context_only: frozenset[str]  # those that mean a keyword of contexts (@version, @vocab...)
    values: frozenset[str]  # those that mean @value


def _verbatim_keys(doc: Mapping[str, Any]) -> _Keys:
    """Keys whose values are kept as written: the keywords that say how to read the rest, and the
    terms the bundled and the document's own contexts alias to them."""
    aliases = dict(keyword_aliases())
    index_maps: set[str] = set()
    null_terms: set[str] = set()  # the bundled contexts map no term to null
    for context in _embedded_contexts(doc):
        for term, definition in context.items():
            if not term.startswith("@") and (
                definition is None
                or (
                    isinstance(definition, Mapping)
                    and "@id" in definition
                    and definition["@id"] is None
                )
            ):
                null_terms.add(term)
            target = definition.get("@id") if isinstance(definition, Mapping) else definition
            if target in _Keywords.ALL:
                aliases[term] = target
            for name in (term, target):
                # Reserved: the reference's safe mode refuses it, pyoxigraph ignores the definition.
                if (
                    isinstance(name, str)
                    and KEYWORD_LIKE.fullmatch(name)
                    and name not in _Keywords.ALL
                ):
                    raise _unsigned(
                        f"the context term definition {short(term)} uses a reserved keyword form",
                        "terms and IRIs, or JSON-LD keywords",
                        short(name),
                    )
            if (
                isinstance(definition, Mapping)
                and "@index" not in definition
                and "@index" in _listed(definition.get("@container"))
            ):
                index_maps.add(term)
    verbatim = {term for term, target in aliases.items() if target in _VERBATIM_KEYWORDS}

    def meaning(keywords: frozenset[str]) -> frozenset[str]:
        return frozenset(
            {term for term, target in aliases.items() if target in keywords} | keywords
        )

    return _Keys(
        frozenset(verbatim | _VERBATIM_KEYWORDS),
        meaning(frozenset({"@type"})),
        meaning(frozenset({"@index"})),
        frozenset(index_maps),
        frozenset(null_terms),
        meaning(_VALUE_ONLY),
        meaning(_CONTEXT_ONLY),
        meaning(frozenset({"@value"})),
    )


@cache
def _bundled_verbatim_keys() -> _Keys:
    return _verbatim_keys({})


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str)]


class _Keywords:
    ALL = frozenset(
        {
            *("@base", "@container", "@context", "@direction", "@graph", "@id", "@import"),
            *("@included", "@index", "@json", "@language", "@list", "@nest", "@none", "@prefix"),
            *("@propagate", "@protected", "@reverse", "@set", "@type", "@value", "@version"),
            "@vocab",
        }
    )


def _embedded_contexts(node: Any) -> Iterable[Mapping[str, Any]]:
    """Every context object written in the document, scoped ones (inside term definitions)
    included."""
    stack: list[tuple[Any, bool]] = [(node, False)]
    while stack:
        value, in_context = stack.pop()
        if isinstance(value, list):
            stack.extend((item, in_context) for item in value)
        elif isinstance(value, Mapping):
            if in_context and "@context" in value:  # a wrapped context (crypto.jsonld)
                stack.append((value["@context"], True))
            elif in_context:
                yield value
                stack.extend((d["@context"], True) for d in value.values() if _scoped(d))
            else:
                for key, item in value.items():
                    stack.append((item, key == "@context"))


def _scoped(definition: Any) -> bool:
    return isinstance(definition, Mapping) and "@context" in definition


def freeze(value: Any, depth: int = 0) -> Hashable:
    """A JSON value as a hashable key (part of a shape). ``depth`` is how deep ``value`` sits in
    its document; deeper than the bound is refused, never left to the interpreter's recursion
    limit (an ``@context`` nested 900 levels raised RecursionError)."""
    if depth > _MAX_DEPTH:
        raise CanonicalizationError(
            "document nests too deeply",
            expected=f"<= {_MAX_DEPTH} levels",
            found=f"more than {_MAX_DEPTH} levels",
        )
    if isinstance(value, dict):
        return ("{", tuple((k, freeze(v, depth + 1)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", tuple(freeze(v, depth + 1) for v in value))
    return (type(value).__name__, value)


def _null_term(term: str, role: str) -> CanonicalizationError:
    return _unsigned(
        f"{role} is a term its context maps to null, which JSON-LD drops",
        "terms the contexts map to IRIs",
        short(term),
    )


def _not_rdf(what: str) -> CanonicalizationError:
    # JSON-LD keeps indexes out of the RDF, so the reference signs without them; we refuse rather
    # than let them change freely under a valid proof.
    return _unsigned(
        "JSON-LD leaves indexes out of the RDF statements",
        "no @index values or index maps (or an index map whose @index names a property)",
        what,
    )


def _unsigned(problem: str, expected: str, found: str) -> CanonicalizationError:
    return CanonicalizationError(
        f"{problem}: it would not be covered by the signature", expected=expected, found=found
    )
