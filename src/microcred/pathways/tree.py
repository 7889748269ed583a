"""A pathway's requirement tree: parsed from JSON once, checked as a whole, then trusted.

Node kinds (``type``)::

    allOf    every child                     anyOf    at least one child
    nOf      at least ``n`` of the children  credits  at least ``min`` ECTS over the children
    achievement  a credential awarding that achievement (ours or another issuer's, by its id)
    skill        a credential aligned to that skill (framework code and/or the skill's URI)

Any node may add constraints that hold for every part below it: ``minEqf`` (the part's EQF
level), ``withinMonths`` (earned at most that many months ago) and ``after`` (node ids whose
parts must all have been earned first, and which must be done).

Checks made on save (:func:`parse_definition` and :func:`check_satisfiable`), each raising a
:class:`~microcred.errors.PathwayError` that names the node: unknown kinds and fields of the
wrong type, duplicate node ids, the same part twice, ``after`` naming an unknown node or
closing a cycle (a node after its own ancestor or descendant is one), and nodes no set of
credentials could satisfy (``n`` above the number of children, a credit minimum above what
the parts can give, parts below a ``minEqf`` they cannot reach).

Pure: no database, no network. The service supplies what is known about each part
(:class:`PartFacts`) for the satisfiability check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from microcred.errors import PathwayError, short

GROUPS = ("allOf", "anyOf", "nOf", "credits")
PARTS = ("achievement", "skill")
POLICIES = ("suspend", "revoke", "flag")
MAX_NODES = 500
MAX_MONTHS = 1200
_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_COMMON = {"id", "type", "label", "minEqf", "withinMonths", "after"}
_FIELDS: dict[str, set[str]] = {
    "allOf": {"of"},
    "anyOf": {"of"},
    "nOf": {"of", "n"},
    "credits": {"of", "min"},
    "achievement": {"achievement", "credits", "eqf"},
    "skill": {"framework", "code", "url", "credits", "eqf"},
}

Policy = Literal["suspend", "revoke", "flag"]


@dataclass(frozen=True)
class Node:
    """One node of the tree. ``children`` is empty for parts; ``achievement`` is set for an
    achievement part, ``skill_code``/``skill_url`` for a skill part."""

    id: str
    type: str
    label: str | None = None
    children: tuple[Node, ...] = ()
    n: int | None = None
    min_credits: float | None = None
    min_eqf: int | None = None
    within_months: int | None = None
    after: tuple[str, ...] = ()
    achievement: str | None = None
    framework: str | None = None
    skill_code: str | None = None
    skill_url: str | None = None
    credits: float | None = None
    """A part's declared ECTS (used when its credential states none, and as the most it gives)."""
    eqf: int | None = None
    """A part's declared EQF level, when known."""

    @property
    def is_part(self) -> bool:
        return self.type in PARTS

    @property
    def needed(self) -> int:
        """How many children must be done (credits nodes: every child may count, none must)."""
        if self.type == "allOf":
            return len(self.children)
        if self.type == "anyOf":
            return 1
        if self.type == "nOf":
            return self.n or 0
        return 0

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def parts(self) -> Iterator[Node]:
        return (node for node in self.walk() if node.is_part)

    def title(self) -> str:
        """What a person reads for this node."""
        if self.label:
            return self.label
        if self.type == "achievement":
            return self.achievement or self.id
        if self.type == "skill":
            return self.skill_url or f"{self.framework or ''} {self.skill_code or ''}".strip()
        if self.type == "nOf":
            return f"{self.n} of {len(self.children)}"
        if self.type == "credits":
            return f"{_number(self.min_credits or 0)} ECTS"
        return "all of" if self.type == "allOf" else "any of"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        optional: dict[str, Any] = {
            "label": self.label,
            "n": self.n,
            "min": self.min_credits,
            "minEqf": self.min_eqf,
            "withinMonths": self.within_months,
            "after": list(self.after) or None,
            "achievement": self.achievement,
            "framework": self.framework,
            "code": self.skill_code,
            "url": self.skill_url,
            "credits": self.credits,
            "eqf": self.eqf,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        if self.children:
            data["of"] = [child.to_json() for child in self.children]
        return data


@dataclass(frozen=True)
class PathwayDefinition:
    name: str
    description: str
    root: Node
    policy: Policy = "suspend"
    eqf_rule: str | int = "max"
    """The micro-degree's EQF level: ``max`` or ``min`` of its parts', or a fixed level."""
    award: dict[str, Any] = field(default_factory=dict)
    """Extra achievement fields for the micro-degree (achievementType, assessmentType, ...)."""
    co_issuers: tuple[str, ...] = ()

    def nodes(self) -> dict[str, Node]:
        return {node.id: node for node in self.root.walk()}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "onPartFailure": self.policy,
            "eqfRule": self.eqf_rule,
            "requirement": self.root.to_json(),
        }
        if self.award:
            data["award"] = self.award
        if self.co_issuers:
            data["coIssuers"] = list(self.co_issuers)
        return data


