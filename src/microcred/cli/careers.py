"""``microcred careers``: a goal to occupations, and to a plan; ``microcred skills``: the
taxonomy (ESCO import, the O*NET attribution).

Exit codes: 0 success, 2 input that cannot be used (an empty goal, an unknown occupation or
learner, ESCO files of the wrong shape).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from microcred.careers.report import match_json, plan_json
from microcred.cli._runtime import settings_runtime
from microcred.errors import MicrocredError, NotFoundError
from microcred.runtime import Runtime
from microcred.skills import onet

err = Console(stderr=True, emoji=False)
out = Console(emoji=False, highlight=False, soft_wrap=True)

careers_app = typer.Typer(
    help="Career goals: matching occupations, skill gaps, plans.", no_args_is_help=True
)
skills_app = typer.Typer(
    help="The skills taxonomy (O*NET bundled, ESCO imported).", no_args_is_help=True
)


def _runtime() -> Runtime:
    try:
        return settings_runtime()
    except MicrocredError as exc:
        raise _fail(exc) from exc


def _fail(exc: MicrocredError) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
    return typer.Exit(2)


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


@careers_app.command("match")
def match(
    goal: Annotated[str, typer.Argument(help="The goal in English, German, French or Spanish.")],
    limit: Annotated[int, typer.Option(help="How many occupations.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on standard output.")] = False,
) -> None:
    """The occupations that best match a goal, with scores."""
    runtime = _runtime()
    try:
        matches = runtime.careers.match(goal, limit=max(1, min(limit, 50)))
    except MicrocredError as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json([match_json(m) for m in matches])
        return
    table = Table("code", "occupation", "score")
    for m in matches:
        table.add_row(m.occupation.code, escape(m.occupation.title), f"{m.score:.3f}")
    out.print(table)


@careers_app.command("plan")
def plan(
    goal: Annotated[str | None, typer.Option("--goal", help="The goal, in your words.")] = None,
    occupation: Annotated[
        str | None, typer.Option("--occupation", help="An O*NET-SOC code or ESCO URI instead.")
    ] = None,
    email: Annotated[
        str | None,
        typer.Option("--email", help="A learner's verified address: their wallet's skills count."),
    ] = None,
    currency: Annotated[str | None, typer.Option(help="For the cheapest path, e.g. EUR.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on standard output.")] = False,
) -> None:
    """The skill gap for an occupation and the achievements that close it."""
    if not goal and not occupation:
        err.print("[red]error:[/] give --goal TEXT or --occupation CODE", highlight=False)
        raise typer.Exit(2)
    runtime = _runtime()
    try:
        learner_id = None
        if email:
            learner_id = runtime.learners.learner_for_email(email)
            if learner_id is None:
                raise NotFoundError("no learner has verified this address", found=email)
        result = runtime.careers.plan(
            goal=goal, occupation=occupation, learner_id=learner_id, currency=currency
        )
    except MicrocredError as exc:
        raise _fail(exc) from exc
    body = plan_json(result)
    if as_json:
        _print_json(body)
        return
    out.print(f"{escape(result.occupation.title)} ({result.occupation.code})")
    out.print(f"gap: {len(result.gap)} skills; already shown: {len(result.held)}")
    for step in body["steps"]:
        out.print(f"  {step['step']}. {escape(step['name'])} — {escape(step['why'])}")
    out.print(f"total: {body['total_hours']:g} hours ({body['method']})")
    if body["uncovered"]:
        names = ", ".join(s["name"] for s in body["uncovered"][:20])
        out.print(f"no achievement teaches: {escape(names)}")


@skills_app.command("import-esco")
def import_esco(
    directory: Annotated[Path, typer.Argument(help="The folder of the ESCO CSV download.")],
    language: Annotated[str, typer.Option(help="The files' language suffix.")] = "en",
) -> None:
    """Import (or replace) the ESCO occupations, skills and their relations."""
    runtime = _runtime()
    try:
        counts = runtime.skills.import_esco(directory, language=language)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    _print_json({"occupations": counts.occupations, "skills": counts.skills, "links": counts.links})


@skills_app.command("attribution")
def attribution() -> None:
    """Where the bundled O*NET data comes from and its licence."""
    print(onet.readme())


employers_app = typer.Typer(help="Employers who search consented skills.", no_args_is_help=True)


@employers_app.command("create")
def employers_create(
    name: Annotated[str, typer.Option(help="The organisation's name.")],
    domain: Annotated[
        str | None,
        typer.Option(help="Its host name, which the presentations behind its hits are bound to."),
    ] = None,
) -> None:
    """Create an employer; prints its id and its API token (shown once, stored hashed)."""
    runtime = _runtime()
    try:
        employer_id, token = runtime.employer_search.create_employer(name, domain=domain)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    _print_json({"id": employer_id, "token": token})


@employers_app.command("add-staff")
def employers_add_staff(
    employer: Annotated[str, typer.Option(help="The employer's id.")],
    name: Annotated[str, typer.Option(help="The person's name.")],
) -> None:
    """Give a person at an employer a token of their own (printed once, stored hashed)."""
    runtime = _runtime()
    try:
        staff_id, token = runtime.employer_staff.add(employer, name)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    _print_json({"id": staff_id, "token": token})


@employers_app.command("staff")
def employers_staff(employer: Annotated[str, typer.Option(help="The employer's id.")]) -> None:
    """An employer's staff: id, name, created, revoked."""
    runtime = _runtime()
    _print_json(
        [
            {
                "id": s.id,
                "name": s.name,
                "created": s.created_at.isoformat(),
                "revoked": s.revoked_at.isoformat() if s.revoked_at else None,
            }
            for s in runtime.employer_staff.staff(employer)
        ]
    )


@employers_app.command("revoke-staff")
def employers_revoke_staff(
    employer: Annotated[str, typer.Option(help="The employer's id.")],
    staff: Annotated[str, typer.Option(help="The staff member's id.")],
) -> None:
    """End a staff member's token (and their console sessions) at once."""
    runtime = _runtime()
    try:
        runtime.employer_staff.revoke(employer, staff)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    _print_json({"revoked": staff})


def register(app: typer.Typer) -> None:
    app.add_typer(careers_app, name="careers")
    app.add_typer(employers_app, name="employers")
    app.add_typer(skills_app, name="skills")
