"""Data Integrity sign/verify: round trips, and any single changed value breaks the proof."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.crypto import proofs
from microcred.crypto.canon import DEFAULT_LIMITS
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.errors import ProofError
from microcred.samples import sample_credential

KEY = KeyFile.for_did_key(SigningKey.generate())
SUITES: list[proofs.Cryptosuite] = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]


def signed(suite: proofs.Cryptosuite) -> dict[str, Any]:
    credential = sample_credential(
        issuer_id=KEY.controller, credential_id="urn:uuid:0c7f6c52-9d2c-4a0c-b1f4-4ab5c6d7e8f9"
    )
    return proofs.sign(
        credential, KEY.key, verification_method=KEY.verification_method, cryptosuite=suite
    )


SIGNED = {suite: signed(suite) for suite in SUITES}


def leaf_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() if k != "@context" for p in leaf_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in leaf_paths(v, (*path, i))]
    return [path]


def changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str) and value.startswith("z") and len(value) > 60:
        # proofValue: swap one base58 character for another.
        return value[:10] + ("A" if value[10] != "A" else "B") + value[11:]
    if isinstance(value, str) and ":" in value:
        return value + "x"  # stays an absolute IRI, still a different one
    return value + " changed"


@pytest.mark.parametrize("suite", SUITES)
def test_round_trip(suite: proofs.Cryptosuite) -> None:
    verified = proofs.verify(SIGNED[suite], DidResolver())
    assert verified.cryptosuite == suite
    assert verified.method.controller == KEY.controller


@pytest.mark.parametrize("suite", SUITES)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_changing_any_single_value_breaks_the_proof(
    suite: proofs.Cryptosuite, data: st.DataObject
) -> None:
    document = copy.deepcopy(SIGNED[suite])
    path = data.draw(st.sampled_from(leaf_paths(document)))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = changed(target[path[-1]])
    with pytest.raises(ProofError):
        proofs.verify(document, DidResolver())


def test_removing_a_field_breaks_the_proof() -> None:
    document = copy.deepcopy(SIGNED["eddsa-rdfc-2022"])
    del document["credentialSubject"]["achievement"]["criteria"]
    with pytest.raises(ProofError, match="signature does not match"):
        proofs.verify(document, DidResolver())


def test_wrong_purpose_and_unknown_suite_are_named() -> None:
    document = copy.deepcopy(SIGNED["eddsa-rdfc-2022"])
    with pytest.raises(ProofError, match="wrong purpose"):
        proofs.verify(document, DidResolver(), expected_purpose="authentication")
    document["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    with pytest.raises(ProofError, match="unsupported cryptosuite") as info:
        proofs.verify(document, DidResolver())
    assert info.value.found == "'ecdsa-rdfc-2019'"


def test_a_key_not_in_the_did_document_is_refused() -> None:
    other = KeyFile.for_did_key(SigningKey.generate())
    document = copy.deepcopy(SIGNED["eddsa-rdfc-2022"])
    document["proof"]["verificationMethod"] = f"{KEY.controller}#{other.key.public.multibase}"
    with pytest.raises(ProofError, match="verification method not found"):
        proofs.verify(document, DidResolver())


def test_signing_refuses_documents_that_already_have_a_proof_or_a_p256_key() -> None:
    with pytest.raises(ProofError, match="already has a proof"):
        proofs.sign(SIGNED["eddsa-rdfc-2022"], KEY.key, verification_method=KEY.verification_method)
    p256 = KeyFile.for_did_key(SigningKey.generate("P-256"))
    with pytest.raises(ProofError, match="Ed25519"):
        proofs.sign({"@context": []}, p256.key, verification_method=p256.verification_method)


def test_jcs_proof_context_must_match_the_document() -> None:
    document = copy.deepcopy(SIGNED["eddsa-jcs-2022"])
    document["proof"]["@context"] = [
        "https://www.w3.org/ns/credentials/v2",
        "https://example.org/other",
    ]
    with pytest.raises(ProofError, match="@context does not match"):
        proofs.verify(document, DidResolver())


def test_a_repeated_rdfc_proof_configuration_is_canonicalized_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proofs.clear_config_cache()
    calls: list[str] = []
    real = proofs.canonicalize

    def counting(doc: Any, **kwargs: Any) -> str:
        calls.append("proof" if "proofPurpose" in doc else "document")
        return real(doc, **kwargs)

    monkeypatch.setattr(proofs, "canonicalize", counting)
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    first, second = (
        proofs.sign(
            sample_credential(issuer_id=KEY.controller, credential_id=f"urn:uuid:{n}"),
            KEY.key,
            verification_method=KEY.verification_method,
            created=moment,
        )
        for n in ("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002")
    )
    assert calls == ["proof", "document", "document"]
    cached = proofs._hash_data(
        {k: v for k, v in second.items() if k != "proof"},
        second["proof"],
        "eddsa-rdfc-2022",
        limits=None,
    )
    proofs.clear_config_cache()
    fresh = proofs._hash_data(
        {k: v for k, v in second.items() if k != "proof"},
        second["proof"],
        "eddsa-rdfc-2022",
        limits=None,
    )
    assert cached == fresh
    for document in (first, second):
        proofs.verify(document, DidResolver())
    # Another second is another configuration, and the limits are part of the key.
    later = proofs.sign(
        sample_credential(issuer_id=KEY.controller),
        KEY.key,
        verification_method=KEY.verification_method,
        created=moment.replace(second=6),
    )
    proofs.verify(later, DidResolver(), limits=DEFAULT_LIMITS)
    assert calls.count("proof") == 4  # fresh, later signed, later verified under limits


class _Text(str):
    pass


@pytest.mark.parametrize(
    "value", [float("nan"), None, 1, {"a": "b"}, ["a", 1], uuid.UUID(int=1), _Text("x")]
)
def test_only_string_configurations_are_cached(value: Any) -> None:
    # Types are exact: NaN and null, or a UUID and its text, must not share a key.
    assert proofs._config_key({"created": value}, None) is None
    assert proofs._config_key({"created": "x", "@context": ["a"]}, None) is not None
