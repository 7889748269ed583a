"""DIDs: did:key resolved locally, did:web built and resolved through an injected fetcher.

Nothing here opens a socket. Resolving did:web calls the ``Fetcher`` the caller passes; the
platform passes one with time, size and address limits, the CLI passes none (offline).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from microcred.crypto.keys import PublicKey
from microcred.errors import FetchError, InputError, KeyResolutionError, short
from microcred.types import Did, JsonObject

Fetcher = Callable[[str], bytes]
"""Fetch a URL and return its body; raises :class:`FetchError` on any failure."""

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
MAX_DID_DOCUMENT_BYTES = 256 * 1024


def no_network(url: str) -> bytes:
    """The default fetcher: microcred works offline unless a caller supplies a fetcher."""
    raise FetchError("fetching is disabled (offline)", found=url)


@dataclass(frozen=True)
class VerificationMethod:
    id: str
    controller: Did
    key: PublicKey


def did_key_document(did: str) -> JsonObject:
    """Resolve a did:key to its DID document, without any network."""
    if not did.startswith("did:key:"):
        raise KeyResolutionError("not a did:key", expected="did:key:z...", found=short(did))
    fingerprint = did.removeprefix("did:key:").split("#", 1)[0]
    key = PublicKey.from_multibase(fingerprint)
    return build_did_document(Did(f"did:key:{fingerprint}"), [(f"#{fingerprint}", key)])


def build_did_document(did: Did, keys: Iterable[tuple[str, PublicKey]]) -> JsonObject:
    """A DID document listing each key as a Multikey usable for assertions.

    ``keys`` are (fragment, key) pairs. Keep retired keys listed so that credentials they
    signed keep verifying after a rotation; order puts the current key first.
    """
    methods = [
        {
            "id": f"{did}{fragment}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.multibase,
        }
        for fragment, key in keys
    ]
    ids = [m["id"] for m in methods]
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "authentication": ids,
        "assertionMethod": ids,
        "capabilityInvocation": ids,
        "capabilityDelegation": ids,
    }


def did_web_from_url(url: str) -> Did:
    """``https://example.org:8443/issuers/a`` -> ``did:web:example.org%3A8443:issuers:a``."""
    parts = urlsplit(url)
    if parts.scheme != "https" and parts.hostname not in ("localhost", "127.0.0.1"):
        raise InputError("did:web needs an https URL", expected="https://host[/path]", found=url)
    if not parts.netloc:
        raise InputError("URL has no host", expected="https://host[/path]", found=url)
    host = quote(parts.netloc, safe="")
    path = [quote(p, safe="") for p in parts.path.split("/") if p]
    return Did(":".join(["did:web", host, *path]))


def did_web_document_url(did: str) -> str:
    """Where a did:web's document lives, per the did:web method specification."""
    if not did.startswith("did:web:"):
        raise KeyResolutionError("not a did:web", expected="did:web:host[:path]", found=short(did))
    segments = did.removeprefix("did:web:").split("#", 1)[0].split(":")
    host = unquote(segments[0])
    if not host or "/" in host:
        raise KeyResolutionError("did:web has no valid host", found=short(did))
    path = [unquote(s) for s in segments[1:]]
    if any(not s or s in (".", "..") or "/" in s for s in path):
        raise KeyResolutionError("did:web has an invalid path segment", found=short(did))
    scheme = "http" if host.split(":")[0] in ("localhost", "127.0.0.1") else "https"
    if path:
        return f"{scheme}://{host}/{'/'.join(path)}/did.json"
    return f"{scheme}://{host}/.well-known/did.json"


