"""One of our credentials as a European Digital Credential (ELM v3, JSON-LD, VC Data Model 1.1).

Pure: it reads the credential as signed (an OB 3.0 ``OpenBadgeCredential`` with the EU
micro-credential elements of ``docs/design/eu-microcredential.md``) and writes the EDC that the
Commission's ``EDC-generic-no-cv`` and ``EDC-generic-full`` shapes accept. The mapping of each
Annex I element is in ``docs/design/europass.md``. Text is tagged with the achievement's
``inLanguage`` (English when it names none), since ELM's texts are language maps.

Node ids are UUIDs derived from the credential's id, so the same credential exports the same
graph every time; the parts of a micro-degree become sub-achievements (``hasPart``) of its claim,
and their specifications parts (``hasPart``) of its qualification.
"""

from __future__ import annotations

import base64
import io
import textwrap
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microcred.errors import InputError, short
from microcred.europass import vocab
from microcred.model import parse_credential
from microcred.model.achievement import Achievement
from microcred.model.credential import OpenBadgeCredential
from microcred.types import JsonObject

VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
EDC_CONTEXT = "http://data.europa.eu/snb/model/context/edc-ap"
EDC_TYPES = ["VerifiableCredential", "EuropeanDigitalCredential"]
MAX_PARTS = 50


@dataclass(frozen=True)
class Learner:
    """Who the credential is about, as the platform knows them (the credential carries only a
    DID or a salted e-mail hash)."""

    name: str | None = None


class _Ids:
    """Stable node ids: a UUID per (credential, role) pair."""

    def __init__(self, seed: str) -> None:
        self.seed = seed

    def __call__(self, role: str) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{self.seed}#{role}')}"


def build_edc(
    credential: Mapping[str, Any],
    *,
    legal_identifier: str,
    learner: Learner,
    issued: datetime,
    image_png: bytes | None = None,
    parts: Sequence[Mapping[str, Any]] = (),
) -> JsonObject:
    """The EDC for ``credential`` (and its ``parts``, as sub-achievements), unsealed.

    ``legal_identifier`` is the awarding body's legal (eIDAS) identifier, which the Commission's
    shapes require of the issuer and an Open Badges profile does not carry. That the parts are
    the same learner's is the caller's to check: salted e-mail hashes differ between credentials.
    """
    main = _parse(credential, "credential")
    if len(parts) > MAX_PARTS:
        raise InputError("too many parts", expected=f"at most {MAX_PARTS}", found=str(len(parts)))
    part_models = [_parse(part, f"part {n + 1}") for n, part in enumerate(parts)]
    for part in part_models:
        if part.id == main.id:
            raise InputError("a credential cannot be a part of itself", found=short(part.id))
    if not legal_identifier.strip():
        raise InputError(
            "the awarding body has no legal identifier",
            expected="its legal (eIDAS) identifier, e.g. a VAT or company number",
        )
    ids = _Ids(main.id or str(credential.get("id")))
    lang = _language(main.credential_subject.achievement)
    issuer = _organisation(main, ids("issuer"), lang, legal_identifier=legal_identifier.strip())
    claim = _claim(main, ids, lang)
    if part_models:
        claim["hasPart"] = []
        claim["specifiedBy"]["hasPart"] = []
        for part in part_models:
            part_ids = _Ids(f"{ids.seed}/part/{part.id}")
            part_lang = _language(part.credential_subject.achievement)
            # Another awarding body is described where it is named; the issuer is named by id.
            same = _issuer_id(part) == issuer["id"]
            body = None if same else _organisation(part, part_ids("issuer"), part_lang)
            sub = _claim(part, part_ids, part_lang, body=body)
            claim["hasPart"].append(sub)
            claim["specifiedBy"]["hasPart"].append(sub["specifiedBy"]["id"])
    edc: JsonObject = {
        "@context": [VC1_CONTEXT, EDC_CONTEXT],
        "id": ids("credential"),
        "type": list(EDC_TYPES),
        "credentialProfiles": vocab.concept(vocab.GENERIC_PROFILE, vocab.PROFILE_SCHEME, "Generic"),
        "credentialSchema": {"id": vocab.EDC_SCHEMA, "type": "ShaclValidator2017"},
        "identifier": {
            "id": ids("identifier"),
            "type": "Identifier",
            "schemeName": "Open Badges credential id",
            "notation": main.id,
        },
        "issuer": issuer,
        "issued": _time(issued),
        "issuanceDate": _time(issued),
        "validFrom": str(main.valid_from),
        "credentialSubject": _person(main, ids, lang, learner, claim),
        "displayParameter": _display(main, ids, lang, image_png),
    }
    if main.valid_until:
        edc["expirationDate"] = str(main.valid_until)
        edc["validUntil"] = str(main.valid_until)
    return edc