@dataclass(frozen=True)
class PartFacts:
    """What the server knows of a part before anyone earns it: the most credits it gives and
    its EQF level (None: not known, any level may come)."""

    credits: float | None = None
    eqf: int | None = None


def part_key(node: Node) -> str:
    """Two parts with the same key are the same requirement."""
    if node.type == "achievement":
        return f"achievement:{node.achievement}"
    if node.skill_url:
        return f"skill:{node.skill_url}"
    return f"skill:{(node.framework or '').lower()}:{node.skill_code}"


# ---- parsing ------------------------------------------------------------------------------------


def parse_definition(data: Any) -> PathwayDefinition:
    """The definition in ``data`` with its tree checked for shape, ids, duplicates and cycles
    (not yet for satisfiability: that needs the parts' facts, see :func:`check_satisfiable`)."""
    if not isinstance(data, Mapping):
        raise PathwayError(
            "a pathway is a JSON object",
            node="definition",
            reason="invalid",
            found=type(data).__name__,
        )
    name = _text(data.get("name"), "definition", "name", 300)
    description = _text(data.get("description", name), "definition", "description", 5000)
    policy = data.get("onPartFailure", "suspend")
    if policy not in POLICIES:
        raise PathwayError(
            "unknown onPartFailure policy",
            node="definition",
            reason="invalid",
            expected=" | ".join(POLICIES),
            found=short(policy),
        )
    eqf_rule = data.get("eqfRule", "max")
    if eqf_rule not in ("max", "min") and not _level(eqf_rule):
        raise PathwayError(
            "unknown eqfRule",
            node="definition",
            reason="invalid",
            expected="max | min | an EQF level 1-8",
            found=short(eqf_rule),
        )
    award = data.get("award", {})
    if not isinstance(award, Mapping):
        raise PathwayError("award must be an object", node="definition", reason="invalid")
    co_issuers = data.get("coIssuers", [])
    if not isinstance(co_issuers, list) or not all(isinstance(i, str) for i in co_issuers):
        raise PathwayError(
            "coIssuers must be a list of issuer ids", node="definition", reason="invalid"
        )
    requirement = data.get("requirement")
    counter = [0]
    root = _node(requirement, "root", counter)
    definition = PathwayDefinition(
        name=name,
        description=description,
        root=root,
        policy=policy,
        eqf_rule=eqf_rule,
        award=dict(award),
        co_issuers=tuple(dict.fromkeys(co_issuers)),
    )
    _check_ids_and_parts(definition.root)
    _check_order(definition.root)
    return definition


