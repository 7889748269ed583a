"""The console's pathways: the issuer's list (with a co-issuer's approval, the owner's edit,
archive and unarchive), the tree form, and the tree editor.

The tree editor (``/new/tree``, ``/{id}/edit``) is a JSON textarea holding the definition
exactly as the API takes it, which works without script; ``static/pathway-editor.js`` draws the
same definition as an editable tree over it and writes every change back into the textarea.

The form is a list of nodes, each naming its parent, so any tree is made without script: the
node with no parent is the root; groups (all of, any of, n of, credits) take children; parts name
one of the issuer's achievements, another issuer's achievement by its id, or a skill's URI. The
service's own checks decide (a ``PathwayError`` is shown beside the node it names), and the saved
tree is drawn on the pathway's page.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from microcred.accounts.actor import Actor
from microcred.errors import (
    MicrocredError,
    NotFoundError,
    PageForbiddenError,
    PageNotFoundError,
    PathwayError,
)
from microcred.nesting import text_nests_deeper
from microcred.pathways.service import PathwayView
from microcred.pathways.tree import GROUPS, MAX_NODES, PARTS, POLICIES
from microcred.web.deps import json_body
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
EditorCsrf = csrf(max_fields=4, max_bytes=256 * 1024, signed_in=True)
FIELDS = ("id", "parent", "type", "number", "achievement", "iri", "label", "eqf", "months", "after")


@dataclass(frozen=True)
class Problem:
    input: str | None
    field: str | None
    message: str
    expected: str | None
    reason: str | None = None


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
        {
            "views": views,
            "waiting": waiting,
            "mine": mine,
            "done": request.query_params.get("done"),
        },
    )


@router.post("/{pathway_id}/approve", dependencies=[SmallFormCsrf])
def approve(request: Request, pathway_id: str, actor: Issuer) -> Response:
    try:
        get_pages(request).runtime.pathways.approve(actor, pathway_id, _issuer(actor))
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse("/console/pathways?done=approved", 303)


@router.post("/{pathway_id}/archive", dependencies=[SmallFormCsrf])
def archive(request: Request, pathway_id: str, actor: Issuer) -> Response:
    runtime = get_pages(request).runtime
    _own_view(request, actor, pathway_id)
    runtime.pathways.archive(actor, pathway_id, issuer_id=_issuer(actor))
    return RedirectResponse("/console/pathways?done=archived", 303)


@router.post("/{pathway_id}/unarchive", dependencies=[SmallFormCsrf])
def unarchive(request: Request, pathway_id: str, actor: Issuer) -> Response:
    runtime = get_pages(request).runtime
    _own_view(request, actor, pathway_id)
    runtime.pathways.unarchive(actor, pathway_id, issuer_id=_issuer(actor))
    return RedirectResponse("/console/pathways?done=unarchived", 303)


@router.get("/parts")
def find_parts(
    request: Request, actor: Issuer, q: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    """The tree editor's part chooser: achievements of this server by a piece of their name."""
    found = get_pages(request).runtime.pathways.find_parts(actor, _issuer(actor), q)
    return JSONResponse(found)


@router.get("/new/tree")
def new_tree(request: Request, actor: Issuer) -> Response:
    start = {
        "name": "",
        "description": "",
        "onPartFailure": "suspend",
        "eqfRule": "max",
        "coIssuers": [],
        "requirement": {"id": "root", "type": "allOf", "of": []},
    }
    return _editor(request, actor, None, json.dumps(start, indent=2), None)


@router.get("/{pathway_id}/edit")
def edit_form(request: Request, pathway_id: str, actor: Issuer) -> Response:
    view = _own_view(request, actor, pathway_id)
    current = view.proposed if view.proposed is not None else view.definition
    text = json.dumps(current.to_json(), indent=2, ensure_ascii=False)
    return _editor(request, actor, view, text, None)


