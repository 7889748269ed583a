"""The recipient's side of a credential: their private link and their name on public pages.

The private link is the public page's URL with ``?recipient=<token>``, where the token is an
HMAC of the credential id under a key derived from the master secret: no table, and it can
be rebuilt for the notification e-mail or the console. Whoever holds it may choose whether the
public page (and its Open Graph tags, certificate and embed card) shows the recipient's name;
the default is hidden. The choice is stored on the credential and audited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from microcred.audit.repository import record_audit
from microcred.errors import PermissionDeniedError
from microcred.issuing.repository import CredentialRepository
from microcred.store.db import transaction

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy.orm import Session, sessionmaker

    from microcred.accounts.actor import Actor
    from microcred.urls import PublicUrls

LINK_PARAMETER = "recipient"
_TOKEN_LENGTH = 32


class RecipientService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        master_secret: bytes,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        # Its own derivation: the console's older "?show=" links were meant to be shared, so
        # they must not open the recipient's controls.
        self._key = hmac.new(master_secret, b"microcred/recipient-link/v1", hashlib.sha256).digest()

    def token(self, credential_id: str) -> str:
        digest = hmac.new(self._key, credential_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:_TOKEN_LENGTH]

    def is_recipient(self, credential_id: str, token: str | None) -> bool:
        if not token or len(token) != _TOKEN_LENGTH:
            return False
        return hmac.compare_digest(self.token(credential_id), token)

    def private_url(self, credential_id: str) -> str:
        """The link to send the recipient (the notification e-mail, the console)."""
        return self.urls.credential_with(credential_id, LINK_PARAMETER, self.token(credential_id))

    def private_url_for(self, actor: Actor, issuer_id: str, credential_id: str) -> str | None:
        """The private link as the console shows it: to the issuer and owner roles only (it
        changes what the public page shows about the recipient); None for a viewer."""
        try:
            actor.require(issuer_id, "issuer")
        except PermissionDeniedError:
            return None
        return self.private_url(credential_id)

    def set_name_public(
        self, credential_id: str, token: str | None, *, public: bool, by: str = "recipient"
    ) -> None:
        """Store the choice; only the private link's token may make it. ``by`` is who the audit
        names: the recipient, unless a signed-in staff member used the link."""
        if not self.is_recipient(credential_id, token):
            raise PermissionDeniedError(
                "only the recipient's private link can change this",
                expected="the token of the recipient's private link",
                found="a wrong token" if token else "no token",
            )
        with transaction(self.sessions) as session:
            row = CredentialRepository(session).require_public(credential_id)
            if row.name_public == public:
                return
            CredentialRepository(session).set_name_public(credential_id, public)
            record_audit(
                session,
                by,
                "credential.name_shown" if public else "credential.name_hidden",
                credential_id,
                issuer_id=row.issuer_id,
                at=self.clock(),
            )


__all__ = ["LINK_PARAMETER", "RecipientService"]
