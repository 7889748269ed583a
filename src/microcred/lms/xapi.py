"""xAPI statements as an LMS or LRS sends them: version 1.0.3 and 2.0 (IEEE 9274.1.1).

:func:`parse_statement` checks a statement against the data model (the parts an LRS must
refuse) and reads what the award rules need from it: the learner's address, the activity,
whether it was completed and the score. Every refusal names the property (a JSON path), what
was expected and what was found. The differences between the versions that matter here:
2.0 adds ``context.contextAgents`` and ``context.contextGroups``, and wants timestamps with a
time zone (RFC 3339); 1.0.3 statements carrying the 2.0 properties are refused.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from microcred.errors import ModelError, short

Version = Literal["1.0.3", "2.0.0"]
COMPLETING_VERBS = frozenset(
    {
        "http://adlnet.gov/expapi/verbs/completed",
        "http://adlnet.gov/expapi/verbs/passed",
        "http://adlnet.gov/expapi/verbs/mastered",
    }
)
MAX_IRI = 2000
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_EMAIL = re.compile(r"^mailto:([^\s@]+@[^\s@]+\.[^\s@]+)$")
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_DURATION = re.compile(
    r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE
)

_STATEMENT_KEYS = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
}
_SUB_STATEMENT_KEYS = {
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
}
_CONTEXT_KEYS = {
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
}
_CONTEXT_KEYS_2 = {"contextAgents", "contextGroups"}
_RESULT_KEYS = {"score", "success", "completion", "response", "duration", "extensions"}
_SCORE_KEYS = {"scaled", "raw", "min", "max"}
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def version_of(header: str | None) -> Version:
    """The version an ``X-Experience-API-Version`` header asks for."""
    value = (header or "").strip()
    if re.fullmatch(r"1\.0(\.[0-9]+)?", value):
        return "1.0.3"
    if re.fullmatch(r"2\.0(\.[0-9]+)?", value):
        return "2.0.0"
    raise ModelError(
        "unsupported or missing xAPI version",
        field="X-Experience-API-Version",
        expected="1.0.x or 2.0.x",
        found=short(value) if value else "no header",
    )


@dataclass(frozen=True)
class LearningEvent:
    """What a rule looks at: one learner, one activity, completed or launched, a score."""

    event_id: str
    learner: str | None  # a normalised e-mail address; None when the actor has none
    activity_id: str | None
    completed: bool
    launched: bool
    score: float | None  # scaled, -1..1
    source: str  # "xapi" or "lti"


@dataclass(frozen=True)
class Statement:
    id: str
    document: dict[str, Any]
    verb: str
    event: LearningEvent


def parse_statement(value: Any, version: Version, *, statement_id: str | None = None) -> Statement:
    """A valid statement, with an id (``statement_id`` from the URL, the statement's own, or
    a new one), or a :class:`ModelError` naming the property at fault."""
    statement = _object(value, "statement")
    _only(statement, _STATEMENT_KEYS, "statement")
    own_id = statement.get("id")
    if own_id is not None:
        own_id = _uuid(own_id, "statement.id")
    if statement_id is not None:
        statement_id = _uuid(statement_id, "statementId")
        if own_id is not None and own_id != statement_id:
            raise ModelError(
                "the statement's id differs from statementId",
                field="statement.id",
                expected=statement_id,
                found=own_id,
            )
    final_id = statement_id or own_id or str(uuid.uuid4())
    declared = statement.get("version")
    if declared is not None:
        prefix = "1.0." if version == "1.0.3" else "2.0."
        if not isinstance(declared, str) or not declared.startswith(prefix):
            raise ModelError(
                "the statement's version does not fit the request's",
                field="statement.version",
                expected=f"{prefix}x",
                found=short(str(declared)),
            )
    actor = _actor(statement.get("actor"), "statement.actor", version)
    verb = _verb(statement.get("verb"), "statement.verb")
    target = _object_of(statement.get("object"), "statement.object", version, sub=False)
    result = statement.get("result")
    if result is not None:
        _result(result, "statement.result")
    context = statement.get("context")
    if context is not None:
        _context(context, "statement.context", version, is_activity=target[0] == "Activity")
    if "timestamp" in statement:
        _timestamp(statement["timestamp"], "statement.timestamp", version)
    if "attachments" in statement and not isinstance(statement["attachments"], list):
        raise ModelError(
            "must be an array", field="statement.attachments", found=_kind(statement["attachments"])
        )

    document = {**statement, "id": final_id}
    activity_id = target[1] if target[0] == "Activity" else None
    score = _scaled(result) if isinstance(result, dict) else None
    completed = verb in COMPLETING_VERBS or (
        isinstance(result, dict) and result.get("completion") is True
    )
    learner = actor
    event = LearningEvent(final_id, learner, activity_id, completed, False, score, "xapi")
    return Statement(final_id, document, verb, event)


# ---- parts ---------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ModelError("must be a JSON object", field=field, found=_kind(value))
    return value


def _only(value: dict[str, Any], allowed: set[str], field: str) -> None:
    extra = sorted(set(value) - allowed)
    if extra:
        raise ModelError(
            "property not defined by xAPI",
            field=f"{field}.{extra[0]}",
            expected=", ".join(sorted(allowed)),
            found=short(extra[0], 64),
        )


def _string(value: Any, field: str, *, limit: int = MAX_IRI) -> str:
    if not isinstance(value, str) or not value:
        raise ModelError("must be a non-empty string", field=field, found=_kind(value))
    if len(value) > limit:
        raise ModelError("is too long", field=field, expected=f"at most {limit} characters")
    return value


def _iri(value: Any, field: str) -> str:
    text = _string(value, field)
    if not _IRI.match(text):
        raise ModelError(
            "must be an absolute IRI", field=field, expected="scheme:...", found=short(text)
        )
    return text


def _uuid(value: Any, field: str) -> str:
    text = _string(value, field, limit=64)
    try:
        parsed = uuid.UUID(text)
    except ValueError as exc:
        raise ModelError("must be a UUID", field=field, found=short(text)) from exc
    if str(parsed) != text.lower():
        raise ModelError("must be a UUID in its hyphenated form", field=field, found=short(text))
    return str(parsed)


def _language_map(value: Any, field: str) -> None:
    mapping = _object(value, field)
    for tag, text in mapping.items():
        if not _LANGUAGE.match(tag):
            raise ModelError(
                "is not a language tag",
                field=f"{field}.{tag}",
                expected="e.g. en-US",
                found=short(tag),
            )
        if not isinstance(text, str):
            raise ModelError("must be a string", field=f"{field}.{tag}", found=_kind(text))


def _extensions(value: Any, field: str) -> None:
    for key in _object(value, field):
        _iri(key, f"{field} key")


def _agent(value: dict[str, Any], field: str, *, group_member: bool = False) -> str | None:
    """Checks an Agent (or an identified Group's identifier); the e-mail address if any."""
    present = [ifi for ifi in _IFIS if ifi in value]
    if len(present) != 1 and not (value.get("objectType") == "Group" and not present):
        raise ModelError(
            "an agent must have exactly one identifier",
            field=field,
            expected="one of mbox, mbox_sha1sum, openid, account",
            found=", ".join(present) or "none",
        )
    if "name" in value and not isinstance(value["name"], str):
        raise ModelError("must be a string", field=f"{field}.name", found=_kind(value["name"]))
    email: str | None = None
    if "mbox" in value:
        match = _EMAIL.match(_string(value["mbox"], f"{field}.mbox", limit=330))
        if not match:
            raise ModelError(
                "must be a mailto: IRI",
                field=f"{field}.mbox",
                expected="mailto:name@host",
                found=short(value["mbox"]),
            )
        email = match.group(1).lower()
    if "mbox_sha1sum" in value and not (
        isinstance(value["mbox_sha1sum"], str) and _SHA1.match(value["mbox_sha1sum"])
    ):
        raise ModelError("must be 40 hexadecimal digits", field=f"{field}.mbox_sha1sum")
    if "openid" in value:
        _iri(value["openid"], f"{field}.openid")
    if "account" in value:
        account = _object(value["account"], f"{field}.account")
        _only(account, {"homePage", "name"}, f"{field}.account")
        _iri(account.get("homePage"), f"{field}.account.homePage")
        _string(account.get("name"), f"{field}.account.name", limit=300)
    return email


def _actor(value: Any, field: str, version: Version) -> str | None:
    actor = _object(value, field)
    kind = actor.get("objectType", "Agent")
    if kind == "Agent":
        _only(actor, {"objectType", "name", *_IFIS}, field)
        return _agent(actor, field)
    if kind == "Group":
        _only(actor, {"objectType", "name", "member", *_IFIS}, field)
        members = actor.get("member")
        identified = any(ifi in actor for ifi in _IFIS)
        if members is None and not identified:
            raise ModelError("an anonymous group must list its members", field=f"{field}.member")
        if members is not None:
            if not isinstance(members, list):
                raise ModelError("must be an array", field=f"{field}.member", found=_kind(members))
            for i, member in enumerate(members):
                path = f"{field}.member[{i}]"
                member = _object(member, path)
                if member.get("objectType", "Agent") != "Agent":
                    raise ModelError("a group's member must be an agent", field=path)
                _only(member, {"objectType", "name", *_IFIS}, path)
                _agent(member, path)
        if identified:
            _agent(actor, field)
        return None  # a group earns nothing: awards go to people
    raise ModelError(
        "unknown objectType",
        field=f"{field}.objectType",
        expected="Agent or Group",
        found=short(str(kind)),
    )


def _verb(value: Any, field: str) -> str:
    verb = _object(value, field)
    _only(verb, {"id", "display"}, field)
    verb_id = _iri(verb.get("id"), f"{field}.id")
    if "display" in verb:
        _language_map(verb["display"], f"{field}.display")
    return verb_id


def _activity(value: dict[str, Any], field: str) -> str:
    _only(value, {"objectType", "id", "definition"}, field)
    activity_id = _iri(value.get("id"), f"{field}.id")
    definition = value.get("definition")
    if definition is not None:
        definition = _object(definition, f"{field}.definition")
        for name in ("name", "description"):
            if name in definition:
                _language_map(definition[name], f"{field}.definition.{name}")
        for name in ("type", "moreInfo"):
            if name in definition:
                _iri(definition[name], f"{field}.definition.{name}")
        if "extensions" in definition:
            _extensions(definition["extensions"], f"{field}.definition.extensions")
    return activity_id


def _object_of(value: Any, field: str, version: Version, *, sub: bool) -> tuple[str, str | None]:
    target = _object(value, field)
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        return kind, _activity(target, field)
    if kind in ("Agent", "Group"):
        _actor(target, field, version)
        return kind, None
    if kind == "StatementRef":
        _only(target, {"objectType", "id"}, field)
        return kind, _uuid(target.get("id"), f"{field}.id")
    if kind == "SubStatement" and not sub:
        _only(target, _SUB_STATEMENT_KEYS, field)
        _actor(target.get("actor"), f"{field}.actor", version)
        _verb(target.get("verb"), f"{field}.verb")
        inner = _object_of(target.get("object"), f"{field}.object", version, sub=True)
        if "result" in target:
            _result(target["result"], f"{field}.result")
        if "context" in target:
            _context(
                target["context"], f"{field}.context", version, is_activity=inner[0] == "Activity"
            )
        if "timestamp" in target:
            _timestamp(target["timestamp"], f"{field}.timestamp", version)
        return kind, None
    raise ModelError(
        "unknown objectType" if kind != "SubStatement" else "a sub-statement cannot hold another",
        field=f"{field}.objectType",
        expected="Activity, Agent, Group, StatementRef or SubStatement",
        found=short(str(kind)),
    )


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelError("must be a number", field=field, found=_kind(value))
    return float(value)


def _result(value: Any, field: str) -> None:
    result = _object(value, field)
    _only(result, _RESULT_KEYS, field)
    for name in ("success", "completion"):
        if name in result and not isinstance(result[name], bool):
            raise ModelError(
                "must be true or false", field=f"{field}.{name}", found=_kind(result[name])
            )
    if "response" in result and not isinstance(result["response"], str):
        raise ModelError(
            "must be a string", field=f"{field}.response", found=_kind(result["response"])
        )
    if "duration" in result and not (
        isinstance(result["duration"], str) and _DURATION.match(result["duration"])
    ):
        raise ModelError(
            "must be an ISO 8601 duration",
            field=f"{field}.duration",
            expected="e.g. PT1H30M",
            found=short(str(result["duration"])),
        )
    if "extensions" in result:
        _extensions(result["extensions"], f"{field}.extensions")
    if "score" in result:
        score = _object(result["score"], f"{field}.score")
        _only(score, _SCORE_KEYS, f"{field}.score")
        numbers = {k: _number(v, f"{field}.score.{k}") for k, v in score.items()}
        scaled = numbers.get("scaled")
        if scaled is not None and not -1 <= scaled <= 1:
            raise ModelError(
                "must lie between -1 and 1", field=f"{field}.score.scaled", found=str(scaled)
            )
        low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
        if low is not None and high is not None and not low < high:
            raise ModelError(
                "min must be less than max", field=f"{field}.score", found=f"min {low}, max {high}"
            )
        if raw is not None and (
            (low is not None and raw < low) or (high is not None and raw > high)
        ):
            raise ModelError(
                "raw must lie between min and max", field=f"{field}.score.raw", found=str(raw)
            )


def _scaled(result: dict[str, Any]) -> float | None:
    """The scaled score, or raw placed between min and max when those are given."""
    score = result.get("score")
    if not isinstance(score, dict):
        return None
    if "scaled" in score:
        scaled: float = float(score["scaled"])
        return scaled
    if {"raw", "min", "max"} <= set(score):
        low, high = float(score["min"]), float(score["max"])
        return (float(score["raw"]) - low) / (high - low)
    return None


def _context_activities(value: Any, field: str) -> None:
    activities = _object(value, field)
    _only(activities, {"parent", "grouping", "category", "other"}, field)
    for name, entry in activities.items():
        entries = entry if isinstance(entry, list) else [entry]
        for i, item in enumerate(entries):
            path = f"{field}.{name}[{i}]"
            item = _object(item, path)
            if item.get("objectType", "Activity") != "Activity":
                raise ModelError("must be an activity", field=f"{path}.objectType")
            _activity(item, path)


def _context(value: Any, field: str, version: Version, *, is_activity: bool) -> None:
    context = _object(value, field)
    allowed = _CONTEXT_KEYS | (_CONTEXT_KEYS_2 if version == "2.0.0" else set())
    _only(context, allowed, field)
    if "registration" in context:
        _uuid(context["registration"], f"{field}.registration")
    if "instructor" in context:
        _actor(context["instructor"], f"{field}.instructor", version)
    if "team" in context:
        team = _object(context["team"], f"{field}.team")
        if team.get("objectType") != "Group":
            raise ModelError(
                "must be a group",
                field=f"{field}.team.objectType",
                found=short(str(team.get("objectType"))),
            )
        _actor(team, f"{field}.team", version)
    if "contextActivities" in context:
        _context_activities(context["contextActivities"], f"{field}.contextActivities")
    for name in ("revision", "platform"):
        if name in context:
            if not is_activity:
                raise ModelError(
                    "only allowed when the object is an activity", field=f"{field}.{name}"
                )
            _string(context[name], f"{field}.{name}", limit=300)
    if "language" in context and not (
        isinstance(context["language"], str) and _LANGUAGE.match(context["language"])
    ):
        raise ModelError("is not a language tag", field=f"{field}.language", expected="e.g. en-US")
    if "statement" in context:
        ref = _object(context["statement"], f"{field}.statement")
        if ref.get("objectType") != "StatementRef":
            raise ModelError("must be a StatementRef", field=f"{field}.statement.objectType")
        _uuid(ref.get("id"), f"{field}.statement.id")
    if "extensions" in context:
        _extensions(context["extensions"], f"{field}.extensions")
    for name, expected_type, key in (
        ("contextAgents", "contextAgent", "agent"),
        ("contextGroups", "contextGroup", "group"),
    ):
        if name not in context:
            continue
        entries = context[name]
        if not isinstance(entries, list):
            raise ModelError("must be an array", field=f"{field}.{name}", found=_kind(entries))
        for i, entry in enumerate(entries):
            path = f"{field}.{name}[{i}]"
            entry = _object(entry, path)
            _only(entry, {"objectType", key, "relevantTypes"}, path)
            if entry.get("objectType") != expected_type:
                raise ModelError(
                    "wrong objectType",
                    field=f"{path}.objectType",
                    expected=expected_type,
                    found=short(str(entry.get("objectType"))),
                )
            _actor(entry.get(key), f"{path}.{key}", version)
            types = entry.get("relevantTypes")
            if types is not None:
                if not isinstance(types, list) or not types:
                    raise ModelError(
                        "must be a non-empty array of IRIs", field=f"{path}.relevantTypes"
                    )
                for j, item in enumerate(types):
                    _iri(item, f"{path}.relevantTypes[{j}]")


def _timestamp(value: Any, field: str, version: Version) -> datetime:
    text = _string(value, field, limit=64)
    match = _TIMESTAMP.match(text)
    if not match:
        raise ModelError(
            "must be an ISO 8601 timestamp",
            field=field,
            expected="e.g. 2026-12-07T10:00:00Z",
            found=short(text),
        )
    if version == "2.0.0" and match.group(3) is None:
        raise ModelError(
            "must carry a time zone in xAPI 2.0",
            field=field,
            expected="...Z or ...+01:00",
            found=short(text),
        )
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise ModelError("is not a date and time", field=field, found=short(text)) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = [
    "COMPLETING_VERBS",
    "LearningEvent",
    "Statement",
    "Version",
    "parse_statement",
    "version_of",
]
