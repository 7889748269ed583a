"""Signed checkpoints: round trip, tampering, foreign keys and signatures, garbage."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from hashlib import sha256

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.ledger import (
    Checkpoint,
    CheckpointError,
    LogProofError,
    MemoryLogStore,
    MerkleLog,
    inclusion_proof,
    leaf_hash,
    log_key_id,
    parse_checkpoint,
    sign_checkpoint,
    verifier_key,
    verify_checkpoint,
    verify_inclusion,
)
from microcred.ledger._note import key_id, split_note

ORIGIN = "ledger.microcred.example/log1"
KEY = Ed25519PrivateKey.from_private_bytes(sha256(b"test log key").digest())
PUBLIC = KEY.public_key()
WHEN = datetime(2026, 3, 1, 12, 30, 15, tzinfo=UTC)
ROOT = sha256(b"a root").digest()
CHECKPOINT = Checkpoint(origin=ORIGIN, tree_size=1234, root_hash=ROOT, timestamp=WHEN)
SIGNED = sign_checkpoint(CHECKPOINT, KEY)


def _replace_line(note: str, number: int, line: str) -> str:
    lines = note.split("\n")
    lines[number] = line
    return "\n".join(lines)


def _signature_bytes(note: str) -> bytes:
    return base64.b64decode(note.rstrip("\n").rsplit(" ", 1)[1])


def _with_signature_bytes(note: str, raw: bytes) -> str:
    head = note.rstrip("\n").rsplit(" ", 1)[0]
    return f"{head} {base64.b64encode(raw).decode()}\n"


# --- the happy path --------------------------------------------------------------------------


def test_signed_checkpoint_has_the_c2sp_layout() -> None:
    text, signature_line, end = SIGNED.split("\n\n")[0], SIGNED.split("\n\n")[1], SIGNED[-1]
    assert text == f"{ORIGIN}\n1234\n{base64.b64encode(ROOT).decode()}"
    assert signature_line.startswith(f"\u2014 {ORIGIN} ")
    assert end == "\n"
    raw = _signature_bytes(SIGNED)
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == log_key_id(ORIGIN, PUBLIC)
    assert int.from_bytes(raw[4:12], "big") == int(WHEN.timestamp())


def test_round_trip() -> None:
    assert verify_checkpoint(SIGNED, PUBLIC, origin=ORIGIN) == CHECKPOINT


def test_signature_covers_the_timestamped_message() -> None:
    # Independent check of the cosignature/v1 message layout, with cryptography directly.
    raw = _signature_bytes(SIGNED)
    message = f"cosignature/v1\ntime {int(WHEN.timestamp())}\n{CHECKPOINT.text()}".encode()
    PUBLIC.verify(raw[12:], message)


def test_key_id_and_verifier_key() -> None:
    public = PUBLIC.public_bytes_raw()
    assert log_key_id(ORIGIN, PUBLIC) == sha256(ORIGIN.encode() + b"\n\x04" + public).digest()[:4]
    name, hex_id, material = verifier_key(ORIGIN, PUBLIC).split("+", 2)
    assert name == ORIGIN
    assert bytes.fromhex(hex_id) == log_key_id(ORIGIN, PUBLIC)
    assert base64.b64decode(material) == b"\x04" + public


def test_parse_returns_the_unverified_content() -> None:
    parsed = parse_checkpoint(SIGNED)
    assert (parsed.origin, parsed.tree_size, parsed.root_hash) == (ORIGIN, 1234, ROOT)
    assert parsed.extension_lines == ()
    assert parsed.text == CHECKPOINT.text()
    assert [s.key_name for s in parsed.signatures] == [ORIGIN]


def test_timestamp_is_normalised_to_utc_seconds() -> None:
    local = datetime(2026, 3, 1, 14, 30, 15, 987654, tzinfo=timezone(timedelta(hours=2)))
    checkpoint = Checkpoint(origin=ORIGIN, tree_size=0, root_hash=ROOT, timestamp=local)
    assert checkpoint.timestamp == WHEN
    assert checkpoint.timestamp.tzinfo is UTC


def test_witness_and_unknown_signatures_are_ignored() -> None:
    witness = Ed25519PrivateKey.from_private_bytes(sha256(b"witness").digest())
    cosigned = sign_checkpoint(
        Checkpoint(origin=ORIGIN, tree_size=1234, root_hash=ROOT, timestamp=WHEN), witness
    )
    other_line = cosigned.split("\n\n")[1]
    witness_line = other_line.replace(ORIGIN, "witness.example/w1")
    assert verify_checkpoint(SIGNED + witness_line, PUBLIC, origin=ORIGIN) == CHECKPOINT
    # A line under the log's name but with another key's ID (say, a rotated key) is not ours
    # either, and is ignored rather than failed.
    assert verify_checkpoint(SIGNED + other_line, PUBLIC, origin=ORIGIN) == CHECKPOINT
    assert (
        verify_checkpoint(SIGNED.replace("\n\n", "\n\n" + other_line), PUBLIC, origin=ORIGIN)
        == CHECKPOINT
    )


def test_a_verified_checkpoint_anchors_inclusion_proofs() -> None:
    log = MerkleLog(MemoryLogStore())
    log.extend(f"credential {i} issued".encode() for i in range(1000))
    note = sign_checkpoint(
        Checkpoint(origin=ORIGIN, tree_size=log.size, root_hash=log.root(), timestamp=WHEN), KEY
    )
    head = verify_checkpoint(note, PUBLIC, origin=ORIGIN)
    verify_inclusion(
        leaf_hash=leaf_hash(b"credential 417 issued"),
        index=417,
        tree_size=head.tree_size,
        proof=inclusion_proof(log.store, 417, head.tree_size),
        root=head.root_hash,
    )


# --- tampering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tampered",
    [
        pytest.param(_replace_line(SIGNED, 1, "1235"), id="size"),
        pytest.param(_replace_line(SIGNED, 1, "0"), id="size-zero"),
        pytest.param(
            _replace_line(SIGNED, 2, base64.b64encode(sha256(b"other").digest()).decode()),
            id="root",
        ),
        pytest.param(SIGNED.replace("\n\n", "\nextension\n\n"), id="added-extension-line"),
    ],
)
def test_changed_content_fails_the_signature(tampered: str) -> None:
    with pytest.raises(CheckpointError, match="signature does not verify"):
        verify_checkpoint(tampered, PUBLIC, origin=ORIGIN)


@pytest.mark.parametrize("byte", [0, 4, 11, 12, 40, 75])
def test_changed_signature_bytes_fail(byte: int) -> None:
    raw = bytearray(_signature_bytes(SIGNED))
    raw[byte] ^= 0x01
    with pytest.raises(CheckpointError) as caught:
        verify_checkpoint(_with_signature_bytes(SIGNED, bytes(raw)), PUBLIC, origin=ORIGIN)
    # Bytes 0-3 are the key ID: the line is then not recognised as the log's at all.
    assert ("not signed once" if byte < 4 else "does not verify") in str(caught.value)


def test_wrong_key_is_refused() -> None:
    other = Ed25519PrivateKey.from_private_bytes(sha256(b"other").digest()).public_key()
    with pytest.raises(CheckpointError, match="not signed once by the log key"):
        verify_checkpoint(SIGNED, other, origin=ORIGIN)


def test_key_id_collision_still_needs_a_valid_signature() -> None:
    # An attacker can reuse the log's name and key ID; the Ed25519 check still stops them.
    forger = Ed25519PrivateKey.from_private_bytes(sha256(b"forger").digest())
    forged = sign_checkpoint(
        Checkpoint(origin=ORIGIN, tree_size=9999, root_hash=ROOT, timestamp=WHEN), forger
    )
    raw = bytearray(_signature_bytes(forged))
    raw[:4] = log_key_id(ORIGIN, PUBLIC)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(_with_signature_bytes(forged, bytes(raw)), PUBLIC, origin=ORIGIN)


def test_wrong_origin_is_refused() -> None:
    with pytest.raises(CheckpointError, match="from another log") as caught:
        verify_checkpoint(SIGNED, PUBLIC, origin="ledger.microcred.example/log2")
    assert caught.value.found == ORIGIN
    renamed = SIGNED.replace(ORIGIN, "ledger.microcred.example/log2")
    with pytest.raises(CheckpointError):
        verify_checkpoint(renamed, PUBLIC, origin="ledger.microcred.example/log2")


def test_a_second_signature_by_the_log_key_is_refused() -> None:
    line = SIGNED.split("\n\n")[1]
    with pytest.raises(CheckpointError, match="not signed once"):
        verify_checkpoint(SIGNED + line, PUBLIC, origin=ORIGIN)


def test_checkpoint_error_is_a_log_proof_error() -> None:
    with pytest.raises(LogProofError):
        verify_checkpoint("garbage", PUBLIC, origin=ORIGIN)


# --- garbage ---------------------------------------------------------------------------------

GOOD_TEXT, GOOD_SIGNATURES = SIGNED.rstrip("\n").split("\n\n")


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", "not a signed note"),
        ("\n", "not a signed note"),
        (GOOD_TEXT + "\n", "not a signed note"),
        (GOOD_TEXT + "\n\n" + GOOD_SIGNATURES, "not a signed note"),  # no final newline
        (GOOD_TEXT + "\n\n\n", "not a note signature line"),
        (GOOD_TEXT + "\n\n- " + GOOD_SIGNATURES[2:] + "\n", "not a note signature line"),
        (GOOD_TEXT + "\n\n\u2014 " + ORIGIN + " !!!!\n", "not base64"),
        (GOOD_TEXT + "\n\n\u2014 " + ORIGIN + " AAAA\n", "too short"),
        (GOOD_TEXT + "\n\n\u2014 bad+name AAAAAAAA\n", "key name"),
        (GOOD_TEXT + "\x07\n\n" + GOOD_SIGNATURES + "\n", "control character"),
        (f"{ORIGIN}\n1234\n\n{GOOD_SIGNATURES}\n", "not a checkpoint"),
        (f"{ORIGIN}\n0012\nAAAA\n\n{GOOD_SIGNATURES}\n", "not a decimal"),
        (f"{ORIGIN}\n+12\nAAAA\n\n{GOOD_SIGNATURES}\n", "not a decimal"),
        (f"{ORIGIN}\n\u0663\nAAAA\n\n{GOOD_SIGNATURES}\n", "not a decimal"),
        (f"{ORIGIN}\n{'9' * 5000}\nAAAA\n\n{GOOD_SIGNATURES}\n", "not a decimal"),
        (f"{ORIGIN}\n{2**64}\n{base64.b64encode(ROOT).decode()}\n\n{GOOD_SIGNATURES}\n", "range"),
        (f"{ORIGIN}\n12\nAAAA\n\n{GOOD_SIGNATURES}\n", "wrong form"),
        (f"{ORIGIN}\n12\n{'A' * 43}\n\n{GOOD_SIGNATURES}\n", "not base64"),
        (f"bad origin\n12\nAAAA\n\n{GOOD_SIGNATURES}\n", "key name"),
        (SIGNED + (GOOD_SIGNATURES + "\n") * 64, "too many signatures"),
        ("x" * 70000, "too long"),
    ],
)
def test_garbage_is_refused(note: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        parse_checkpoint(note)
    with pytest.raises(CheckpointError):
        verify_checkpoint(note, PUBLIC, origin=ORIGIN)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.one_of(
        st.text(),
        st.builds(
            lambda cut, extra: SIGNED[:cut] + extra + SIGNED[cut:],
            st.integers(min_value=0, max_value=len(SIGNED)),
            st.text(max_size=5),
        ),
        st.builds(
            lambda cut: SIGNED[:cut] + SIGNED[cut + 1 :],
            st.integers(min_value=0, max_value=len(SIGNED) - 1),
        ),
    )
)
def test_mangled_notes_raise_checkpoint_error_or_still_verify(note: str) -> None:
    # Whatever the input, the only outcomes are the genuine checkpoint or a CheckpointError:
    # no foreign exception, and no other content accepted.
    try:
        verified = verify_checkpoint(note, PUBLIC, origin=ORIGIN)
    except CheckpointError:
        return
    assert verified == CHECKPOINT


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origin": ""}, "key name"),
        ({"origin": "has space"}, "key name"),
        ({"origin": "a+b"}, "key name"),
        ({"origin": "a\nb"}, "key name"),
        ({"tree_size": -1}, "out of range"),
        ({"root_hash": b"\x00" * 31}, "wrong size"),
        ({"timestamp": datetime(2026, 1, 1)}, "time zone"),
        ({"timestamp": datetime(1969, 12, 31, tzinfo=UTC)}, "out of range"),
    ],
)
def test_checkpoint_invariants(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "origin": ORIGIN,
        "tree_size": 1,
        "root_hash": ROOT,
        "timestamp": WHEN,
    }
    fields.update(kwargs)
    with pytest.raises(CheckpointError, match=message):
        Checkpoint(**fields)  # type: ignore[arg-type]


# --- published examples ----------------------------------------------------------------------


def test_signed_note_spec_example() -> None:
    # The verifier key and note given as the example in c2sp.org/signed-note (Ed25519, type 0x01).
    vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    note = (
        "This is an example message.\n"
        "\n"
        "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOB"
        "H3mFXmRKuwHjG1Yu72IneyaQM=\n"
    )
    name, hex_id, material = vkey.split("+")
    raw_key = base64.b64decode(material)
    assert raw_key[0] == 0x01
    assert key_id(name, 0x01, raw_key[1:]).hex() == hex_id
    text, signatures = split_note(note)
    assert text == "This is an example message.\n"
    (signature,) = signatures
    assert (signature.key_name, signature.key_id.hex()) == (name, hex_id)
    Ed25519PublicKey.from_public_bytes(raw_key[1:]).verify(signature.signature, text.encode())


def test_tlog_checkpoint_spec_example_parses() -> None:
    # The example checkpoint of c2sp.org/tlog-checkpoint (its key is not published).
    note = (
        "example.com/behind-the-sofa\n"
        "20852163\n"
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        "\n"
        "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN"
        "7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    )
    parsed = parse_checkpoint(note)
    assert (parsed.origin, parsed.tree_size) == ("example.com/behind-the-sofa", 20852163)
    assert len(parsed.root_hash) == 32
    assert len(parsed.signatures[0].signature) == 64
    with pytest.raises(CheckpointError, match="not signed once"):
        verify_checkpoint(note, PUBLIC, origin="example.com/behind-the-sofa")