class DidResolver:
    """Resolves DIDs and verification method URLs to public keys.

    did:key is resolved locally. did:web goes through ``fetcher``. ``documents`` holds DID
    documents the caller already trusts (our own issuers, documents given on the command line),
    consulted before any fetch.
    """

    def __init__(
        self,
        *,
        fetcher: Fetcher = no_network,
        documents: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._documents = dict(documents or {})

    def add_document(self, document: Mapping[str, Any]) -> None:
        did = document.get("id")
        if not isinstance(did, str) or not did.startswith("did:"):
            raise InputError("DID document has no DID 'id'", found=short(did))
        self._documents[did] = document

    def resolve(self, did: str) -> Mapping[str, Any]:
        did = did.split("#", 1)[0]
        if did in self._documents:
            return self._documents[did]
        if did.startswith("did:key:"):
            return did_key_document(did)
        if did.startswith("did:web:"):
            body = self._fetcher(did_web_document_url(did))
            if len(body) > MAX_DID_DOCUMENT_BYTES:
                raise KeyResolutionError(
                    "DID document is too large",
                    expected=f"at most {MAX_DID_DOCUMENT_BYTES} bytes",
                    found=f"{len(body)} bytes",
                )
            try:
                document = json.loads(body)
            except ValueError as exc:
                raise KeyResolutionError(f"DID document of {did} is not JSON") from exc
            if not isinstance(document, dict) or document.get("id") != did:
                found = document.get("id") if isinstance(document, dict) else document
                raise KeyResolutionError(
                    "DID document is for another DID", expected=did, found=short(found)
                )
            return document
        raise KeyResolutionError(
            "unsupported DID method", expected="did:key or did:web", found=short(did)
        )

    def verification_method(
        self, url: str, *, purpose: str = "assertionMethod"
    ) -> VerificationMethod:
        """The key behind a verification method URL, checked to be allowed for ``purpose``."""
        if url.startswith("did:key:") and url.split("#", 1)[0] not in self._documents:
            return _did_key_method(url, purpose)
        return self._verification_method(url, purpose)

    def _verification_method(self, url: str, purpose: str) -> VerificationMethod:
        if not url.startswith("did:") or "#" not in url:
            raise KeyResolutionError(
                "verification method is not a DID URL",
                expected="did:...#fragment",
                found=short(url),
            )
        did = url.split("#", 1)[0]
        document = self.resolve(did)
        method = _find_method(document, url)
        allowed = document.get(purpose, [])
        allowed_ids = {
            _absolute(did, a if isinstance(a, str) else a.get("id", ""))
            for a in (allowed if isinstance(allowed, list) else [allowed])
            if isinstance(a, str | dict)
        }
        if url not in allowed_ids:
            raise KeyResolutionError(
                f"key is not authorised for {purpose}",
                expected=f"{url} listed under {purpose} in the DID document",
                found=", ".join(sorted(allowed_ids)) or "none",
            )
        controller = method.get("controller", did)
        public = method.get("publicKeyMultibase")
        if not isinstance(public, str):
            raise KeyResolutionError(
                "verification method has no publicKeyMultibase",
                expected="a Multikey verification method",
                found=short(method.get("type")),
            )
        return VerificationMethod(url, Did(str(controller)), PublicKey.from_multibase(public))


@lru_cache(maxsize=4096)
def _did_key_method(url: str, purpose: str) -> VerificationMethod:
    # did:key documents are a pure function of the DID: resolve each once.
    return DidResolver()._verification_method(url, purpose)


def _absolute(did: str, ref: str) -> str:
    return f"{did}{ref}" if ref.startswith("#") else ref


def _find_method(document: Mapping[str, Any], url: str) -> Mapping[str, Any]:
    did = url.split("#", 1)[0]
    candidates: list[Any] = list(document.get("verificationMethod", []))
    for relation in ("assertionMethod", "authentication"):
        candidates += [m for m in document.get(relation, []) if isinstance(m, dict)]
    for method in candidates:
        if isinstance(method, dict) and _absolute(did, str(method.get("id", ""))) == url:
            return method
    raise KeyResolutionError(
        "verification method not found in the DID document", expected=url, found=did
    )
