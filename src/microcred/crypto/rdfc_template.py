"""RDFC-1.0 straight from a cached template and a document's strings.

The fast path of ``crypto.canon`` keeps, per document shape, the quads its strings land in. The
generic route fills them into term tuples and hands those to ``rdfc.canonicalize_distinct``, which
finds the blank nodes in every term of every quad again. Here the template is compiled once: each
quad becomes its N-Quads line with gaps for the strings and for its blank nodes, and each blank
node knows the quads that mention it. Filling then writes each line once and hashes only the
lines of blank-node quads, exactly as RDFC-1.0's first-degree hashing does (section 4.6).

Where the generic route would do more than that (two quads that come out equal and must count
once, or two blank nodes with the same first-degree hash), :func:`canonicalize` answers None and
the caller takes the generic route. ``tests/crypto/test_rdfc_template.py`` compares the two.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from microcred.crypto import rdfc

IRI = 1
LITERAL = 2
Term = str | tuple[int, int, str]
"""A template term: fixed N-Quads text, or (string index, IRI or LITERAL, literal suffix)."""

# A line piece: fixed text, or an index into the filled values (2 * string index for its IRI
# form, 2 * string index + 1 for its literal form).
Piece = str | int


@dataclass(frozen=True)
class Compiled:
    # Every line of a quad without blank nodes, then every piece between the blank nodes of the
    # others, as one %-format joined by NUL (which no filled term holds raw: literals escape it,
    # IRIs in slots are checked); one format call and one split fill them all.
    text: str
    values: Callable[[list[str]], tuple[str, ...]]
    plain: int  # how many of the pieces are whole lines
    gaps: tuple[tuple[int, ...], ...]  # per blank-node quad: the blank node in each gap
    mentions: tuple[tuple[int, ...], ...]  # per blank node: the quads (indexes into gaps)
    iri_strings: tuple[int, ...]
    literal_strings: tuple[int, ...]


def compile_quads(quads: Sequence[Sequence[Term]]) -> Compiled:
    blanks: dict[str, int] = {}
    plain: list[tuple[Piece, ...]] = []
    segments: list[tuple[tuple[Piece, ...], ...]] = []
    gaps: list[tuple[int, ...]] = []
    iri_strings: set[int] = set()
    literal_strings: set[int] = set()
    for quad in quads:
        pieces: list[Piece] = []
        quad_segments: list[tuple[Piece, ...]] = []
        quad_gaps: list[int] = []
        for position, term in enumerate(quad):
            if position:
                pieces.append(" ")
            if isinstance(term, str) and term.startswith("_:"):
                quad_segments.append(_merged(pieces))
                quad_gaps.append(blanks.setdefault(term, len(blanks)))
                pieces = []
            elif isinstance(term, str):
                pieces.append(term)
            elif term[1] == IRI:
                iri_strings.add(term[0])
                pieces += ["<", 2 * term[0], ">"]
            else:
                literal_strings.add(term[0])
                pieces += [2 * term[0] + 1, term[2]]
        pieces.append(" .\n")
        if quad_gaps:
            segments.append((*quad_segments, _merged(pieces)))
            gaps.append(tuple(quad_gaps))
        else:
            plain.append(_merged(pieces))
    mentions: list[list[int]] = [[] for _ in blanks]
    for index, held in enumerate(gaps):
        for blank in set(held):
            mentions[blank].append(index)
    refs: list[int] = []
    texts: list[str] = []
    for run in [*plain, *(run for quad in segments for run in quad)]:
        text = ""
        for piece in run:
            if isinstance(piece, str):
                text += piece.replace("%", "%%")
            else:
                text += "%s"
                refs.append(piece)
        texts.append(text)
    return Compiled(
        "\0".join(texts),
        _getter(refs),
        len(plain),
        tuple(gaps),
        tuple(tuple(m) for m in mentions),
        tuple(sorted(iri_strings)),
        tuple(sorted(literal_strings)),
    )


def _getter(refs: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    if len(refs) > 1:
        return operator.itemgetter(*refs)
    return lambda values: tuple(values[r] for r in refs)  # itemgetter of one is no tuple


def _merged(pieces: list[Piece]) -> tuple[Piece, ...]:
    out: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        elif piece != "":
            out.append(piece)
    return tuple(out)


def canonicalize(compiled: Compiled, strings: Sequence[str]) -> str | None:
    """Canonical N-Quads of the template filled with ``strings``; None where the generic
    route must decide (duplicate quads, or blank nodes alike at the first degree)."""
    values: list[str] = [""] * (2 * len(strings))
    for i in compiled.iri_strings:
        values[2 * i] = strings[i]  # the "<" and ">" are fixed pieces
    escapes = rdfc.LITERAL_ESCAPES
    for i in compiled.literal_strings:
        values[2 * i + 1] = '"' + strings[i].translate(escapes) + '"'
    pieces = (compiled.text % compiled.values(values)).split("\0")
    lines = pieces[: compiled.plain]
    filled: list[tuple[str, ...]] = []
    start = compiled.plain
    for gaps in compiled.gaps:
        filled.append(tuple(pieces[start : start + len(gaps) + 1]))
        start += len(gaps) + 1
    # Equal strings can make two quads one; RDF counts it once, and so must the hashes.
    keys = set(zip(filled, compiled.gaps, strict=True))
    if len(set(lines)) != len(lines) or len(keys) != len(filled):
        return None
    hashes: list[str] = []
    for blank, quads in enumerate(compiled.mentions):
        text = "".join(sorted(_hash_line(filled[q], compiled.gaps[q], blank) for q in quads))
        hashes.append(hashlib.sha256(text.encode()).hexdigest())
    if len(set(hashes)) != len(hashes):
        return None
    labels = [""] * len(hashes)
    for rank, blank in enumerate(sorted(range(len(hashes)), key=hashes.__getitem__)):
        labels[blank] = f"_:c14n{rank}"
    for segments, gaps in zip(filled, compiled.gaps, strict=True):
        line = segments[0]
        for gap, segment in zip(gaps, segments[1:], strict=True):
            line += labels[gap] + segment
        lines.append(line)
    lines.sort()
    return "".join(lines)


def _hash_line(segments: tuple[str, ...], gaps: tuple[int, ...], blank: int) -> str:
    # RDFC-1.0 4.6: the blank node being hashed is _:a, every other one _:z.
    line = segments[0]
    for gap, segment in zip(gaps, segments[1:], strict=True):
        line += ("_:a" if gap == blank else "_:z") + segment
    return line
