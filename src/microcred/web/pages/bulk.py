"""Bulk issuance from the console: upload a CSV, read the per-row report, start, watch progress.

:class:`BatchService` checks and queues in one step, so the page adds a check first: the file
is read with the same :class:`CsvReader` and kept in the database (:mod:`services.uploads`),
named by a random token bound to the issuer, until the user starts it; starting claims it
atomically, so a double submit starts one batch. Forgotten uploads are swept after an hour.

Progress is the batch row's counters; the page refreshes itself with
``<meta http-equiv="refresh">`` while the batch runs (no script needed).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from microcred.accounts.actor import Actor
from microcred.bulk.batches import OPEN_STATES, bad_rows, ignored_columns
from microcred.bulk.csvrows import MAX_FILE_BYTES, BadRow, CsvReader
from microcred.errors import (
    ConflictError,
    InputError,
    MicrocredError,
    NotFoundError,
    PageNotFoundError,
)
from microcred.web.pages.core import (
    SmallFormCsrf,
    all_achievements,
    csrf,
    get_pages,
    render,
    require,
)

router = APIRouter(prefix="/console/bulk", include_in_schema=False)

Viewer = Annotated[Actor, Depends(require("viewer"))]
Issuer = Annotated[Actor, Depends(require("issuer"))]

SHOWN_BAD_ROWS = 200
REFRESH_SECONDS = 2
ENCODINGS = ("", "cp1252", "latin-1", "utf-16")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")
UploadCsrf = csrf(max_bytes=MAX_FILE_BYTES + 64 * 1024, signed_in=True)


@dataclass
class Check:
    """The dry run's findings."""

    rows: int = 0
    good: int = 0
    bad: list[dict[str, Any]] = field(default_factory=list)
    bad_count: int = 0
    ignored: list[str] = field(default_factory=list)


@router.get("")
def bulk_form(request: Request, actor: Issuer) -> Response:
    return _form_page(request, actor, {"chosen": request.query_params.get("achievement")})


@router.post("", dependencies=[UploadCsrf])
async def check_upload(request: Request, actor: Issuer) -> Response:
    form = await request.form()
    runtime = get_pages(request).runtime
    achievement_id = str(form.get("achievement") or "")
    encoding = str(form.get("encoding") or "")
    upload = form.get("file")
    context: dict[str, Any] = {"chosen": achievement_id, "encoding": encoding}
    try:
        if encoding not in ENCODINGS:
            raise InputError("unknown encoding", expected=", ".join(ENCODINGS[1:]), found=encoding)
        achievement = runtime.achievements.get(actor, _issuer(actor), achievement_id)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InputError("choose a CSV file first", expected="a .csv file")
        content = await upload.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise InputError(
                "the file is too large",
                expected=f"at most {MAX_FILE_BYTES} bytes",
                found=f"more than {MAX_FILE_BYTES} bytes",
            )
        filename = (upload.filename or "")[:200]
        result = await run_in_threadpool(
            _dry_run, content, _issuer(actor), achievement.id, encoding or None
        )
        token = await run_in_threadpool(
            runtime.uploads.stage,
            actor,
            _issuer(actor),
            achievement.id,
            content,
            filename=filename,
            encoding=encoding or None,
        )
    except MicrocredError as error:
        context["error"] = error
        return _form_page(request, actor, context, 422)
    finally:
        await form.close()
    return render(
        request,
        "console/bulk_check.html",
        {"check": result, "token": token, "achievement": achievement, "filename": filename},
    )


@router.post("/start", dependencies=[SmallFormCsrf])
async def start(request: Request, actor: Issuer) -> Response:
    form = await request.form()
    token = str(form.get("token") or "")
    runtime = get_pages(request).runtime
    uploads = runtime.uploads
    if not _TOKEN.match(token):
        raise PageNotFoundError("this upload has expired; upload the file again", found=token[:40])
    try:
        claimed = await run_in_threadpool(uploads.claim, actor, _issuer(actor), token)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    except ConflictError as error:
        return _form_page(request, actor, {"error": error}, 409)
    if claimed.row is None:  # a double submit: the first one started it
        return RedirectResponse(f"/console/bulk/{claimed.batch_id}", 303)
    staged = claimed.row
    try:
        batch = await run_in_threadpool(
            runtime.batches.create,
            actor,
            staged.issuer_id,
            staged.achievement_id,
            staged.content,
            filename=staged.filename,
            encoding=staged.encoding,
        )
    except MicrocredError as error:
        await run_in_threadpool(uploads.drop, token)
        return _form_page(request, actor, {"error": error, "chosen": staged.achievement_id}, 422)
    except Exception:  # unexpected: the upload may be started again instead of answering 409
        await run_in_threadpool(uploads.release, token)
        raise
    await run_in_threadpool(uploads.started, token, batch.id)
    return RedirectResponse(f"/console/bulk/{batch.id}", 303)


@router.get("/{batch_id}")
def progress(request: Request, batch_id: str, actor: Viewer) -> Response:
    runtime = get_pages(request).runtime
    try:
        batch = runtime.batches.get(actor, _issuer(actor), batch_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    running = batch.state in OPEN_STATES
    percent = int(100 * batch.issued_rows / batch.valid_rows) if batch.valid_rows else 100
    # One row, not the issuer's whole list: this page reloads every few seconds while running.
    achievement = runtime.achievements.get(actor, batch.issuer_id, batch.achievement_id)
    return render(
        request,
        "console/batch.html",
        {
            "batch": batch,
            "achievement_name": achievement.name,
            "running": running,
            "percent": percent,
            "refresh": REFRESH_SECONDS,
            "bad": bad_rows(batch)[:SHOWN_BAD_ROWS],
            "ignored": ignored_columns(batch),
        },
    )


def _form_page(
    request: Request, actor: Actor, context: dict[str, Any], status_code: int = 200
) -> Response:
    runtime = get_pages(request).runtime
    batches, total = runtime.batches.list(actor, _issuer(actor), limit=20)
    achievements = all_achievements(runtime, actor, _issuer(actor))
    return render(
        request,
        "console/bulk.html",
        {
            "achievements": achievements,
            "batches": batches,
            "total": total,
            "names": {a.id: a.name for a in achievements},
            "encodings": ENCODINGS,
            **context,
        },
        status_code=status_code,
    )


def _dry_run(content: bytes, issuer_id: str, achievement_id: str, encoding: str | None) -> Check:
    result = Check()
    with CsvReader(
        io.BytesIO(content), issuer_id=issuer_id, achievement_id=achievement_id, encoding=encoding
    ) as reader:
        result.ignored = list(reader.header.ignored)
        for row in reader:
            if isinstance(row, BadRow):
                result.bad_count += 1
                if len(result.bad) < SHOWN_BAD_ROWS:
                    result.bad.append(row.to_json())
            else:
                result.good += 1
        result.rows = reader.rows
    return result


def _issuer(actor: Actor) -> str:
    assert actor.issuer_id is not None  # staff always belong to one issuer
    return actor.issuer_id