# ---- reading ours -----------------------------------------------------------------------------


def _parse(data: Mapping[str, Any], what: str) -> OpenBadgeCredential:
    parsed = parse_credential(data)
    if not isinstance(parsed, OpenBadgeCredential):
        raise InputError(
            f"the {what} is not an achievement credential",
            expected="an OpenBadgeCredential",
            found=short(data.get("type")),
        )
    return parsed


def _issuer_id(credential: OpenBadgeCredential) -> str:
    issuer = credential.issuer
    return issuer if isinstance(issuer, str) else issuer.id


def _language(achievement: Achievement) -> str:
    return achievement.in_language or "en"


def _text(value: str, lang: str) -> dict[str, str]:
    return {lang: value}


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# ---- the awarding body and the learner ----------------------------------------------------------


def _organisation(
    credential: OpenBadgeCredential, node_id: str, lang: str, *, legal_identifier: str | None = None
) -> JsonObject:
    profile = credential.issuer
    if isinstance(profile, str) or profile.name is None:
        raise InputError(
            "the credential's issuer has no name",
            expected="an inline issuer profile with a name and a country",
            found=short(profile if isinstance(profile, str) else profile.id),
        )
    address = profile.address
    code = address.address_country_code if address is not None else None
    if not code:
        raise InputError(
            "the credential's issuer has no country",
            expected="issuer.address.addressCountryCode (ISO 3166-1 alpha-2)",
            found=short(profile.id),
        )
    country = vocab.country(code)
    org: JsonObject = {
        "id": profile.id,
        "type": "Organisation",
        "legalName": _text(profile.name, lang),
        "location": {
            "id": f"{node_id}:location",
            "type": "Location",
            "address": _address(address, f"{node_id}:address", country, lang),
        },
    }
    if legal_identifier is not None:
        org["eIDASIdentifier"] = {
            "id": f"{node_id}:legal-identifier",
            "type": "LegalIdentifier",
            "notation": legal_identifier,
            "spatial": country,
        }
    if profile.url and profile.url.startswith(("https://", "http://")):
        org["homepage"] = {
            "id": f"{node_id}:homepage",
            "type": "WebResource",
            "contentURL": profile.url,
        }
    if profile.email:
        org["contactPoint"] = {
            "id": f"{node_id}:contact",
            "type": "ContactPoint",
            "emailAddress": {"id": f"mailto:{profile.email}", "type": "Mailbox"},
        }
    return org


def _address(address: Any, node_id: str, country: JsonObject, lang: str) -> JsonObject:
    node: JsonObject = {"id": node_id, "type": "Address", "countryCode": country}
    lines = [
        getattr(address, name)
        for name in ("street_address", "postal_code", "address_locality", "address_region")
        if getattr(address, name, None)
    ]
    if lines:
        node["fullAddress"] = _note(f"{node_id}:full", ", ".join(lines), lang)
    return node


def _person(
    credential: OpenBadgeCredential,
    ids: _Ids,
    lang: str,
    learner: Learner,
    claim: JsonObject,
) -> JsonObject:
    subject = credential.credential_subject
    person: JsonObject = {"id": subject.id or ids("learner"), "type": "Person"}
    if learner.name:
        person["fullName"] = _text(learner.name, lang)
    identifiers = [
        {
            "id": ids(f"learner-identifier-{n}"),
            "type": "Identifier",
            "schemeName": f"Open Badges identityHash ({i.identity_type}"
            + (f", salt {i.salt})" if i.salt else ")"),
            "notation": i.identity_hash,
        }
        for n, i in enumerate(subject.identifier or [])
    ]
    if identifiers:
        person["identifier"] = identifiers
    person["hasClaim"] = claim
    return person


# ---- the claim: achievement, specification, assessments ---------------------------------------