@router.post("/{pathway_id}/edit", dependencies=[EditorCsrf])
async def edit(request: Request, pathway_id: str, actor: Issuer) -> Response:
    view = _own_view(request, actor, pathway_id)
    text = str((await request.form()).get("definition") or "")
    runtime = get_pages(request).runtime
    try:
        runtime.pathways.update(
            actor, pathway_id, json_body(text.encode()), issuer_id=_issuer(actor)
        )
    except PathwayError as error:
        return _editor(request, actor, view, text, _tree_problem(error), status_code=422)
    except MicrocredError as error:
        problem = Problem("definition", None, error.message, error.expected)
        return _editor(request, actor, view, text, problem, status_code=422)
    return RedirectResponse("/console/pathways?done=updated", 303)


def _own_view(request: Request, actor: Actor, pathway_id: str) -> PathwayView:
    """The pathway, if the actor's issuer owns it: a co-issuer is refused, anyone else is
    told there is no such pathway."""
    mine = _issuer(actor)
    try:
        view = get_pages(request).runtime.pathways.get(pathway_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    if view.row.issuer_id != mine:
        if any(issuer_id == mine for issuer_id, _name, _at in view.issuers):
            raise PageForbiddenError("only the owning issuer edits a pathway", found="co-issuer")
        raise PageNotFoundError("no such pathway", found=pathway_id)
    return view


def _achievement_refs(data: Any, depth: int = 0) -> list[str]:
    """Every part's ``achievement`` string in a definition's JSON, however else it is wrong."""
    if depth > 64:
        return []
    found: list[str] = []
    if isinstance(data, dict):
        if isinstance(data.get("achievement"), str):
            found.append(data["achievement"])
        for value in data.values():
            found.extend(_achievement_refs(value, depth + 1))
    elif isinstance(data, list):
        for value in data:
            found.extend(_achievement_refs(value, depth + 1))
    return found


def _tree_problem(error: PathwayError) -> Problem:
    return Problem("definition", error.node, error.message, error.expected, error.reason)


def _editor(
    request: Request,
    actor: Actor,
    view: PathwayView | None,
    text: str,
    problem: Problem | None,
    *,
    status_code: int = 200,
) -> Response:
    runtime = get_pages(request).runtime
    mine = _issuer(actor)
    references: list[str] = []
    # Read loosely: a definition the service refused still shows its parts by name.
    with contextlib.suppress(ValueError):
        if not text_nests_deeper(text):  # json.loads must not recurse as deep as it is told
            references = _achievement_refs(json.loads(text))
    names = runtime.pathways.part_names(references[:MAX_NODES])
    others = [{"id": i.id, "name": i.name} for i in runtime.issuers.all() if i.id != mine]
    return render(
        request,
        "console/pathway_editor.html",
        {
            "view": view,
            "text": text,
            "problem": problem,
            "action": f"/console/pathways/{view.row.id}/edit" if view else "/console/pathways/new",
            "achievements": all_achievements(runtime, actor, mine),
            "editor": {
                "types": [*GROUPS, *PARTS],
                "groups": list(GROUPS),
                "policies": list(POLICIES),
                "issuers": others,
                "names": names,
                "search": "/console/pathways/parts",
                "problemNode": problem.field if problem else None,
            },
        },
        status_code=status_code,
    )


@router.get("/new")
def new_form(request: Request, actor: Issuer) -> Response:
    rows = _row_count(request.query_params.get("rows"))
    start = [{"id": "root", "type": "allOf"}] + [{} for _ in range(rows - 1)]
    return _form(request, actor, {"policy": "suspend", "eqf_rule": "max"}, start, None)


@router.post("/new", dependencies=[FormCsrf])
async def create(request: Request, actor: Issuer) -> Response:
    form = await request.form()
    runtime = get_pages(request).runtime
    if "definition" in form:  # the tree editor (or its JSON textarea)
        text = str(form.get("definition") or "")
        try:
            view = runtime.pathways.create(actor, _issuer(actor), json_body(text.encode()))
        except PathwayError as error:
            return _editor(request, actor, None, text, _tree_problem(error), status_code=422)
        except MicrocredError as error:
            problem = Problem("definition", None, error.message, error.expected)
            return _editor(request, actor, None, text, problem, status_code=422)
        return RedirectResponse(f"/pathways/{view.row.id}", 303)
    head, rows = _values(form)
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
