"""``microcred pathways ...``: list, show, create, update, archive and unarchive pathways, and
a learner's progress.

They read settings from ``MICROCRED_*`` like the other operator commands; the operator acts
for every issuer (``create`` names the owning issuer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from microcred.accounts.actor import SYSTEM
from microcred.cli._runtime import settings_runtime
from microcred.errors import InputError, MicrocredError
from microcred.pathways.service import check_email
from microcred.runtime import Runtime

err = Console(stderr=True, emoji=False)
out = Console(emoji=False, highlight=False, soft_wrap=True)

pathways_app = typer.Typer(help="Stackable pathways and micro-degrees.", no_args_is_help=True)


def _runtime() -> Runtime:
    try:
        return settings_runtime()
    except MicrocredError as exc:
        raise _fail(exc) from exc


def _fail(exc: MicrocredError) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(2)


def _print_json(data: Any) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False))


@pathways_app.command("list")
def list_pathways(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every pathway, pending ones too."""
    runtime = _runtime()
    views = runtime.pathways.all()
    if as_json:
        _print_json([view.to_json(runtime.urls) for view in views])
        return
    for view in views:
        out.print(f"{view.row.id}  {view.row.state:<8} {escape(view.definition.name)}")


@pathways_app.command("show")
def show(
    pathway_id: Annotated[str, typer.Argument(help="The pathway's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One pathway and its requirement tree."""
    runtime = _runtime()
    try:
        view = runtime.pathways.get(pathway_id)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json(view.to_json(runtime.urls))
        return
    out.print(
        f"{escape(view.definition.name)}  ({view.row.state})  {runtime.urls.pathway(view.row.id)}"
    )
    for issuer_id, name, approved in view.issuers:
        mark = "approved" if approved else "awaiting approval"
        out.print(f"  issuer {escape(name)} ({issuer_id}): {mark}")
    tree = Tree(escape(view.definition.root.title()))
    _add_nodes(tree, view.definition.root.to_json())
    out.print(tree)


def _add_nodes(tree: Tree, node: dict[str, Any]) -> None:
    for child in node.get("of", []):
        label = child.get("label") or child.get("achievement") or child.get("url") or child["type"]
        branch = tree.add(f"{escape(str(label))} [dim]({child['id']})[/]")
        _add_nodes(branch, child)


@pathways_app.command("create")
def create(
    file: Annotated[Path, typer.Argument(help="The pathway definition (JSON).")],
    issuer: Annotated[str, typer.Option(help="The owning issuer's id (it awards the degree).")],
) -> None:
    """Create a pathway from a JSON file; prints it as JSON."""
    runtime = _runtime()
    try:
        view = runtime.pathways.create(SYSTEM, issuer, _read(file))
    except MicrocredError as exc:
        raise _fail(exc) from exc
    _print_json(view.to_json(runtime.urls))


def _read(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError("cannot read the pathway file", found=str(exc)) from exc


@pathways_app.command("update")
def update(
    pathway_id: Annotated[str, typer.Argument(help="The pathway's id.")],
    file: Annotated[Path, typer.Option("--file", help="The new definition (JSON).")],
) -> None:
    """Save a new version of the definition, checked as on create (with co-issuers: live
    once each approves it); prints the pathway as JSON."""
    runtime = _runtime()
    try:
        view = runtime.pathways.update(SYSTEM, pathway_id, _read(file))
    except MicrocredError as exc:
        raise _fail(exc) from exc
    _print_json(view.to_json(runtime.urls))


@pathways_app.command("archive")
def archive(pathway_id: Annotated[str, typer.Argument(help="The pathway's id.")]) -> None:
    """Award no more and hide it from public lists; awarded micro-degrees stay valid."""
    runtime = _runtime()
    try:
        view = runtime.pathways.archive(SYSTEM, pathway_id)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    out.print(f"{view.row.id}  {view.row.state}")


@pathways_app.command("unarchive")
def unarchive(pathway_id: Annotated[str, typer.Argument(help="The pathway's id.")]) -> None:
    """Back to the state it was archived from."""
    runtime = _runtime()
    try:
        view = runtime.pathways.unarchive(SYSTEM, pathway_id)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    out.print(f"{view.row.id}  {view.row.state}")


@pathways_app.command("progress")
def progress(
    pathway_id: Annotated[str, typer.Argument(help="The pathway's id.")],
    email: Annotated[str, typer.Option(help="The learner's e-mail address.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A learner's progress on a pathway: done and remaining per node, credits, the award."""
    runtime = _runtime()
    try:
        (found,) = runtime.pathways.progress(check_email(email), pathway_id=pathway_id)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    body = found.to_json(runtime.urls)
    if as_json:
        _print_json(body)
        return
    state = "complete" if body["complete"] else "in progress"
    out.print(f"{escape(body['name'])}: {state}, {body['credits']:g} ECTS")
    if body["credential"]:
        out.print(f"  awarded: {body['credential']}")
    for title in body["remaining"]:
        out.print(f"  remaining: {escape(title)}")


def register(app: typer.Typer) -> None:
    app.add_typer(pathways_app, name="pathways")
