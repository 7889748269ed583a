"""Malformed input: every refusal is a ModelError naming the field, what was expected and found."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from microcred.errors import ModelError
from microcred.model import parse_credential

FIXTURES = Path(__file__).parent.parent / "fixtures" / "model"
Doc = dict[str, Any]


def full() -> Doc:
    data: Doc = json.loads((FIXTURES / "ob3-full.json").read_text(encoding="utf-8"))
    return data


def achievement(doc: Doc) -> Doc:
    value: Doc = doc["credentialSubject"]["achievement"]
    return value


def _set(path: list[str | int], value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(path: list[str | int]) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


def _anonymous_subject(doc: Doc) -> None:
    del doc["credentialSubject"]["identifier"]
    doc["credentialSubject"].pop("id", None)


ACH = ["credentialSubject", "achievement"]

# (case id, mutation, reported field, a word of `expected`, a word of `found`)
CASES: list[tuple[str, Callable[[Doc], None], str, str, str]] = [
    ("missing issuer", _delete(["issuer"]), "issuer", "required", "nothing"),
    ("issuer not an IRI", _set(["issuer"], "Welding Guild"), "issuer", "IRI", "Welding Guild"),
    ("issuer a number", _set(["issuer"], 7), "issuer", "object", "7"),
    ("issuer without id", _delete(["issuer", "id"]), "issuer.id", "required", "nothing"),
    (
        "naive validFrom",
        _set(["validFrom"], "2024-03-01T08:30:00"),
        "validFrom",
        "timezone",
        "2024-03-01T08:30:00",
    ),
    ("validFrom a date", _set(["validFrom"], "2024-03-01"), "validFrom", "date-time", "2024-03-01"),
    (
        "impossible date",
        _set(["validFrom"], "2024-02-30T00:00:00Z"),
        "validFrom",
        "calendar",
        "02-30",
    ),
    (
        "naive activity date",
        _set(["credentialSubject", "activityStartDate"], "2024-01-08T09:00:00"),
        "credentialSubject.activityStartDate",
        "timezone",
        "2024-01-08",
    ),
    (
        "validUntil before validFrom",
        _set(["validUntil"], "2020-01-01T00:00:00Z"),
        "validUntil",
        "not before",
        "2020-01-01",
    ),
    (
        "wrong credential type",
        _set(["type"], ["VerifiableCredential", "Badge"]),
        "type",
        "OpenBadgeCredential",
        "Badge",
    ),
    ("type not a string", _set(["type"], [1, 2]), "type", "list of strings", "[1, 2]"),
    ("empty type", _set(["type"], []), "type", "non-empty", "[]"),
    (
        "achievement type wrong",
        _set([*ACH, "type"], ["BadgeClass"]),
        "credentialSubject.achievement.type",
        "'Achievement'",
        "BadgeClass",
    ),
    (
        "missing criteria",
        _delete([*ACH, "criteria"]),
        "credentialSubject.achievement.criteria",
        "required",
        "nothing",
    ),
    (
        "bad targetUrl",
        _set([*ACH, "alignment", 1, "targetUrl"], "not a url"),
        "credentialSubject.achievement.alignment[1].targetUrl",
        "IRI",
        "not a url",
    ),
    (
        "targetUrl not on the web",
        _set([*ACH, "alignment", 1, "targetUrl"], "urn:isbn:0451450523"),
        "credentialSubject.achievement.alignment[1].targetUrl",
        "http(s) URL",
        "urn:isbn",
    ),
    (
        "alignment without targetName",
        _delete([*ACH, "alignment", 0, "targetName"]),
        "credentialSubject.achievement.alignment[0].targetName",
        "required",
        "nothing",
    ),
    (
        "unknown achievementType",
        _set([*ACH, "achievementType"], "Badgeish"),
        "credentialSubject.achievement.achievementType",
        "ext:",
        "Badgeish",
    ),
    (
        "credits as text",
        _set([*ACH, "creditsAvailable"], "5"),
        "credentialSubject.achievement.creditsAvailable",
        "number",
        "'5'",
    ),
    (
        "credits as boolean",
        _set([*ACH, "creditsAvailable"], True),
        "credentialSubject.achievement.creditsAvailable",
        "number",
        "True",
    ),
    (
        "image as a bare URL",
        _set([*ACH, "image"], "https://welding.example/badge.png"),
        "credentialSubject.achievement.image",
        "object",
        "badge.png",
    ),
    (
        "image of another type",
        _set(["image", "type"], "Picture"),
        "image.type",
        "'Image'",
        "Picture",
    ),
    (
        "bad language tag",
        _set([*ACH, "inLanguage"], "German!"),
        "credentialSubject.achievement.inLanguage",
        "BCP 47",
        "German!",
    ),
    (
        "subject without id or identifier",
        _anonymous_subject,
        "credentialSubject.id",
        "identifier",
        "nothing",
    ),
    (
        "malformed identity hash",
        _set(["credentialSubject", "identifier", 0, "identityHash"], "sha256$abc"),
        "credentialSubject.identifier[0].identityHash",
        "64 hex",
        "sha256$abc",
    ),
    (
        "hashed not a boolean",
        _set(["credentialSubject", "identifier", 0, "hashed"], "yes"),
        "credentialSubject.identifier[0].hashed",
        "true or false",
        "yes",
    ),
    (
        "unknown result status",
        _set(["credentialSubject", "result", 1, "status"], "Passed"),
        "credentialSubject.result[1].status",
        "Completed",
        "Passed",
    ),
    (
        "statusListIndex not digits",
        _set(["credentialStatus", "statusListIndex"], "12a"),
        "credentialStatus.statusListIndex",
        "digits",
        "12a",
    ),
    (
        "statusListIndex a negative number",  # a JSON number is accepted: 94567 means "94567"
        _set(["credentialStatus", "statusListIndex"], -1),
        "credentialStatus.statusListIndex",
        "digits",
        "-1",
    ),
    (
        "status entry without list",
        _delete(["credentialStatus", "statusListCredential"]),
        "credentialStatus.statusListCredential",
        "required",
        "nothing",
    ),
    (
        "country code spelled out",
        _set(["issuer", "address", "addressCountryCode"], "Germany"),
        "issuer.address.addressCountryCode",
        "ISO 3166-1",
        "Germany",
    ),
    (
        "context without VC 2.0 first",
        _set(["@context"], ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]),
        "@context",
        "https://www.w3.org/ns/credentials/v2",
        "context-3.0.3",
    ),
    (
        "context without OB 3.0",
        _set(["@context"], ["https://www.w3.org/ns/credentials/v2"]),
        "@context",
        "context-3.0.3.json",
        "credentials/v2",
    ),
    (
        "VC 1.1 context",
        _set(["@context", 0], "https://www.w3.org/2018/credentials/v1"),
        "@context",
        "credentials/v2",
        "2018/credentials/v1",
    ),
    (
        "nested endorsement without name",
        _delete([*ACH, "endorsement", 0, "name"]),
        "credentialSubject.achievement.endorsement[0].name",
        "required",
        "nothing",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "field", "expected", "found"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_malformed_input_names_field_expected_and_found(
    mutate: Callable[[Doc], None], field: str, expected: str, found: str
) -> None:
    document = full()
    mutate(document)
    with pytest.raises(ModelError) as caught:
        parse_credential(document)
    error = caught.value
    assert type(error) is ModelError
    assert error.field == field
    assert error.expected is not None
    assert expected in error.expected
    assert error.found is not None
    assert found in error.found
    assert str(error).startswith(f"{field}: ")
    assert "expected" in error.diagnostics()


def test_the_unmodified_fixture_is_valid() -> None:
    # Every case above differs from this document by one change only.
    parse_credential(full())


@pytest.mark.parametrize("data", [[], "credential", None, 42])
def test_a_non_object_is_refused(data: Any) -> None:
    with pytest.raises(ModelError) as caught:
        parse_credential(data)
    assert caught.value.field == "(document)"
    assert caught.value.expected == "a JSON object"


def test_several_problems_are_counted() -> None:
    document = full()
    del document["issuer"]
    del document["validFrom"]
    with pytest.raises(ModelError, match=r"and 1 more problem\b"):
        parse_credential(document)


def test_pydantic_errors_are_chained_not_leaked() -> None:
    document = full()
    del document["issuer"]
    with pytest.raises(ModelError) as caught:
        parse_credential(document)
    assert caught.value.__cause__ is not None
    assert type(caught.value.__cause__).__name__ == "ValidationError"
