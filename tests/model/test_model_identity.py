"""Hashed e-mail identities (OB 3.0 IdentityObject, IdentityHash)."""

from __future__ import annotations

import hashlib

import pytest

from microcred.errors import ModelError
from microcred.model import IdentityObject, hashed_email_identity, identity_matches

# The example given by OB 3.0 for IdentityHash: SHA-256 of "a@example.com" salted with "Kosher".
SPEC_HASH = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"


def test_spec_example_hash() -> None:
    identity = hashed_email_identity("a@example.com", salt="Kosher")
    assert identity.identity_hash == SPEC_HASH
    assert identity.to_json() == {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": SPEC_HASH,
        "identityType": "emailAddress",
        "salt": "Kosher",
    }


def test_address_is_trimmed_and_lower_cased_before_hashing() -> None:
    assert hashed_email_identity("  A@Example.COM ", salt="Kosher").identity_hash == SPEC_HASH


def test_a_fresh_random_salt_is_drawn_by_default() -> None:
    first = hashed_email_identity("a@example.com")
    second = hashed_email_identity("a@example.com")
    assert first.salt is not None
    assert second.salt is not None
    assert len(first.salt) == 32
    assert first.salt != second.salt
    assert first.identity_hash != second.identity_hash


def test_not_an_address_is_refused() -> None:
    with pytest.raises(ValueError, match="e-mail"):
        hashed_email_identity("a.example.com")


@pytest.mark.parametrize("email", ["a@example.com", "A@EXAMPLE.com", " a@example.com\n"])
def test_matches_the_same_address_however_written(email: str) -> None:
    assert identity_matches(hashed_email_identity("a@example.com", salt="Kosher"), email)


@pytest.mark.parametrize("email", ["b@example.com", "a@example.org", "a@example.comKosher", ""])
def test_does_not_match_another_address(email: str) -> None:
    assert not identity_matches(hashed_email_identity("a@example.com", salt="Kosher"), email)


def test_matches_upper_case_hex_and_hashes_made_without_lower_casing() -> None:
    upper = IdentityObject(
        hashed=True,
        identity_hash=SPEC_HASH.upper().replace("SHA256", "sha256"),
        identity_type="emailAddress",
        salt="Kosher",
    )
    assert identity_matches(upper, "a@example.com")
    digest = hashlib.sha256(b"Ana@Example.org" + b"pepper").hexdigest()
    foreign = IdentityObject(
        hashed=True, identity_hash="sha256$" + digest, identity_type="emailAddress", salt="pepper"
    )
    assert identity_matches(foreign, "Ana@Example.org")
    assert not identity_matches(foreign, "ana@example.org")


def test_md5_unsalted_and_plaintext_identities() -> None:
    md5 = IdentityObject(
        hashed=True,
        identity_hash="md5$" + hashlib.md5(b"a@example.com").hexdigest(),
        identity_type="emailAddress",
    )
    assert identity_matches(md5, "a@example.com")
    plain = IdentityObject(
        hashed=False, identity_hash="A@example.com", identity_type="emailAddress"
    )
    assert identity_matches(plain, "a@EXAMPLE.com")
    assert not identity_matches(plain, "b@example.com")


def test_other_identity_types_never_match_an_email() -> None:
    student = IdentityObject(hashed=False, identity_hash="a@example.com", identity_type="sourcedId")
    assert not identity_matches(student, "a@example.com")


@pytest.mark.parametrize(
    "identity_hash",
    [
        "sha256$" + "0" * 63,
        "md5$" + "0" * 64,
        "sha1$" + "0" * 40,
        "b5809d8a92f8858436d7e6b87c12ebc0",
    ],
)
def test_badly_shaped_hashes_are_refused(identity_hash: str) -> None:
    with pytest.raises(ModelError) as caught:
        IdentityObject(hashed=True, identity_hash=identity_hash, identity_type="emailAddress")
    assert caught.value.field == "identityHash"
    assert caught.value.found is not None
    assert caught.value.found.startswith(repr(identity_hash)[:20])


def test_unhashed_identities_may_hold_any_text() -> None:
    assert IdentityObject(hashed=False, identity_hash="x", identity_type="userName").hashed is False


@pytest.mark.parametrize(("identity_type", "ok"), [("ext:StudentCard", True), ("email", False)])
def test_identity_types_come_from_the_ob_list_or_ext(identity_type: str, ok: bool) -> None:
    if ok:
        assert (
            IdentityObject(
                hashed=False, identity_hash="x", identity_type=identity_type
            ).identity_type
            == identity_type
        )
        return
    with pytest.raises(ModelError) as caught:
        IdentityObject(hashed=False, identity_hash="x", identity_type=identity_type)
    assert caught.value.field == "identityType"
    assert "ext:" in (caught.value.expected or "")
