"""The CSV files around bulk issuance: an empty template with the columns the upload reads,
and a checked upload's rejected rows, as written plus a ``problem`` column, to correct and
upload again (the extra column is ignored then). Rejected rows come from the checked file,
kept until it is started (its bytes are dropped then) or for an hour."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from microcred.accounts.actor import Actor
from microcred.bulk.csvrows import BadRow, CsvReader
from microcred.errors import NotFoundError, PageNotFoundError
from microcred.web.pages.core import get_pages, require
from microcred.web.pages.spreadsheet import csv_response

router = APIRouter(prefix="/console/bulk", include_in_schema=False)

Issuer = Annotated[Actor, Depends(require("issuer"))]
TEMPLATE_HEADER = ("email", "name", "id", "did")
PROBLEM = "problem"
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@router.get("/template.csv")
def template(actor: Issuer) -> Response:
    """The header line the upload understands (e-mail and/or DID required)."""
    return csv_response("recipients-template.csv", TEMPLATE_HEADER, [])


@router.get("/check/{token}/rejected.csv")
def rejected_rows(request: Request, token: str, actor: Issuer) -> Response:
    runtime = get_pages(request).runtime
    assert actor.issuer_id is not None  # staff always belong to one issuer
    try:
        staged = runtime.uploads.read(actor, actor.issuer_id, token)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    header, rows = _rejected(
        staged.content, staged.issuer_id, staged.achievement_id, staged.encoding
    )
    # The uploaded file's name, reduced to characters safe in a header.
    stem = UNSAFE.sub("_", (staged.filename or "").rsplit(".", 1)[0])[:80].strip("_.")
    stem = stem or "recipients"
    return csv_response(f"{stem}-rejected.csv", header, rows)


def _rejected(
    content: bytes, issuer_id: str, achievement_id: str, encoding: str | None
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The file's header plus ``problem``, and each bad row's cells (padded to the header)
    with what was wrong. The file was read whole at the check, so it reads again here."""
    with CsvReader(
        io.BytesIO(content), issuer_id=issuer_id, achievement_id=achievement_id, encoding=encoding
    ) as reader:
        width = len(reader.header_cells)
        rows = [
            (*row.fields, *([""] * (width - len(row.fields))), _problem(row))
            for row in _bad(reader)
        ]
        return (*reader.header_cells, PROBLEM), rows


def _bad(reader: CsvReader) -> Iterator[BadRow]:
    return (row for row in reader if isinstance(row, BadRow))


def _problem(row: BadRow) -> str:
    said = [row.reason]
    if row.expected:
        said.append(f"expected: {row.expected}")
    if row.found:
        said.append(f"found: {row.found}")
    return f"line {row.line}: " + "; ".join(said)
