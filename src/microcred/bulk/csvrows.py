"""Reading a recipients CSV for bulk issuance: one pass, row by row, every problem named.

The header names the columns (case, spaces, ``-`` and ``_`` do not matter): ``email`` and/or
``did`` name the recipient, ``name`` is optional, ``id`` (or ``key``, ``external id``, ...) is
the row's own identity when the file has one. Other columns are ignored and listed as such.
Comma, semicolon (what Excel writes in much of Europe) and tab separate fields; the header line
decides which.

Each good row gets an idempotency key derived from issuer, achievement and the row's identity
(its ``id`` column, else its normalised e-mail and DID), so uploading the same people again
issues nothing twice. The same identity twice in one file is reported as a bad row.

Text is UTF-8 unless a byte-order mark says UTF-8/UTF-16 or the caller names an encoding
(Excel's "CSV" on Windows is ``cp1252``). A file that is not text in that encoding, or that the
csv module cannot split, is refused whole (an :class:`InputError` naming the line); a row that
is merely wrong becomes a :class:`BadRow` and the rest go on.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import IO, Any

from microcred.errors import InputError, MicrocredError, short
from microcred.issuing.issuance import IssueRequest

MAX_ROWS = 250_000
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ID_LENGTH = 200

# Normalised header name -> column. Normalising drops case, spaces, "-" and "_".
ALIASES = {
    "email": "email",
    "emailaddress": "email",
    "mail": "email",
    "recipientemail": "email",
    "did": "did",
    "recipientdid": "did",
    "name": "name",
    "fullname": "name",
    "recipientname": "name",
    "displayname": "name",
    "id": "id",
    "key": "id",
    "externalid": "id",
    "recipientid": "id",
    "studentid": "id",
    "learnerid": "id",
    "idempotencykey": "id",
    # Per recipient (issue 19): the subject's narrative, a Result's value, an Evidence's id.
    "narrative": "narrative",
    "grade": "grade",
    "score": "grade",
    "result": "grade",
    "evidence": "evidence",
    "evidenceurl": "evidence",
}
COLUMNS = "email, did, name, id, narrative, grade, evidence"
DELIMITERS = (",", ";", "\t")
# NUL and other C0 controls have no place in a name or address (and PostgreSQL refuses NUL).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class GoodRow:
    """A row ready to issue: ``data`` holds the normalised recipient (email, did, name)."""

    line: int
    key: str
    data: dict[str, str]


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str
    expected: str | None = None
    found: str | None = None
    fields: tuple[str, ...] = ()  # the row's cells as written, to hand back for fixing

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"line": self.line, "reason": self.reason}
        if self.expected is not None:
            entry["expected"] = self.expected
        if self.found is not None:
            entry["found"] = self.found
        return entry


@dataclass
class Header:
    columns: list[str | None]  # per field position: our column name, or None (ignored)
    ignored: list[str] = field(default_factory=list)


def row_key(issuer_id: str, achievement_id: str, identity: str) -> str:
    """The idempotency key of a CSV row: stable across uploads of the same recipient."""
    digest = hashlib.sha256(f"{issuer_id}\n{achievement_id}\n{identity}".encode()).hexdigest()
    return f"csv:{digest}"


def _normalise(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch not in " -_")


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _encoding(head: bytes, requested: str | None) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the mark and picks the byte order
    if requested:
        try:
            return codecs.lookup(requested).name
        except LookupError as exc:
            raise InputError(
                "unknown text encoding", expected="utf-8, cp1252, latin-1, ...", found=requested
            ) from exc
    return "utf-8"


class CsvReader:
    """Iterate :class:`GoodRow` and :class:`BadRow` over a seekable binary file.

    Use it as a context manager: the caller keeps its file, which the reader's text layer
    would otherwise close (or leave to the garbage collector) when it goes.
    """

    def __init__(
        self,
        source: IO[bytes],
        *,
        issuer_id: str,
        achievement_id: str,
        encoding: str | None = None,
        max_rows: int = MAX_ROWS,
    ) -> None:
        self.issuer_id = issuer_id
        self.achievement_id = achievement_id
        self.max_rows = max_rows
        head = source.read(4)
        source.seek(0)
        self.encoding = _encoding(head, encoding)
        self._text = io.TextIOWrapper(source, encoding=self.encoding, newline="")
        self._line = 0  # physical lines consumed (the csv reader's count)
        try:
            self.header = self._read_header()
        except BaseException:
            self._text.detach()
            raise
        self.rows = 0  # data rows seen (blank lines not counted)

    def __enter__(self) -> CsvReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._text.detach()

    # -- reading -------------------------------------------------------------------------------

    def _decode_error(self, exc: UnicodeDecodeError) -> InputError:
        return InputError(
            f"the file is not {self.encoding} text (after line {self._line})",
            expected="UTF-8, or name the file's encoding (for example cp1252)",
            found=f"byte {exc.object[exc.start : exc.start + 1]!r}",
        )

    def _read_header(self) -> Header:
        try:
            first = self._text.readline()
            while first and not first.strip():
                self._line += 1
                first = self._text.readline()
        except UnicodeDecodeError as exc:
            raise self._decode_error(exc) from exc
        if not first:
            raise InputError("the file is empty", expected=f"a header line naming {COLUMNS}")
        self._line += 1
        self._header_line = self._line
        delimiter = _sniff_delimiter(first)
        names = next(csv.reader([first], delimiter=delimiter), [])
        self.header_cells = tuple(names)  # as written, for a file of the rejected rows
        header = Header(columns=[])
        seen: set[str] = set()
        for raw in names:
            column = ALIASES.get(_normalise(raw))
            if column is None:
                if raw.strip():
                    header.ignored.append(raw.strip())
                header.columns.append(None)
                continue
            if column in seen:
                raise InputError(
                    f"the header names the {column} column twice", expected="each column once"
                )
            seen.add(column)
            header.columns.append(column)
        if not seen & {"email", "did"}:
            raise InputError(
                "the header has no recipient column",
                expected=f"a header line naming {COLUMNS} (email and/or did required)",
                found=short(first.strip(), 120),
            )
        self._reader = csv.reader(self._text, delimiter=delimiter)
        return header

    def __iter__(self) -> Iterator[GoodRow | BadRow]:
        seen: dict[bytes, int] = {}  # identity digest -> first line, to report repeats
        while True:
            start = self._line + 1
            try:
                fields = next(self._reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise self._decode_error(exc) from exc
            except csv.Error as exc:
                raise InputError(
                    f"line {start}: the file cannot be split into fields",
                    expected="CSV text",
                    found=str(exc),
                ) from exc
            self._line = self._header_line + self._reader.line_num
            if not any(f.strip() for f in fields):
                continue
            self.rows += 1
            if self.rows > self.max_rows:
                raise InputError(
                    "the file has too many rows",
                    expected=f"at most {self.max_rows} rows per file",
                    found=f"more than {self.max_rows}",
                )
            row = self._row(start, fields, seen)
            yield replace(row, fields=tuple(fields)) if isinstance(row, BadRow) else row

    def _row(self, line: int, fields: list[str], seen: dict[bytes, int]) -> GoodRow | BadRow:
        columns = self.header.columns
        if len(fields) < len(columns) or any(f.strip() for f in fields[len(columns) :]):
            return BadRow(
                line,
                "the row has a different number of fields than the header",
                expected=f"{len(columns)} fields",
                found=f"{len(fields)} fields",
            )
        values = {c: f.strip() for c, f in zip(columns, fields, strict=False) if c and f.strip()}
        for column, value in values.items():
            if CONTROL.search(value):
                return BadRow(
                    line,
                    f"the {column} contains a control character",
                    expected="printable text",
                    found=short(value),
                )
        explicit_id = values.get("id")
        if explicit_id is not None and len(explicit_id) > MAX_ID_LENGTH:
            return BadRow(
                line, "the id is too long", expected=f"at most {MAX_ID_LENGTH} characters"
            )
        try:
            request = IssueRequest(
                achievement_id=self.achievement_id,
                email=values.get("email"),
                did=values.get("did"),
                name=values.get("name"),
                narrative=values.get("narrative"),
                grade=values.get("grade"),
                evidence_url=values.get("evidence"),
            ).checked()
        except MicrocredError as exc:
            return BadRow(line, exc.message, expected=exc.expected, found=exc.found)
        identity = (
            f"id:{explicit_id}"
            if explicit_id is not None
            else f"email:{request.email or ''}\ndid:{request.did or ''}"
        )
        digest = hashlib.blake2b(identity.encode(), digest_size=12).digest()
        if digest in seen:
            return BadRow(
                line,
                f"the same recipient as line {seen[digest]}",
                expected="each recipient (or id) once per file",
            )
        seen[digest] = line
        data = {
            "email": request.email,
            "did": request.did,
            "name": request.name,
            "narrative": request.narrative,
            "grade": request.grade,
            "evidence": request.evidence_url,
        }
        return GoodRow(
            line,
            row_key(self.issuer_id, self.achievement_id, identity),
            {k: v for k, v in data.items() if v is not None},
        )