def _node(data: Any, default_id: str, counter: list[int]) -> Node:
    if not isinstance(data, Mapping):
        raise PathwayError(
            "a requirement is a JSON object",
            node=default_id,
            reason="invalid",
            found=type(data).__name__,
        )
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise PathwayError(
            "the tree has too many nodes",
            node=default_id,
            reason="invalid",
            expected=f"at most {MAX_NODES}",
        )
    node_id = data.get("id", default_id)
    if not isinstance(node_id, str) or not _NODE_ID.match(node_id):
        raise PathwayError(
            "a node id is 1-64 letters, digits, '.', '_' or '-'",
            node=default_id,
            reason="invalid",
            found=short(node_id),
        )
    kind = data.get("type")
    if kind not in _FIELDS:
        raise PathwayError(
            "unknown node type",
            node=node_id,
            reason="invalid",
            expected=" | ".join(_FIELDS),
            found=short(kind),
        )
    unknown = sorted(set(data) - _COMMON - _FIELDS[kind])
    if unknown:
        raise PathwayError(
            f"unknown field for a {kind} node",
            node=node_id,
            reason="invalid",
            expected=", ".join(sorted(_COMMON | _FIELDS[kind])),
            found=", ".join(unknown),
        )
    label = data.get("label")
    if label is not None:
        label = _text(label, node_id, "label", 300)
    after = data.get("after", [])
    if isinstance(after, str):
        after = [after]
    if not isinstance(after, list) or not all(isinstance(a, str) for a in after):
        raise PathwayError("after is a list of node ids", node=node_id, reason="invalid")
    common: dict[str, Any] = {
        "id": node_id,
        "type": kind,
        "label": label,
        "min_eqf": _optional_level(data.get("minEqf"), node_id, "minEqf"),
        "within_months": _months(data.get("withinMonths"), node_id),
        "after": tuple(dict.fromkeys(after)),
    }
    if kind in GROUPS:
        children = data.get("of")
        if not isinstance(children, list) or not children:
            raise PathwayError(
                f"a {kind} node needs its children in 'of'",
                node=node_id,
                reason="invalid",
                expected="a non-empty list",
                found=short(children),
            )
        nodes = tuple(
            _node(child, f"{node_id}.{index}", counter) for index, child in enumerate(children)
        )
        n = None
        min_credits = None
        if kind == "nOf":
            n = data.get("n")
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise PathwayError(
                    "n is a whole number of at least 1",
                    node=node_id,
                    reason="invalid",
                    found=short(n),
                )
            if n > len(nodes):
                raise PathwayError(
                    f"needs {n} of its parts but has only {len(nodes)}",
                    node=node_id,
                    reason="unsatisfiable",
                    expected=f"n <= {len(nodes)}",
                    found=str(n),
                )
        if kind == "credits":
            min_credits = _credits(data.get("min"), node_id, "min")
            if min_credits is None or min_credits <= 0:
                raise PathwayError(
                    "a credits node needs a positive min (ECTS)", node=node_id, reason="invalid"
                )
        return Node(children=nodes, n=n, min_credits=min_credits, **common)
    credits = _credits(data.get("credits"), node_id, "credits")
    eqf = _optional_level(data.get("eqf"), node_id, "eqf")
    if kind == "achievement":
        ref = data.get("achievement")
        if not isinstance(ref, str) or not ref.strip() or len(ref) > 2000:
            raise PathwayError(
                "an achievement part names the achievement by its id",
                node=node_id,
                reason="invalid",
                expected="an achievement URL, URN or this server's achievement id",
                found=short(ref),
            )
        return Node(achievement=ref.strip(), credits=credits, eqf=eqf, **common)
    framework, code, url = data.get("framework"), data.get("code"), data.get("url")
    for value, what in ((framework, "framework"), (code, "code"), (url, "url")):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise PathwayError(f"{what} must be text", node=node_id, reason="invalid")
    if not url and not (framework and code):
        raise PathwayError(
            "a skill part names the skill",
            node=node_id,
            reason="invalid",
            expected="url (e.g. an ESCO skill URI), or framework and code",
        )
    return Node(
        framework=framework, skill_code=code, skill_url=url, credits=credits, eqf=eqf, **common
    )


def _check_ids_and_parts(root: Node) -> None:
    seen: set[str] = set()
    keys: dict[str, str] = {}
    for node in root.walk():
        if node.id in seen:
            raise PathwayError("two nodes share this id", node=node.id, reason="duplicate_node")
        seen.add(node.id)
        if node.is_part:
            key = part_key(node)
            if key in keys:
                raise PathwayError(
                    f"the same part as node {keys[key]!r}",
                    node=node.id,
                    reason="duplicate_part",
                    found=key.split(":", 1)[1],
                )
            keys[key] = node.id


