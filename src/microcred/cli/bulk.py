"""``microcred issue-bulk`` (a CSV to credentials, with a progress bar) and ``microcred worker``.

Both read the platform's settings from ``MICROCRED_*``. ``issue-bulk`` exits 0 when every row
was issued, 1 when the batch finished with bad rows or failed, 2 when the input is unusable.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from microcred.accounts.actor import Actor
from microcred.bulk.batches import bad_rows, ignored_columns
from microcred.cli._runtime import settings_runtime
from microcred.errors import MicrocredError
from microcred.operations.logs import configure_logging
from microcred.runtime import Runtime
from microcred.store.tables import BatchRow

err = Console(stderr=True, emoji=False)
POLL_SECONDS = 0.25
SHOWN_BAD_ROWS = 50


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}", markup=True, highlight=False)
    raise typer.Exit(code)


def _runtime() -> Runtime:
    try:
        return settings_runtime()
    except MicrocredError as exc:
        _fail(str(exc))


def issue_bulk(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="Header: email,did,name,id.")],
    achievement: Annotated[str, typer.Option("--achievement", help="Achievement id.")],
    issuer: Annotated[str, typer.Option("--issuer", help="Issuer slug.")],
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding when not UTF-8 (e.g. cp1252).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes to run here while waiting (default MICROCRED_WORKERS); "
            "0 leaves the work to 'microcred worker'."
        ),
    ] = None,
    wait: Annotated[bool, typer.Option(help="Wait for the batch and show progress.")] = True,
) -> None:
    """Issue one credential per CSV row. Bad rows are listed with line and reason; the good
    ones are issued. Running the same file again issues nothing twice."""
    runtime = _runtime()
    try:
        issuer_row = runtime.issuers.by_slug(issuer)
        actor = Actor(issuer_id=issuer_row.id, name="cli", role="owner")
        with file.open("rb") as source:
            batch = runtime.batches.create(
                actor, issuer_row.id, achievement, source, filename=file.name, encoding=encoding
            )
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    except MicrocredError as exc:
        _fail(exc.diagnostics().replace("\n", "\n  "))
    _print_report(batch)
    if not wait or batch.state not in ("queued", "running"):
        _print_summary(batch)
        raise typer.Exit(_exit_code(batch))
    count = runtime.settings.workers if workers is None else workers
    consumer = None
    if count > 0 and not runtime.settings.queue_immediate:
        # Forked before the progress bar starts its refresh thread.
        runtime.queue.run_startup()
        consumer = runtime.queue.consumer(count, "process", in_process=True)
        consumer.start()
    try:
        batch = _follow(runtime, actor, batch, local=consumer is not None)
    except KeyboardInterrupt:
        err.print("interrupted: the batch goes on with 'microcred worker'", highlight=False)
        raise typer.Exit(130) from None
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        runtime.close()
    _print_summary(batch)
    raise typer.Exit(_exit_code(batch))


def _follow(runtime: Runtime, actor: Actor, batch: BatchRow, *, local: bool) -> BatchRow:
    columns = (
        TextColumn("[bold]issuing[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    if not local:
        err.print("waiting for workers ('microcred worker') to issue the batch", highlight=False)
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("issuing", total=batch.valid_rows, completed=batch.issued_rows)
        while batch.state in ("queued", "running"):
            time.sleep(POLL_SECONDS)
            batch = runtime.batches.get(actor, batch.issuer_id, batch.id)
            progress.update(task, completed=batch.issued_rows)
    return batch


def _print_report(batch: BatchRow) -> None:
    ignored = ignored_columns(batch)
    if ignored:
        err.print(f"ignored columns: {', '.join(ignored)}", highlight=False, markup=False)
    rows = bad_rows(batch)
    if not rows:
        return
    table = Table("line", "problem", title=f"{batch.invalid_rows} bad rows (not issued)")
    for entry in rows[:SHOWN_BAD_ROWS]:
        detail = str(entry["reason"])
        if entry.get("expected"):
            detail += f"; expected {entry['expected']}"
        if entry.get("found"):
            detail += f"; found {entry['found']}"
        table.add_row(str(entry["line"]), detail)
    err.print(table)
    if batch.invalid_rows > SHOWN_BAD_ROWS:
        err.print(
            f"... and {batch.invalid_rows - SHOWN_BAD_ROWS} more (GET the batch for the report)",
            highlight=False,
        )


def _print_summary(batch: BatchRow) -> None:
    already = batch.issued_rows - batch.new_rows
    err.print(
        f"batch {batch.id}: {batch.state}; {batch.total_rows} rows, {batch.invalid_rows} bad, "
        f"{batch.issued_rows} of {batch.valid_rows} issued "
        f"({batch.new_rows} new, {already} issued before)",
        highlight=False,
        markup=False,
    )
    if batch.error:
        err.print(f"[red]batch failed:[/] {escape(batch.error or '')}", highlight=False)


def _exit_code(batch: BatchRow) -> int:
    if batch.state == "failed" or batch.invalid_rows:
        return 1
    return 0


def worker(
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default MICROCRED_WORKERS).")
    ] = None,
    threads: Annotated[
        bool, typer.Option(help="Threads instead of processes (one core, less memory).")
    ] = False,
    verbose: Annotated[bool, typer.Option(help="Log every job.")] = False,
) -> None:
    """Run jobs (bulk issuance, e-mail) until stopped. Unfinished batch chunks are queued
    again at start, so a worker that died mid-batch loses nothing."""
    runtime = _runtime()
    configure_logging(
        runtime.settings.log_format, level=logging.INFO if verbose else logging.WARNING
    )
    queue = runtime.queue
    count = runtime.settings.workers if workers is None else workers
    try:
        queue.run_startup()
        consumer = queue.consumer(count, "thread" if threads else "process")
    except MicrocredError as exc:
        _fail(str(exc))
    err.print(
        f"microcred worker: {max(1, count)} {'threads' if threads else 'processes'}",
        highlight=False,
    )
    consumer.run()
    runtime.close()


def register(app: typer.Typer) -> None:
    app.command("issue-bulk")(issue_bulk)
    app.command("worker")(worker)
