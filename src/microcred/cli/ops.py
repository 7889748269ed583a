"""Operator commands: backups (``backup create``, ``backup restore``).

``create`` reads the running platform's database (SQLite or PostgreSQL) without stopping it;
``restore`` writes into an empty data directory (and an empty database, for PostgreSQL),
then checks the restored log as ``microcred log fsck`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from microcred.cli._runtime import settings_runtime
from microcred.errors import MicrocredError, RecheckError
from microcred.operations.backup import create_backup, restore_backup
from microcred.settings import Settings

err = Console(stderr=True, emoji=False)
out = Console(emoji=False, highlight=False, soft_wrap=True)

backup_app = typer.Typer(
    help="Backups of the database, the keys and the log.", no_args_is_help=True
)


def _fail(exc: MicrocredError | str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(code)


@backup_app.command("create")
def backup_create(
    file: Annotated[Path, typer.Argument(help="Where to write the backup (must not exist).")],
) -> None:
    """Write a consistent snapshot of the database (keys and log included) to FILE."""
    try:
        runtime = settings_runtime()
    except MicrocredError as exc:
        raise _fail(exc) from exc
    try:
        report = create_backup(
            runtime.engine,
            file,
            master_secret=runtime.settings.master_secret.get_secret_value(),
            public_url=runtime.urls.base,
            now=runtime.clock(),
        )
    except MicrocredError as exc:
        raise _fail(exc) from exc
    finally:
        runtime.close()
    out.print(
        f"wrote {report.path} ({report.method}): {report.credentials} credentials, "
        f"log of {report.log_size} entries, {sum(report.rows.values())} rows",
        markup=False,
    )


@backup_app.command("restore")
def backup_restore(
    file: Annotated[Path, typer.Argument(help="A file from 'microcred backup create'.")],
) -> None:
    """Restore FILE into the empty data directory (and database) MICROCRED_* names, then
    check the restored log. Exit 0 restored and intact, 1 log damaged, 2 refused."""
    try:
        settings = Settings()
        manifest = restore_backup(
            file,
            data_dir=settings.data_dir,
            database_url=settings.sqlalchemy_url,
            master_secret=settings.master_secret.get_secret_value(),
        )
        runtime = settings_runtime()
    except MicrocredError as exc:
        raise _fail(exc) from exc
    try:
        report = runtime.transparency.recheck()
    except RecheckError as exc:
        out.print("[bold red]LOG DAMAGED[/]", markup=True)
        raise _fail(exc, 1) from exc
    except MicrocredError as exc:
        raise _fail(exc) from exc
    finally:
        runtime.close()
    rows = manifest.get("rows", {})
    out.print(
        f"restored {file} (made {manifest.get('createdAt')} by {manifest.get('method')}): "
        f"{rows.get('credentials', 0)} credentials",
        markup=False,
    )
    out.print(f"[bold green]LOG INTACT[/]  {escape(report.summary())}", markup=True)


def migrate() -> None:
    """Bring the database to the newest schema and exit (run once per release, before the
    web and worker processes start; each would migrate too, but not all at once)."""
    from microcred.store.db import head_revision

    try:
        runtime = settings_runtime()
    except MicrocredError as exc:
        raise _fail(exc) from exc
    runtime.close()
    out.print(f"database at revision {head_revision()}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(backup_app, name="backup")
    app.command("migrate")(migrate)
