"""A learner's progress along a pathway: which held credential fills which part, per node
done or not, what remains, and the credits summed.

Pure: the caller gives the credentials as :class:`Held` facts (read once per learner, then
shared by every pathway) and the clock's time. Only credentials the caller marks ``counts``
(they verify now: signature, issuer, status, expiry) are used; recency, EQF floors and
prerequisites are checked here against the tree.

Matching is greedy and deterministic: parts are filled in prerequisite order, then tree order;
each part takes the most recently earned credential that fits and is not used by another part
(a credential counts once in a pathway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from microcred.issuing.issuance import add_months
from microcred.model.eu import ECTS_IRI
from microcred.pathways.tree import Node, PathwayDefinition

_EQF_PREFIX = "http://data.europa.eu/snb/eqf/"


@dataclass(frozen=True)
class Held:
    """One credential the learner holds, as the pathway reads it."""

    ref: str
    """Our credential id, or the wallet item id of an import."""
    kind: str  # ours | imported
    url: str | None
    achievement_id: str | None
    skills: frozenset[str]
    """``url`` of each aligned skill and ``framework:code`` (framework lower-cased)."""
    credits: float | None
    eqf: int | None
    earned_at: datetime | None
    name: str | None
    counts: bool
    """It verifies now (signature, issuer, status, expiry)."""
    state: str
    issuer: str | None = None
    """The issuer's id (DID or URL) as the credential names it."""
    achievement: Mapping[str, Any] = field(default_factory=dict, compare=False)
    document: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class NodeProgress:
    id: str
    type: str
    title: str
    done: bool
    needed: int
    done_children: int
    credits: float
    min_credits: float | None
    children: tuple[NodeProgress, ...] = ()
    credential: Held | None = None
    """A part's credential (None while the part is not done)."""
    reason: str | None = None
    """Why a part is not done although a matching credential is held (too old, below the
    EQF floor, earned before its prerequisites, does not verify)."""

    def walk(self) -> Iterable[NodeProgress]:
        yield self
        for child in self.children:
            yield from child.walk()

    def used(self) -> list[Held]:
        """The credentials of done parts under this node (what an award lists)."""
        return [n.credential for n in self.walk() if n.credential is not None and n.done]

    def remaining(self) -> list[str]:
        """Titles of the parts not done yet."""
        return [n.title for n in self.walk() if n.type in ("achievement", "skill") and not n.done]

    def to_json(self, *, shown: Callable[[Held], bool] | None = None) -> dict[str, Any]:
        """``shown``: which credentials may be named (others: the part says done, not by what)."""
        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "done": self.done,
            "credits": self.credits,
        }
        if self.type in ("allOf", "anyOf", "nOf"):
            data["needed"], data["doneChildren"] = self.needed, self.done_children
        if self.min_credits is not None:
            data["minCredits"] = self.min_credits
        if self.credential is not None and (shown is None or shown(self.credential)):
            data["credential"] = {
                "ref": self.credential.ref,
                "kind": self.credential.kind,
                "url": self.credential.url,
                "name": self.credential.name,
            }
        if self.reason is not None:
            data["reason"] = self.reason
        if self.children:
            data["children"] = [child.to_json(shown=shown) for child in self.children]
        return data


class HeldIndex:
    """The learner's credentials indexed by achievement id and skill (built once per learner)."""

    def __init__(self, held: Sequence[Held]) -> None:
        self.held = list(held)
        self.by_achievement: dict[str, list[Held]] = {}
        self.by_skill: dict[str, list[Held]] = {}
        for item in held:
            if item.achievement_id:
                self.by_achievement.setdefault(item.achievement_id, []).append(item)
            for skill in item.skills:
                self.by_skill.setdefault(skill, []).append(item)

    def candidates(self, part: Node, resolve: Mapping[str, str]) -> list[Held]:
        if part.type == "achievement":
            assert part.achievement is not None
            return self.by_achievement.get(resolve.get(part.achievement, part.achievement), [])
        found: list[Held] = []
        if part.skill_url:
            found.extend(self.by_skill.get(part.skill_url, []))
        if part.framework and part.skill_code:
            found.extend(self.by_skill.get(f"{part.framework.lower()}:{part.skill_code}", []))
        return found


