"""A Verifier that knows this server's issuers and status lists without asking the network,
and the ways in that the page and the API share: bytes, a URL, a QR code in a picture.

Our own did:web issuers resolve from the store (every key, retired ones included, so old
credentials keep verifying) and our status lists come from :class:`StatusListService`, signed
as we would serve them. did:key resolves offline. Anything else goes to the ``fetcher`` the
caller passes, offline by default; a URL under our base never reaches it, so a verifier cannot
be pointed at a copy of our lists or DID documents served elsewhere.

Fetchers are passed in (the web layer builds them from its guarded client): this module never
opens a connection itself. Credential URLs of this server are read from the store, so the
server never calls itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from microcred.crypto import jose
from microcred.crypto.did import DidResolver, Fetcher, FetchError, did_web_from_url, no_network
from microcred.errors import InputError, KeyResolutionError, MicrocredError, NotFoundError, short
from microcred.ledger.anchor import AnchorReader
from microcred.types import JsonObject
from microcred.verify import VerificationResult, Verifier
from microcred.verify import messages as m
from microcred.verify.ob2 import ob2_input
from microcred.verify.qr import NoQrCodeError, is_plain_picture, read_qr
from microcred.verify.result import Status, unreadable

if TYPE_CHECKING:
    from microcred.runtime import Runtime
    from microcred.store.tables import IssuerRow

_STATUS_PATH = re.compile(r"^/status/([a-z0-9-]{1,64})/([a-z]{1,32})/([1-9][0-9]{0,9})$")
_CREDENTIAL_PATH = re.compile(r"^/credentials/([A-Za-z0-9-]{1,64})(?:/badge\.(?:png|svg))?/?$")
_SLUG = re.compile(r"^[a-z0-9-]{1,64}$")


@dataclass(frozen=True)
class IssuerInfo:
    """The issuer a credential names, and this server's issuer behind that id, if any."""

    id: str | None
    name: str | None
    local: IssuerRow | None
    profile: str | None


@dataclass(frozen=True)
class QrOutcome:
    """A verification that started from a picture: ``text`` is what its QR code held."""

    result: VerificationResult
    text: str | None


class _LocalResolver(DidResolver):
    """Resolves ``did:web:<our host>:issuers:<slug>`` from the store, others as usual."""

    def __init__(self, runtime: Runtime, fetcher: Fetcher) -> None:
        super().__init__(fetcher=fetcher)
        self._runtime = runtime
        self._prefix = did_web_from_url(f"{runtime.settings.base_url}/issuers") + ":"

    def resolve(self, did: str) -> Mapping[str, Any]:
        did = did.split("#", 1)[0]
        if not did.startswith(self._prefix):
            return super().resolve(did)
        slug = did.removeprefix(self._prefix)
        if ":" in slug or self._runtime.issuers.issuer_did(slug) != did:
            raise KeyResolutionError("not an issuer of this server", found=short(did))
        try:
            return self._runtime.issuers.did_document(slug)
        except NotFoundError as exc:
            raise KeyResolutionError("this server has no such issuer", found=short(did)) from exc


