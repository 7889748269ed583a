"""Builders for unsigned credentials, and the public surface of microcred.model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import microcred.model
from microcred.errors import ModelError
from microcred.model import (
    Achievement,
    AchievementSubject,
    Criteria,
    Evidence,
    OpenBadgeCredential,
    Profile,
    Result,
    build_credential,
    hashed_email_identity,
    parse_credential,
)

ISSUER = Profile(id="https://issuer.example/profile", name="Issuer")
BADGE = Achievement(
    id="https://issuer.example/achievements/1",
    name="First steps",
    description="Finished the introduction.",
    criteria=Criteria(narrative="Complete every unit."),
)
START = datetime(2024, 5, 1, 9, tzinfo=UTC)


def build(**overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "id": "urn:uuid:5a0c7f3e-1d2b-4c8a-9e6f-0b1a2c3d4e5f",
        "issuer": ISSUER,
        "achievement": BADGE,
        "subject": "did:example:learner",
        "valid_from": START,
    }
    arguments.update(overrides)
    return build_credential(**arguments)  # type: ignore[arg-type]


def test_minimal_credential() -> None:
    document = build()
    assert document == {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:5a0c7f3e-1d2b-4c8a-9e6f-0b1a2c3d4e5f",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "First steps",
        "issuer": {"id": "https://issuer.example/profile", "type": ["Profile"], "name": "Issuer"},
        "validFrom": "2024-05-01T09:00:00Z",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": BADGE.to_json(),
        },
    }
    assert parse_credential(document).to_json() == document


def test_subject_as_hashed_identity() -> None:
    identity = hashed_email_identity("learner@example.org", salt="abc")
    subject = build(subject=identity)["credentialSubject"]
    assert isinstance(subject, dict)
    assert "id" not in subject
    assert subject["identifier"] == [identity.to_json()]


def test_subject_as_full_achievement_subject_gets_the_achievement() -> None:
    other = Achievement(
        id="https://issuer.example/achievements/other",
        name="Other",
        description="Another badge.",
        criteria=Criteria(id="https://issuer.example/criteria/other"),
    )
    subject = AchievementSubject(id="did:example:learner", achievement=other, role="Mentor")
    document = build(subject=subject, result=[Result(value="A")])
    credential = parse_credential(document)
    assert isinstance(credential, OpenBadgeCredential)
    assert credential.achievement.id == BADGE.id
    assert credential.credential_subject.role == "Mentor"
    assert credential.credential_subject.result == [Result(value="A")]


def test_optional_parts_are_written() -> None:
    document = build(
        valid_until=datetime(2026, 5, 1, tzinfo=UTC),
        awarded_date=datetime(2024, 4, 30, 12, 30, 15, 250000, tzinfo=UTC),
        name="First steps (2024)",
        evidence=[Evidence(narrative="Portfolio reviewed.")],
        extra_contexts=["https://www.w3.org/ns/credentials/v2"],
    )
    assert document["name"] == "First steps (2024)"
    assert document["validUntil"] == "2026-05-01T00:00:00Z"
    assert document["awardedDate"] == "2024-04-30T12:30:15.250000Z"
    assert document["evidence"] == [{"type": ["Evidence"], "narrative": "Portfolio reviewed."}]
    assert len(document["@context"]) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"valid_from": datetime(2024, 5, 1, 9)}, "validFrom"),
        ({"valid_until": datetime(2020, 1, 1, tzinfo=UTC)}, "validUntil"),
        ({"subject": "learner@example.org"}, "credentialSubject.id"),
        ({"id": "not an iri"}, "id"),
    ],
)
def test_builder_refuses_what_the_parser_refuses(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ModelError) as caught:
        build(**overrides)
    assert caught.value.field == field


def test_python_construction_errors_use_json_names() -> None:
    with pytest.raises(ModelError) as caught:
        Achievement(
            id="https://issuer.example/a",
            name="A",
            description="A",
            criteria=Criteria(),
            credits_available="3",  # type: ignore[arg-type]
        )
    assert caught.value.field == "creditsAvailable"


def test_public_names() -> None:
    exported = set(microcred.model.__all__)
    assert {
        "parse_credential",
        "parse_achievement",
        "parse_profile",
        "credential_to_json",
        "build_credential",
        "hashed_email_identity",
        "identity_matches",
        "OpenBadgeCredential",
        "AchievementCredential",
        "EndorsementCredential",
        "EndorsementSubject",
        "Achievement",
        "AchievementSubject",
        "Profile",
        "IdentityObject",
        "Evidence",
        "Result",
        "BitstringStatusListEntry",
        "EqfLevel",
    } <= exported
    for name in exported:
        assert getattr(microcred.model, name) is not None
    assert microcred.model.AchievementCredential is OpenBadgeCredential