@dataclass(frozen=True)
class _PartPlan:
    node: Node
    floor: int | None
    months: int | None
    prerequisites: tuple[str, ...]


class Plan:
    """What evaluating a definition needs, worked out once per definition (a service keeps
    one per pathway version): parts in prerequisite order, each with the constraints of its
    ancestors gathered, and the parts under each node named by an ``after``."""

    def __init__(self, definition: PathwayDefinition, resolve: Mapping[str, str]) -> None:
        self.definition = definition
        self.resolve = dict(resolve)
        self.nodes = definition.nodes()
        parents: dict[str, Node] = {}
        for node in self.nodes.values():
            for child in node.children:
                parents[child.id] = node
        self.parts_under = {
            target: tuple(p.id for p in self.nodes[target].parts())
            for node in self.nodes.values()
            for target in node.after
        }
        plans: dict[str, _PartPlan] = {}
        for part in definition.root.parts():
            chain = [part]
            while chain[-1].id in parents:
                chain.append(parents[chain[-1].id])
            plans[part.id] = _PartPlan(
                node=part,
                floor=max((n.min_eqf for n in chain if n.min_eqf is not None), default=None),
                months=min(
                    (n.within_months for n in chain if n.within_months is not None), default=None
                ),
                prerequisites=tuple(sorted({t for n in chain for t in n.after})),
            )
        order: list[_PartPlan] = []
        seen: set[str] = set()

        def place(part_id: str) -> None:
            if part_id in seen:
                return
            seen.add(part_id)
            for target in plans[part_id].prerequisites:
                for before in self.parts_under[target]:
                    place(before)
            order.append(plans[part_id])

        for part_id in plans:
            place(part_id)
        self.order = tuple(order)


def evaluate(
    definition: PathwayDefinition | Plan,
    held: HeldIndex,
    now: datetime,
    *,
    resolve: Mapping[str, str] | None = None,
) -> NodeProgress:
    """The progress tree. ``resolve`` maps a part's achievement reference (a bare id of ours)
    to the id its credentials carry (our achievement URL); a :class:`Plan` carries its own."""
    plan = definition if isinstance(definition, Plan) else Plan(definition, resolve or {})
    return _Evaluation(plan, held, now).run()


class _Evaluation:
    def __init__(self, plan: Plan, held: HeldIndex, now: datetime) -> None:
        self.plan = plan
        self.held = held
        self.now = now
        self.filled: dict[str, tuple[Held | None, str | None]] = {}
        self.used: set[str] = set()
        self.earliest: dict[int, datetime] = {}

    def run(self) -> NodeProgress:
        for part in self.plan.order:
            self.filled[part.node.id] = self._fill(part)
        return self._progress(self.plan.definition.root)

    def _fill(self, part: _PartPlan) -> tuple[Held | None, str | None]:
        earliest = None
        if part.months is not None:
            earliest = self.earliest.get(part.months)
            if earliest is None:
                earliest = self.earliest[part.months] = add_months(self.now, -part.months)
        not_before: datetime | None = None
        for target in part.prerequisites:
            for before in self.plan.parts_under[target]:
                got, _ = self.filled.get(before, (None, None))
                if got is None:
                    return None, f"waits for {self.plan.nodes[target].title()}"
                if got.earned_at is not None and (not_before is None or got.earned_at > not_before):
                    not_before = got.earned_at
        reason = None
        best: Held | None = None
        for item in self.held.candidates(part.node, self.plan.resolve):
            why = self._refusal(item, part.floor, earliest, not_before)
            if why is not None:
                reason = reason or why
                continue
            if best is None or _later(item, best):
                best = item
        if best is None:
            return None, reason
        self.used.add(best.ref)
        return best, None

    def _refusal(
        self,
        item: Held,
        floor: int | None,
        earliest: datetime | None,
        not_before: datetime | None,
    ) -> str | None:
        if item.ref in self.used:
            return "its credential counts for another part"
        if not item.counts:
            return f"credential is {item.state}"
        if floor is not None and (item.eqf is None or item.eqf < floor):
            return f"below EQF level {floor}"
        if earliest is not None and (item.earned_at is None or item.earned_at < earliest):
            return "earned too long ago"
        if not_before is not None and (item.earned_at is None or item.earned_at < not_before):
            return "earned before its prerequisites"
        return None

    def _progress(self, node: Node) -> NodeProgress:
        if node.is_part:
            got, reason = self.filled[node.id]
            credits = 0.0
            if got is not None:
                credits = got.credits if got.credits is not None else (node.credits or 0.0)
            return NodeProgress(
                id=node.id,
                type=node.type,
                title=node.title(),
                done=got is not None,
                needed=1,
                done_children=int(got is not None),
                credits=credits,
                min_credits=None,
                credential=got,
                reason=reason,
            )
        children = tuple(self._progress(child) for child in node.children)
        done_children = sum(1 for child in children if child.done)
        credits = float(sum(child.credits for child in children if child.done))
        if node.type == "credits":
            assert node.min_credits is not None
            done = credits >= node.min_credits
        else:
            done = done_children >= node.needed
        for target in node.after:
            done = done and self._progress(self.plan.nodes[target]).done
        return NodeProgress(
            id=node.id,
            type=node.type,
            title=node.title(),
            done=done,
            needed=node.needed,
            done_children=done_children,
            credits=credits,
            min_credits=node.min_credits,
            children=children,
        )


