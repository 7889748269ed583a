"""Bitstring Status List v1.0: the spec's example, bit order, limits, entries, and a property."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.crypto import statuslist
from microcred.crypto.statuslist import (
    MIN_LENGTH,
    BitstringStatusList,
    StatusCheck,
    check_status_entry,
    status_entry,
    status_list_credential,
)
from microcred.errors import StatusListError

# From the spec's "Status List Verifiable Credential" and "Revocable Verifiable Credential"
# examples: an all-zero list of 131,072 bits, and an entry pointing at index 94567.
SPEC_LIST_CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "https://example.com/credentials/status/3",
    "type": ["VerifiableCredential", "BitstringStatusListCredential"],
    "issuer": "did:example:12345",
    "validFrom": "2021-04-05T14:27:40Z",
    "credentialSubject": {
        "id": "https://example.com/status/3#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
    },
}
SPEC_ENTRY: dict[str, Any] = {
    "id": "https://example.com/credentials/status/3#94567",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "94567",
    "statusListCredential": "https://example.com/credentials/status/3",
}
LIST_URL = "https://issuer.example/status/1"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def encoded_from_bytes(raw: bytes) -> str:
    """encodedList built by hand (not by the module under test)."""
    return "u" + base64.urlsafe_b64encode(gzip.compress(raw)).decode().rstrip("=")


def make_list_credential(
    status_list: BitstringStatusList, purpose: Any = "revocation"
) -> dict[str, Any]:
    return status_list_credential(
        id=LIST_URL,
        issuer="did:example:issuer",
        status_purpose=purpose,
        status_list=status_list,
        valid_from=T0,
    )


# --- the spec's published example ----------------------------------------------------------------


def test_spec_example_encoded_list_is_all_zero_and_minimum_length() -> None:
    status_list = BitstringStatusList.decode(
        SPEC_LIST_CREDENTIAL["credentialSubject"]["encodedList"]
    )
    assert status_list.length == MIN_LENGTH == 131_072
    assert status_list.to_bytes() == bytes(16 * 1024)
    assert list(status_list.iter_set()) == []


def test_spec_example_entry_is_not_revoked() -> None:
    result = check_status_entry(SPEC_ENTRY, SPEC_LIST_CREDENTIAL)
    assert result == StatusCheck(
        purpose="revocation", index=94567, set=False, message="Not revoked."
    )


# --- bit order: index 0 is the left-most bit --------------------------------------------------


@pytest.mark.parametrize(
    ("index", "byte", "mask"),
    [(0, 0, 0x80), (7, 0, 0x01), (8, 1, 0x80), (94567, 11820, 0x01), (131_071, 16383, 0x01)],
)
def test_bit_positions(index: int, byte: int, mask: int) -> None:
    status_list = BitstringStatusList()
    status_list.set(index, True)
    raw = status_list.to_bytes()
    assert raw[byte] == mask
    assert sum(raw) == mask  # nothing else set
    assert status_list.get(index)
    decoded = BitstringStatusList.decode(status_list.encode())
    assert list(decoded.iter_set()) == [index]
    status_list.set(index, False)
    assert not status_list.get(index)
    assert status_list.to_bytes() == bytes(16 * 1024)


def test_hand_built_list_reads_left_to_right() -> None:
    raw = bytearray(16 * 1024)
    raw[0] = 0b1010_0000  # indices 0 and 2
    raw[-1] = 0b0000_0001  # index 131071
    status_list = BitstringStatusList.decode(encoded_from_bytes(bytes(raw)))
    assert list(status_list.iter_set()) == [0, 2, 131_071]
    assert [status_list.get(i) for i in range(4)] == [True, False, True, False]


def test_set_is_idempotent_and_unset_clears_only_one_bit() -> None:
    status_list = BitstringStatusList()
    for index in (3, 4, 5):
        status_list.set(index, True)
    status_list.set(4, True)
    status_list.set(4, False)
    status_list.set(4, False)
    assert list(status_list.iter_set()) == [3, 5]


def test_encode_is_multibase_base64url_without_padding_and_reproducible() -> None:
    status_list = BitstringStatusList()
    status_list.set(12345, True)
    encoded = status_list.encode()
    assert encoded.startswith("uH4sI")  # 'u' + base64url of the GZIP magic 1f 8b
    assert "=" not in encoded
    assert set(encoded[1:]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert encoded == status_list.encode()
    assert BitstringStatusList.decode(encoded) == status_list


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=MIN_LENGTH - 1), max_size=64))
def test_round_trip_sets_exactly_the_chosen_indices(indices: set[int]) -> None:
    status_list = BitstringStatusList()
    for index in indices:
        status_list.set(index, True)
    decoded = BitstringStatusList.decode(status_list.encode())
    assert list(decoded.iter_set()) == sorted(indices)
    assert decoded == status_list


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=64).flatmap(
        lambda n: st.tuples(st.just(n * 8), st.sets(st.integers(0, n * 8 - 1)))
    )
)
def test_round_trip_on_small_lists(case: tuple[int, set[int]]) -> None:
    length, indices = case
    status_list = BitstringStatusList(length, allow_small=True)
    for index in indices:
        status_list.set(index, True)
    decoded = BitstringStatusList.decode(status_list.encode(), allow_small=True)
    assert decoded.length == length
    assert {i for i in range(length) if decoded.get(i)} == indices


BAD_CRC = gzip.compress(bytes(16 * 1024))[:-8] + b"\xde\xad\xbe\xef" + (2048).to_bytes(4, "little")


# --- refused lists -------------------------------------------------------------------------------


def test_too_short_list_is_refused() -> None:
    short = MIN_LENGTH - 8
    with pytest.raises(StatusListError, match="STATUS_LIST_LENGTH_ERROR") as info:
        BitstringStatusList(short)
    assert info.value.expected == f"at least {MIN_LENGTH} entries"
    assert info.value.found == f"{short} entries"
    encoded = encoded_from_bytes(bytes(short // 8))
    with pytest.raises(StatusListError, match="STATUS_LIST_LENGTH_ERROR"):
        BitstringStatusList.decode(encoded)
    assert BitstringStatusList.decode(encoded, allow_small=True).length == short


@pytest.mark.parametrize("length", [0, -8, 131_073, 12.0, True])
def test_bad_lengths_are_refused(length: Any) -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList(length, allow_small=True)


def test_gzip_bomb_is_refused() -> None:
    bomb = encoded_from_bytes(bytes(17 * 1024 * 1024))  # 17 MiB of zeros, ~17 KiB compressed
    assert len(bomb) < 40_000
    with pytest.raises(StatusListError, match="more than the limit") as info:
        BitstringStatusList.decode(bomb)
    assert info.value.expected == f"at most {16 * 1024 * 1024} bytes"
    with pytest.raises(StatusListError, match="more than the limit"):
        BitstringStatusList.decode(encoded_from_bytes(bytes(64 * 1024)), max_bytes=32 * 1024)


def test_overlong_encoded_list_is_refused_before_decoding() -> None:
    with pytest.raises(StatusListError, match="too long"):
        BitstringStatusList.decode("u" + "A" * 4000, max_bytes=1024)


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        # StatusList2021 published plain base64url: v1.0 requires the multibase prefix.
        (encoded_from_bytes(bytes(16 * 1024))[1:], "not multibase"),
        ("zH4sIAAAAAAAAA", "not multibase"),
        ("", "not multibase"),
        (encoded_from_bytes(bytes(16 * 1024)) + "==", "without padding"),
        ("uH4sI+AAA/AAA", "without padding"),
        ("uH4sI AAA", "without padding"),
        ("uAAAAA", "without padding"),  # length % 4 == 1 is never base64
        ("u" + base64.urlsafe_b64encode(bytes(16)).decode().rstrip("="), "not GZIP"),
        (encoded_from_bytes(bytes(16 * 1024))[:-12], "truncated"),
        ("u" + base64.urlsafe_b64encode(BAD_CRC).decode().rstrip("="), "corrupt"),
    ],
)
def test_malformed_encoded_lists_are_refused(encoded: str, message: str) -> None:
    with pytest.raises(StatusListError, match=message) as info:
        BitstringStatusList.decode(encoded)
    assert info.value.expected is not None


def test_trailing_data_after_the_gzip_member_is_refused() -> None:
    raw = gzip.compress(bytes(16 * 1024)) + gzip.compress(b"\xff")
    encoded = "u" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
    with pytest.raises(StatusListError, match="after the GZIP stream"):
        BitstringStatusList.decode(encoded)


def test_statuslist2021_form_gets_a_hint() -> None:
    with pytest.raises(StatusListError) as info:
        BitstringStatusList.decode(
            "H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
        )
    assert "StatusList2021" in (info.value.found or "")


@pytest.mark.parametrize("index", [-1, MIN_LENGTH, 10**9])
def test_index_out_of_range_is_refused(index: int) -> None:
    status_list = BitstringStatusList()
    for call in (lambda: status_list.get(index), lambda: status_list.set(index, True)):
        with pytest.raises(StatusListError, match="RANGE_ERROR") as info:
            call()
        assert info.value.expected == f"0..{MIN_LENGTH - 1}"
        assert info.value.found == str(index)


@pytest.mark.parametrize("index", [True, 1.0, "1"])
def test_non_integer_index_is_refused(index: Any) -> None:
    with pytest.raises(StatusListError, match="not an integer"):
        BitstringStatusList().get(index)


# --- building credentials and entries ------------------------------------------------------------


def test_status_list_credential_shape() -> None:
    status_list = BitstringStatusList()
    status_list.set(7, True)
    valid_until = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    credential = status_list_credential(
        id=LIST_URL,
        issuer={"id": "did:example:issuer", "name": "Example"},
        status_purpose="suspension",
        status_list=status_list,
        valid_from=T0,
        valid_until=valid_until,
    )
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": "did:example:issuer", "name": "Example"},
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2025-01-02T01:04:05Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": status_list.encode(),
        },
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"valid_from": datetime(2025, 1, 1)}, "no time zone"),  # naive on purpose
        ({"valid_until": T0}, "not after validFrom"),
        ({"status_purpose": "message"}, "not supported"),
        ({"status_purpose": "refresh"}, "not supported"),
        ({"id": "https://issuer.example/status/1#list"}, "not a usable status list URL"),
        ({"id": "ftp://issuer.example/status/1"}, "not a usable status list URL"),
        ({"id": "status/1"}, "not a usable status list URL"),
    ],
)
def test_status_list_credential_refuses(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {
        "id": LIST_URL,
        "issuer": "did:example:issuer",
        "status_purpose": "revocation",
        "status_list": BitstringStatusList(),
        "valid_from": T0,
    } | kwargs
    with pytest.raises(StatusListError, match=message) as info:
        status_list_credential(**arguments)
    assert info.value.expected is not None


def test_status_entry_shape() -> None:
    assert status_entry(list_url=LIST_URL, index=94567, purpose="revocation") == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }


@pytest.mark.parametrize("index", [-1, True, "5"])
def test_status_entry_refuses_bad_indices(index: Any) -> None:
    with pytest.raises(StatusListError, match="bad status list index"):
        status_entry(list_url=LIST_URL, index=index, purpose="revocation")


# --- checking entries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "is_set", "message"),
    [
        ("revocation", True, "The issuer has revoked this credential."),
        ("revocation", False, "Not revoked."),
        ("suspension", True, "The issuer has suspended this credential."),
        ("suspension", False, "Not suspended."),
    ],
)
def test_check_reads_the_entry_bit(purpose: Any, is_set: bool, message: str) -> None:
    status_list = BitstringStatusList()
    status_list.set(42, is_set)
    status_list.set(43, True)  # a neighbour must not leak into the answer
    entry = status_entry(list_url=LIST_URL, index=42, purpose=purpose)
    result = check_status_entry(entry, make_list_credential(status_list, purpose))
    expected = StatusCheck(purpose=purpose, index=42, set=is_set, message=message, value=is_set)
    assert result == expected


def test_check_accepts_a_list_with_several_purposes() -> None:
    credential = make_list_credential(BitstringStatusList())
    credential["credentialSubject"]["statusPurpose"] = ["revocation", "suspension"]
    entry = status_entry(list_url=LIST_URL, index=1, purpose="suspension")
    assert check_status_entry(entry, credential).set is False


def test_check_refuses_mismatched_purpose() -> None:
    entry = status_entry(list_url=LIST_URL, index=1, purpose="revocation")
    credential = make_list_credential(BitstringStatusList(), "suspension")
    with pytest.raises(StatusListError, match="STATUS_VERIFICATION_ERROR") as info:
        check_status_entry(entry, credential)
    assert info.value.expected == "revocation"
    assert info.value.found == "'suspension'"


def test_check_refuses_an_index_past_the_end_of_the_list() -> None:
    entry = status_entry(list_url=LIST_URL, index=MIN_LENGTH, purpose="revocation")
    with pytest.raises(StatusListError, match="RANGE_ERROR") as info:
        check_status_entry(entry, make_list_credential(BitstringStatusList()))
    assert info.value.expected == f"0..{MIN_LENGTH - 1}"
    assert info.value.found == str(MIN_LENGTH)


def test_check_refuses_a_short_list_unless_allowed() -> None:
    small = BitstringStatusList(64, allow_small=True)
    small.set(9, True)
    credential = make_list_credential(small)
    entry = status_entry(list_url=LIST_URL, index=9, purpose="revocation")
    with pytest.raises(StatusListError, match="STATUS_LIST_LENGTH_ERROR"):
        check_status_entry(entry, credential)
    assert check_status_entry(entry, credential, allow_small=True).set is True


def _entry(**changes: Any) -> dict[str, Any]:
    entry = dict(SPEC_ENTRY)
    for key, value in changes.items():
        if value is None:
            del entry[key]
        else:
            entry[key] = value
    return entry


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_entry(type="StatusList2021Entry"), "credentialStatus.type"),
        (_entry(type=None), "credentialStatus.type"),
        (_entry(statusPurpose="refresh"), "statusPurpose is not supported"),
        (_entry(statusPurpose=None), "statusPurpose is not supported"),
        (_entry(statusSize=2), "statusMessage is missing"),
        (_entry(statusSize=0), "statusSize"),
        (_entry(statusSize=True), "statusSize"),
        (_entry(statusSize="2"), "statusSize"),
        (_entry(statusSize=17), "statusSize"),
        (_entry(statusListIndex=-1), "statusListIndex"),
        (_entry(statusListIndex=True), "statusListIndex"),
        (_entry(statusListIndex=1.0), "statusListIndex"),
        (_entry(statusListIndex="-1"), "statusListIndex"),
        (_entry(statusListIndex="1.0"), "statusListIndex"),
        (_entry(statusListIndex=" 1"), "statusListIndex"),
        (_entry(statusListIndex=""), "statusListIndex"),
        (_entry(statusListIndex="\u0663"), "statusListIndex"),  # ARABIC-INDIC DIGIT THREE
        (_entry(statusListIndex="9" * 21), "statusListIndex"),
        (_entry(statusListCredential="https://example.com/credentials/status/4"), "not the one"),
        (_entry(statusListCredential=None), "statusListCredential"),
        ([SPEC_ENTRY], "not an object"),
    ],
)
def test_check_refuses_malformed_entries(entry: Any, message: str) -> None:
    with pytest.raises(StatusListError, match=message) as info:
        check_status_entry(entry, SPEC_LIST_CREDENTIAL)
    assert info.value.expected is not None
    assert info.value.found is not None


def _list_credential(**changes: Any) -> dict[str, Any]:
    credential = dict(SPEC_LIST_CREDENTIAL)
    subject = dict(credential["credentialSubject"])
    for key, value in changes.items():
        target = subject if key.startswith("subject_") else credential
        key = key.removeprefix("subject_")
        if value is None:
            del target[key]
        else:
            target[key] = value
    if "credentialSubject" not in changes:
        credential["credentialSubject"] = subject
    return credential


@pytest.mark.parametrize(
    ("credential", "message"),
    [
        (_list_credential(type=["VerifiableCredential"]), "type is wrong"),
        (_list_credential(type="StatusList2021Credential"), "type is wrong"),
        (_list_credential(id=None), "not the one"),
        (_list_credential(credentialSubject="https://example.com/status/3#list"), "not an object"),
        (_list_credential(subject_type="StatusList2021"), "credentialSubject.type"),
        (_list_credential(subject_statusPurpose=None), "STATUS_VERIFICATION_ERROR"),
        (_list_credential(subject_encodedList=None), "encodedList is missing"),
        (_list_credential(subject_encodedList="not-multibase"), "not multibase"),
    ],
)
def test_check_refuses_malformed_list_credentials(credential: Any, message: str) -> None:
    with pytest.raises(StatusListError, match=message) as info:
        check_status_entry(SPEC_ENTRY, credential)
    assert info.value.expected is not None


# --- numeric indices, wider statuses and their messages -------------------------------------------


def test_a_numeric_index_reads_the_same_bit_as_its_string_form() -> None:
    raw = bytearray(MIN_LENGTH // 8)
    raw[94567 // 8] = 0x80 >> (94567 % 8)
    listed = dict(SPEC_LIST_CREDENTIAL)
    listed["credentialSubject"] = {
        **SPEC_LIST_CREDENTIAL["credentialSubject"],
        "encodedList": encoded_from_bytes(bytes(raw)),
    }
    as_number = check_status_entry(_entry(statusListIndex=94567), listed)
    as_text = check_status_entry(SPEC_ENTRY, listed)
    assert as_number.set
    assert as_text.set
    assert as_number.index == as_text.index == 94567
    assert not check_status_entry(_entry(statusListIndex=94566), listed).set


TWO_BIT_MESSAGES = [
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "pending review"},
    {"status": "0x2", "message": "under investigation"},
    {"status": "0x3", "message": "withdrawn"},
]


def _two_bit_list(raw: bytes, purpose: str = "message") -> dict[str, Any]:
    listed = dict(SPEC_LIST_CREDENTIAL)
    listed["credentialSubject"] = {
        **SPEC_LIST_CREDENTIAL["credentialSubject"],
        "statusPurpose": purpose,
        "encodedList": encoded_from_bytes(raw),
    }
    return listed


def _two_bit_entry(index: int, purpose: str = "message", **changes: Any) -> dict[str, Any]:
    entry = {
        **SPEC_ENTRY,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusSize": 2,
        "statusMessage": TWO_BIT_MESSAGES,
    }
    entry.update(changes)
    return entry


def test_a_two_bit_status_is_read_most_significant_bit_first_with_its_message() -> None:
    raw = bytearray(MIN_LENGTH // 8)
    raw[0] = 0b00_01_10_11  # entries 0..3 hold 0, 1, 2, 3
    raw[1] = 0b10_00_00_00  # entry 4 holds 2
    listed = _two_bit_list(bytes(raw))
    seen = [check_status_entry(_two_bit_entry(i), listed) for i in range(6)]
    assert [c.value for c in seen] == [0, 1, 2, 3, 2, 0]
    assert [c.status_message for c in seen[:4]] == [m["message"] for m in TWO_BIT_MESSAGES]
    assert seen[3].purpose == "message"
    assert seen[3].set
    assert seen[3].message == "Status 0x3: withdrawn"


def test_set_value_writes_what_a_hand_built_list_holds() -> None:
    bits = BitstringStatusList()
    for index, value in enumerate([0, 1, 2, 3, 2]):
        bits.set_value(index, 2, value)
    assert bits.to_bytes()[:2] == bytes([0b00011011, 0b10000000])
    assert [bits.value(i, 2) for i in range(5)] == [0, 1, 2, 3, 2]
    with pytest.raises(StatusListError, match="does not fit"):
        bits.set_value(0, 2, 4)


def test_a_wide_revocation_status_revokes_when_not_zero() -> None:
    raw = bytearray(MIN_LENGTH // 8)
    raw[0] = 0b00_10_00_00
    listed = _two_bit_list(bytes(raw), purpose="revocation")
    revoked = check_status_entry(_two_bit_entry(1, purpose="revocation"), listed)
    assert revoked.set
    assert revoked.status_message == "under investigation"
    assert not check_status_entry(_two_bit_entry(0, purpose="revocation"), listed).set


def test_the_last_wide_entry_fits_and_the_next_is_out_of_range() -> None:
    listed = _two_bit_list(bytes(MIN_LENGTH // 8))
    last = MIN_LENGTH // 2 - 1
    assert check_status_entry(_two_bit_entry(last), listed).value == 0
    with pytest.raises(StatusListError, match="RANGE_ERROR"):
        check_status_entry(_two_bit_entry(last + 1), listed)


@pytest.mark.parametrize(
    ("messages", "text"),
    [
        ([{"status": "0x0", "message": "valid"}], "does not explain"),
        ([{"status": "1", "message": "x"}], "no hexadecimal status"),
        ([{"status": "0x4", "message": "x"}], "malformed"),
        ([{"status": "0x0", "message": "a"}, {"status": "0x00", "message": "b"}], "malformed"),
        ([{"status": "0x0"}], "malformed"),
        ([], "not a list"),
        ("valid", "not a list"),
    ],
)
def test_bad_status_messages_are_refused(messages: Any, text: str) -> None:
    raw = bytearray(MIN_LENGTH // 8)
    raw[0] = 0b01_00_00_00
    with pytest.raises(StatusListError, match=text) as info:
        check_status_entry(_two_bit_entry(0, statusMessage=messages), _two_bit_list(bytes(raw)))
    assert info.value.expected is not None


def test_a_list_decoded_again_is_its_own_copy_and_a_changed_list_reads_anew() -> None:
    # Decoded bitstrings are kept by their encoded text (a verifier reads the same lists for
    # every credential): a kept one must never be shared with a caller that changes it.
    original = BitstringStatusList()
    original.set(7, True)
    encoded = original.encode()
    first = BitstringStatusList.decode(encoded)
    first.set(8, True)
    second = BitstringStatusList.decode(encoded)
    assert second.get(7)
    assert not second.get(8)
    original.set(9, True)
    assert BitstringStatusList.decode(original.encode()).get(9)


def test_lists_too_large_to_keep_are_still_read_and_not_kept() -> None:
    large = BitstringStatusList(statuslist._KEPT_BYTES * 8)  # bits: the bound's bytes in all
    large.set(12345, True)
    before = len(statuslist._inflated)
    assert BitstringStatusList.decode(large.encode()).get(12345)
    assert len(statuslist._inflated) == before
