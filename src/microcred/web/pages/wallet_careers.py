"""The wallet's careers page (signed in): a goal to occupations, then the learner's own gap
(their verified credentials' skills taken out) and the plan that closes it, with charts."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRouter

from microcred.careers.goals import MAX_GOAL_CHARS
from microcred.careers.report import plan_json
from microcred.errors import ConflictError, GoalError, InputError, NotFoundError, PageNotFoundError
from microcred.skills.taxonomy import ONET_ATTRIBUTION
from microcred.store.tables import LearnerRow
from microcred.web.pages.core import get_pages, render
from microcred.web.pages.learner_session import LearnerFormCsrf, LearnerRequired
from microcred.web.pages.wallet import form_field

router = APIRouter(tags=["wallet"], include_in_schema=False)

GAP_CHART_ROWS = 15
"""The heaviest gap skills drawn in the chart (all are listed under it)."""


@router.get("/wallet/careers")
def careers_page(
    request: Request,
    learner: LearnerRequired,
    goal: str = "",
    occupation: str = "",
) -> Response:
    runtime = get_pages(request).runtime
    context: dict[str, Any] = {
        "goal": goal[: MAX_GOAL_CHARS * 2],
        "max_goal": MAX_GOAL_CHARS,
        "matches": [],
        "plan": None,
        "problem": None,
        "attribution": ONET_ATTRIBUTION,
    }
    context["shareable"] = runtime.employer_search.shareable(learner.id)
    context["found_by"] = runtime.employer_search.found_by(learner.id)
    context["contact_requests"] = runtime.employer_contact.requests_to(learner.id)
    context["addresses"] = runtime.learners.emails(learner.id)
    context["done"] = request.query_params.get("done")
    status = 200
    try:
        if goal.strip() and not occupation:
            context["matches"] = runtime.careers.match(goal, limit=5)
            if not context["matches"]:
                context["problem"] = "no_match"
        if occupation:
            plan = runtime.careers.plan(occupation=occupation, learner_id=learner.id)
            body = plan_json(plan)
            context["plan"] = body
            context["chart"] = _charts(body)
    except GoalError as error:
        context["problem"] = "goal"
        context["problem_detail"] = error.message
        status = 422
    except NotFoundError:
        context["problem"] = "occupation"
        status = 404
    return render(request, "wallet/careers.html", context, status_code=status)


def _charts(plan: dict[str, Any]) -> dict[str, Any]:
    """Geometry for the two charts: the gap's heaviest skills as bars (which step covers each,
    or none) and the path as one bar of hours, a segment a step."""
    step_of = {s["id"]: step["step"] for step in plan["steps"] for s in step["covers"]}
    # What the path teaches first, then the heaviest of the rest (the full list is below).
    taught = [s for s in plan["gap"] if s["id"] in step_of]
    rest = [s for s in plan["gap"] if s["id"] not in step_of]
    rows = [
        {"name": s["name"], "weight": s["weight"], "step": step_of.get(s["id"])}
        for s in (taught + rest)[:GAP_CHART_ROWS]
    ]
    heaviest = max((r["weight"] for r in rows), default=1.0)
    for row in rows:
        row["width"] = round(200 * row["weight"] / heaviest)
    total = plan["total_hours"] or 1.0
    x = 0.0
    segments = []
    for step in plan["steps"]:
        width = 640 * step["hours"] / total
        segments.append(
            {
                "step": step["step"],
                "x": round(x, 1),
                "width": round(width, 1),
                "hours": step["hours"],
            }
        )
        x += width
    return {"rows": rows, "segments": segments}


@router.post("/wallet/careers/share")
async def share(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    """Let employers find one credential, or stop (``action``: ``share`` or ``withdraw``)."""
    form = await request.form()
    runtime = get_pages(request).runtime
    ref = form_field(form, "ref")
    action = form_field(form, "action")
    try:
        if action == "share":
            runtime.employer_search.share(learner.id, ref)
        elif action == "withdraw":
            runtime.employer_search.withdraw(learner.id, ref)
        else:
            raise PageNotFoundError("no such action", found=action[:20])
    except (NotFoundError, ConflictError, InputError) as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse(f"/wallet/careers?done={action}#employers", 303)


@router.post("/wallet/careers/contact")
async def answer_contact(request: Request, learner: LearnerRow = LearnerFormCsrf) -> Response:
    """Accept an employer's contact request (giving one of her addresses, and her name if she
    ticks it) or decline it (also after accepting: the employer no longer sees them)."""
    form = await request.form()
    runtime = get_pages(request).runtime
    request_id = form_field(form, "request")[:36]
    action = form_field(form, "action")
    try:
        if action == "accept":
            runtime.employer_contact.accept(
                learner.id,
                request_id,
                email=form_field(form, "email")[:320],
                share_name=form_field(form, "share_name") == "yes",
            )
        elif action == "decline":
            runtime.employer_contact.decline(learner.id, request_id)
        else:
            raise PageNotFoundError("no such action", found=action[:20])
    except (NotFoundError, InputError) as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return RedirectResponse(f"/wallet/careers?done={action}#contact-requests", 303)
