"""The OpenID4VCI issuer: credential offers on the recipient's private page, the token and
nonce endpoints' logic, and the credential endpoint's, which re-issues the credential to the
wallet's proven key through the issuance service (docs/design/oid4vci.md says why).

Every refusal is an :class:`~microcred.errors.Oid4vciError` carrying the protocol's error code,
raised before anything is written or issued.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from microcred.accounts.actor import Actor
from microcred.audit.repository import record_audit
from microcred.crypto import multibase
from microcred.errors import (
    ConflictError,
    InputError,
    MicrocredError,
    NotFoundError,
    Oid4vciError,
    PermissionDeniedError,
    short,
)
from microcred.issuing.issuance import IssueRequest
from microcred.oid4vci import metadata
from microcred.oid4vci.proof import verify_key_proof
from microcred.oid4vci.repository import Oid4vciRepository
from microcred.store.db import transaction
from microcred.types import JsonObject

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.issuing.credentials import CredentialService
    from microcred.issuing.issuance import IssuanceService
    from microcred.issuing.recipients import RecipientService
    from microcred.status.lifecycle import LifecycleService
    from microcred.store.tables import CredentialRow
    from microcred.urls import PublicUrls

OFFER_SCHEME = "openid-credential-offer://"
OFFER_LIFETIME = timedelta(minutes=10)
TOKEN_LIFETIME = timedelta(minutes=10)
NONCE_LIFETIME = timedelta(minutes=5)
PROOF_MAX_AGE = timedelta(minutes=5)
# Who the audit log names for a copy made at a wallet's request.
WALLET_ACTOR = "oid4vci-wallet"
_NONCE_BODY = 8 + 16  # expiry (seconds, big-endian) and 16 random bytes
_NONCE_MAC = 16


@dataclass(frozen=True)
class CredentialOffer:
    uri: str
    """``openid-credential-offer://?credential_offer=...``: the link and the QR code's text."""
    offer: JsonObject
    expires_at: datetime


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int
    authorization_details: list[JsonObject] | None

    def response(self) -> JsonObject:
        body: JsonObject = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if self.authorization_details is not None:
            body["authorization_details"] = self.authorization_details
        return body


