"""Plans and matches as JSON (the CLI's ``--json`` and the API answer the same shape)."""

from __future__ import annotations

from typing import Any

from microcred.careers.matching import Match
from microcred.careers.paths import GapSkill, Path, Step
from microcred.careers.service import Plan


def match_json(match: Match) -> dict[str, Any]:
    occupation = match.occupation
    return {
        "code": occupation.code,
        "id": occupation.id,
        "title": occupation.title,
        "score": match.score,
        "lexical": match.lexical,
        "semantic": match.semantic,
        "matched_terms": list(match.matched_terms),
        "job_zone": occupation.job_zone,
    }


def skill_json(skill: GapSkill) -> dict[str, Any]:
    return {
        "id": skill.id,
        "name": skill.name,
        "weight": skill.weight,
        "hot_technology": skill.hot,
        "in_demand": skill.in_demand,
        "essential": skill.essential,
    }


def step_json(number: int, step: Step) -> dict[str, Any]:
    entry = step.entry
    covered = ", ".join(s.name for s in step.covers)
    why = f"covers {len(step.covers)} gap skill(s) ({covered}) for {entry.hours:g} hours"
    if step.alternative is not None:
        why += (
            f"; chosen over {step.alternative.name!r}, which covers "
            f"{step.alternative.covers} of them for {step.alternative.hours:g} hours"
        )
    return {
        "step": number,
        "achievement_id": entry.id,
        "name": entry.name,
        "issuer": entry.issuer,
        "hours": entry.hours,
        "hours_stated": entry.hours_stated,
        "days": entry.duration_days,
        "eqf_level": entry.eqf_level,
        "price_minor": entry.price_minor,
        "currency": entry.currency,
        "covers": [skill_json(s) for s in step.covers],
        "why": why,
        "alternative": None
        if step.alternative is None
        else {
            "name": step.alternative.name,
            "covers": step.alternative.covers,
            "hours": step.alternative.hours,
        },
    }


def path_json(path: Path) -> dict[str, Any]:
    return {
        "objective": path.objective,
        "steps": [step_json(n, step) for n, step in enumerate(path.steps, start=1)],
        "total_hours": path.total_hours,
        "total_days": path.total_days,
        "total_price_minor": path.total_price_minor,
        "currency": path.currency,
        "method": path.method,
        "approximation_bound": path.bound,
        "milliseconds": path.milliseconds,
    }


def plan_json(plan: Plan) -> dict[str, Any]:
    occupation = plan.occupation
    body = path_json(plan.path)
    return {
        "occupation": {
            "code": occupation.code,
            "id": occupation.id,
            "title": occupation.title,
            "framework": occupation.framework,
            "job_zone": occupation.job_zone,
        },
        "matches": [match_json(m) for m in plan.matches],
        "gap": [skill_json(s) for s in plan.gap],
        "held": [{"skill_id": k, "credentials": list(v)} for k, v in sorted(plan.held.items())],
        **body,
        "uncovered": [skill_json(s) for s in plan.uncovered],
        "alternatives": {k: path_json(v) for k, v in plan.alternatives.items()},
    }
