"""``microcred repair``: mend stored data that an older release let through.

``repair text`` finds JSON values holding a lone surrogate (issue 20: a ``"\\ud800"`` escape that
made an issuer unreadable) and writes them back with U+FFFD in its place, one transaction for
all. ``--dry-run`` only lists them. Each mended value is printed as a JSON line. Exit codes:
0 done (or nothing to do), 2 a configuration that cannot be used.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from microcred.cli._runtime import settings_runtime
from microcred.errors import MicrocredError
from microcred.store.repair import repair_text

repair_app = typer.Typer(help="Mend stored data an older release let through.")
err = Console(stderr=True, emoji=False, highlight=False)


@repair_app.command("text")
def text(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be mended; change nothing.")
    ] = False,
) -> None:
    """Replace lone surrogates in stored JSON values with U+FFFD (they made rows unreadable)."""
    try:
        runtime = settings_runtime()
    except MicrocredError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    try:
        repairs = repair_text(runtime.sessions, dry_run=dry_run)
    finally:
        runtime.close()
    for repair in repairs:
        line = {
            "table": repair.table,
            "column": repair.column,
            "key": repair.key,
            "field": repair.field,
            "strings": repair.strings,
        }
        print(json.dumps(line, default=str))
    verb = "would mend" if dry_run else "mended"
    err.print(f"{verb} {len(repairs)} stored value(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(repair_app, name="repair", no_args_is_help=True)
