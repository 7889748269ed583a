"""VC-JWT with EdDSA and ES256."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.crypto import multibase
from microcred.crypto.did import DidResolver
from microcred.crypto.jose import sign_jwt, verify_jwt
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.errors import InputError, ProofError
from microcred.samples import sample_credential


def encode(part: dict[str, object]) -> str:
    return multibase.b64url_encode(json.dumps(part).encode())


@pytest.mark.parametrize(("algorithm", "alg"), [("Ed25519", "EdDSA"), ("P-256", "ES256")])
def test_round_trip(algorithm: str, alg: str) -> None:
    key = KeyFile.for_did_key(SigningKey.generate(algorithm))  # type: ignore[arg-type]
    credential = sample_credential(issuer_id=key.controller)
    token = sign_jwt(credential, key.key, kid=key.verification_method)
    verified = verify_jwt(token, DidResolver())
    assert verified.credential == credential
    assert verified.header == {
        "alg": alg,
        "typ": "vc+jwt",
        "cty": "vc",
        "kid": key.verification_method,
    }


def test_tampered_payload_fails() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    token = sign_jwt(
        sample_credential(issuer_id=key.controller), key.key, kid=key.verification_method
    )
    header, payload, signature = token.split(".")
    claims = json.loads(multibase.b64url_decode(payload))
    claims["name"] = "Something else"
    with pytest.raises(ProofError, match="signature does not match"):
        verify_jwt(".".join([header, encode(claims), signature]), DidResolver())


def test_alg_none_and_algorithm_confusion_are_refused() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    token = sign_jwt({"a": 1}, key.key, kid=key.verification_method)
    _, payload, signature = token.split(".")
    unsigned = encode({"alg": "none", "kid": key.verification_method}) + "." + payload + "."
    with pytest.raises((ProofError, InputError)):
        verify_jwt(unsigned, DidResolver())
    confused = (
        encode({"alg": "ES256", "kid": key.verification_method}) + "." + payload + "." + signature
    )
    with pytest.raises(ProofError, match="does not fit the key"):
        verify_jwt(confused, DidResolver())


def test_vc_claim_form_is_accepted() -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    credential = sample_credential(issuer_id=key.controller)
    token = sign_jwt(
        {"vc": credential, "iss": key.controller}, key.key, kid=key.verification_method
    )
    assert verify_jwt(token, DidResolver()).credential == credential


def test_garbage_is_an_input_error() -> None:
    with pytest.raises(InputError, match="compact JWT"):
        verify_jwt("not-a-jwt", DidResolver())


@pytest.mark.parametrize(
    "extra", [{"crit": ["exp"]}, {"b64": False}, {"jku": "https://k.example/"}]
)
def test_headers_we_do_not_implement_are_refused(extra: dict[str, object]) -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    header = {"alg": "EdDSA", "kid": key.verification_method, **extra}
    signing_input = encode(header) + "." + encode({"a": 1})
    token = signing_input + "." + multibase.b64url_encode(key.key.sign(signing_input.encode()))
    with pytest.raises(ProofError, match="do not implement"):
        verify_jwt(token, DidResolver())


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"])),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=4), children, max_size=4),
    ),
    max_leaves=20,
)

ED_KEY = KeyFile.for_did_key(SigningKey.generate())


def _payload_of(token: str) -> bytes:
    return multibase.b64url_decode(token.split(".")[1])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=4), json_values, max_size=5))
def test_payload_is_the_credential_and_json_dumps_text_without_floats(
    value: dict[str, Any],
) -> None:
    payload = _payload_of(sign_jwt(value, ED_KEY.key, kid=ED_KEY.verification_method))
    assert json.loads(payload) == value
    if not _has_float(value):
        # Byte for byte what json.dumps writes (floats may be spelled differently: 1e16).
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        assert payload == text.encode()


def _has_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


@pytest.mark.parametrize(
    "value", [{"a": float("nan")}, {"a": [float("inf")]}, {"a": "\ud800"}, {"a": object()}]
)
def test_values_json_cannot_carry_are_refused(value: dict[str, Any]) -> None:
    # json.dumps wrote NaN (not JSON) and crashed on the others; orjson would write null.
    with pytest.raises(InputError, match="credential is not JSON"):
        sign_jwt(value, ED_KEY.key, kid=ED_KEY.verification_method)


def test_null_values_survive_the_nan_check() -> None:
    value = {"a": None, "b": ["null", 1.5]}
    token = sign_jwt(value, ED_KEY.key, kid=ED_KEY.verification_method)
    assert verify_jwt(token, DidResolver()).credential == value
