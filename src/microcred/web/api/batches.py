"""Bulk issuance: upload a recipients CSV, then follow the batch's progress."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from microcred.bulk.batches import bad_rows, ignored_columns
from microcred.errors import InputError
from microcred.store.tables import BatchRow
from microcred.web.deps import ActorDep, Offset, RawBody, RuntimeDep
from microcred.web.schemas import Schema

router = APIRouter(prefix="/api/v1/issuers/{issuer_id}/batches", tags=["batches"])

CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream")


class BatchOut(Schema):
    id: str
    achievement_id: str
    filename: str | None
    file_sha256: str
    state: str
    total_rows: int
    valid_rows: int
    invalid_rows: int
    issued_rows: int
    new_credentials: int
    progress: float
    chunks: int
    report: list[dict[str, Any]] = Field(description="Bad rows: line, reason, expected, found")
    report_truncated: bool
    ignored_columns: list[str]
    error: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class BatchPage(Schema):
    items: list[BatchOut]
    total: int
    offset: int
    limit: int


def batch_out(batch: BatchRow) -> BatchOut:
    report = bad_rows(batch)
    return BatchOut(
        id=batch.id,
        achievement_id=batch.achievement_id,
        filename=batch.filename,
        file_sha256=batch.file_sha256,
        state=batch.state,
        total_rows=batch.total_rows,
        valid_rows=batch.valid_rows,
        invalid_rows=batch.invalid_rows,
        issued_rows=batch.issued_rows,
        new_credentials=batch.new_rows,
        progress=round(batch.issued_rows / batch.valid_rows, 4) if batch.valid_rows else 1.0,
        chunks=batch.chunks,
        report=report,
        report_truncated=len(report) < batch.invalid_rows,
        ignored_columns=ignored_columns(batch),
        error=batch.error,
        created_by=batch.created_by,
        created_at=batch.created_at,
        updated_at=batch.updated_at,
        finished_at=batch.finished_at,
    )


@router.post("", response_model=BatchOut, status_code=202)
def upload_batch(
    issuer_id: str,
    request: Request,
    body: RawBody,
    actor: ActorDep,
    runtime: RuntimeDep,
    response: Response,
    achievement_id: Annotated[str, Query(alias="achievementId", min_length=1, max_length=36)],
    encoding: Annotated[str | None, Query(max_length=40)] = None,
    filename: Annotated[str | None, Query(max_length=500)] = None,
) -> BatchOut:
    """Upload a CSV as the request body (``Content-Type: text/csv``). Every row is checked
    first: the answer lists each bad row with its line and reason, and the good rows are
    issued in the background (follow ``Location``). Uploading the same recipients again issues
    nothing twice."""
    media_type = request.headers.get("content-type", "text/csv").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise InputError(
            "send the CSV file itself as the request body",
            expected="Content-Type: text/csv",
            found=media_type,
        )
    if not body:
        raise InputError("the request has no body", expected="a CSV file")
    batch = runtime.batches.create(
        actor, issuer_id, achievement_id, body, filename=filename, encoding=encoding
    )
    response.headers["Location"] = f"/api/v1/issuers/{issuer_id}/batches/{batch.id}"
    return batch_out(batch)


@router.get("", response_model=BatchPage)
def list_batches(
    issuer_id: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BatchPage:
    rows, total = runtime.batches.list(actor, issuer_id, offset=offset, limit=limit)
    return BatchPage(items=[batch_out(r) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/{batch_id}", response_model=BatchOut)
def get_batch(issuer_id: str, batch_id: str, actor: ActorDep, runtime: RuntimeDep) -> BatchOut:
    """The batch with its progress: ``issuedRows`` of ``validRows`` (``progress`` 0-1)."""
    return batch_out(runtime.batches.get(actor, issuer_id, batch_id))
