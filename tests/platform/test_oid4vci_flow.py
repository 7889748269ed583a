"""OpenID4VCI pre-authorized code flow end to end against the HTTP API, with the wallet of
tests/platform/oid4vci_wallet.py, and every refusal: each a clear OAuth-style error, and
nothing issued. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM
from microcred.audit.repository import AuditRepository
from microcred.errors import ConflictError, Oid4vciError, PermissionDeniedError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.tables import CredentialRow, Oid4vciOfferRow, Oid4vciTokenRow
from tests.platform.conftest import FakeClock, IssuerFixture
from tests.platform.oid4vci_wallet import PRE_AUTHORIZED_GRANT, Wallet, code_of, offer_of

START = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
CONFIGURATION = "OpenBadgeCredential_ldp_vc"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def original(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> CredentialRow:
    (row,) = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement_id, email="ada@example.org", name="Ada L.")],
    )
    return row


def new_offer(runtime: Runtime, credential: CredentialRow) -> str:
    return runtime.oid4vci.make_offer(credential.id, runtime.recipients.token(credential.id)).uri


def get_token(client: TestClient, code: str, **extra: str) -> Response:
    return client.post(
        "/oid4vci/token",
        data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, **extra},
    )


def access_token(client: TestClient, runtime: Runtime, credential: CredentialRow) -> str:
    answer = get_token(client, code_of(new_offer(runtime, credential)))
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def c_nonce(client: TestClient) -> str:
    answer = client.post("/oid4vci/nonce")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    nonce: str = answer.json()["c_nonce"]
    return nonce


def ask(client: TestClient, token: str | None, body: Any) -> Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/oid4vci/credential", json=body, headers=headers)


def request_with(proof: str) -> dict[str, Any]:
    return {"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": [proof]}}


def credential_count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(CredentialRow)) or 0


def refused(answer: Response, error: str, status: int = 400) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == error, body
    description: str = body["error_description"]
    assert description
    return description


# ---- metadata ----------------------------------------------------------------------------------


def test_metadata_names_our_endpoints_and_the_open_badge_configuration(
    client: TestClient, runtime: Runtime
) -> None:
    issuer = client.get("/.well-known/openid-credential-issuer").json()
    base = runtime.urls.base
    assert issuer["credential_issuer"] == base
    assert issuer["credential_endpoint"] == f"{base}/oid4vci/credential"
    assert issuer["nonce_endpoint"] == f"{base}/oid4vci/nonce"
    config = issuer["credential_configurations_supported"][CONFIGURATION]
    assert config["format"] == "ldp_vc"
    assert "OpenBadgeCredential" in config["credential_definition"]["type"]
    assert config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
        "EdDSA",
        "Ed25519",
        "ES256",
    ]
    server = client.get("/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == base
    assert server["token_endpoint"] == f"{base}/oid4vci/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True
    assert client.get("/.well-known/openid-credential-issuer/elsewhere").status_code == 404


# ---- the whole flow ----------------------------------------------------------------------------


@pytest.mark.parametrize(("algorithm", "by_kid"), [("Ed25519", False), ("P-256", True)])
def test_a_wallet_takes_a_copy_bound_to_its_key(
    client: TestClient,
    runtime: Runtime,
    original: CredentialRow,
    algorithm: Any,
    by_kid: bool,
) -> None:
    wallet = Wallet(algorithm)
    uri = new_offer(runtime, original)
    offer = offer_of(uri)
    assert offer["credential_issuer"] == runtime.urls.base
    assert offer["credential_configuration_ids"] == [CONFIGURATION]

    answer = get_token(client, code_of(uri))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    grant = answer.json()
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] == 600
    proof = wallet.proof(
        aud=runtime.urls.base, nonce=c_nonce(client), now=runtime.clock(), by_kid=by_kid
    )
    before = credential_count(runtime)
    answer = ask(client, grant["access_token"], request_with(proof))
    assert answer.status_code == 200, answer.text
    (item,) = answer.json()["credentials"]
    copy = item["credential"]

    # A new credential, bound to the wallet's key, that our verifier accepts.
    assert credential_count(runtime) == before + 1
    subject = copy["credentialSubject"]
    assert subject["id"] == wallet.did
    assert subject["name"] == "Ada L."
    assert "identifier" not in subject  # the e-mail's hash stays with the original
    assert copy["id"] != original.document["id"]
    assert copy["validFrom"] == original.document["validFrom"]
    result = runtime.verification.verifier().verify(copy)
    assert result.verified, result.to_json()

    # The link, and the audit event on the original.
    copy_id = runtime.urls.credential_id(copy["id"])
    assert runtime.oid4vci.copies_of(original.id) == [copy_id]
    with runtime.sessions() as session:
        (event,) = AuditRepository(session).list(
            original.issuer_id, action="credential.copied_to_wallet"
        )
    assert event.details == {"copy": copy_id, "holder": wallet.did}

    # The token was spent; the same key asking again (a new offer) gets the same copy.
    refused(ask(client, grant["access_token"], request_with(proof)), "invalid_token", 401)
    again = ask(
        client,
        access_token(client, runtime, original),
        request_with(wallet.proof(aud=runtime.urls.base, nonce=c_nonce(client), now=START)),
    )
    assert again.json()["credentials"][0]["credential"]["id"] == copy["id"]
    assert credential_count(runtime) == before + 1


def test_the_draft_15_single_proof_and_authorization_details_are_understood(
    client: TestClient, runtime: Runtime, original: CredentialRow
) -> None:
    details = [{"type": "openid_credential", "credential_configuration_id": CONFIGURATION}]
    code = code_of(new_offer(runtime, original))
    grant = get_token(client, code, authorization_details=json.dumps(details)).json()
    assert grant["authorization_details"] == [
        {**details[0], "credential_identifiers": [original.id]}
    ]
    wallet = Wallet()
    proof = wallet.proof(aud=runtime.urls.base, nonce=c_nonce(client), now=START)
    body = {"credential_identifier": original.id, "proof": {"proof_type": "jwt", "jwt": proof}}
    answer = ask(client, grant["access_token"], body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == wallet.did


# ---- the offer ---------------------------------------------------------------------------------


def test_offers_are_made_only_for_the_private_link_and_stored_hashed(
    runtime: Runtime, original: CredentialRow, issuer: IssuerFixture
) -> None:
    with pytest.raises(PermissionDeniedError, match="private link"):
        runtime.oid4vci.make_offer(original.id, "x" * 32)
    with pytest.raises(PermissionDeniedError):
        runtime.oid4vci.make_offer(original.id, None)
    uri = new_offer(runtime, original)
    with runtime.sessions() as session:
        stored = session.scalars(select(Oid4vciOfferRow.code_hash)).all()
    assert len(stored) == 1
    assert len(stored[0]) == 64
    assert code_of(uri) not in stored[0]

    runtime.lifecycle.revoke(SYSTEM, issuer.id, original.id, "issued in error")
    with pytest.raises(ConflictError, match="active"):
        new_offer(runtime, original)


def test_the_private_page_shows_the_offer_and_the_public_page_does_not(
    client: TestClient, runtime: Runtime, original: CredentialRow
) -> None:
    html = {"Accept": "text/html"}
    private = client.get(runtime.recipients.private_url(original.id), headers=html)
    assert private.status_code == 200
    assert 'id="wallet-offer"' in private.text
    assert "openid-credential-offer://?credential_offer=" in private.text
    public = client.get(f"/credentials/{original.id}", headers=html)
    assert 'id="wallet-offer"' not in public.text
    assert "openid-credential-offer" not in public.text


# ---- refusals ----------------------------------------------------------------------------------


def test_a_pre_authorized_code_works_once_and_not_after_ten_minutes(
    client: TestClient, runtime: Runtime, original: CredentialRow, clock: FakeClock
) -> None:
    code = code_of(new_offer(runtime, original))
    assert get_token(client, code).status_code == 200
    assert "used or expired" in refused(get_token(client, code), "invalid_grant")
    late = code_of(new_offer(runtime, original))
    clock.advance(minutes=10, seconds=1)
    refused(get_token(client, late), "invalid_grant")
    refused(get_token(client, "made-up-code"), "invalid_grant")
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Oid4vciTokenRow)) == 1


def test_bad_token_requests(client: TestClient, runtime: Runtime, original: CredentialRow) -> None:
    code = code_of(new_offer(runtime, original))
    refused(client.post("/oid4vci/token", data={"pre-authorized_code": code}), "invalid_request")
    refused(
        client.post("/oid4vci/token", data={"grant_type": "authorization_code", "code": code}),
        "unsupported_grant_type",
    )
    refused(
        client.post("/oid4vci/token", data={"grant_type": PRE_AUTHORIZED_GRANT}), "invalid_request"
    )
    refused(get_token(client, code, tx_code="1234"), "invalid_request")
    refused(get_token(client, code, authorization_details='[{"type": "x"}]'), "invalid_request")
    as_json = client.post(
        "/oid4vci/token", json={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    )
    assert "form-encoded" in refused(as_json, "invalid_request")
    # None of these used the code.
    assert get_token(client, code).status_code == 200


def test_the_credential_endpoint_needs_a_live_token(
    client: TestClient, runtime: Runtime, original: CredentialRow, clock: FakeClock
) -> None:
    wallet = Wallet()
    body = request_with(wallet.proof(aud=runtime.urls.base, nonce=c_nonce(client), now=START))
    before = credential_count(runtime)
    answer = ask(client, None, body)
    refused(answer, "invalid_token", 401)
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    refused(ask(client, "not-a-token", body), "invalid_token", 401)
    token = access_token(client, runtime, original)
    clock.advance(minutes=10, seconds=1)
    refused(ask(client, token, body), "invalid_token", 401)
    assert credential_count(runtime) == before


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("wrong audience", "invalid_proof"),
        ("signed by another key than its jwk", "invalid_proof"),
        ("wrong typ", "invalid_proof"),
        ("alg none", "invalid_proof"),
        ("HS256", "invalid_proof"),
        ("private key in jwk", "invalid_proof"),
        ("jwk and kid", "invalid_proof"),
        ("did:web kid", "invalid_proof"),
        ("stale iat", "invalid_proof"),
        ("future iat", "invalid_proof"),
        ("no nonce", "invalid_proof"),
        ("forged nonce", "invalid_nonce"),
        ("no proof", "invalid_proof"),
        ("two proofs", "invalid_credential_request"),
        ("not JSON", "invalid_credential_request"),
        ("unknown configuration", "unknown_credential_configuration"),
        ("other credential", "unknown_credential_identifier"),
        ("encryption", "invalid_encryption_parameters"),
    ],
)
def test_a_bad_credential_request_is_refused_and_issues_nothing(
    client: TestClient, runtime: Runtime, original: CredentialRow, case: str, error: str
) -> None:
    wallet, thief = Wallet(), Wallet()
    token = access_token(client, runtime, original)
    nonce = c_nonce(client)
    aud = runtime.urls.base

    def proof(**changes: Any) -> str:
        return wallet.proof(aud=aud, nonce=nonce, now=START, **changes)

    bodies: dict[str, Any] = {
        "wrong audience": request_with(proof(payload={"aud": "https://evil.example"})),
        "signed by another key than its jwk": request_with(proof(signer=thief)),
        "wrong typ": request_with(proof(header={"typ": "JWT"})),
        "alg none": request_with(proof(header={"alg": "none"})),
        "HS256": request_with(proof(header={"alg": "HS256"})),
        "private key in jwk": request_with(proof(header={"jwk": {**wallet.jwk, "d": "AAAA"}})),
        "jwk and kid": request_with(proof(header={"kid": wallet.kid})),
        "did:web kid": request_with(
            proof(by_kid=True, header={"kid": "did:web:evil.example#key-1"})
        ),
        "stale iat": request_with(proof(payload={"iat": int(START.timestamp()) - 600})),
        "future iat": request_with(proof(payload={"iat": int(START.timestamp()) + 600})),
        "no nonce": request_with(proof(payload={"nonce": None})),
        "forged nonce": request_with(proof(payload={"nonce": nonce[:-4] + "AAAA"})),
        "no proof": {"credential_configuration_id": CONFIGURATION},
        "two proofs": {
            "credential_configuration_id": CONFIGURATION,
            "proofs": {"jwt": [proof(), proof()]},
        },
        "not JSON": "{not json",
        "unknown configuration": {
            "credential_configuration_id": "Diploma",
            "proofs": {"jwt": [proof()]},
        },
        "other credential": {"credential_identifier": "someone-else", "proofs": {"jwt": [proof()]}},
        "encryption": {**request_with(proof()), "credential_response_encryption": {"jwk": {}}},
    }
    before = credential_count(runtime)
    body = bodies[case]
    if isinstance(body, str):
        answer = client.post(
            "/oid4vci/credential",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
    else:
        answer = ask(client, token, body)
    refused(answer, error)
    assert credential_count(runtime) == before
    # Nothing was used up: the same token and nonce still work with a good proof.
    good = ask(client, token, request_with(proof()))
    assert good.status_code == 200, good.text
    assert credential_count(runtime) == before + 1


def test_a_nonce_is_used_once_and_expires(
    client: TestClient, runtime: Runtime, original: CredentialRow, clock: FakeClock
) -> None:
    wallet = Wallet()
    nonce = c_nonce(client)
    first = ask(
        client,
        access_token(client, runtime, original),
        request_with(wallet.proof(aud=runtime.urls.base, nonce=nonce, now=START)),
    )
    assert first.status_code == 200
    before = credential_count(runtime)
    token = access_token(client, runtime, original)
    replay = request_with(wallet.proof(aud=runtime.urls.base, nonce=nonce, now=START))
    assert "already used" in refused(ask(client, token, replay), "invalid_nonce")

    stale = c_nonce(client)
    clock.advance(minutes=5, seconds=1)
    late = request_with(wallet.proof(aud=runtime.urls.base, nonce=stale, now=clock.now))
    assert "expired" in refused(ask(client, token, late), "invalid_nonce")
    assert credential_count(runtime) == before
    # The token survived both refusals.
    fresh = request_with(wallet.proof(aud=runtime.urls.base, nonce=c_nonce(client), now=clock.now))
    assert ask(client, token, fresh).status_code == 200


def test_a_revoked_credential_is_not_re_issued(
    client: TestClient, runtime: Runtime, original: CredentialRow, issuer: IssuerFixture
) -> None:
    token = access_token(client, runtime, original)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, original.id, "issued in error")
    before = credential_count(runtime)
    body = request_with(Wallet().proof(aud=runtime.urls.base, nonce=c_nonce(client), now=START))
    assert "no longer active" in refused(ask(client, token, body), "credential_request_denied")
    assert credential_count(runtime) == before


def test_a_wallets_copy_is_suspended_reinstated_and_revoked_with_its_original(
    client: TestClient, runtime: Runtime, original: CredentialRow, issuer: IssuerFixture
) -> None:
    token = access_token(client, runtime, original)
    body = request_with(Wallet().proof(aud=runtime.urls.base, nonce=c_nonce(client), now=START))
    copy = ask(client, token, body).json()["credentials"][0]["credential"]
    copy_id = runtime.urls.credential_id(copy["id"])
    assert copy_id is not None

    def states() -> tuple[str, str, bool]:
        row = runtime.credentials.get_public(copy_id)
        verified = runtime.verification.verifier().verify(copy).verified
        return runtime.credentials.get_public(original.id).state, row.state, verified

    assert states() == ("active", "active", True)
    runtime.lifecycle.suspend(SYSTEM, issuer.id, original.id, "under review")
    assert states() == ("suspended", "suspended", False)  # its own status bit says so
    runtime.lifecycle.reinstate(SYSTEM, issuer.id, original.id)
    assert states() == ("active", "active", True)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, original.id, "issued in error")
    assert states() == ("revoked", "revoked", False)
    with runtime.sessions() as session:
        events = AuditRepository(session).list(original.issuer_id, action="credential.revoked")
    assert {event.subject for event in events} == {
        runtime.urls.credential(original.id),
        runtime.urls.credential(copy_id),
    }


def test_racing_requests_with_one_code_get_one_token(
    runtime: Runtime, original: CredentialRow
) -> None:
    code = code_of(new_offer(runtime, original))
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    barrier = threading.Barrier(4)

    def exchange() -> str:
        barrier.wait()
        try:
            return runtime.oid4vci.exchange(form).access_token
        except Oid4vciError as error:
            return error.error

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: exchange(), range(4)))
    assert outcomes.count("invalid_grant") == 3
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Oid4vciTokenRow)) == 1
