"""Reading recipients CSVs: encodings, separators, line numbers and reasons of bad rows."""

from __future__ import annotations

import codecs
import io

import pytest

from microcred.bulk.csvrows import BadRow, CsvReader, GoodRow, row_key
from microcred.errors import InputError


def read(data: bytes, **kwargs: object) -> list[GoodRow | BadRow]:
    return list(reader(data, **kwargs))


def reader(data: bytes, **kwargs: object) -> CsvReader:
    return CsvReader(io.BytesIO(data), issuer_id="iss", achievement_id="ach", **kwargs)  # type: ignore[arg-type]


def good(rows: list[GoodRow | BadRow]) -> list[GoodRow]:
    return [r for r in rows if isinstance(r, GoodRow)]


def bad(rows: list[GoodRow | BadRow]) -> dict[int, str]:
    return {r.line: r.reason for r in rows if isinstance(r, BadRow)}


def test_good_rows_are_normalised_and_keyed() -> None:
    rows = read(b"Email,Name,DID\n Ada@Example.ORG ,Ada Lovelace,\n,Bob,did:key:z6Mkabc\n")
    assert [(r.line, r.data) for r in good(rows)] == [
        (2, {"email": "ada@example.org", "name": "Ada Lovelace"}),
        (3, {"did": "did:key:z6Mkabc", "name": "Bob"}),
    ]
    first = good(rows)[0]
    assert first.key == row_key("iss", "ach", "email:ada@example.org\ndid:")
    assert first.key.startswith("csv:")
    assert len(first.key) <= 200


def test_key_depends_on_issuer_achievement_and_identity_not_on_name_or_case() -> None:
    one = good(read(b"email,name\nada@example.org,Ada\n"))[0].key
    again = good(read(b"EMAIL;full name\nADA@example.org;Ada L.\n"))[0].key
    assert one == again
    other = CsvReader(
        io.BytesIO(b"email\nada@example.org\n"), issuer_id="iss", achievement_id="other"
    )
    assert good(list(other))[0].key != one


def test_an_id_column_is_the_identity() -> None:
    rows = good(read(b"id,email\nS-1,ada@example.org\nS-2,ada@example.org\n"))
    assert len(rows) == 2
    assert rows[0].key == row_key("iss", "ach", "id:S-1")


def test_bad_rows_have_line_numbers_and_reasons() -> None:
    data = (
        b"email,name\n"
        b"ok@example.org,Fine\n"
        b"not-an-address,Bad\n"
        b'"multi@example.org","Two\nLines"\n'
        b"\n"
        b",Nobody\n"
        b"ok@example.org,Again\n"
        b"x@example.org,too,many\n"
        b"short@example.org\n"
    )
    rows = read(data)
    assert [r.line for r in good(rows)] == [2, 4]
    assert good(rows)[1].data["name"] == "Two\nLines"
    reasons = bad(rows)
    assert set(reasons) == {3, 7, 8, 9, 10}
    assert "e-mail" in reasons[3]
    assert "e-mail address or a DID" in reasons[7]
    assert reasons[8] == "the same recipient as line 2"
    assert "number of fields" in reasons[9]
    assert "number of fields" in reasons[10]
    by_line = {r.line: r for r in rows if isinstance(r, BadRow)}
    assert by_line[9].expected == "2 fields"
    assert by_line[9].found == "3 fields"
    assert by_line[3].to_json()["found"] == "'not-an-address'"


def test_short_row_is_bad_but_trailing_empty_fields_are_fine() -> None:
    rows = read(b"email,name\na@example.org,A,,\nb@example.org\n")
    assert [r.line for r in good(rows)] == [2]
    assert "number of fields" in bad(rows)[3]


def test_byte_order_marks_and_separators() -> None:
    text = "E-Mail;Name\r\nzoë@example.org;Zoë\r\n"
    for data in (
        codecs.BOM_UTF8 + text.encode("utf-8"),
        text.encode("utf-16"),  # with its BOM, as Excel writes "Unicode text"
        codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    ):
        rows = read(data)
        assert [r.data for r in good(rows)] == [{"email": "zoë@example.org", "name": "Zoë"}]
    tabbed = good(read(b"email\tname\na@example.org\tA\n"))
    assert tabbed[0].data == {"email": "a@example.org", "name": "A"}


def test_non_utf8_text_is_refused_whole_unless_the_encoding_is_named() -> None:
    data = "email,name\nj@example.org,José\n".encode("cp1252")
    with pytest.raises(InputError, match="not utf-8 text") as info:
        read(data)
    assert "cp1252" in (info.value.expected or "")
    rows = read(data, encoding="cp1252")
    assert good(rows)[0].data["name"] == "José"
    with pytest.raises(InputError, match="unknown text encoding"):
        read(data, encoding="klingon-8")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"name,course\nAda,Maths\n", "no recipient column"),
        (b"email,mail\na@example.org,b@example.org\n", "email column twice"),
    ],
)
def test_unusable_headers(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read(data)


def test_unknown_columns_are_listed_and_ignored() -> None:
    csv_reader = reader(b"email,course,,teacher\na@example.org,Maths,,Mr Chips\n")
    assert csv_reader.header.ignored == ["course", "teacher"]
    assert good(list(csv_reader))[0].data == {"email": "a@example.org"}


def test_row_limit_and_unsplittable_files() -> None:
    data = b"email\n" + b"".join(b"p%d@example.org\n" % i for i in range(11))
    with pytest.raises(InputError, match="too many rows"):
        read(data, max_rows=10)
    assert len(read(data, max_rows=11)) == 11
    huge = b'"' + b"a" * 200_000 + b'"'
    with pytest.raises(InputError, match="line 3: the file cannot be split"):
        read(b"email\na@example.org\n" + huge + b"\n")


def test_control_characters_are_bad_rows() -> None:
    rows = read(b"email,name\nb@exa\x00mple.org,B\nc@example.org,C\x07\nd@example.org,D\n")
    assert bad(rows) == {
        2: "the email contains a control character",
        3: "the name contains a control character",
    }
    assert [r.line for r in good(rows)] == [4]


def test_overlong_values_are_bad_rows() -> None:
    long_id = "x" * 201
    rows = read(f"id,email,name\n{long_id},a@example.org,A\nk,b@example.org,{'n' * 301}\n".encode())
    assert bad(rows) == {2: "the id is too long", 3: "recipient name is too long"}
