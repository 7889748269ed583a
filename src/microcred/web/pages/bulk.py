"""Bulk issuance from the console: upload a CSV, read the per-row report, start, watch progress.

:class:`BatchService` checks and queues in one step, so the page adds a check first: the file
is read with the same :class:`CsvReader` (nothing stored in the database) and kept in a staging
folder under the data directory, named by a random token bound to the issuer, until the user
starts it. Staged files are deleted when started and after ``STAGED_FOR`` otherwise.

Progress is the batch row's counters; the page refreshes itself with
``<meta http-equiv="refresh">`` while the batch runs (no script needed).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from microcred.errors import InputError, MicrocredError, NotFoundError
from microcred.runtime import Runtime
from microcred.services.actor import Actor
from microcred.services.batches import OPEN_STATES, bad_rows, ignored_columns
from microcred.services.csvrows import MAX_FILE_BYTES, BadRow, CsvReader
from microcred.web.pages.core import CsrfChecked, PageNotFoundError, get_pages, render, require

router = APIRouter(prefix="/console/bulk", include_in_schema=False)

Viewer = Annotated[Actor, Depends(require("viewer"))]
Issuer = Annotated[Actor, Depends(require("issuer"))]

STAGED_FOR = 3600  # seconds a checked file waits to be started
SHOWN_BAD_ROWS = 200
REFRESH_SECONDS = 2
ENCODINGS = ("", "cp1252", "latin-1", "utf-16")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


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


@router.post("", dependencies=[CsrfChecked])
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
        token = secrets.token_urlsafe(18)
        path = await run_in_threadpool(_stage, runtime, upload, token)
        meta = {
            "issuer": _issuer(actor),
            "achievement": achievement.id,
            "encoding": encoding or None,
            "filename": (upload.filename or "")[:200],
        }
        path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
        try:
            result = await run_in_threadpool(_dry_run, path, meta)
        except MicrocredError:
            _unstage(path)
            raise
    except MicrocredError as error:
        context["error"] = error
        return _form_page(request, actor, context, 422)
    finally:
        await form.close()
    return render(
        request,
        "console/bulk_check.html",
        {"check": result, "token": token, "achievement": achievement, "filename": meta["filename"]},
    )


@router.post("/start", dependencies=[CsrfChecked])
async def start(request: Request, actor: Issuer) -> Response:
    form = await request.form()
    token = str(form.get("token") or "")
    runtime = get_pages(request).runtime
    path = _staging(runtime) / f"{token}.csv"
    meta_path = path.with_suffix(".json")
    if not _TOKEN.match(token) or not meta_path.exists():
        raise PageNotFoundError("this upload has expired; upload the file again", found=token[:40])
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta["issuer"] != _issuer(actor):
        raise PageNotFoundError("no such upload", found=token[:40])
    try:
        batch = await run_in_threadpool(
            runtime.batches.create,
            actor,
            meta["issuer"],
            meta["achievement"],
            path.read_bytes(),
            filename=meta["filename"],
            encoding=meta["encoding"],
        )
    except MicrocredError as error:
        return _form_page(request, actor, {"error": error, "chosen": meta["achievement"]}, 422)
    finally:
        _unstage(path)
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
    achievements = runtime.achievements.list(actor, _issuer(actor))
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


# ---- staging -------------------------------------------------------------------------------------


def _staging(runtime: Runtime) -> Path:
    folder = runtime.settings.data_dir / "console-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stage(runtime: Runtime, upload: UploadFile, token: str) -> Path:
    folder = _staging(runtime)
    cutoff = time.time() - STAGED_FOR
    for old in folder.glob("*.csv"):  # forgotten uploads
        if old.stat().st_mtime < cutoff:
            _unstage(old)
    path = folder / f"{token}.csv"
    upload.file.seek(0, 2)
    size = upload.file.tell()
    if size > MAX_FILE_BYTES:
        raise InputError(
            "the file is too large", expected=f"at most {MAX_FILE_BYTES} bytes", found=f"{size}"
        )
    upload.file.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    return path


def _unstage(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".json").unlink(missing_ok=True)


def _dry_run(path: Path, meta: dict[str, Any]) -> Check:
    result = Check()
    with (
        path.open("rb") as stream,
        CsvReader(
            stream,
            issuer_id=meta["issuer"],
            achievement_id=meta["achievement"],
            encoding=meta["encoding"],
        ) as reader,
    ):
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
