"""Passkeys: a signed-in learner registers one, then signs in with it; replayed, forged and
foreign answers are refused. The authenticator is a software one (P-256, "none" attestation)
built here from the WebAuthn data formats."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.errors import InputError, SignInError
from microcred.runtime import Runtime
from microcred.store.tables import LearnerPasskeyRow

from .learners_support import browser, csrf, sign_in, web

__all__ = ["web"]  # fixtures used here

ORIGIN = "https://badges.example.org"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One passkey on a pretend device: makes registration and assertion answers."""

    def __init__(self, rp_id: str = "badges.example.org", origin: str = ORIGIN) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.rp_id = rp_id
        self.origin = origin
        self.count = 0
        self.user_handle = b""

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict[str, Any]) -> str:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([0x45])  # user present, user verified, attested credential data
            + struct.pack(">I", self.count)
            + attested
            + cose
        )
        self.user_handle = unb64u(options["user"]["id"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": b64u(self.credential_id),
                "rawId": b64u(self.credential_id),
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64u(
                        self._client_data("webauthn.create", options["challenge"])
                    ),
                    "attestationObject": b64u(attestation),
                },
            }
        )

    def get(self, options: dict[str, Any]) -> str:
        self.count += 1
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([0x05])  # user present, user verified
            + struct.pack(">I", self.count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64u(self.credential_id),
                "rawId": b64u(self.credential_id),
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64u(client_data),
                    "authenticatorData": b64u(auth_data),
                    "signature": b64u(signature),
                    "userHandle": b64u(self.user_handle),
                },
            }
        )


def register(client: TestClient, device: SoftAuthenticator) -> Any:
    token = csrf(client.get("/account").text)
    options = client.post("/account/passkeys/options", data={"csrf_token": token})
    assert options.status_code == 200
    assert options.headers["cache-control"] == "no-store"
    return client.post(
        "/account/passkeys", data={"csrf_token": token, "credential": device.create(options.json())}
    )


def passkey_sign_in(client: TestClient, device: SoftAuthenticator, next_path: str = "") -> Any:
    token = csrf(client.get("/verify").text)  # any page's form token (signed in or not)
    options = client.post("/passkeys/sign-in/options", data={"csrf_token": token}).json()
    assert options["rpId"] == "badges.example.org"
    return client.post(
        "/passkeys/sign-in",
        data={"csrf_token": token, "credential": device.get(options), "next": next_path},
    )


def test_a_passkey_registered_once_signed_in_signs_in_later(
    runtime: Runtime, web: TestClient
) -> None:
    sign_in(runtime, web, "ada@example.org")
    device = SoftAuthenticator()
    answer = register(web, device)
    assert answer.status_code == 200, answer.text
    options = json.loads(
        web.post(
            "/account/passkeys/options", data={"csrf_token": csrf(web.get("/account").text)}
        ).text
    )
    # The registered passkey is excluded from a second registration, and the options ask for
    # a discoverable key.
    assert options["excludeCredentials"][0]["id"] == b64u(device.credential_id)
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert "Added" in web.get("/account").text

    with browser(runtime) as laptop:
        done = passkey_sign_in(laptop, device, "/wallet")
        assert done.status_code == 200, done.text
        assert done.json() == {"redirect": "/wallet"}
        assert "HttpOnly" in done.headers["set-cookie"]
        assert "ada@example.org" in laptop.get("/account").text
        evil = passkey_sign_in(laptop, device, "//evil.example")
        assert evil.json() == {"redirect": "/account"}
    with runtime.sessions() as session:
        row = session.execute(select(LearnerPasskeyRow)).scalar_one()
        assert row.sign_count == 2
        assert row.last_used_at is not None


