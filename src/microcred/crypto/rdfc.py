"""RDFC-1.0 for the common case, without leaving Python: every blank node is told apart by its
first-degree hash (RDFC-1.0 section 4.6), so the n-degree step never runs.

Credentials are such graphs: their few blank nodes (criteria, alignments, the proof) differ in
what they say. Building a pyoxigraph dataset costs more than this whole computation, so the fast
path uses it and falls back to pyoxigraph when two blank nodes look alike.
"""

from __future__ import annotations

import hashlib
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
