"""A pathway's public page: who offers it, its requirements as a diagram (SVG, with the same
tree as a nested list for screen readers and text browsers), and, for a signed-in learner,
their progress with each done part linked to its credential."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from microcred.errors import NotFoundError, PageNotFoundError
from microcred.pathways.evaluate import NodeProgress
from microcred.pathways.service import PathwayView, Progress
from microcred.pathways.tree import Node
from microcred.web.pages.core import current_learner, get_pages, render

router = APIRouter(include_in_schema=False)

ROW = 40
INDENT = 28
WIDTH = 600


@dataclass(frozen=True)
class Row:
    """One node as the page draws it (and lists it)."""

    id: str
    depth: int
    type: str
    title: str
    n: int | None
    of: int
    min_credits: float | None
    constraints: tuple[tuple[str, str], ...]
    done: bool | None  # None: no learner to show progress for
    href: str | None
    parent: int | None  # index of the parent row
    x: int
    y: int

    @property
    def part(self) -> bool:
        return self.type in ("achievement", "skill")


def rows_of(view: PathwayView, titles: dict[str, str], progress: Progress | None) -> list[Row]:
    """The tree, depth first, laid out for the diagram."""
    done: dict[str, NodeProgress] = {}
    if progress is not None:
        done = {node.id: node for node in progress.tree.walk()}
    rows: list[Row] = []

    def add(node: Node, depth: int, parent: int | None) -> None:
        state = done.get(node.id)
        href = None
        if state is not None and state.credential is not None and state.done:
            held = state.credential
            href = (
                f"/credentials/{held.ref}"
                if held.kind == "ours"
                else f"/wallet/credentials/{held.ref}"
            )
        constraints = []
        if node.min_eqf:
            constraints.append(("eqf", str(node.min_eqf)))
        if node.within_months:
            constraints.append(("months", str(node.within_months)))
        if node.after:
            constraints.append(("after", ", ".join(titles.get(a, a) for a in node.after)))
        rows.append(
            Row(
                id=node.id,
                depth=depth,
                type=node.type,
                title=titles.get(node.id, node.title()),
                n=node.needed if node.type in ("nOf", "anyOf") else None,
                of=len(node.children),
                min_credits=node.min_credits,
                constraints=tuple(constraints),
                done=None if progress is None else bool(state and state.done),
                href=href,
                parent=parent,
                x=8 + depth * INDENT,
                y=8 + len(rows) * ROW,
            )
        )
        me = len(rows) - 1
        for child in node.children:
            add(child, depth + 1, me)

    add(view.definition.root, 0, None)
    return rows


@router.get("/pathways/{pathway_id}")
def pathway_page(request: Request, pathway_id: str) -> Response:
    runtime = get_pages(request).runtime
    try:
        view = runtime.pathways.get(pathway_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    if view.row.state not in ("active", "archived"):
        # Pending ones are not public; archived ones are not listed but their page stays,
        # since the micro-degrees already awarded point at it.
        raise PageNotFoundError("no such pathway", found=pathway_id)
    learner = current_learner(request)
    progress = None
    if learner is not None:
        (progress,) = runtime.pathways.learner_progress(learner.id, pathway_id=pathway_id)
    titles = runtime.pathways.titles(view.definition)
    rows = rows_of(view, titles, progress)
    award = progress.award if progress is not None else None
    # Ours (withdrawn ones too, saying so) and external organisations', with their state.
    endorsements = [
        {
            "issuer": runtime.issuers.get_public(row.issuer_id).name,
            "comment": row.comment,
            "url": f"/pathways/{pathway_id}/endorsements/{row.id}",
            "state": "withdrawn" if row.withdrawn_at is not None else "verified",
            "external": False,
        }
        for row in runtime.endorsements.of_pathway(pathway_id)
    ] + [
        {
            "issuer": shown.endorser,
            "comment": shown.comment,
            "url": shown.url,
            "state": shown.state,
            "external": shown.external,
        }
        for shown in runtime.endorsement_book.shown("pathway", pathway_id)
    ]
    return render(
        request,
        "pathway.html",
        {
            "view": view,
            "rows": rows,
            "height": 16 + len(rows) * ROW,
            "width": WIDTH,
            "progress": progress,
            "endorsements": endorsements,
            "award_url": f"/credentials/{award.credential_id}"
            if award is not None and award.credential_id
            else None,
        },
    )


__all__ = ["router", "rows_of"]