def test_a_replayed_or_forged_passkey_answer_is_refused(runtime: Runtime, web: TestClient) -> None:
    sign_in(runtime, web, "ada@example.org")
    device = SoftAuthenticator()
    assert register(web, device).status_code == 200
    options = json.loads(runtime.learner_passkeys.authentication_options())
    answer = device.get(options)
    signed = runtime.learner_passkeys.sign_in(answer)
    assert runtime.learners.emails(signed.learner_id) == ("ada@example.org",)  # her account
    with pytest.raises(SignInError):  # the challenge is spent
        runtime.learner_passkeys.sign_in(answer)

    # A key nobody registered, a wrong origin, a tampered signature, no challenge of ours.
    stranger = SoftAuthenticator()
    with pytest.raises(SignInError):
        runtime.learner_passkeys.sign_in(
            stranger.get(json.loads(runtime.learner_passkeys.authentication_options()))
        )
    phishing = SoftAuthenticator(origin="https://badges.example.org.evil.example")
    phishing.key, phishing.credential_id = device.key, device.credential_id
    with pytest.raises(SignInError):
        runtime.learner_passkeys.sign_in(
            phishing.get(json.loads(runtime.learner_passkeys.authentication_options()))
        )
    tampered = json.loads(device.get(json.loads(runtime.learner_passkeys.authentication_options())))
    tampered["response"]["signature"] = b64u(b"\x30\x06\x02\x01\x01\x02\x01\x01")
    with pytest.raises(SignInError):
        runtime.learner_passkeys.sign_in(json.dumps(tampered))
    made_up = device.get({"challenge": b64u(secrets.token_bytes(32))})
    with pytest.raises(SignInError):
        runtime.learner_passkeys.sign_in(made_up)
    for garbage in ("", "not json", "[]", json.dumps({"response": {}})):
        with pytest.raises(InputError):
            runtime.learner_passkeys.sign_in(garbage)

    with browser(runtime) as other:
        refused = passkey_sign_in(other, stranger)
        assert refused.status_code == 401
        assert "mc_learner" not in refused.headers.get("set-cookie", "")


def test_registration_needs_the_learner_and_their_challenge(
    runtime: Runtime, web: TestClient
) -> None:
    sign_in(runtime, web, "ada@example.org")
    with browser(runtime) as bob:
        sign_in(runtime, bob, "bob@example.org")
        bob_token = csrf(bob.get("/account").text)
        bob_options = bob.post("/account/passkeys/options", data={"csrf_token": bob_token}).json()
    # Ada cannot answer a challenge made for Bob.
    device = SoftAuthenticator()
    token = csrf(web.get("/account").text)
    stolen = web.post(
        "/account/passkeys", data={"csrf_token": token, "credential": device.create(bob_options)}
    )
    assert stolen.status_code == 422
    with runtime.sessions() as session:
        assert (
            session.execute(select(func.count()).select_from(LearnerPasskeyRow)).scalar_one() == 0
        )
    # A visitor cannot ask for registration options.
    with browser(runtime) as visitor:
        visitor_token = csrf(visitor.get("/sign-in").text)
        answer = visitor.post("/account/passkeys/options", data={"csrf_token": visitor_token})
        assert answer.status_code == 303
    # The same device twice is one passkey.
    assert register(web, device).status_code == 200
    assert register(web, device).status_code == 409


def test_a_removed_passkey_no_longer_signs_in(runtime: Runtime, web: TestClient) -> None:
    sign_in(runtime, web, "ada@example.org")
    device = SoftAuthenticator()
    assert register(web, device).status_code == 200
    removed = web.post(
        "/account/passkeys/remove",
        data={
            "csrf_token": csrf(web.get("/account").text),
            "credential_id": b64u(device.credential_id),
        },
    )
    assert removed.status_code == 303
    with browser(runtime) as laptop:
        assert passkey_sign_in(laptop, device).status_code == 401
    unknown = web.post(
        "/account/passkeys/remove",
        data={"csrf_token": csrf(web.get("/account").text), "credential_id": "nope"},
    )
    assert unknown.status_code == 404


def test_deleting_the_account_deletes_its_passkeys_and_exports_them_first(
    runtime: Runtime, web: TestClient
) -> None:
    sign_in(runtime, web, "ada@example.org")
    device = SoftAuthenticator()
    assert register(web, device).status_code == 200
    exported = web.get("/account/export.json").json()
    assert [p["credentialId"] for p in exported["passkeys"]] == [b64u(device.credential_id)]
    me = exported["profile"]["id"]
    runtime.learner_passkeys.registration_options(me)  # a challenge left open
    runtime.learners.delete(me, confirmation="ada@example.org")
    with runtime.sessions() as session:
        assert (
            session.execute(select(func.count()).select_from(LearnerPasskeyRow)).scalar_one() == 0
        )
    with browser(runtime) as laptop:
        assert passkey_sign_in(laptop, device).status_code == 401
