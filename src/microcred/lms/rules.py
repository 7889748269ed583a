"""Award rules: what a learner must have done in which activities for an achievement.

* ``completed``: the one activity completed;
* ``score``: a scaled score (0-1) of at least ``min_score`` in the one activity;
* ``modules``: every listed activity completed;
* ``launched``: the one activity opened through an LTI launch.

A rule is judged on the learner's progress (per activity: completed, launched, best score),
never on one event alone, so events may arrive in any order and any number of times.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from microcred.errors import ModelError, short

Kind = Literal["completed", "score", "modules", "launched"]
KINDS: tuple[Kind, ...] = ("completed", "score", "modules", "launched")
MAX_MODULES = 100
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


def activity_key(activity_id: str) -> str:
    return hashlib.sha256(activity_id.encode()).hexdigest()


@dataclass(frozen=True)
class Progress:
    completed: bool
    launched: bool
    best_score: float | None
    event_id: str


@dataclass(frozen=True)
class RuleSpec:
    kind: Kind
    activities: tuple[str, ...]
    min_score: float | None = None

    def checked(self) -> RuleSpec:
        if self.kind not in KINDS:
            raise ModelError(
                "unknown rule kind",
                field="kind",
                expected=" | ".join(KINDS),
                found=short(str(self.kind)),
            )
        activities = tuple(dict.fromkeys(a.strip() for a in self.activities if a.strip()))
        for activity in activities:
            if len(activity) > 2000 or not _IRI.match(activity):
                raise ModelError(
                    "an activity id must be an absolute IRI",
                    field="activities",
                    expected="scheme:...",
                    found=short(activity),
                )
        if self.kind == "modules":
            if not 2 <= len(activities) <= MAX_MODULES:
                raise ModelError(
                    "a modules rule lists several activities",
                    field="activities",
                    expected=f"2-{MAX_MODULES} distinct activity ids",
                    found=str(len(activities)),
                )
        elif len(activities) != 1:
            raise ModelError(
                f"a {self.kind} rule names one activity",
                field="activities",
                expected="exactly one activity id",
                found=str(len(activities)),
            )
        if self.kind == "score":
            if self.min_score is None or not 0 <= self.min_score <= 1:
                raise ModelError(
                    "a score rule needs a scaled minimum",
                    field="minScore",
                    expected="a number from 0 to 1",
                    found="none" if self.min_score is None else str(self.min_score),
                )
        elif self.min_score is not None:
            raise ModelError(
                f"a {self.kind} rule takes no minimum score",
                field="minScore",
                found=str(self.min_score),
            )
        return RuleSpec(self.kind, activities, self.min_score)


def met(spec: RuleSpec, progress: Mapping[str, Progress]) -> bool:
    """Whether the learner's ``progress`` (by activity id) meets the rule."""
    found = [progress.get(activity) for activity in spec.activities]
    if any(p is None for p in found):
        return False
    entries = [p for p in found if p is not None]
    if spec.kind == "completed" or spec.kind == "modules":
        ok = all(p.completed for p in entries)
    elif spec.kind == "launched":
        ok = entries[0].launched
    else:
        best = entries[0].best_score
        ok = best is not None and spec.min_score is not None and best >= spec.min_score
    return ok


def describe(spec: RuleSpec) -> str:
    """The rule in words (the evidence narrative and the audit log say it)."""
    if spec.kind == "completed":
        return f"completed activity {spec.activities[0]}"
    if spec.kind == "launched":
        return f"launched activity {spec.activities[0]}"
    if spec.kind == "score":
        return f"scored at least {spec.min_score:g} (scaled) in activity {spec.activities[0]}"
    return "completed all of these activities: " + ", ".join(spec.activities)


def touched(
    specs: Sequence[tuple[str, RuleSpec]], activities: set[str]
) -> list[tuple[str, RuleSpec]]:
    return [(rule_id, spec) for rule_id, spec in specs if activities.intersection(spec.activities)]


__all__ = ["KINDS", "Kind", "Progress", "RuleSpec", "activity_key", "describe", "met", "touched"]