class VerificationService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def verifier(self, *, fetcher: Fetcher = no_network) -> Verifier:
        """A fresh verifier (it caches lists it read, so make one per verification request).

        ``fetcher`` serves other servers' DID documents and status lists; the default refuses.
        """
        local = self._local_fetcher(fetcher)
        return Verifier(
            resolver=_LocalResolver(self.runtime, local),
            fetcher=local,
            clock=self.runtime.clock,
            log_key=self.runtime.transparency.verifier_keys()[0],
            log_bundles=self._log_bundle,
            anchor_reader=self._anchor_reader(),
        )

    # ---- ways in -----------------------------------------------------------------------------

    def verify_bytes(self, data: bytes, *, fetcher: Fetcher = no_network) -> VerificationResult:
        """JSON, a JWT or JWS, or a baked PNG/SVG."""
        return self.counted(self.verifier(fetcher=fetcher).verify(data))

    def counted(self, result: VerificationResult) -> VerificationResult:
        """Count the dashboard's "verified" for one of our credentials whose proof check
        passed (revoked or expired still counts); a forged copy carrying our id does not."""
        credential_id = result.credential.get("id") if result.credential is not None else None
        proof = result.check("proof")
        if isinstance(credential_id, str) and proof is not None and proof.status == Status.PASSED:
            self.runtime.events.verified(credential_id)
        return result

    def verify_url(
        self, url: str, *, fetch_document: Fetcher, fetcher: Fetcher = no_network
    ) -> VerificationResult:
        """Read ``url`` (from the store when it is one of our credentials, else through
        ``fetch_document``) and verify what it serves; a bad URL becomes a failed check."""
        try:
            data = self._local_document(url)
            if data is None:
                data = fetch_document(url)
        except MicrocredError as exc:
            return unreadable(m.FETCH_FAILED, reason=exc)
        return self.verify_bytes(data, fetcher=fetcher)

    def verify_qr(
        self, picture: bytes, *, fetch_document: Fetcher, fetcher: Fetcher = no_network
    ) -> QrOutcome:
        """Decode the QR code in ``picture``; a URL is verified like a typed one, a credential
        (JSON, JWT, OB 2.0 JWS) directly. Anything else is a failed input check."""
        try:
            text = read_qr(picture)
        except NoQrCodeError:
            return QrOutcome(unreadable(m.QR_NONE), None)
        except InputError as exc:
            return QrOutcome(unreadable(m.QR_UNREADABLE, reason=exc), None)
        if text.startswith(("http://", "https://")):
            result = self.verify_url(text, fetch_document=fetch_document, fetcher=fetcher)
            return QrOutcome(result, text)
        if text.startswith("{") or jose.looks_like_jwt(text) or ob2_input(text):
            return QrOutcome(self.verify_bytes(text.encode("utf-8"), fetcher=fetcher), text)
        return QrOutcome(unreadable(m.QR_UNUSABLE, found=short(text, 120)), text)

    def verify_upload(
        self, data: bytes, *, fetch_document: Fetcher, fetcher: Fetcher = no_network
    ) -> QrOutcome:
        """An uploaded file: a credential or baked badge, or else a picture of a QR code."""
        if is_plain_picture(data):
            return self.verify_qr(data, fetch_document=fetch_document, fetcher=fetcher)
        return QrOutcome(self.verify_bytes(data, fetcher=fetcher), None)

    def _local_document(self, url: str) -> bytes | None:
        base = self.runtime.settings.base_url
        if not url.startswith(base + "/"):
            return None
        match = _CREDENTIAL_PATH.match(url.removeprefix(base).split("?", 1)[0])
        if match is None:
            raise FetchError("this server has no credential at that address", found=short(url))
        try:
            row = self.runtime.credentials.get_public(match.group(1))
        except NotFoundError as exc:
            raise FetchError("this server has no such credential", found=short(url)) from exc
        return json.dumps(row.document).encode()

    # ---- what the page and the API add to a result -------------------------------------------

    def issuer_of(self, result: VerificationResult) -> IssuerInfo:
        """The issuer the credential names; if it is one of ours, that issuer (looked up by
        the slug in its did:web, not by scanning every issuer)."""
        named: Any = result.summary.get("issuer") or {}
        did = named.get("id") if isinstance(named, dict) else None
        name = named.get("name") if isinstance(named, dict) else None
        issuers = self.runtime.issuers
        prefix = did_web_from_url(f"{self.runtime.settings.base_url}/issuers") + ":"
        local = None
        if isinstance(did, str) and did.startswith(prefix):
            slug = did.removeprefix(prefix)
            if _SLUG.match(slug) and issuers.issuer_did(slug) == did:
                try:
                    local = issuers.by_slug(slug)
                except NotFoundError:
                    local = None
        return IssuerInfo(
            id=did if isinstance(did, str) else None,
            name=name if isinstance(name, str) else None,
            local=local,
            profile=issuers.issuer_url(local.slug) if local is not None else None,
        )

    def status_reason(self, result: VerificationResult) -> str | None:
        """The reason our issuer gave for revoking or suspending the credential (a status list
        carries only a bit; the reason is known for credentials issued here)."""
        credential_id = result.summary.get("id")
        prefix = f"{self.runtime.settings.base_url}/credentials/"
        if not isinstance(credential_id, str) or not credential_id.startswith(prefix):
            return None
        try:
            row = self.runtime.credentials.get_public(credential_id.removeprefix(prefix))
        except NotFoundError:
            return None
        return row.state_reason if row.state in ("revoked", "suspended") else None

    def _log_bundle(self, credential_id: str) -> JsonObject | None:
        """Our own credentials' inclusion proofs; nothing for other servers' credentials."""
        if not credential_id.startswith(self.runtime.settings.base_url + "/credentials/"):
            return None
        try:
            return self.runtime.transparency.bundle(credential_id)
        except MicrocredError:
            return None

    def _anchor_reader(self) -> AnchorReader | None:
        """With the witness on, the chain our credentials' anchors are checked on (shared by
        all verifications); None with it off, so web3 is never imported."""
        try:
            return self.runtime.transparency.witness.shared_reader()
        except MicrocredError:  # web3 missing: the anchor is shown but not checked
            return None

    def _local_fetcher(self, fallback: Fetcher) -> Fetcher:
        base = self.runtime.settings.base_url

        def fetch(url: str) -> bytes:
            if not url.startswith(base + "/"):
                return fallback(url)
            match = _STATUS_PATH.match(url.removeprefix(base))
            if match is None:
                raise FetchError("not a status list of this server", found=short(url))
            slug, purpose, seq = match.groups()
            try:
                document = self.runtime.status_lists.signed_list(slug, purpose, int(seq))
            except NotFoundError as exc:
                raise FetchError("this server has no such status list", found=short(url)) from exc
            return json.dumps(document, separators=(",", ":")).encode("utf-8")

        return fetch


__all__ = ["IssuerInfo", "QrOutcome", "VerificationService"]