def _later(item: Held, other: Held) -> bool:
    if item.earned_at is None:
        return False
    return other.earned_at is None or item.earned_at > other.earned_at


# ---- reading a credential's facts ---------------------------------------------------------------


def held_from_document(
    document: Mapping[str, Any],
    *,
    ref: str,
    kind: str,
    counts: bool,
    state: str,
    added_at: datetime | None,
    raw: Any = None,
) -> Held:
    """The facts a pathway needs from one OB 3.0 credential (JSON as issued)."""
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    achievement = achievement if isinstance(achievement, Mapping) else {}
    skills: set[str] = set()
    for alignment in _list(achievement.get("alignment")):
        if not isinstance(alignment, Mapping):
            continue
        url, code = alignment.get("targetUrl"), alignment.get("targetCode")
        framework = alignment.get("targetFramework")
        if isinstance(url, str):
            skills.add(url)
        if isinstance(code, str) and isinstance(framework, str):
            skills.add(f"{framework.lower()}:{code}")
    for outcome in _list(achievement.get("learningOutcome")):
        if isinstance(outcome, Mapping):
            skills.update(s for s in _list(outcome.get("relatedESCOSkill")) if isinstance(s, str))
    credits = achievement.get("creditsAvailable")
    system = achievement.get("creditSystem")
    ects = (
        float(credits)
        if isinstance(credits, int | float)
        and not isinstance(credits, bool)
        and system in (None, ECTS_IRI)
        else None
    )
    eqf_value = achievement.get("eqfLevel")
    eqf = None
    if isinstance(eqf_value, str) and eqf_value.startswith(_EQF_PREFIX):
        digits = eqf_value[len(_EQF_PREFIX) :]
        eqf = int(digits) if digits.isdigit() and 1 <= int(digits) <= 8 else None
    earned = None
    for name in ("awardedDate", "validFrom", "issuanceDate"):
        value = document.get(name)
        if isinstance(value, str):
            earned = _moment(value)
            if earned is not None:
                break
    achievement_id = achievement.get("id")
    url = document.get("id")
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    name_value = achievement.get("name") or document.get("name")
    return Held(
        ref=ref,
        kind=kind,
        url=url if isinstance(url, str) else None,
        achievement_id=achievement_id if isinstance(achievement_id, str) else None,
        skills=frozenset(skills),
        credits=ects,
        eqf=eqf,
        earned_at=earned or added_at,
        name=name_value if isinstance(name_value, str) else None,
        counts=counts,
        state=state,
        issuer=issuer_id if isinstance(issuer_id, str) else None,
        achievement=achievement,
        document=document if raw is None else raw,
    )


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _moment(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


__all__ = ["Held", "HeldIndex", "NodeProgress", "Plan", "evaluate", "held_from_document"]