def _claim(
    credential: OpenBadgeCredential, ids: _Ids, lang: str, *, body: JsonObject | None = None
) -> JsonObject:
    subject = credential.credential_subject
    achievement = subject.achievement
    issuer_id = _issuer_id(credential)
    process: JsonObject = {
        "id": ids("awarding"),
        "type": "AwardingProcess",
        "awardingBody": body if body is not None else issuer_id,
        "awardingDate": str(credential.awarded_date or credential.valid_from),
    }
    claim: JsonObject = {
        "id": ids("claim"),
        "type": "LearningAchievement",
        "title": _text(achievement.name, lang),
        "description": _text(achievement.description, lang),
        "awardedBy": process,
        "specifiedBy": _qualification(achievement, ids, lang),
    }
    assessments = _assessments(credential, ids, lang, process["id"])
    if assessments:
        claim["provenBy"] = assessments
    if subject.credits_earned is not None and achievement.credit_system:
        claim["creditReceived"] = _credit(
            ids("credit-received"), subject.credits_earned, achievement.credit_system
        )
    return claim


def _qualification(achievement: Achievement, ids: _Ids, lang: str) -> JsonObject:
    spec: JsonObject = {
        "id": ids("specification"),
        "type": "Qualification",
        "title": _text(achievement.name, lang),
        "description": _text(achievement.description, lang),
        "language": vocab.language(lang),
    }
    if achievement.eqf_level is not None:
        spec["eqfLevel"] = vocab.concept(
            achievement.eqf_level.iri, vocab.EQF_SCHEME, f"Level {int(achievement.eqf_level)}"
        )
    if achievement.credits_available is not None and achievement.credit_system:
        spec["creditPoint"] = _credit(
            ids("credit"), achievement.credits_available, achievement.credit_system
        )
    if achievement.volume_of_learning:
        spec["volumeOfLearning"] = achievement.volume_of_learning
    if achievement.participation_form is not None:
        iri, scheme, label = vocab.PARTICIPATION[achievement.participation_form.value]
        spec["mode"] = vocab.concept(iri, scheme, label)
    if achievement.prerequisites:
        spec["entryRequirement"] = _note(ids("prerequisites"), achievement.prerequisites, lang)
    if achievement.learning_outcome:
        skills = {a.target_url: a.target_name for a in achievement.alignment or []}
        spec["learningOutcome"] = [
            _outcome(outcome, ids(f"outcome-{n}"), lang, skills)
            for n, outcome in enumerate(achievement.learning_outcome)
        ]
    notes = []
    for value in achievement.quality_assurance or []:
        notes.append(
            _topic_note(
                ids(f"quality-{value.value}"),
                vocab.QUALITY_LABELS[value.value],
                lang,
                topic="quality-assurance",
                concept=vocab.ours(
                    "quality-assurance", value.value, vocab.QUALITY_LABELS[value.value]
                ),
            )
        )
    if achievement.stackability is not None:
        label = vocab.STACKABILITY_LABELS[achievement.stackability.value]
        notes.append(
            _topic_note(
                ids("stackability"),
                label,
                lang,
                topic="stackability",
                concept=vocab.ours("stackability", achievement.stackability.value, label),
            )
        )
        spec["isPartialQualification"] = achievement.stackability.value == "stackable"
    if notes:
        spec["additionalNote"] = notes
    documents = []
    if achievement.accreditation:
        documents.append(
            _web(ids("accreditation"), achievement.accreditation, "Accreditation", lang)
        )
    if achievement.further_information:
        documents.append(
            _web(ids("further"), achievement.further_information, "Further information", lang)
        )
    if documents:
        spec["supplementaryDocument"] = documents
    if achievement.criteria.narrative:
        spec["learningOutcomeSummary"] = _note(
            ids("criteria"), achievement.criteria.narrative, lang
        )
    return spec


def _outcome(outcome: Any, node_id: str, lang: str, skills: Mapping[str, str]) -> JsonObject:
    node: JsonObject = {
        "id": node_id,
        "type": "LearningOutcome",
        "title": _text(outcome.title, lang),
    }
    esco, other = [], []
    for iri in outcome.related_esco_skill or []:
        label = skills.get(iri)
        if iri.startswith(vocab.ESCO_SKILL):
            concept = vocab.concept(iri, vocab.ESCO_SKILLS_SCHEME, label or iri.rsplit("/", 1)[-1])
            esco.append({**concept, "notation": "Skill"})
        else:
            other.append(
                {"id": iri, "type": "Concept", **({"prefLabel": {lang: label}} if label else {})}
            )
    if esco:
        node["relatedESCOSkill"] = esco
    if other:
        node["relatedSkill"] = other
    return node


