"""The ``jwt`` key proof checks on their own (no database), and where metadata is published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from microcred.errors import Oid4vciError
from microcred.oid4vci.proof import public_key_from_jwk, verify_key_proof
from microcred.urls import PublicUrls
from tests.platform.oid4vci_wallet import Wallet

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
AUD = "https://badges.example.org"
MAX_AGE = timedelta(minutes=5)


def check(token: str) -> str:
    return verify_key_proof(token, audience=AUD, now=NOW, max_age=MAX_AGE).holder


@pytest.mark.parametrize("algorithm", ["Ed25519", "P-256"])
@pytest.mark.parametrize("by_kid", [False, True])
def test_a_good_proof_names_the_wallets_did_key(algorithm: str, by_kid: bool) -> None:
    wallet = Wallet(algorithm)  # type: ignore[arg-type]
    proof = verify_key_proof(
        wallet.proof(aud=AUD, nonce="n-1", now=NOW, by_kid=by_kid),
        audience=AUD,
        now=NOW,
        max_age=MAX_AGE,
    )
    assert proof.holder == wallet.did
    assert proof.nonce == "n-1"
    assert public_key_from_jwk(wallet.jwk).did_key == wallet.did


def test_aud_as_a_one_element_list_and_a_future_exp_are_accepted() -> None:
    wallet = Wallet()
    later = int((NOW + timedelta(minutes=10)).timestamp())
    assert check(wallet.proof(aud=AUD, nonce="n", now=NOW, payload={"aud": [AUD], "exp": later}))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"payload": {"exp": int(NOW.timestamp()) - 1}}, "expired"),
        ({"payload": {"aud": [AUD, "https://other.example"]}}, "another audience"),
        ({"payload": {"iat": "yesterday"}}, "'iat'"),
        ({"header": {"alg": "ES256"}}, "does not fit the key"),
        ({"header": {"x5c": ["MIIB"], "jwk": None}}, "do not accept"),
        ({"header": {"jwk": None}}, "name its key once"),
        ({"header": {"jwk": {"kty": "RSA", "n": "x", "e": "AQAB"}}}, "unsupported key type"),
        ({"header": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "short"}}}, "valid 'x'"),
    ],
)
def test_bad_proofs_say_what_is_wrong(changes: dict[str, dict[str, object]], message: str) -> None:
    token = Wallet().proof(aud=AUD, nonce="n", now=NOW, **changes)  # type: ignore[arg-type]
    with pytest.raises(Oid4vciError, match=message) as caught:
        check(token)
    assert caught.value.error == "invalid_proof"


def test_a_p256_point_off_the_curve_is_refused() -> None:
    jwk = Wallet("P-256").jwk
    jwk["y"] = jwk["x"]
    with pytest.raises(Oid4vciError, match="not a valid public key"):
        public_key_from_jwk(jwk)


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "x" * 20_000, 42])
def test_garbage_is_invalid_proof(token: object) -> None:
    with pytest.raises(Oid4vciError) as caught:
        verify_key_proof(token, audience=AUD, now=NOW, max_age=MAX_AGE)
    assert caught.value.error == "invalid_proof"


def test_metadata_is_published_before_the_public_urls_path() -> None:
    assert (
        PublicUrls("https://host.example").well_known("openid-credential-issuer")
        == "https://host.example/.well-known/openid-credential-issuer"
    )
    assert (
        PublicUrls("https://host.example/badges").well_known("oauth-authorization-server")
        == "https://host.example/.well-known/oauth-authorization-server/badges"
    )
