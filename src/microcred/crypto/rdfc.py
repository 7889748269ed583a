"""RDFC-1.0 for the common case, without leaving Python: every blank node is told apart by its
first-degree hash (RDFC-1.0 section 4.6), so the n-degree step never runs.

Credentials are such graphs: their few blank nodes (criteria, alignments, the proof) differ in
what they say. Building a pyoxigraph dataset costs more than this whole computation, so the fast
path uses it and falls back to pyoxigraph when two blank nodes look alike.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

Quad = tuple[str, ...]
"""A quad as its serialized terms in canonical N-Quads form; blank nodes written ``_:label``."""

# Canonical N-Quads escapes for literals (RDF 1.2 canonical form, as pyoxigraph and the
# reference write them): ECHAR for these seven, UCHAR for other controls, DEL, U+FFFE, U+FFFF.
LITERAL_ESCAPES: dict[int, str] = {
    **{c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F, 0xFFFE, 0xFFFF]},
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}


def canonicalize_distinct(quads: Iterable[Quad]) -> str | None:
    """Canonical N-Quads, or None when two blank nodes share a first-degree hash."""
    unique = set(quads)
    hashes = first_degree_hashes(unique)
    if len(set(hashes.values())) != len(hashes):
        return None
    labels = {blank: f"_:c14n{i}" for i, blank in enumerate(sorted(hashes, key=hashes.__getitem__))}
    out = sorted(
        " ".join(labels[t] if t[0] == "_" else t for t in quad) + " .\n" for quad in unique
    )
    return "".join(out)


def look_alike_blank_nodes(quads: Iterable[Quad]) -> int:
    """How many blank nodes share their first-degree hash with another: the ones that send
    RDFC-1.0 into its n-degree step, whose cost can explode."""
    counts: dict[str, int] = {}
    for digest in first_degree_hashes(set(quads)).values():
        counts[digest] = counts.get(digest, 0) + 1
    return sum(n for n in counts.values() if n > 1)


def look_alike_work(quads: Iterable[Quad]) -> tuple[int, int]:
    """How many blank nodes look alike, and an estimate of the n-degree step's work on them.

    RDFC-1.0 hashes each look-alike node by trying every order of its related blank nodes that
    share a hash: the product of those groups' factorials (by first-degree hash, which groups
    at least as coarsely as the related hashes do), summed over the look-alike nodes. Capped."""
    unique = set(quads)
    hashes = first_degree_hashes(unique)
    counts: dict[str, int] = {}
    for digest in hashes.values():
        counts[digest] = counts.get(digest, 0) + 1
    ambiguous = {blank for blank, digest in hashes.items() if counts[digest] > 1}
    if not ambiguous:
        return 0, 0
    neighbours: dict[str, set[str]] = {blank: set() for blank in ambiguous}
    for quad in unique:
        blanks = {t for t in quad if t[0] == "_"}
        for blank in blanks & ambiguous:
            neighbours[blank].update(blanks - {blank})
    work = 0
    for blank in ambiguous:
        groups: dict[str, int] = {}
        for other in neighbours[blank]:
            groups[hashes[other]] = groups.get(hashes[other], 0) + 1
        steps = 1
        for size in groups.values():
            steps *= math.factorial(min(size, _FACTORIAL_CAP))
            steps = min(steps, _WORK_CAP)
        work = min(work + steps, _WORK_CAP)
    return len(ambiguous), work


_FACTORIAL_CAP = 20  # 20! is past _WORK_CAP already
_WORK_CAP = 10**12


def blank_structure(quads: Iterable[Quad]) -> tuple[int, int]:
    """Without hashing: the most distinct blank neighbours any blank node has, and the number
    of independent cycles among blank nodes (edges - nodes + components, over blank subjects
    and objects; a graph name is left out, as every node of a named graph shares it)."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    edges: set[tuple[str, str]] = set()
    for quad in quads:
        for term in quad:
            if term[0] == "_":
                parent.setdefault(term, term)
        subject, obj = quad[0], quad[2]
        if subject[0] == "_" and obj[0] == "_" and subject != obj:
            edges.add((subject, obj) if subject < obj else (obj, subject))
    degree: dict[str, int] = {}
    components = len(parent)
    for a, b in edges:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
            components -= 1
    return max(degree.values(), default=0), len(edges) - len(parent) + components


def first_degree_hashes(unique: set[Quad]) -> dict[str, str]:
    """RDFC-1.0 section 4.6: each blank node's hash over the quads that mention it, itself
    written ``_:a`` and every other blank node ``_:z``."""
    mentions: dict[str, list[Quad]] = {}
    for quad in unique:
        for term in set(quad):
            if term[0] == "_":
                mentions.setdefault(term, []).append(quad)
    return {
        blank: hashlib.sha256("".join(sorted(_line(q, blank) for q in its)).encode()).hexdigest()
        for blank, its in mentions.items()
    }


def _line(quad: Quad, reference: str) -> str:
    return (
        " ".join(("_:a" if t == reference else "_:z") if t[0] == "_" else t for t in quad) + " .\n"
    )
