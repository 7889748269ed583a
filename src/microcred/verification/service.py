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
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from microcred.crypto import jose, proofs
from microcred.crypto.canon import DEFAULT_LIMITS, Limits
from microcred.crypto.did import DidResolver, Fetcher, no_network
from microcred.crypto.work import WorkBudget, must_not_wait
from microcred.errors import (
    FetchError,
    InputError,
    KeyResolutionError,
    LogStoreError,
    MicrocredError,
    NoQrCodeError,
    NotFoundError,
    short,
)
from microcred.ledger.anchor import AnchorReader, ChainTransaction
from microcred.store.stamps import ChangeStamps, StampedCache
from microcred.types import JsonObject
from microcred.verify import VerificationResult, Verifier
from microcred.verify import messages as m
from microcred.verify.checks import issuer_check
from microcred.verify.ob2 import ob2_input
from microcred.verify.qr import is_plain_picture, read_qr
from microcred.verify.result import Status, unreadable

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from microcred.engagement.events import EventService
    from microcred.issuers.service import IssuerService
    from microcred.issuing.credentials import CredentialService
    from microcred.status.lists import StatusListService
    from microcred.store.tables import IssuerRow
    from microcred.transparency.service import TransparencyService
    from microcred.urls import PublicUrls

log = logging.getLogger(__name__)

LOG_TABLES = ("log_leaves", "log_nodes", "log_checkpoints")


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

    def __init__(
        self,
        urls: PublicUrls,
        issuers: IssuerService,
        fetcher: Fetcher,
        documents: StampedCache[str, JsonObject],
    ) -> None:
        super().__init__(fetcher=fetcher)
        self._urls = urls
        self._issuers = issuers
        self._kept_documents = documents

    def resolve(self, did: str) -> Mapping[str, Any]:
        did = did.split("#", 1)[0]
        if not self._urls.is_ours_did(did):
            return super().resolve(did)
        slug = self._urls.issuer_slug_of_did(did)
        if slug is None or self._urls.issuer_did(slug) != did:
            raise KeyResolutionError("not an issuer of this server", found=short(did))
        try:
            return self._kept_documents.get(slug, lambda: self._issuers.did_document(slug))
        except NotFoundError as exc:
            raise KeyResolutionError("this server has no such issuer", found=short(did)) from exc