def _assessments(
    credential: OpenBadgeCredential, ids: _Ids, lang: str, process_id: str
) -> list[JsonObject]:
    achievement = credential.credential_subject.achievement
    results = [r.value for r in credential.credential_subject.result or [] if r.value]
    grade = "; ".join(results) if results else "Passed"
    supervision = None
    if achievement.assessment_supervision is not None:
        iri, scheme, label = vocab.SUPERVISION[achievement.assessment_supervision.value]
        supervision = vocab.concept(iri, scheme, label)
    found = []
    for kind in achievement.assessment_type or []:
        label = vocab.ASSESSMENT_LABELS[kind.value]
        assessment: JsonObject = {
            "id": ids(f"assessment-{kind.value}"),
            "type": "LearningAssessment",
            "title": _text(label, lang),
            "grade": _note(ids(f"grade-{kind.value}"), grade, lang),
            "awardedBy": process_id,
            "specifiedBy": {
                "id": ids(f"assessment-spec-{kind.value}"),
                "type": "LearningAssessmentSpecification",
                "title": _text(label, lang),
                "dcType": vocab.ours("assessment", kind.value, label),
            },
        }
        if supervision is not None:
            assessment["idVerification"] = supervision
        found.append(assessment)
    return found


def _credit(node_id: str, points: float, system: str) -> JsonObject:
    if system.startswith(f"{vocab.SNB}education-credit/"):
        framework = vocab.concept(system, vocab.CREDIT_SCHEME, "European Credit Transfer System")
    else:
        framework = {"id": system, "type": "Concept"}
    text = str(int(points)) if float(points).is_integer() else str(points)
    return {"id": node_id, "type": "CreditPoint", "framework": framework, "point": text}


def _note(node_id: str, text: str, lang: str) -> JsonObject:
    return {"id": node_id, "type": "Note", "noteLiteral": _text(text, lang)}


def _topic_note(
    node_id: str, text: str, lang: str, *, topic: str, concept: JsonObject
) -> JsonObject:
    note = _note(node_id, f"{vocab.NOTE_TOPICS[topic]}: {text}", lang)
    note["subject"] = concept
    return note


def _web(node_id: str, url: str, title: str, lang: str) -> JsonObject:
    return {"id": node_id, "type": "WebResource", "contentURL": url, "title": _text(title, lang)}


# ---- how the Europass viewer shows it --------------------------------------------------------


def _display(
    credential: OpenBadgeCredential, ids: _Ids, lang: str, image_png: bytes | None
) -> JsonObject:
    achievement = credential.credential_subject.achievement
    language = vocab.language(lang)
    png = image_png if image_png and image_png.startswith(b"\x89PNG") else _card(achievement.name)
    media: JsonObject = {
        "id": ids("display-image"),
        "type": "MediaObject",
        "content": base64.b64encode(png).decode("ascii"),
        "contentType": {
            **vocab.concept(f"{vocab.FILE_TYPE_SCHEME}/PNG", vocab.FILE_TYPE_SCHEME, "PNG"),
            "notation": "file-type",
        },
        "contentEncoding": vocab.concept(vocab.BASE64, vocab.ENCODING_SCHEME, "base64"),
    }
    return {
        "id": ids("display"),
        "type": "DisplayParameter",
        "title": _text(achievement.name, lang),
        "description": _text(achievement.description, lang),
        "language": language,
        "primaryLanguage": language,
        "individualDisplay": {
            "id": ids("display-individual"),
            "type": "IndividualDisplay",
            "language": language,
            "displayDetail": {
                "id": ids("display-detail"),
                "type": "DisplayDetail",
                "page": 1,
                "image": media,
            },
        },
    }


def _card(title: str) -> bytes:
    """A plain picture of the title, for a credential whose badge is not a PNG (the display
    shapes require one page image)."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (800, 566), "white")
    draw = ImageDraw.Draw(picture)
    draw.rectangle((16, 16, 783, 549), outline="#1d4ed8", width=6)
    lines = textwrap.wrap(title, 40)[:6]
    for n, line in enumerate(lines):
        draw.text((60, 200 + 30 * n), line, fill="#111111", font_size=26)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


__all__ = ["EDC_CONTEXT", "EDC_TYPES", "VC1_CONTEXT", "Learner", "build_edc"]
