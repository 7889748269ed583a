"""Europass commands: export a credential issued here as a sealed European Digital Credential,
and set an issuer's legal identifier (which an EDC's issuer must carry).

They read settings from ``MICROCRED_*`` like the other server-side commands; the operator acts
as the system (every issuer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from microcred.accounts.actor import SYSTEM
from microcred.cli._runtime import settings_runtime
from microcred.errors import MicrocredError
from microcred.runtime import Runtime

err = Console(stderr=True, emoji=False)

export_app = typer.Typer(help="Export credentials in other formats.", no_args_is_help=True)
europass_app = typer.Typer(help="European Digital Credentials (Europass).", no_args_is_help=True)


def _runtime() -> Runtime:
    try:
        return settings_runtime()
    except MicrocredError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from exc


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(2)


@export_app.command("edc")
def export_edc(
    credential: Annotated[
        str, typer.Argument(help="A credential id issued here, or a file with the credential.")
    ],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the sealed EDC.")],
    part: Annotated[
        list[str] | None,
        typer.Option(
            "--part",
            help="The id of a part credential (repeatable): a micro-degree's parts become "
            "sub-achievements.",
        ),
    ] = None,
) -> None:
    """Write a credential as a European Digital Credential (ELM v3), sealed (JAdES) with its
    issuer's key."""
    runtime = _runtime()
    path = Path(credential)
    try:
        if path.is_file():
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise _fail(f"cannot read the credential {path}: {exc}") from exc
            if not isinstance(document, dict):
                raise _fail(f"{path} is not a JSON credential (a JSON object)")
            sealed = runtime.europass.export_document(document, parts=part or [])
        else:
            sealed = runtime.europass.export_issued(credential, parts=part or [])
    except MicrocredError as exc:
        raise _fail(str(exc)) from exc
    try:
        out_path.write_text(json.dumps(sealed, ensure_ascii=False, indent=2) + "\n", "utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {out_path}: {exc.strerror}") from exc
    err.print(f"wrote {out_path}", highlight=False)


@europass_app.command("legal-id")
def legal_id(
    issuer: Annotated[str, typer.Argument(help="The issuer's slug.")],
    notation: Annotated[str, typer.Argument(help="Its legal identifier, e.g. a VAT number.")],
) -> None:
    """Set the legal (eIDAS) identifier an issuer's European Digital Credentials carry."""
    runtime = _runtime()
    try:
        row = runtime.issuers.by_slug(issuer)
        runtime.europass.set_legal_identifier(SYSTEM, row.id, notation)
    except MicrocredError as exc:
        raise _fail(str(exc)) from exc
    err.print(f"{issuer}: legal identifier set", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(europass_app, name="europass")
