"""RDFC-1.0 straight from a cached template and a document's strings.

The fast path of ``crypto.canon`` keeps, per document shape, the quads its strings land in. The
generic route fills them into term tuples and hands those to ``rdfc.canonicalize_distinct``, which
looks for the blank nodes in every term of every quad again. Here the template is compiled once
into two %-formats: the lines of the quads without blank nodes, and the lines of the others with
a gap for each blank node; each blank node knows the lines that mention it. One format call and
one split write all the lines of a kind; the blank-node lines are written once per blank node
with that node as ``_:a`` and the others as ``_:z`` (RDFC-1.0 first-degree hashing, section 4.6),
and once more with the canonical labels.

Lines are joined by NUL inside a format, which no filled line holds raw (literals escape it, IRIs
in slots are checked by the caller). Where the generic route would do more than this (two quads
that come out equal and must count once, or two blank nodes with the same first-degree hash),
:func:`canonicalize` answers None and the caller takes the generic route.
``tests/crypto/test_rdfc_template.py`` compares the two.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from microcred.crypto import rdfc

IRI = 1
LITERAL = 2
TERM = 3  # the string is a whole N-Quads term already (a number's literal)
Term = str | tuple[int, int, str]
"""A template term: fixed N-Quads text, or (string index, IRI, LITERAL or TERM, literal
suffix)."""

Getter = Callable[[list[str]], tuple[str, ...]]


@dataclass(frozen=True)
class Compiled:
    plain: str  # %-format of the lines without blank nodes, joined by NUL
    plain_values: Getter  # its arguments, from the values
    blank: str  # %-format of the lines with blank nodes, joined by NUL
    blank_values: Getter  # its arguments, from the values followed by one label per blank node
    mentions: tuple[tuple[int, ...], ...]  # per blank node: the blank lines that mention it
    iri_strings: tuple[int, ...]  # strings written as they are: IRIs and whole terms
    literal_strings: tuple[int, ...]
    quads: int  # how many quads a filled template has (if none come out equal)


def compile_quads(quads: Sequence[Sequence[Term]]) -> Compiled:
    """Values are indexed 2 * i for string i as an IRI and 2 * i + 1 as literal text; blank node
    labels follow them, addressed from the end."""
    blanks: dict[str, int] = {}
    for quad in quads:
        for term in quad:
            if isinstance(term, str) and term.startswith("_:"):
                blanks.setdefault(term, len(blanks))
    plain: list[str] = []
    plain_refs: list[int] = []
    blank: list[str] = []
    blank_refs: list[int] = []
    mentions: list[list[int]] = [[] for _ in blanks]
    iri_strings: set[int] = set()
    literal_strings: set[int] = set()
    for quad in quads:
        line = ""
        refs: list[int] = []
        mentioned: set[int] = set()
        for position, term in enumerate(quad):
            line += " " if position else ""
            if isinstance(term, str) and term.startswith("_:"):
                mentioned.add(blanks[term])
                line += "%s"
                refs.append(blanks[term] - len(blanks))
            elif isinstance(term, str):
                line += term.replace("%", "%%")
            elif term[1] == IRI:
                iri_strings.add(term[0])
                line += "<%s>"
                refs.append(2 * term[0])
            elif term[1] == TERM:
                iri_strings.add(term[0])
                line += "%s"
                refs.append(2 * term[0])
            else:
                literal_strings.add(term[0])
                line += '"%s"' + term[2].replace("%", "%%")
                refs.append(2 * term[0] + 1)
        line += " .\n"
        if mentioned:
            for node in mentioned:
                mentions[node].append(len(blank))
            blank.append(line)
            blank_refs += refs
        else:
            plain.append(line)
            plain_refs += refs
    return Compiled(
        "\0".join(plain),
        _getter(plain_refs),
        "\0".join(blank),
        _getter(blank_refs),
        tuple(tuple(m) for m in mentions),
        tuple(sorted(iri_strings)),
        tuple(sorted(literal_strings)),
        len(quads),
    )


def _getter(refs: list[int]) -> Getter:
    if len(refs) > 1:
        return operator.itemgetter(*refs)
    return lambda values: tuple(values[r] for r in refs)  # itemgetter of one is no tuple


def canonicalize(compiled: Compiled, strings: Sequence[str]) -> str | None:
    """Canonical N-Quads of the template filled with ``strings``; None where the generic
    route must decide (duplicate quads, or blank nodes alike at the first degree)."""
    values: list[str] = [""] * (2 * len(strings))
    for i in compiled.iri_strings:
        values[2 * i] = strings[i]
    literals = [strings[i] for i in compiled.literal_strings]
    if not _plain_text("".join(literals)):
        literals = [text if _plain_text(text) else _escaped(text) for text in literals]
    for i, text in zip(compiled.literal_strings, literals, strict=True):
        values[2 * i + 1] = text
    lines = _lines(compiled.plain, compiled.plain_values(values)) if compiled.plain else []
    count = len(compiled.mentions)
    hashes: list[str] = []
    for node, mentioned in enumerate(compiled.mentions):
        labels = ["_:z"] * count
        labels[node] = "_:a"
        written = _lines(compiled.blank, compiled.blank_values(values + labels))
        mine = sorted([written[i] for i in mentioned])
        hashes.append(hashlib.sha256("".join(mine).encode()).hexdigest())
    if len(set(hashes)) != count:
        return None
    labels = [""] * count
    for rank, node in enumerate(sorted(range(count), key=hashes.__getitem__)):
        labels[node] = f"_:c14n{rank}"
    if compiled.blank:
        lines += _lines(compiled.blank, compiled.blank_values(values + labels))
    # Equal strings can make two quads one; RDF counts it once, and so would the hashes. With
    # distinct labels, equal final lines are exactly equal quads.
    if len(set(lines)) != len(lines):
        return None
    lines.sort()
    return "".join(lines)


def _lines(text: str, arguments: tuple[str, ...]) -> list[str]:
    return (text % arguments).split("\0")


def _plain_text(text: str) -> bool:
    # Nothing to escape: the escaped characters (controls, DEL, U+FFFE, U+FFFF) are all
    # unprintable to Python, and the quote and backslash are looked for. Some text that needs no
    # escape (U+00A0, U+2028) also answers False, and is then translated for nothing.
    return text.isprintable() and '"' not in text and "\\" not in text


def _escaped(text: str) -> str:
    return text.translate(rdfc.LITERAL_ESCAPES)
