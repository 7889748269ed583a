"""DIDs: did:key resolved locally, did:web built and resolved through an injected fetcher.

Nothing here opens a socket. Resolving did:web calls the ``Fetcher`` the caller passes; the
platform passes one with time, size and address limits, the CLI passes none (offline).

Keys may also be named by an https controller document (``https://issuer.example/1#key``,
W3C Controlled Identifiers), fetched the same way or given by the caller. A method whose fragment
is the key itself (``https://issuer.example/1#z6Mk...``) yields that key even when its document
cannot be read: the signature can be checked, but who controls the key cannot, and the method
says so in ``binding`` (the verifier's issuer check reads it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

from microcred.crypto import multibase
from microcred.crypto.keys import PublicKey
from microcred.errors import FetchError, InputError, KeyResolutionError, MicrocredError, short
from microcred.types import Did, JsonObject

Fetcher = Callable[[str], bytes]
"""Fetch a URL and return its body; raises :class:`FetchError` on any failure."""

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
MAX_DID_DOCUMENT_BYTES = 256 * 1024


def no_network(url: str) -> bytes:
    """The default fetcher: microcred works offline unless a caller supplies a fetcher."""
    raise FetchError("fetching is disabled (offline)", found=url)


Binding = Literal["listed", "unconfirmed", "unlisted"]
"""How a key is tied to its controller: ``listed`` in the controller's own document (or a
did:key, which is its key); ``unconfirmed``: the credential names the key (in a URL fragment, a
JWT header) and the controller's document could not be read; ``unlisted``: the document was read
and does not list the key."""


@dataclass(frozen=True)
class VerificationMethod:
    id: str
    controller: Did
    key: PublicKey
    binding: Binding = "listed"
    binding_reason: str | None = None  # why unconfirmed or unlisted, for the reader


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

    def add_controller_document(self, document: Mapping[str, Any]) -> None:
        """Trust an https controller document (its ``id`` is the controller's URL)."""
        controller = document.get("id")
        if not isinstance(controller, str) or not controller.startswith("https://"):
            raise InputError(
                "controller document has no https 'id'",
                expected="https://host/path",
                found=short(controller),
            )
        self._documents[controller.split("#", 1)[0]] = document

    def resolve(self, did: str) -> Mapping[str, Any]:
        did = did.split("#", 1)[0]
        if did in self._documents:
            return self._documents[did]
        if did.startswith("did:key:"):
            return did_key_document(did)
        if did.startswith("https://"):
            return self._fetch_document(did, did)
        if did.startswith("did:web:"):
            return self._fetch_document(did, did_web_document_url(did))
        raise KeyResolutionError(
            "unsupported DID method", expected="did:key or did:web", found=short(did)
        )

    def _fetch_document(self, did: str, url: str) -> Mapping[str, Any]:
        """A did:web or https controller document, through the fetcher; its id must be ``did``."""
        body = self._fetcher(url)
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

    def verification_method(
        self, url: str, *, purpose: str = "assertionMethod"
    ) -> VerificationMethod:
        """The key behind a verification method URL, checked to be allowed for ``purpose``."""
        if url.startswith("did:key:") and url.split("#", 1)[0] not in self._documents:
            return _did_key_method(url, purpose)
        return self._verification_method(url, purpose)

    def _verification_method(self, url: str, purpose: str) -> VerificationMethod:
        if url.startswith("https://") and "#" in url:
            return self._controller_method(url, purpose)
        if not url.startswith("did:") or "#" not in url:
            raise KeyResolutionError(
                "verification method is not a DID URL",
                expected="did:...#fragment or https://...#fragment",
                found=short(url),
            )
        return self._listed_method(url, purpose)

    def _controller_method(self, url: str, purpose: str) -> VerificationMethod:
        """An https method, from its controller document. When the fragment is a Multikey
        the key is known without the document: unconfirmed if that cannot be read, unlisted if
        it does not list the key for ``purpose``."""
        controller, fragment = url.split("#", 1)
        try:
            key: PublicKey | None = PublicKey.from_multibase(fragment)
        except MicrocredError:
            key = None
        try:
            document = self.resolve(controller)
        except (FetchError, KeyResolutionError) as exc:
            if key is None:
                raise
            reason = f"its controller document {controller} could not be read ({exc.message})"
            return VerificationMethod(url, Did(controller), key, "unconfirmed", reason)
        try:
            method = self._listed_method(url, purpose, document)
        except KeyResolutionError as exc:
            if key is None:
                raise
            reason = f"its controller document {controller} does not list it ({exc.message})"
            return VerificationMethod(url, Did(controller), key, "unlisted", reason)
        if key is not None and method.key != key:
            reason = f"its controller document {controller} gives another key under this id"
            return VerificationMethod(url, Did(controller), key, "unlisted", reason)
        return method

    def confirm_key(self, controller: str, key: PublicKey, purpose: str) -> VerificationMethod:
        """The method under which ``controller``'s document lists ``key`` for ``purpose``, or
        the key ``unconfirmed`` (document unreadable) or ``unlisted`` (read, not there)."""
        name = f"{controller}#{key.multibase}"
        try:
            document = self.resolve(controller)
        except MicrocredError as exc:
            reason = f"the controller document of {controller} could not be read ({exc.message})"
            return VerificationMethod(name, Did(controller), key, "unconfirmed", reason)
        for method_id in _allowed_ids(document, controller.split("#", 1)[0], purpose):
            try:
                method = self._listed_method(method_id, purpose, document)
            except MicrocredError:
                continue
            if method.key == key:
                return method
        reason = f"the controller document of {controller} does not list this key for {purpose}"
        return VerificationMethod(name, Did(controller), key, "unlisted", reason)

    def _listed_method(
        self, url: str, purpose: str, document: Mapping[str, Any] | None = None
    ) -> VerificationMethod:
        did = url.split("#", 1)[0]
        if document is None:
            document = self.resolve(did)
        method = _find_method(document, url)
        allowed_ids = _allowed_ids(document, did, purpose)
        if url not in allowed_ids:
            raise KeyResolutionError(
                f"key is not authorised for {purpose}",
                expected=f"{url} listed under {purpose} in the DID document",
                found=", ".join(sorted(allowed_ids)) or "none",
            )
        controller = method.get("controller", did)
        return VerificationMethod(url, Did(str(controller)), method_key(method))


def method_key(method: Mapping[str, Any]) -> PublicKey:
    """The public key of a verification method: ``publicKeyMultibase`` (Multikey,
    Ed25519VerificationKey2020), ``publicKeyJwk`` (JsonWebKey), or the raw base58
    ``publicKeyBase58`` of an Ed25519VerificationKey2018."""
    if isinstance(method.get("publicKeyMultibase"), str):
        return PublicKey.from_multibase(method["publicKeyMultibase"])
    if isinstance(method.get("publicKeyJwk"), dict):
        return PublicKey.from_jwk(method["publicKeyJwk"])
    base58 = method.get("publicKeyBase58")
    if isinstance(base58, str) and method.get("type") == "Ed25519VerificationKey2018":
        raw = multibase.b58decode(base58)
        return PublicKey.from_multibase(multibase.encode_multikey(multibase.ED25519_PUB, raw))
    raise KeyResolutionError(
        "verification method has no public key we read",
        expected="publicKeyMultibase, publicKeyJwk or an Ed25519VerificationKey2018",
        found=short(method.get("type")),
    )


def _allowed_ids(document: Mapping[str, Any], did: str, purpose: str) -> list[str]:
    allowed = document.get(purpose, [])
    return [
        _absolute(did, a if isinstance(a, str) else str(a.get("id", "")))
        for a in (allowed if isinstance(allowed, list) else [allowed])
        if isinstance(a, str | dict)
    ]


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
