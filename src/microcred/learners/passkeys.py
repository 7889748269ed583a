"""Passkeys (WebAuthn) for learners: registered once signed in, then a way to sign in without
a mailed link. The ceremonies are checked by the ``webauthn`` library; this module keeps the
challenges (single use, 5 minutes, stored as SHA-256) and the public keys.

The relying party is the public URL's host; the expected origin is the public URL's origin.
Passkeys are discoverable (resident) keys, so signing in needs no address first.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from microcred.errors import ConflictError, InputError, NotFoundError, SignInError, short
from microcred.learners.repository import LearnerRepository
from microcred.learners.service import LearnerService, SignedIn
from microcred.store.db import transaction
from microcred.store.tables import LearnerChallengeRow, LearnerPasskeyRow
from microcred.urls import PublicUrls

CHALLENGE_LIFETIME = timedelta(minutes=5)
REGISTER = "passkey_add"
AUTHENTICATE = "passkey_in"
MAX_RESPONSE = 64 * 1024


@dataclass(frozen=True)
class Passkey:
    credential_id: str
    created_at: datetime
    last_used_at: datetime | None


class PasskeyService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        learners: LearnerService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.learners = learners
        parts = urlsplit(urls.base)
        self.rp_id = parts.hostname or "localhost"
        self.origin = f"{parts.scheme}://{parts.netloc}"

    def passkeys(self, learner_id: str) -> tuple[Passkey, ...]:
        with self.sessions() as session:
            rows = LearnerRepository(session).passkeys(learner_id)
            return tuple(Passkey(r.credential_id, r.created_at, r.last_used_at) for r in rows)

    # ---- registration ---------------------------------------------------------------------------

    def registration_options(self, learner_id: str) -> str:
        """The options for ``navigator.credentials.create`` (JSON), with a new challenge."""
        learner = self.learners.get(learner_id)
        emails = self.learners.emails(learner_id)
        challenge = secrets.token_bytes(32)
        with self.sessions() as session:
            existing = [
                PublicKeyCredentialDescriptor(id=_unb64(row.credential_id))
                for row in LearnerRepository(session).passkeys(learner_id)
            ]
        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name="microcred",
            user_id=learner_id.encode(),
            user_name=emails[0] if emails else learner_id,
            user_display_name=learner.display_name or (emails[0] if emails else ""),
            challenge=challenge,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=existing,
        )
        self._remember(challenge, REGISTER, learner_id)
        return str(options_to_json(options))

    def register(self, learner_id: str, response: str) -> Passkey:
        """Check the authenticator's answer to our challenge and keep its public key."""
        credential = _parse(response)
        challenge = _challenge_of(credential)
        self._spend(challenge, REGISTER, learner_id)
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
            )
        except WebAuthnException as error:
            raise InputError(
                "the passkey could not be registered", found=str(error)[:200]
            ) from error
        now = self.clock()
        credential_id = bytes_to_base64url(verified.credential_id)
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            repo.require(learner_id)
            added = repo.add_passkey(
                LearnerPasskeyRow(
                    credential_id=credential_id,
                    learner_id=learner_id,
                    public_key=verified.credential_public_key,
                    sign_count=verified.sign_count,
                    created_at=now,
                    last_used_at=None,
                )
            )
        if not added:
            raise ConflictError("this passkey is registered already")
        return Passkey(credential_id, now, None)

    def remove(self, learner_id: str, credential_id: str) -> None:
        with transaction(self.sessions) as session:
            if LearnerRepository(session).remove_passkey(learner_id, credential_id) != 1:
                raise NotFoundError("no such passkey on this account", found=short(credential_id))

    # ---- signing in -----------------------------------------------------------------------------

    def authentication_options(self) -> str:
        """The options for ``navigator.credentials.get`` (JSON): any passkey of this site."""
        challenge = secrets.token_bytes(32)
        options = generate_authentication_options(
            rp_id=self.rp_id,
            challenge=challenge,
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        self._remember(challenge, AUTHENTICATE, None)
        return str(options_to_json(options))

    def sign_in(self, response: str, *, replacing: str | None = None) -> SignedIn:
        """A new session for the learner whose passkey answered our challenge."""
        credential = _parse(response)
        challenge = _challenge_of(credential)
        self._spend(challenge, AUTHENTICATE, None)
        raw_id = credential.get("rawId") or credential.get("id")
        if not isinstance(raw_id, str):
            raise SignInError("the passkey was not accepted", expected="a credential id")
        now = self.clock()
        with transaction(self.sessions) as session:
            repo = LearnerRepository(session)
            row = repo.passkey(raw_id)
            if row is None:
                raise SignInError("the passkey was not accepted", found="an unknown passkey")
            try:
                verified = verify_authentication_response(
                    credential=credential,
                    expected_challenge=challenge,
                    expected_rp_id=self.rp_id,
                    expected_origin=self.origin,
                    credential_public_key=row.public_key,
                    credential_current_sign_count=row.sign_count,
                )
            except WebAuthnException as error:
                raise SignInError("the passkey was not accepted", found=str(error)[:200]) from error
            if not repo.use_passkey(raw_id, row.sign_count, verified.new_sign_count, now):
                raise SignInError("the passkey was used at the same moment elsewhere")
            learner_id = row.learner_id
            token = self.learners.open_session(session, learner_id, now, replacing)
        return SignedIn(learner_id, token, None)

    # ---- challenges -----------------------------------------------------------------------------

    def _remember(self, challenge: bytes, purpose: str, learner_id: str | None) -> None:
        now = self.clock()
        with transaction(self.sessions) as session:
            LearnerRepository(session).add_challenge(
                LearnerChallengeRow(
                    challenge_hash=hashlib.sha256(challenge).hexdigest(),
                    purpose=purpose,
                    learner_id=learner_id,
                    expires_at=now + CHALLENGE_LIFETIME,
                ),
                now,
            )

    def _spend(self, challenge: bytes, purpose: str, learner_id: str | None) -> None:
        with transaction(self.sessions) as session:
            spent = LearnerRepository(session).consume_challenge(
                hashlib.sha256(challenge).hexdigest(), purpose, learner_id, self.clock()
            )
        if not spent:
            error = InputError if purpose == REGISTER else SignInError
            raise error(
                "the passkey answered an unknown, used or expired challenge",
                expected="an answer to a challenge of the last 5 minutes",
            )


def _parse(response: str) -> dict[str, Any]:
    if not isinstance(response, str) or len(response) > MAX_RESPONSE:
        raise InputError("the passkey's answer is missing or too large", expected="WebAuthn JSON")
    try:
        data = json.loads(response)
    except ValueError as error:
        raise InputError("the passkey's answer is not JSON", found=short(response)) from error
    if not isinstance(data, dict):
        raise InputError("the passkey's answer is not a credential", found=short(data))
    return data


def _challenge_of(credential: dict[str, Any]) -> bytes:
    """The challenge the client data names (the library then checks it equals ours)."""
    try:
        client_data = json.loads(_unb64(credential["response"]["clientDataJSON"]))
        return _unb64(client_data["challenge"])
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(
            "the passkey's answer has no readable client data", expected="clientDataJSON"
        ) from error


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


__all__ = ["Passkey", "PasskeyService"]
