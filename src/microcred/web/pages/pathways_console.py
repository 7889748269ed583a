"""The console's pathways: the issuer's list (with a co-issuer's approval) and the tree form.

The form is a list of nodes, each naming its parent, so any tree is made without script: the
node with no parent is the root; groups (all of, any of, n of, credits) take children; parts name
one of the issuer's achievements, another issuer's achievement by its id, or a skill's URI. The
service's own checks decide (a ``PathwayError`` is shown beside the node it names), and the saved
tree is drawn on the pathway's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from microcred.accounts.actor import Actor
from microcred.errors import MicrocredError, NotFoundError, PageNotFoundError, PathwayError
from microcred.pathways.tree import GROUPS, PARTS, POLICIES
from microcred.web.pages.core import (
    SmallFormCsrf,
    all_achievements,
    csrf,
    get_pages,
    render,
    require,
)

router = APIRouter(prefix="/console/pathways", include_in_schema=False)

Viewer = Annotated[Actor, Depends(require("viewer"))]
Issuer = Annotated[Actor, Depends(require("issuer"))]
ROWS = 8
MAX_ROWS = 40
FormCsrf = csrf(max_fields=20 + 12 * MAX_ROWS, max_bytes=256 * 1024, signed_in=True)
FIELDS = ("id", "parent", "type", "number", "achievement", "iri", "label", "eqf", "months", "after")


@dataclass(frozen=True)
class Problem:
    input: str | None
    field: str | None
    message: str
    expected: str | None


def _issuer(actor: Actor) -> str:
    assert actor.issuer_id is not None  # staff always belong to one issuer
    return actor.issuer_id


@router.get("")
def pathway_list(request: Request, actor: Viewer) -> Response:
    runtime = get_pages(request).runtime
    mine = _issuer(actor)
    views = runtime.pathways.all(issuer_id=mine)
    waiting = {
        view.row.id
        for view in views
        if any(i == mine and at is None for i, _name, at in view.issuers)
    }
    return render(
        request,
        "console/pathways.html",
        {"views": views, "waiting": waiting, "done": request.query_params.get("done")},
    )


@router.post("/{pathway_id}/approve", dependencies=[SmallFormCsrf])
def approve(request: Request, pathway_id: str, actor: Issuer) -> Response:
    try:
        get_pages(request).runtime.pathways.approve(actor, pathway_id, _issuer(actor))
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse("/console/pathways?done=approved", 303)


@router.get("/new")
def new_form(request: Request, actor: Issuer) -> Response:
    rows = _row_count(request.query_params.get("rows"))
    start = [{"id": "root", "type": "allOf"}] + [{} for _ in range(rows - 1)]
    return _form(request, actor, {"policy": "suspend", "eqf_rule": "max"}, start, None)


@router.post("/new", dependencies=[FormCsrf])
async def create(request: Request, actor: Issuer) -> Response:
    form = await request.form()
    head, rows = _values(form)
    runtime = get_pages(request).runtime
    try:
        view = runtime.pathways.create(actor, _issuer(actor), definition_from(head, rows, form))
    except PathwayError as error:
        return _form(request, actor, head, rows, _problem(error, rows), status_code=422)
    except MicrocredError as error:
        problem = Problem(None, None, error.message, error.expected)
        return _form(request, actor, head, rows, problem, status_code=422)
    return RedirectResponse(f"/pathways/{view.row.id}", 303)


def _row_count(value: str | None) -> int:
    try:
        return max(ROWS, min(MAX_ROWS, int(value or ROWS)))
    except ValueError:
        return ROWS


def _values(form: FormData) -> tuple[dict[str, str], list[dict[str, str]]]:
    head = {key: str(form.get(key) or "") for key in ("name", "description", "policy", "eqf_rule")}
    head["co_issuers"] = ",".join(str(value) for value in form.getlist("co_issuers"))
    count = _row_count(str(form.get("rows") or ROWS))
    rows = [
        {field: str(form.get(f"{field}_{index}") or "").strip() for field in FIELDS}
        for index in range(count)
    ]
    return head, rows


def definition_from(
    head: dict[str, str], rows: list[dict[str, str]], form: FormData
) -> dict[str, Any]:
    """The pathway JSON the rows describe; a row without a type is left out."""
    used = [row for row in rows if row.get("type")]
    if not used:
        raise PathwayError("the tree has no node", node="definition", reason="invalid")
    nodes: dict[str, dict[str, Any]] = {}
    order: list[tuple[str, str]] = []
    for index, row in enumerate(used):
        node_id = row.get("id") or f"node{index + 1}"
        if node_id in nodes:
            raise PathwayError("two nodes share this id", node=node_id, reason="duplicate_node")
        nodes[node_id] = _node(node_id, row)
        order.append((node_id, row.get("parent", "")))
    roots = [node_id for node_id, parent in order if not parent]
    if len(roots) != 1:
        raise PathwayError(
            "exactly one node has no parent: the root",
            node=roots[1] if len(roots) > 1 else order[0][0],
            reason="invalid",
            found=", ".join(roots) or "none",
        )
    for node_id, parent in order:
        if not parent:
            continue
        if parent not in nodes:
            raise PathwayError("its parent is no node of this form", node=node_id, reason="invalid")
        target = nodes[parent]
        if target.get("type") not in GROUPS:
            raise PathwayError(
                "its parent is a part: only groups have children", node=node_id, reason="invalid"
            )
        target.setdefault("of", []).append(nodes[node_id])
    data: dict[str, Any] = {
        "name": head.get("name", ""),
        "description": head.get("description") or head.get("name", ""),
        "onPartFailure": head.get("policy") or "suspend",
        "eqfRule": int(head["eqf_rule"]) if head.get("eqf_rule", "").isdigit() else "max",
        "coIssuers": [str(value) for value in form.getlist("co_issuers")],
        "requirement": nodes[roots[0]],
    }
    if head.get("eqf_rule") == "min":
        data["eqfRule"] = "min"
    return data


def _node(node_id: str, row: dict[str, str]) -> dict[str, Any]:
    node: dict[str, Any] = {"id": node_id, "type": row["type"]}
    if row.get("label"):
        node["label"] = row["label"]
    number = _number(row.get("number", ""), node_id)
    if row["type"] == "nOf":
        node["n"] = int(number) if number is not None else None
    elif row["type"] == "credits":
        node["min"] = number
    elif row["type"] in PARTS and number is not None:
        node["credits"] = number
    if row["type"] == "achievement":
        node["achievement"] = row.get("achievement") or row.get("iri") or ""
    elif row["type"] == "skill":
        node["url"] = row.get("iri") or None
    for field, key in (("eqf", "minEqf"), ("months", "withinMonths")):
        value = _number(row.get(field, ""), node_id)
        if value is not None:
            node[key] = int(value)
    if row.get("after"):
        node["after"] = [part.strip() for part in row["after"].split(",") if part.strip()]
    return node


def _number(text: str, node_id: str) -> float | None:
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError as error:
        raise PathwayError(
            "a number is expected", node=node_id, reason="invalid", found=text[:40]
        ) from error


def _problem(error: PathwayError, rows: list[dict[str, str]]) -> Problem:
    index = next((i for i, row in enumerate(rows) if row.get("id") == error.node), None)
    return Problem(
        f"id_{index}" if index is not None else None,
        error.node,
        error.message,
        error.expected,
    )


def _form(
    request: Request,
    actor: Actor,
    head: dict[str, str],
    rows: list[dict[str, str]],
    problem: Problem | None,
    *,
    status_code: int = 200,
) -> Response:
    runtime = get_pages(request).runtime
    mine = _issuer(actor)
    others = [i for i in runtime.issuers.all() if i.id != mine]
    chosen = head.get("co_issuers", "").split(",") if head.get("co_issuers") else []
    return render(
        request,
        "console/pathway_form.html",
        {
            "head": head,
            "rows": rows,
            "problem": problem,
            "types": (*GROUPS, *PARTS),
            "policies": POLICIES,
            "achievement_names": {a.id: a.name for a in all_achievements(runtime, actor, mine)},
            "others": others,
            "other_names": {i.id: i.name for i in others},
            "chosen": chosen,
            "more_rows": min(MAX_ROWS, len(rows) + ROWS),
        },
        status_code=status_code,
    )


__all__ = ["definition_from", "router"]