class Oid4vciService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        credentials: CredentialService,
        issuance: IssuanceService,
        lifecycle: LifecycleService,
        recipients: RecipientService,
        master_secret: bytes,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.credentials = credentials
        self.issuance = issuance
        self.lifecycle = lifecycle
        self.recipients = recipients
        self._nonce_key = hmac.new(
            master_secret, b"microcred/oid4vci-nonce/v1", hashlib.sha256
        ).digest()

    # ---- metadata -------------------------------------------------------------------------------

    def issuer_metadata(self) -> JsonObject:
        return metadata.credential_issuer_metadata(self.urls)

    def authorization_server_metadata(self) -> JsonObject:
        return metadata.authorization_server_metadata(self.urls)

    # ---- the offer, on the recipient's private page ---------------------------------------------

    def make_offer(self, credential_id: str, recipient_token: str | None) -> CredentialOffer:
        """A fresh offer with its own pre-authorized code, for the private link's holder only;
        a credential that is not active (revoked, suspended, expired) is not offered."""
        if not self.recipients.is_recipient(credential_id, recipient_token):
            raise PermissionDeniedError(
                "only the recipient's private link can offer this credential to a wallet",
                expected="the token of the recipient's private link",
                found="a wrong token" if recipient_token else "no token",
            )
        row = self.credentials.get_public(credential_id)
        state = self.lifecycle.effective_state(row)
        if state != "active":
            raise ConflictError(
                "only an active credential can be taken to a wallet", found=str(state)
            )
        now = self.clock()
        code = secrets.token_urlsafe(24)  # 192 bits
        expires_at = now + OFFER_LIFETIME
        with transaction(self.sessions) as session:
            repository = Oid4vciRepository(session)
            repository.forget_expired(now)
            repository.add_offer(_digest(code), row.id, now=now, expires_at=expires_at)
        offer: JsonObject = {
            "credential_issuer": self.urls.base,
            "credential_configuration_ids": [metadata.OPEN_BADGE_LDP_VC],
            "grants": {metadata.PRE_AUTHORIZED_GRANT: {"pre-authorized_code": code}},
        }
        text = json.dumps(offer, separators=(",", ":"))
        # ":", "/" and "," may stay as they are in a query: a shorter URI, a smaller QR code.
        uri = f"{OFFER_SCHEME}?credential_offer={quote(text, safe=':/,')}"
        return CredentialOffer(uri=uri, offer=offer, expires_at=expires_at)

    # ---- token endpoint -------------------------------------------------------------------------

    def exchange(self, form: Mapping[str, str]) -> TokenGrant:
        """The token request: a pre-authorized code, once, for a short-lived access token."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise Oid4vciError(
                "invalid_request", "no grant_type", expected=metadata.PRE_AUTHORIZED_GRANT
            )
        if grant_type != metadata.PRE_AUTHORIZED_GRANT:
            raise Oid4vciError(
                "unsupported_grant_type",
                "only the pre-authorized code grant is supported",
                expected=metadata.PRE_AUTHORIZED_GRANT,
                found=short(grant_type),
            )
        code = form.get("pre-authorized_code")
        if not code:
            raise Oid4vciError(
                "invalid_request",
                "no pre-authorized_code",
                expected="the pre-authorized_code from the credential offer",
            )
        if form.get("tx_code"):
            raise Oid4vciError(
                "invalid_request",
                "this offer asked for no transaction code",
                expected="no tx_code",
                found="a tx_code",
            )
        details = _authorization_details(form.get("authorization_details"))
        now = self.clock()
        token = secrets.token_urlsafe(32)
        with transaction(self.sessions) as session:
            repository = Oid4vciRepository(session)
            credential_id = repository.take_offer(_digest(code), now)
            if credential_id is None:
                raise Oid4vciError(
                    "invalid_grant",
                    "the pre-authorized code is unknown, used or expired",
                    expected="the code of an offer less than "
                    f"{int(OFFER_LIFETIME.total_seconds() // 60)} minutes old, used once",
                )
            repository.add_token(
                _digest(token), credential_id, now=now, expires_at=now + TOKEN_LIFETIME
            )
        if details is not None:
            details = [{**detail, "credential_identifiers": [credential_id]} for detail in details]
        return TokenGrant(token, int(TOKEN_LIFETIME.total_seconds()), details)

    # ---- nonce endpoint -------------------------------------------------------------------------

    def nonce(self) -> str:
        """A fresh ``c_nonce``: signed with its expiry, so handing one out writes nothing."""
        expiry = int((self.clock() + NONCE_LIFETIME).timestamp())
        body = expiry.to_bytes(8, "big") + secrets.token_bytes(_NONCE_BODY - 8)
        return multibase.b64url_encode(body + self._nonce_mac(body))

    def _nonce_expiry(self, nonce: str) -> datetime:
        """When our nonce expires; ``invalid_nonce`` for one we did not make or that expired."""
        try:
            raw = multibase.b64url_decode(nonce) if len(nonce) < 100 else b""
        except MicrocredError:
            raw = b""
        body, mac = raw[:_NONCE_BODY], raw[_NONCE_BODY:]
        if len(raw) != _NONCE_BODY + _NONCE_MAC or not hmac.compare_digest(
            mac, self._nonce_mac(body)
        ):
            raise Oid4vciError(
                "invalid_nonce",
                "the key proof's nonce is not one this server gave out",
                expected="a c_nonce from the nonce endpoint",
            )
        expires_at = datetime.fromtimestamp(int.from_bytes(body[:8], "big"), UTC)
        if expires_at <= self.clock():
            raise Oid4vciError(
                "invalid_nonce", "the key proof's nonce has expired; ask for a new one"
            )
        return expires_at

    def _nonce_mac(self, body: bytes) -> bytes:
        return hmac.new(self._nonce_key, body, hashlib.sha256).digest()[:_NONCE_MAC]

    # ---- credential endpoint --------------------------------------------------------------------

    def issue_credential(self, access_token: str | None, request: object) -> JsonObject:
        """The credential request: a live access token and a key proof; answers with a copy
        of the offered credential bound to the proven key."""
        if not access_token:
            raise Oid4vciError(
                "invalid_token",
                "the credential endpoint needs an access token",
                expected="Authorization: Bearer <access_token from the token endpoint>",
                found="none",
            )
        token_hash = _digest(access_token)
        now = self.clock()
        with self.sessions() as session:
            credential_id = Oid4vciRepository(session).live_token(token_hash, now)
        if credential_id is None:
            raise Oid4vciError(
                "invalid_token",
                "the access token is unknown, used or expired",
                expected="an access token from the token endpoint, used once",
            )
        proof_jwt = _read_request(request, credential_id)
        proof = verify_key_proof(proof_jwt, audience=self.urls.base, now=now, max_age=PROOF_MAX_AGE)
        nonce_expires = self._nonce_expiry(proof.nonce)
        original = self.credentials.get_public(credential_id)
        state = self.lifecycle.effective_state(original)
        if state != "active":
            raise Oid4vciError(
                "credential_request_denied",
                "the credential is no longer active",
                expected="active",
                found=str(state),
            )

        # The nonce and the token are each used once; both or neither.
        with transaction(self.sessions) as session:
            repository = Oid4vciRepository(session)
            if not repository.use_nonce(_digest(proof.nonce), nonce_expires):
                raise Oid4vciError(
                    "invalid_nonce", "the key proof's nonce was already used; ask for a new one"
                )
            if not repository.spend_token(token_hash, now):
                raise Oid4vciError("invalid_token", "the access token was just used")

        copy = self._copy(original, proof.holder)
        return {"credentials": [{"credential": copy.document}]}

    def _copy(self, original: CredentialRow, holder: str) -> CredentialRow:
        """The credential re-issued with the wallet's DID as its subject: same achievement,
        name and start of validity, its own status entries and log entry. The same key asking
        again gets the same copy (the idempotency key)."""
        actor = Actor(issuer_id=original.issuer_id, name=WALLET_ACTOR, role="issuer")
        if original.achievement_id is None:
            raise Oid4vciError(
                "credential_request_denied",
                "the credential was issued through the VC-API as sent: there is no achievement "
                "to re-issue it from",
            )
        request = IssueRequest(
            achievement_id=original.achievement_id,
            did=holder,
            name=original.recipient_name,
            valid_from=original.valid_from,
            idempotency_key=f"oid4vci:{original.id}:{_digest(holder)[:40]}",
        )
        try:
            [row] = self.issuance.issue(actor, original.issuer_id, [request])
        except (InputError, NotFoundError, ConflictError, PermissionDeniedError) as exc:
            raise Oid4vciError(
                "credential_request_denied", f"the credential cannot be re-issued: {exc.message}"
            ) from exc
        now = self.clock()
        with transaction(self.sessions) as session:
            if Oid4vciRepository(session).link_copy(row.id, original.id, holder, now=now):
                record_audit(
                    session,
                    WALLET_ACTOR,
                    "credential.copied_to_wallet",
                    self.urls.credential(original.id),
                    issuer_id=original.issuer_id,
                    at=now,
                    details={"copy": row.id, "holder": holder},
                )
        return row

    def copies_of(self, credential_id: str) -> list[str]:
        """The ids of the copies re-issued from this credential to wallets, oldest first."""
        with self.sessions() as session:
            return [row.copy_id for row in Oid4vciRepository(session).copies_of(credential_id)]


def copies_in(session: Session, credential_id: str) -> list[str]:
    """The copies of a credential, in the caller's transaction: the lifecycle's followers
    (a copy is revoked, suspended and reinstated with its original)."""
    return [row.copy_id for row in Oid4vciRepository(session).copies_of(credential_id)]


def _read_request(request: object, credential_id: str) -> object:
    """The one key proof JWT in a credential request, after checking what it asks for."""
    if not isinstance(request, dict):
        raise _bad_request("the credential request is not a JSON object", found=short(request))
    configuration = request.get("credential_configuration_id")
    identifier = request.get("credential_identifier")
    if (configuration is None) == (identifier is None):
        raise _bad_request(
            "name the credential once",
            expected="credential_configuration_id or credential_identifier",
            found="both" if configuration is not None else "neither",
        )
    if configuration is not None and configuration not in metadata.CONFIGURATIONS:
        raise Oid4vciError(
            "unknown_credential_configuration",
            "no such credential configuration",
            expected=" | ".join(metadata.CONFIGURATIONS),
            found=short(configuration),
        )
    if identifier is not None and identifier != credential_id:
        raise Oid4vciError(
            "unknown_credential_identifier",
            "this access token is for another credential",
            expected="a credential_identifier from the token response",
            found=short(identifier),
        )
    if "credential_response_encryption" in request:
        raise Oid4vciError(
            "invalid_encryption_parameters",
            "encrypted credential responses are not supported",
            expected="no credential_response_encryption",
        )
    proofs, single = request.get("proofs"), request.get("proof")
    if proofs is not None and single is not None:
        raise _bad_request("'proofs' and 'proof' together", expected="one of them")
    if single is not None:
        # Draft 15's single proof, which some wallets still send: {"proof_type": "jwt", ...}.
        if not isinstance(single, dict) or single.get("proof_type") != "jwt":
            raise _missing_proof(found=short(single))
        return single.get("jwt")
    if not isinstance(proofs, dict) or not isinstance(proofs.get("jwt"), list):
        raise _missing_proof(found=short(proofs))
    if set(proofs) != {"jwt"} or len(proofs["jwt"]) != 1:
        raise _bad_request(
            "one key proof of type jwt is accepted (no batch issuance)",
            expected='{"jwt": [one JWT]}',
            found=short(proofs),
        )
    proof: Any = proofs["jwt"][0]
    return proof


def _authorization_details(text: str | None) -> list[JsonObject] | None:
    """The token request's authorization_details (RFC 9396), if sent: each must ask for a
    configuration we offer."""
    if text is None:
        return None
    try:
        details = json.loads(text)
    except (ValueError, RecursionError):
        details = None
    if not isinstance(details, list) or not details:
        raise Oid4vciError(
            "invalid_request",
            "authorization_details is not a JSON array",
            expected='[{"type": "openid_credential", "credential_configuration_id": ...}]',
            found=short(text),
        )
    for detail in details:
        if (
            not isinstance(detail, dict)
            or detail.get("type") != "openid_credential"
            or detail.get("credential_configuration_id") not in metadata.CONFIGURATIONS
        ):
            raise Oid4vciError(
                "invalid_request",
                "authorization_details asks for something not offered",
                expected="type openid_credential with credential_configuration_id "
                + " | ".join(metadata.CONFIGURATIONS),
                found=short(detail),
            )
    return [
        {
            "type": "openid_credential",
            "credential_configuration_id": d["credential_configuration_id"],
        }
        for d in details
    ]


def _bad_request(
    message: str, *, expected: str | None = None, found: str | None = None
) -> Oid4vciError:
    return Oid4vciError("invalid_credential_request", message, expected=expected, found=found)


def _missing_proof(*, found: str) -> Oid4vciError:
    return Oid4vciError(
        "invalid_proof",
        "the credential request carries no key proof",
        expected='"proofs": {"jwt": ["<openid4vci-proof+jwt>"]}',
        found=found,
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


__all__ = ["CredentialOffer", "Oid4vciService", "TokenGrant"]
