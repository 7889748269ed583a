"""Parsing OB 3.0 documents into the model and writing them back unchanged."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from microcred.errors import ModelError
from microcred.model import (
    Achievement,
    BitstringStatusListEntry,
    CredentialStatus,
    EndorsementCredential,
    OpenBadgeCredential,
    Profile,
    Timestamp,
    credential_to_json,
    parse_achievement,
    parse_credential,
    parse_profile,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "model"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def walk(value: Any) -> list[Any]:
    """Every value in a JSON tree, depth first."""
    found = [value]
    if isinstance(value, dict):
        for item in value.values():
            found.extend(walk(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(walk(item))
    return found


def test_impl_guide_example_parses_into_typed_objects() -> None:
    credential = parse_credential(load("ob3-impl-guide-unsigned.json"))

    assert isinstance(credential, OpenBadgeCredential)
    assert credential.id == "http://example.com/credentials/3527"
    assert isinstance(credential.issuer, Profile)
    assert credential.issuer.name == "Example Corp"
    assert credential.issuer_id == "https://example.edu/issuers/565049"
    assert credential.valid_from.value == datetime(2010, 1, 1, tzinfo=UTC)
    assert credential.credential_subject.id == "did:example:ebfeb1f712ebc6f1c276e12ec21"
    assert credential.achievement.name == "Teamwork"
    assert credential.achievement.criteria.narrative is not None
    assert credential.achievement.criteria.narrative.startswith("Team members are nominated")
    assert not credential.achievement.is_eu_microcredential


@pytest.mark.parametrize(
    "name",
    [
        "ob3-impl-guide-unsigned.json",
        "ob3-impl-guide-signed.json",
        "ob3-full.json",
        "ob3-endorsement.json",
        "eu-microcredential.json",
    ],
)
def test_round_trip_is_exact(name: str) -> None:
    document = load(name)
    written = credential_to_json(parse_credential(document))
    assert written == document
    # Same JSON text, not merely equal Python values (2 == 2.0 in Python, not in JSON-LD).
    assert json.dumps(written, sort_keys=True) == json.dumps(document, sort_keys=True)


def test_to_json_puts_context_first_and_writes_no_nulls() -> None:
    credential = parse_credential(load("ob3-full.json"))
    written = credential.to_json()
    assert next(iter(written)) == "@context"
    assert None not in walk(written)


def test_full_document_fields_are_typed() -> None:
    credential = parse_credential(load("ob3-full.json"))
    assert isinstance(credential, OpenBadgeCredential)
    assert credential.types == ("VerifiableCredential", "AchievementCredential")
    achievement = credential.achievement
    assert achievement.alignment is not None
    assert achievement.alignment[1].target_url == "https://welding.example/frameworks/safety#1"
    assert achievement.endorsement is not None
    assert isinstance(achievement.endorsement[0], EndorsementCredential)
    assert achievement.result_description is not None
    assert achievement.result_description[1].rubric_criterion_level is not None
    assert isinstance(credential.credential_status, BitstringStatusListEntry)
    assert credential.credential_status.status_list_index == "94567"
    subject = credential.credential_subject
    assert subject.id is None
    assert subject.identifier is not None
    assert subject.identifier[0].salt == "Kosher"
    assert subject.result is not None
    assert subject.result[1].status == "Completed"


def test_unknown_fields_are_kept_at_every_level() -> None:
    document = load("ob3-full.json")
    credential = parse_credential(document)
    assert isinstance(credential, OpenBadgeCredential)
    assert isinstance(credential.issuer, Profile)
    assert credential.issuer.model_extra == {"x-guild-rank": 3}
    assert credential.achievement.model_extra == {
        "x-internal-code": {"catalogue": "2024/17", "active": True}
    }
    assert credential.to_json()["termsOfUse"] == document["termsOfUse"]


def test_proof_is_handed_back_untouched() -> None:
    document = load("ob3-impl-guide-signed.json")
    assert parse_credential(document).to_json()["proof"] == document["proof"]


def test_type_may_be_a_string_and_stays_one() -> None:
    document = load("ob3-full.json")
    credential = parse_credential(document)
    assert isinstance(credential, OpenBadgeCredential)
    assert credential.credential_subject.type == "AchievementSubject"
    assert credential.to_json()["credentialSubject"]["type"] == "AchievementSubject"


def test_timestamps_keep_their_lexical_form() -> None:
    credential = parse_credential(load("ob3-full.json"))
    assert str(credential.valid_from) == "2024-03-01T08:30:00.000+01:00"
    assert credential.valid_from.value == datetime(2024, 3, 1, 7, 30, tzinfo=UTC)
    assert credential.valid_from.value.utcoffset() == timedelta(hours=1)


def test_numbers_keep_integer_or_decimal_form() -> None:
    credential = parse_credential(load("ob3-full.json"))
    assert isinstance(credential, OpenBadgeCredential)
    assert type(credential.achievement.credits_available) is int
    assert type(credential.credential_subject.credits_earned) is float


def test_timestamp_from_datetime_writes_z_for_utc() -> None:
    assert str(Timestamp(datetime(2024, 5, 1, 9, tzinfo=UTC))) == "2024-05-01T09:00:00Z"
    plus_two = timezone(timedelta(hours=2))
    assert str(Timestamp(datetime(2024, 5, 1, 9, tzinfo=plus_two))) == "2024-05-01T09:00:00+02:00"
    with pytest.raises(ValueError, match="timezone"):
        Timestamp(datetime(2024, 5, 1, 9))


def test_endorsement_credential_is_recognised_by_type() -> None:
    credential = parse_credential(load("ob3-endorsement.json"))
    assert isinstance(credential, EndorsementCredential)
    assert credential.issuer == "https://chamber.example/issuer"
    assert credential.credential_subject.endorsement_comment is not None
    # A status method we do not model is kept as a generic entry.
    assert type(credential.credential_status) is CredentialStatus


def test_parse_achievement_and_profile_stand_alone() -> None:
    document = load("ob3-full.json")
    achievement_json = document["credentialSubject"]["achievement"]
    achievement = parse_achievement(achievement_json)
    assert isinstance(achievement, Achievement)
    assert achievement.to_json() == achievement_json
    profile = parse_profile(document["issuer"])
    assert profile.address is not None
    assert profile.address.address_country_code == "DE"
    assert profile.to_json() == document["issuer"]


def test_parsed_objects_are_immutable() -> None:
    credential = parse_credential(load("ob3-impl-guide-unsigned.json"))
    with pytest.raises(ValidationError):
        credential.id = "urn:uuid:other"  # type: ignore[misc]


def test_snake_case_keys_in_json_are_not_field_names() -> None:
    # JSON is read by its OB names only: "valid_from" is an unknown field, so validFrom is missing.
    document = load("ob3-impl-guide-unsigned.json")
    document["valid_from"] = document.pop("validFrom")
    with pytest.raises(ModelError, match="validFrom"):
        parse_credential(document)


def test_parse_does_not_change_its_input() -> None:
    document = load("ob3-full.json")
    before = copy.deepcopy(document)
    parse_credential(document)
    assert document == before