class VerificationService:
    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        issuers: IssuerService,
        credentials: CredentialService,
        status_lists: StatusListService,
        transparency: TransparencyService,
        events: EventService,
        anchor_reader: Callable[[], AnchorReader | None],
        stamps: ChangeStamps,
    ) -> None:
        """``anchor_reader``: the chain our anchors are read from (the witness's, shared by
        every verification; None with the witness off). Called per verifier, not at start.

        ``stamps``: what this process read from the store for verifications (DID documents,
        signed status lists, log keys and bundles, issuers, a credential's stored state) is
        kept while the tables it came from are unchanged, in any process (store/stamps.py);
        one read of the stamps per verification instead of some twenty queries."""
        self.clock = clock
        self.urls = urls
        self.issuers = issuers
        self.credentials = credentials
        self.status_lists = status_lists
        self.transparency = transparency
        self.events = events
        self.anchor_reader = anchor_reader
        self.stamps = stamps
        self._did_documents: StampedCache[str, JsonObject] = StampedCache(
            stamps, ("issuers", "issuer_keys"), size=256
        )
        # Our own lists, their proof checked once per signing (None: it did not verify, and the
        # verifier then checks it itself and says why).
        self._checked_lists: StampedCache[tuple[str, str, int], JsonObject | None] = StampedCache(
            stamps, ("issuers", "issuer_keys", "status_lists"), size=256
        )
        # A signed list is kept no longer than it may be served (it is re-signed after).
        self._lists: StampedCache[tuple[str, str, int], tuple[bytes, int]] = StampedCache(
            stamps, ("issuers", "issuer_keys", "status_lists"), size=256
        )
        self._log_keys: StampedCache[str, list[str]] = StampedCache(
            stamps, ("issuer_keys",), size=1
        )
        # A bundle proves inclusion under the newest checkpoint: new with each one signed.
        self._bundles: StampedCache[str, JsonObject | None] = StampedCache(
            stamps, ("credentials", "issuer_keys", *LOG_TABLES), size=4096
        )
        self._issuers: StampedCache[str, IssuerRow | None] = StampedCache(
            stamps, ("issuers",), size=256
        )
        self._reasons: StampedCache[str, str | None] = StampedCache(
            stamps, ("credentials",), size=4096
        )
        # What the answer adds from other features (a micro-degree's failing parts): kept while
        # nothing at all was written (every table's stamp).
        self._added: StampedCache[tuple[str, str], list[JsonObject]] = StampedCache(
            stamps, (), all_but=(), size=4096
        )

    def verifier(
        self, *, fetcher: Fetcher = no_network, budget: WorkBudget | None = None
    ) -> Verifier:
        """A fresh verifier (it caches lists it read, so make one per verification request).

        ``fetcher`` serves other servers' DID documents and status lists; the default refuses.
        ``budget`` bounds the canonicalization work of the whole request (one per verifier
        without it); a graph refused for its cost is noted on it.
        """
        local = self._local_fetcher(fetcher)
        return Verifier(
            resolver=_LocalResolver(self.urls, self.issuers, local, self._did_documents),
            fetcher=local,
            verified_lists=self._verified_list,
            clock=self.clock,
            limits=Limits(budget=budget or WorkBudget()),
            log_key=self._log_keys.get("", self.transparency.verifier_keys)[0],
            log_bundles=self._log_bundle,
            anchor_reader=self._anchor_reader(),
        )

    # ---- ways in -----------------------------------------------------------------------------

    def verify_bytes(
        self, data: bytes, *, fetcher: Fetcher = no_network, budget: WorkBudget | None = None
    ) -> VerificationResult:
        """JSON, a JWT or JWS, or a baked PNG/SVG. ``budget``: the request's (see
        :meth:`verifier`); a graph refused for its cost is a failed proof check here, and noted
        on the budget, so that the API can answer it as a refusal (422)."""
        return self.verify_document(data, fetcher=fetcher, budget=budget)

    def verify_document(
        self,
        data: bytes | Mapping[str, Any],
        *,
        fetcher: Fetcher = no_network,
        budget: WorkBudget | None = None,
    ) -> VerificationResult:
        """As :meth:`verify_bytes`, or a credential already read as JSON by the caller (who
        refused repeated keys, lone surrogates and deep nesting, as the reader of bytes does)."""
        with self.stamps.pinned():  # one read of the stamps for every cache below
            result = self.verifier(fetcher=fetcher, budget=budget).verify(data)
        return self.counted(result)

    def counted(self, result: VerificationResult) -> VerificationResult:
        """Count the dashboard's "verified" for one of our credentials whose proof check
        passed (revoked or expired still counts); a forged copy carrying our id does not."""
        credential_id = result.credential.get("id") if result.credential is not None else None
        proof = result.check("proof")
        if isinstance(credential_id, str) and proof is not None and proof.status == Status.PASSED:
            self.events.verified(credential_id)
        return result

    def verify_url(
        self,
        url: str,
        *,
        fetch_document: Fetcher,
        fetcher: Fetcher = no_network,
        budget: WorkBudget | None = None,
    ) -> VerificationResult:
        """Read ``url`` (from the store when it is one of our credentials, else through
        ``fetch_document``) and verify what it serves; a bad URL becomes a failed check."""
        try:
            data = self._local_document(url)
            if data is None:
                data = fetch_document(url)
        except MicrocredError as exc:
            return unreadable(m.FETCH_FAILED, reason=exc)
        return self.verify_bytes(data, fetcher=fetcher, budget=budget)

    def verify_qr(
        self,
        picture: bytes,
        *,
        fetch_document: Fetcher,
        fetcher: Fetcher = no_network,
        budget: WorkBudget | None = None,
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
            result = self.verify_url(
                text, fetch_document=fetch_document, fetcher=fetcher, budget=budget
            )
            return QrOutcome(result, text)
        if text.startswith("{") or jose.looks_like_jwt(text) or ob2_input(text):
            data = text.encode("utf-8")
            return QrOutcome(self.verify_bytes(data, fetcher=fetcher, budget=budget), text)
        return QrOutcome(unreadable(m.QR_UNUSABLE, found=short(text, 120)), text)

    def verify_upload(
        self,
        data: bytes,
        *,
        fetch_document: Fetcher,
        fetcher: Fetcher = no_network,
        budget: WorkBudget | None = None,
    ) -> QrOutcome:
        """An uploaded file: a credential or baked badge, or else a picture of a QR code."""
        if is_plain_picture(data):
            return self.verify_qr(
                data, fetch_document=fetch_document, fetcher=fetcher, budget=budget
            )
        return QrOutcome(self.verify_bytes(data, fetcher=fetcher, budget=budget), None)

    def _local_document(self, url: str) -> bytes | None:
        if not self.urls.is_ours(url):
            return None
        credential_id = self.urls.credential_id(url)
        if credential_id is None:
            raise FetchError("this server has no credential at that address", found=short(url))
        try:
            row = self.credentials.get_public(credential_id)
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
        slug = self.urls.issuer_slug_of_did(did) if isinstance(did, str) else None
        local = None
        if slug is not None and self.urls.issuer_did(slug) == did:
            local = self._issuers.get(slug, lambda: self._issuer_or_none(slug))
        return IssuerInfo(
            id=did if isinstance(did, str) else None,
            name=name if isinstance(name, str) else None,
            local=local,
            profile=self.urls.issuer(local.slug) if local is not None else None,
        )

    def kept(
        self, name: str, credential_url: object, compute: Callable[[], list[JsonObject]]
    ) -> list[JsonObject]:
        """``compute()``, kept for ``(name, credential_url)`` until anything is written."""
        if not isinstance(credential_url, str):
            return compute()
        return self._added.get((name, credential_url), compute)

    def _issuer_or_none(self, slug: str) -> IssuerRow | None:
        try:
            return self.issuers.by_slug(slug)
        except NotFoundError:
            return None

    def status_reason(self, result: VerificationResult) -> str | None:
        """The reason our issuer gave for revoking or suspending the credential (a status list
        carries only a bit; the reason is known for credentials issued here)."""
        credential_url = result.summary.get("id")
        credential_id = (
            self.urls.credential_id(credential_url) if isinstance(credential_url, str) else None
        )
        if credential_id is None:
            return None
        return self._reasons.get(credential_id, lambda: self._stored_reason(credential_id))

    def _stored_reason(self, credential_id: str) -> str | None:
        try:
            row = self.credentials.get_public(credential_id)
        except NotFoundError:
            return None
        return row.state_reason if row.state in ("revoked", "suspended") else None

    def _log_bundle(self, credential_url: str) -> JsonObject | None:
        """Our own credentials' inclusion proofs; nothing for other servers' credentials, nor
        for an id of ours that we never issued (a forged copy: its proof check speaks).

        A credential we issued whose log cannot be read (a corrupt store, a missing entry)
        raises :class:`LogStoreError`, so the transparency check fails visibly instead of
        being skipped: every issuance is appended in its own transaction, so an issued
        credential that the log cannot show means the log is damaged."""
        credential_id = self.urls.credential_id(credential_url)
        if credential_id is None:
            return None
        return self._bundles.get(
            credential_url, lambda: self._stored_bundle(credential_url, credential_id)
        )

    def _stored_bundle(self, credential_url: str, credential_id: str) -> JsonObject | None:
        try:
            self.credentials.get_public(credential_id)
        except NotFoundError:
            return None
        try:
            return self.transparency.bundle(credential_url)
        except MicrocredError as error:
            log.warning("the log cannot show credential %s: %r", credential_id, error)
            raise LogStoreError(
                "the transparency log cannot show this issued credential",
                expected="its issuance entry under a signed checkpoint",
                found=str(error),
            ) from error

    def _anchor_reader(self) -> AnchorReader | None:
        """With the witness on, the chain our credentials' anchors are checked on (shared by
        all verifications); None with it off, so web3 is never imported."""
        try:
            reader = self.anchor_reader()
        except MicrocredError:  # web3 missing: the anchor is shown but not checked
            return None
        return None if reader is None else _AskedOffLoop(reader)

    def _local_fetcher(self, fallback: Fetcher) -> Fetcher:
        def fetch(url: str) -> bytes:
            if not self.urls.is_ours(url):
                return fallback(url)
            address = self.urls.status_list_address(url)
            if address is None:
                raise FetchError("not a status list of this server", found=short(url))
            try:
                body, _fresh_for = self._lists.get(
                    address, lambda: self._signed_list(address), lifetime=lambda kept: kept[1]
                )
                return body
            except NotFoundError as exc:
                raise FetchError("this server has no such status list", found=short(url)) from exc

        return fetch

    def _verified_list(self, url: str) -> JsonObject | None:
        """One of our bitstring lists, its proof verified as its issuer's; None for any other
        URL (the verifier fetches and checks those itself)."""
        address = self.urls.status_list_address(url) if self.urls.is_ours(url) else None
        if address is None:
            return None
        try:
            body, fresh_for = self._lists.get(
                address, lambda: self._signed_list(address), lifetime=lambda kept: kept[1]
            )
        except NotFoundError:
            return None
        return self._checked_lists.get(
            address, lambda: self._checked(body), lifetime=lambda _kept: fresh_for
        )

    def _checked(self, body: bytes) -> JsonObject | None:
        document: JsonObject = json.loads(body)
        resolver = _LocalResolver(self.urls, self.issuers, no_network, self._did_documents)
        try:
            method = proofs.verify(document, resolver, limits=DEFAULT_LIMITS).method
        except MicrocredError:
            return None
        return document if issuer_check(document, [method]).status == Status.PASSED else None

    def _signed_list(self, address: tuple[str, str, int]) -> tuple[bytes, int]:
        published = self.status_lists.published(*address)
        body = json.dumps(published.document, separators=(",", ":")).encode("utf-8")
        return body, published.fresh_for


__all__ = ["IssuerInfo", "QrOutcome", "VerificationService"]


class _AskedOffLoop:
    """A chain reader that is never asked on the event loop (it waits on the network): a
    verification tried there stops and runs again in a worker thread (``CpuLane.on_loop``)."""

    def __init__(self, reader: AnchorReader) -> None:
        self._reader = reader

    def chain_id(self) -> int:
        must_not_wait()
        return self._reader.chain_id()

    def transaction(self, tx_hash: str) -> ChainTransaction | None:
        must_not_wait()
        return self._reader.transaction(tx_hash)