def _check_order(root: Node) -> None:
    """``after`` edges name known nodes and leave no cycle (a part would have to be earned
    before itself). An edge A -> B means every part under A comes after every part under B."""
    nodes = {node.id: node for node in root.walk()}
    below = {node.id: {n.id for n in node.walk()} for node in nodes.values()}
    edges: dict[str, set[str]] = {node_id: set() for node_id in nodes}
    for node in nodes.values():
        for target in node.after:
            if target not in nodes:
                raise PathwayError(
                    "after names no node of this pathway",
                    node=node.id,
                    reason="unknown_node",
                    found=short(target),
                )
            if below[node.id] & below[target]:
                raise PathwayError(
                    f"cannot come after {target!r}, which contains it or lies within it",
                    node=node.id,
                    reason="cycle",
                    found=target,
                )
            for source in below[node.id]:
                edges[source] |= below[target]
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node_id: str, path: list[str]) -> None:
        state[node_id] = 1
        for target in sorted(edges[node_id]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target] if target in path else [target]
                raise PathwayError(
                    "the prerequisites form a cycle",
                    node=target,
                    reason="cycle",
                    found=" -> ".join(cycle),
                )
            if state.get(target) is None:
                visit(target, [*path, target])
        state[node_id] = 2

    for node_id in nodes:
        if state.get(node_id) is None:
            visit(node_id, [node_id])


# ---- satisfiability -----------------------------------------------------------------------------


def check_satisfiable(definition: PathwayDefinition, facts: Callable[[Node], PartFacts]) -> None:
    """Raise for the first (deepest) node no set of credentials could satisfy, given the most
    each part can give (``facts``; an unknown part raises there, from the caller's lookup)."""
    known = {node.id: facts(node) for node in definition.root.parts()}
    _possible(definition.root, known, None)


def _possible(node: Node, known: Mapping[str, PartFacts], min_eqf: int | None) -> float | None:
    """The most credits ``node`` can give when done, or None when it can never be done."""
    floor = max(filter(None, (min_eqf, node.min_eqf)), default=None)
    if node.is_part:
        fact = known[node.id]
        level = fact.eqf if fact.eqf is not None else node.eqf
        if floor is not None and level is not None and level < floor:
            return None
        return fact.credits if fact.credits is not None else (node.credits or 0.0)
    results = [_possible(child, known, floor) for child in node.children]
    able = [r for r in results if r is not None]
    total = float(sum(able))
    if node.type == "credits":
        assert node.min_credits is not None
        if total < node.min_credits:
            raise PathwayError(
                f"needs {_number(node.min_credits)} ECTS but its parts can give at most "
                f"{_number(total)}",
                node=node.id,
                reason="unsatisfiable",
                expected=f"min <= {_number(total)}",
                found=_number(node.min_credits),
            )
        return total
    if len(able) < node.needed:
        blocked = [c.id for c, r in zip(node.children, results, strict=True) if r is None]
        raise PathwayError(
            f"needs {node.needed} of its children but only {len(able)} can be met "
            f"(below minimum EQF level {floor}: {', '.join(blocked)})",
            node=node.id,
            reason="unsatisfiable",
            expected=f"at least {node.needed} children that can be met",
            found=str(len(able)),
        )
    return total


# ---- small readers ------------------------------------------------------------------------------


def _text(value: Any, node: str, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise PathwayError(
            f"{what} must be text",
            node=node,
            reason="invalid",
            expected=f"1-{limit} characters",
            found=short(value),
        )
    return value.strip()


def _level(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8


def _optional_level(value: Any, node: str, what: str) -> int | None:
    if value is None:
        return None
    if not _level(value):
        raise PathwayError(
            f"{what} is an EQF level",
            node=node,
            reason="invalid",
            expected="1-8",
            found=short(value),
        )
    level: int = value
    return level


def _months(value: Any, node: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MONTHS:
        raise PathwayError(
            "withinMonths is a whole number of months",
            node=node,
            reason="invalid",
            expected=f"1-{MAX_MONTHS}",
            found=short(value),
        )
    return value


def _credits(value: Any, node: str, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1000:
        raise PathwayError(
            f"{what} is a number of ECTS credits",
            node=node,
            reason="invalid",
            expected="0-1000",
            found=short(value),
        )
    return float(value)


def _number(value: float) -> str:
    return f"{value:g}"


__all__ = [
    "GROUPS",
    "PARTS",
    "POLICIES",
    "Node",
    "PartFacts",
    "PathwayDefinition",
    "Policy",
    "check_satisfiable",
    "parse_definition",
    "part_key",
]
