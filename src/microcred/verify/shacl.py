"""A European Digital Credential against the Commission's SHACL shapes (``edc_shapes/``).

The credential's JSON-LD becomes RDF offline (pyoxigraph, bundled contexts: a context that is
not bundled is a :class:`ContextError`), and pyshacl checks it with ``inference='none'``: with
RDFS inference the shapes report violations that are not there (organisations picked up by the
person shape). Each violation says what the shape says (its message and description), the focus
node and the path; a violation inside a nested shape (``sh:node``) is reported by its innermost
cause, which is the one that names the missing or wrong value.

Checking takes ~0.1 s for the Commission's sample; the shapes are parsed once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from microcred.crypto.canon import Limits, to_nquads
from microcred.errors import InputError, short

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

SHAPES_DIR = Path(__file__).parent / "edc_shapes"
Profile = Literal["no-cv", "full"]
SHAPE_FILES: dict[Profile, str] = {
    "no-cv": "EDC-generic-no-cv.ttl",
    "full": "EDC-generic-full.ttl",
}
MAX_REPORTED = 20
_LOCK = threading.Lock()  # rdflib graphs are not safe to read from two threads at once


@dataclass(frozen=True)
class ShapeViolation:
    message: str
    focus: str
    path: str | None
    shape: str
    description: str | None = None
    value: str | None = None

    @property
    def explained(self) -> str:
        """The shape's message with its description (what the Commission says it is for)."""
        return f"{self.message} ({self.description})" if self.description else self.message

    def __str__(self) -> str:
        where = f"{self.focus}" + (f" at {self.path}" if self.path else "")
        return f"{self.explained}: focus node {where}"

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def check_edc(
    document: Mapping[str, Any], profiles: tuple[Profile, ...] = ("no-cv", "full")
) -> list[ShapeViolation]:
    """Every violation of the shapes of ``profiles`` (an empty list: it conforms)."""
    data = _data_graph(document)
    found: list[ShapeViolation] = []
    for profile in profiles:
        found.extend(_validate(data, profile))
    return found[:MAX_REPORTED] if len(found) > MAX_REPORTED else found


def _data_graph(document: Mapping[str, Any]) -> Graph:
    from rdflib import Graph

    nquads = to_nquads(document, limits=Limits())
    try:
        # A credential is one default graph: its N-Quads are N-Triples.
        return Graph().parse(data=nquads, format="nt")
    except Exception as exc:  # rdflib's parser errors have no common base class
        raise InputError(
            "the credential's RDF could not be read for the shapes",
            expected="one default graph (no named graphs)",
            found=short(str(exc)),
        ) from exc


@cache
def _shapes(profile: Profile) -> Graph:
    from rdflib import Graph

    return Graph().parse(SHAPES_DIR / SHAPE_FILES[profile], format="turtle")


def _validate(data: Graph, profile: Profile) -> list[ShapeViolation]:
    from pyshacl import validate
    from rdflib import URIRef
    from rdflib.namespace import SH

    with _LOCK:
        shapes = _shapes(profile)
        conforms, report, _ = validate(
            data,
            shacl_graph=shapes,
            inference="none",
            abort_on_first=False,
            meta_shacl=False,
            do_owl_imports=False,  # never fetch: the full profile names no-cv by URL
        )
        if conforms:
            return []
        assert not isinstance(report, bool | str)
        tops = set(report.subjects(SH.result, None))
        results = [r for top in tops for r in report.objects(top, SH.result)]
        found = []
        for result in sorted(results, key=str):
            for leaf in _innermost(report, result):
                if report.value(leaf, SH.resultSeverity) != SH.Violation:
                    continue
                shape = report.value(leaf, SH.sourceShape)
                description = shapes.value(shape, SH.description) if shape is not None else None
                path = report.value(leaf, SH.resultPath)
                value = report.value(leaf, SH.value)
                found.append(
                    ShapeViolation(
                        message=str(report.value(leaf, SH.resultMessage) or "violation"),
                        focus=_name(shapes, report.value(leaf, SH.focusNode)),
                        path=_name(shapes, path) if isinstance(path, URIRef) else None,
                        shape=_name(shapes, shape, "a property shape"),
                        description=str(description) if description is not None else None,
                        value=_name(shapes, value) if value is not None else None,
                    )
                )
        return _unique(found)


def _innermost(report: Graph, result: Node) -> list[Node]:
    from rdflib.namespace import SH

    details = list(report.objects(result, SH.detail))
    if not details:
        return [result]
    return [leaf for detail in details for leaf in _innermost(report, detail)]


def _name(graph: Graph, node: Node | None, unnamed: str = "a node without an id") -> str:
    """An IRI in the shapes' prefixes (elm:, cred: ...), a literal as its text."""
    from rdflib import BNode, URIRef

    if node is None:
        return ""
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node)
        except ValueError:
            return str(node)
    if isinstance(node, BNode):
        return unnamed
    return str(node)


def _unique(found: list[ShapeViolation]) -> list[ShapeViolation]:
    seen: set[tuple[str, str, str | None]] = set()
    unique = []
    for violation in found:
        key = (violation.message, violation.focus, violation.path)
        if key not in seen:
            seen.add(key)
            unique.append(violation)
    return unique


__all__ = ["ShapeViolation", "check_edc"]
