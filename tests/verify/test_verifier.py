"""The verifier: each check explained, statuses, hostile input reported and never raised."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from microcred.crypto import proofs
from microcred.crypto.baking import _itxt_body, _png_chunk, bake_png, bake_svg, default_badge_png
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.statuslist import BitstringStatusList, status_entry, status_list_credential
from microcred.errors import FetchError
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.verify import Status, Verifier
from tests.conftest import VECTORS, load_json

KEY = KeyFile.for_did_key(SigningKey.generate())
LIST_URL = "https://issuer.example/status/1"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def sign(document: dict[str, Any], key: KeyFile = KEY) -> dict[str, Any]:
    return proofs.sign(document, key.key, verification_method=key.verification_method)


def status_list(
    *, set_index: int | None = None, purpose: str = "revocation", key: KeyFile = KEY
) -> dict[str, Any]:
    bits = BitstringStatusList()
    if set_index is not None:
        bits.set(set_index, True)
    unsigned = status_list_credential(
        id=LIST_URL,
        issuer=key.controller,
        status_purpose=purpose,
        status_list=bits,
        valid_from=NOW - timedelta(days=1),  # type: ignore[arg-type]
    )
    return sign(unsigned, key)


def credential(
    index: int | None = None, purpose: str = "revocation", **changes: Any
) -> dict[str, Any]:
    status = (
        status_entry(list_url=LIST_URL, index=index, purpose=purpose) if index is not None else None
    )  # type: ignore[arg-type]
    document = sample_credential(issuer_id=KEY.controller, status=status)
    document.update(changes)
    return sign(document)


def statuses(result: Any) -> dict[str, Status]:
    return {c.name: c.status for c in result.checks}


def test_a_good_credential_passes_every_check() -> None:
    result = Verifier(clock=clock, status_lists={LIST_URL: status_list()}).verify(
        credential(index=42)
    )
    assert result.verified
    assert statuses(result) == {
        "input": Status.PASSED,
        "parse": Status.PASSED,
        "contexts": Status.PASSED,
        "proof": Status.PASSED,
        "issuer": Status.PASSED,
        "validity": Status.PASSED,
        "status": Status.PASSED,
    }
    assert result.summary["achievement"] == "Data Analysis with Python"


def test_tampered_credential_fails_the_proof_check() -> None:
    document = credential()
    document["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    result = Verifier(clock=clock).verify(document)
    assert not result.verified
    assert statuses(result)["proof"] == Status.FAILED
    assert statuses(result)["issuer"] == Status.SKIPPED


def test_w3c_vector_proof_is_valid_but_issuer_binding_fails() -> None:
    result = Verifier(clock=clock).verify(
        load_json(VECTORS / "w3c-vc-di-eddsa" / "signedDataInt.json")
    )
    assert statuses(result)["proof"] == Status.PASSED
    assert statuses(result)["issuer"] == Status.FAILED
    assert "https://vc.example/issuers/5678" in result.check("issuer").message  # type: ignore[union-attr]
    assert statuses(result)["parse"] == Status.WARNING  # a plain VC, not an Open Badge
    assert not result.verified


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"validUntil": "2026-01-31T00:00:00Z"}, "expired on 2026-01-31"),
        ({"validFrom": "2027-01-01T00:00:00Z"}, "not valid yet"),
    ],
)
def test_validity_window(changes: dict[str, str], message: str) -> None:
    result = Verifier(clock=clock).verify(credential(**changes))
    assert statuses(result)["proof"] == Status.PASSED
    assert statuses(result)["validity"] == Status.FAILED
    assert message in result.check("validity").message  # type: ignore[union-attr]
    assert not result.verified


@pytest.mark.parametrize(
    ("purpose", "word"), [("revocation", "revoked"), ("suspension", "suspended")]
)
def test_revoked_and_suspended_credentials_are_not_verified(purpose: str, word: str) -> None:
    lists = {LIST_URL: status_list(set_index=7, purpose=purpose)}
    result = Verifier(clock=clock, status_lists=lists).verify(credential(index=7, purpose=purpose))
    assert statuses(result)["status"] == Status.FAILED
    assert word in result.check("status").message  # type: ignore[union-attr]
    assert not result.verified
    other = Verifier(clock=clock, status_lists=lists).verify(credential(index=8, purpose=purpose))
    assert other.verified


def test_status_that_cannot_be_checked_is_never_valid() -> None:
    result = Verifier(clock=clock).verify(
        credential(index=3)
    )  # offline: the list cannot be fetched
    assert statuses(result)["proof"] == Status.PASSED
    assert statuses(result)["status"] == Status.FAILED
    assert "cannot be checked" in result.check("status").message  # type: ignore[union-attr]
    assert not result.verified


def test_status_list_is_fetched_through_the_injected_fetcher() -> None:
    body = json.dumps(status_list(set_index=3)).encode()
    requested: list[str] = []

    def fetcher(url: str) -> bytes:
        requested.append(url)
        if url != LIST_URL:
            raise FetchError("not here", found=url)
        return body

    result = Verifier(clock=clock, fetcher=fetcher).verify(credential(index=3))
    assert requested == [LIST_URL]
    assert "revoked" in result.check("status").message  # type: ignore[union-attr]


def test_status_list_signed_by_someone_else_is_not_trusted() -> None:
    mallory = KeyFile.for_did_key(SigningKey.generate())
    lists = {LIST_URL: status_list(key=mallory)}
    result = Verifier(clock=clock, status_lists=lists).verify(credential(index=1))
    assert statuses(result)["status"] == Status.FAILED
    assert "not by the credential's issuer" in result.check("status").message  # type: ignore[union-attr]


def test_tampered_status_list_is_not_trusted() -> None:
    listed = status_list()
    forged = BitstringStatusList()
    forged.set(1, True)  # someone flips a bit in the published list, keeping its old proof
    listed["credentialSubject"]["encodedList"] = forged.encode()
    result = Verifier(clock=clock, status_lists={LIST_URL: listed}).verify(credential(index=1))
    assert statuses(result)["status"] == Status.FAILED
    assert "signature does not match" in result.check("status").message  # type: ignore[union-attr]


def test_unknown_context_fails_with_its_name() -> None:
    document = sample_credential(issuer_id=KEY.controller)
    document["@context"] = [*document["@context"], "https://example.org/not-bundled"]
    signed = sign(sample_credential(issuer_id=KEY.controller))
    signed["@context"] = document["@context"]
    result = Verifier(clock=clock).verify(signed)
    assert statuses(result)["contexts"] == Status.FAILED
    assert "https://example.org/not-bundled" in result.check("contexts").message  # type: ignore[union-attr]
    assert not result.verified


@pytest.mark.parametrize("suite", ["eddsa-jcs-2022", "vc-jwt"])
def test_other_proof_formats(suite: str) -> None:
    signed = sign_credential(sample_credential(issuer_id=KEY.controller), KEY, suite=suite)
    result = Verifier(clock=clock).verify(signed if isinstance(signed, dict) else signed.encode())
    assert result.verified, result.to_json()


@pytest.mark.parametrize("baker", [bake_png, bake_svg])
def test_baked_images_verify(baker: Any) -> None:
    image = (
        default_badge_png()
        if baker is bake_png
        else b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    )
    baked = baker(image, json.dumps(credential()))
    result = Verifier(clock=clock).verify(baked)
    assert result.verified, result.to_json()
    assert "baked" in (result.format or "")


def test_model_violations_fail_the_parse_check() -> None:
    document = sample_credential(issuer_id=KEY.controller)
    del document["credentialSubject"]["achievement"]["criteria"]
    document["credentialSubject"]["achievement"]["name"] = 42
    result = Verifier(clock=clock).verify(sign(document))
    assert statuses(result)["parse"] == Status.FAILED
    assert "name" in result.check("parse").message  # type: ignore[union-attr]


HOSTILE: list[bytes] = [
    b"",
    b"\x00\x01\x02",
    b"{",
    b"[1, 2, 3]",
    b'{"a": 1, "a": 2}',
    b'{"n": NaN}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"@context": 5, "type": "VerifiableCredential", "proof": {}}',
    b'{"@context": ["https://www.w3.org/ns/credentials/v2"], '
    b'"type": ["VerifiableCredential"], "proof": "x"}',
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
    b"<svg><script>alert(1)</script></svg>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><svg>&e;</svg>',
    b"eyJhbGciOiJub25lIn0.eyJ9.",
    json.dumps(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": {"id": ["x"]},
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "proofPurpose": "assertionMethod",
                "verificationMethod": "did:key:zzz#zzz",
                "proofValue": "z1",
            },
        }
    ).encode(),
]


@pytest.mark.parametrize("data", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_reported_not_raised(data: bytes) -> None:
    result = Verifier(clock=clock).verify(data)
    assert not result.verified
    assert any(c.status == Status.FAILED for c in result.checks)
    json.dumps(result.to_json())  # the report itself is always serialisable


def test_oversized_input_is_refused_before_parsing() -> None:
    result = Verifier(clock=clock).verify(b"{" + b" " * (9 * 1024 * 1024) + b"}")
    assert not result.readable
    assert "too large" in result.checks[0].message


def test_a_json_key_never_passes_for_a_baked_ob2_assertion() -> None:
    # Regression: the reader once marked OB 2.0 assertions with a dict key a credential could carry.
    document = credential()
    document["__ob2__"] = "x"
    result = Verifier(clock=clock).verify(document)
    assert "Open Badges 2.0" not in result.check("parse").message  # type: ignore[union-attr]
    assert statuses(result)["proof"] == Status.FAILED  # the extra key was not signed


def test_ob2_baked_assertion_is_reported_as_such() -> None:
    baked = default_badge_png()
    # An OB 2.0 hosted assertion: an iTXt "openbadges" chunk holding the assertion URL.
    chunk = _png_chunk(b"iTXt", _itxt_body(b"openbadges", "https://issuer.example/assertions/1"))
    baked = baked[:33] + chunk + baked[33:]
    result = Verifier(clock=clock).verify(baked)
    assert not result.verified
    assert result.format == "Open Badges 2.0 hosted assertion baked in PNG"
    # Offline, the steps that need the web are reported as not checked, never passed.
    proof = result.check("proof")
    assert proof is not None
    assert proof.status == Status.SKIPPED
    assert "works offline" in proof.message
    assert "https://issuer.example/assertions/1" in proof.message
