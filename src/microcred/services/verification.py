"""A Verifier that knows this server's issuers and status lists without asking the network.

Our own did:web issuers resolve from the store (every key, retired ones included, so old
credentials keep verifying) and our status lists come from :class:`StatusListService`, signed
as we would serve them. did:key resolves offline. Anything else goes to the ``fetcher`` the
caller passes, offline by default; a URL under our base never reaches it, so a verifier cannot
be pointed at a copy of our lists or DID documents served elsewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from microcred.crypto.did import DidResolver, Fetcher, FetchError, did_web_from_url, no_network
from microcred.errors import KeyResolutionError, MicrocredError, NotFoundError, short
from microcred.types import JsonObject
from microcred.verify import Verifier

if TYPE_CHECKING:
    from microcred.runtime import Runtime

_STATUS_PATH = re.compile(r"^/status/([a-z0-9-]{1,64})/([a-z]{1,32})/([1-9][0-9]{0,9})$")


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
        )

    def _log_bundle(self, credential_id: str) -> JsonObject | None:
        """Our own credentials' inclusion proofs; nothing for other servers' credentials."""
        if not credential_id.startswith(self.runtime.settings.base_url + "/credentials/"):
            return None
        try:
            return self.runtime.transparency.bundle(credential_id)
        except MicrocredError:
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


__all__ = ["VerificationService"]
