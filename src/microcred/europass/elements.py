"""The EU micro-credential elements of a European Digital Credential, for people to read.

The wallet shows an imported EDC's Annex I elements in the same list as ours (see
``web/pages/templates/_eu.html``): this reads them from where ELM puts them on the first claim
(a ``LearningAchievement`` and its specification), with texts in the reader's language when
the credential has it (else English, else its first language). Pure, and forgiving: a missing
or odd value is left out, never an error (the verifier has judged the credential already).
"""

from __future__ import annotations

import json
import re
from typing import Any

_EQF = "http://data.europa.eu/snb/eqf/"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")
MAX_ITEMS = 50


def edc_payload(document: Any) -> dict[str, Any] | None:
    """The credential inside a sealed EDC (JWS JSON, unencoded payload), or an unsealed EDC."""
    if isinstance(document, dict) and isinstance(document.get("payload"), str):
        try:
            document = json.loads(document["payload"])
        except ValueError:
            return None
    if not isinstance(document, dict) or "EuropeanDigitalCredential" not in _list(
        document.get("type")
    ):
        return None
    return document


def eu_elements(edc: dict[str, Any], language: str = "en") -> dict[str, Any]:
    """The elements present, as plain values (the keys the credential templates read)."""
    subject = _first(edc.get("credentialSubject"))
    claim = _first(subject.get("hasClaim"))
    spec = _first(claim.get("specifiedBy"))
    read = _Reader(language)
    eu: dict[str, Any] = {}
    level = _first(spec.get("eqfLevel")).get("id") or spec.get("eqfLevel")
    if isinstance(level, str) and level.startswith(_EQF):
        eu["eqf_level"] = level.removeprefix(_EQF)
    hours = _hours(spec.get("volumeOfLearning"))
    if hours is not None:
        eu["hours"] = hours
    credit = _first(spec.get("creditPoint"))
    if isinstance(credit.get("point"), str | int | float):
        framework = read.text(_first(credit.get("framework")).get("prefLabel"))
        eu["credits"] = f"{credit['point']}" + (f" ({framework})" if framework else "")
    mode = read.text(_first(spec.get("mode")).get("prefLabel"))
    if mode:
        eu["participation"] = mode
    outcomes = [read.text(_first(o).get("title")) for o in _list(spec.get("learningOutcome"))]
    if any(outcomes):
        eu["learning_outcomes"] = [o for o in outcomes if o][:MAX_ITEMS]
    assessments, supervision = [], None
    for assessment in _list(claim.get("provenBy"))[:MAX_ITEMS]:
        assessment = _first(assessment)
        kind = _first(_first(assessment.get("specifiedBy")).get("dcType")).get("prefLabel")
        label = read.text(kind) or read.text(assessment.get("title"))
        if label:
            assessments.append(label)
        supervision = supervision or read.text(
            _first(assessment.get("idVerification")).get("prefLabel")
        )
    if assessments:
        eu["assessment"] = assessments
    if supervision:
        eu["supervision"] = supervision
    notes = [read.text(_first(n).get("noteLiteral")) for n in _list(spec.get("additionalNote"))]
    quality = [
        n.split(": ", 1)[-1] for n in notes if n and n.startswith("Type of quality assurance")
    ]
    if quality:
        eu["quality_assurance"] = quality
    stack = [
        n.split(": ", 1)[-1] for n in notes if n and n.startswith("Integration / stackability")
    ]
    if stack:
        eu["stackability"] = stack[0]
    entry = read.text(_first(spec.get("entryRequirement")).get("noteLiteral"))
    if entry:
        eu["prerequisites"] = entry
    for document in _list(spec.get("supplementaryDocument")):
        url = _first(document).get("contentURL")
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            eu.setdefault("further_information", url)
    parts = [read.text(_first(p).get("title")) for p in _list(claim.get("hasPart"))]
    if any(parts):
        eu["parts"] = [p for p in parts if p][:MAX_ITEMS]
    return eu


class _Reader:
    def __init__(self, language: str) -> None:
        self.language = language

    def text(self, value: Any) -> str | None:
        """A language map's text in the reader's language, else English, else the first."""
        if isinstance(value, str):
            return value.strip()[:500] or None
        if isinstance(value, list):
            return self.text(value[0]) if value else None
        if isinstance(value, dict):
            if "@value" in value:
                return self.text(value["@value"])
            for key in (self.language, "en", *value):
                found = value.get(key)
                if isinstance(found, str | list) and self.text(found):
                    return self.text(found)
        return None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> dict[str, Any]:
    value = value[0] if isinstance(value, list) and value else value
    return value if isinstance(value, dict) else {}


def _hours(duration: Any) -> float | None:
    if not isinstance(duration, str):
        return None
    match = _DURATION.match(duration)
    if not match or not any(match.groups()):
        return None
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return days * 24 + hours + minutes / 60


__all__ = ["edc_payload", "eu_elements"]
