"""Open Badges 2.0 assertions: hosted ones, and signed ones (a JWS, RS256).

The checks carry the OB 3.0 names so a page or script reads both the same way:

  input     the assertion as JSON, as a JWS, or as the URL of a hosted one
  parse     it has id, recipient, badge, verification and issuedOn
  proof     hosted: the copy served at its own ``id``, on an origin its issuer profile allows
            (hosted assertions carry no signature; being served there is the proof);
            signed: the JWS verifies with the ``CryptographicKey`` at ``verification.creator``
  issuer    signed: that key's ``owner`` is the issuer profile, which lists it in ``publicKey``
  validity  ``expires`` has not passed
  status    hosted: the served copy's ``revoked``; signed: the issuer's ``revocationList``

Nothing given by the caller vouches for itself: badge class, issuer profile, key and
revocation list are read from their own ids through the injected ``fetcher``, and must carry
those ids. Without a fetcher every check that needs the web is reported as not checked, so the
assertion is not verified.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from microcred.crypto.did import Fetcher
from microcred.errors import (
    FetchError,
    InputError,
    MicrocredError,
    UnreachableError,
    UrlRefusedError,
    short,
)
from microcred.types import JsonObject
from microcred.verify import messages as m
from microcred.verify.jsontext import load_json
from microcred.verify.result import Check, Status, VerificationResult

Clock = Callable[[], datetime]
OB2_CONTEXT = "https://w3id.org/openbadges/v2"
MAX_DOCUMENT_BYTES = 512 * 1024
MIN_RSA_BITS = 2048
MAX_LISTED_KEYS = 5
_HOSTED = ("hosted", "HostedBadge")
_SIGNED = ("signed", "SignedBadge")
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_VC_JWT_ALGS = frozenset({"EdDSA", "Ed25519", "ES256"})


def is_ob2(document: Any) -> bool:
    """An OB 2.0 assertion names the OB 2.0 context or the type ``Assertion``."""
    if not isinstance(document, dict):
        return False
    context = document.get("@context")
    types = document.get("type")
    return OB2_CONTEXT in (context if isinstance(context, list) else [context]) or "Assertion" in (
        types if isinstance(types, list) else [types]
    )


def ob2_input(value: str | JsonObject) -> bool:
    """Whether ``value`` (a document, JSON text or a compact JWS) is an OB 2.0 assertion."""
    if isinstance(value, dict):
        return is_ob2(value)
    text = value.strip()
    if text.startswith("{"):
        if OB2_CONTEXT not in text and "Assertion" not in text:
            return False  # most input is OB 3.0: skip a second parse
        try:
            return is_ob2(load_json(text))
        except InputError:
            return False
    parts = text.split(".")
    if len(parts) != 3 or len(parts[0]) > 1024 or not _B64URL.match(parts[0]):
        return False
    try:  # the header first: a VC-JWT's payload is not decoded twice (OB 2.0 never uses these)
        if load_json(_b64(parts[0]).decode("utf-8", "replace")).get("alg") in _VC_JWT_ALGS:
            return False
        if not (_B64URL.match(parts[1]) and _B64URL.match(parts[2])):
            return False
        return is_ob2(load_json(_b64(parts[1]).decode("utf-8", "replace")))
    except InputError:
        return False


def split_jws(token: str) -> tuple[JsonObject, JsonObject, bytes, bytes]:
    """Header, payload, signing input and signature of a compact JWS (nothing verified)."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(_B64URL.match(p) for p in parts):
        raise InputError(
            "not a compact JWS", expected="three base64url parts joined by dots", found=short(token)
        )
    header = load_json(_b64(parts[0]).decode("utf-8", "replace"))
    payload = load_json(_b64(parts[1]).decode("utf-8", "replace"))
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), _b64(parts[2])


def _b64(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InputError("not base64url", found=short(part)) from exc


class Ob2Verifier:
    """One verification of one OB 2.0 assertion (it caches what it fetched)."""

    def __init__(self, *, fetcher: Fetcher | None, clock: Clock) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._documents: dict[str, JsonObject] = {}

    def verify(self, text: str, fmt: str = m.FORMAT_OB2) -> VerificationResult:
        """``text``: the assertion's JSON, its JWS, or the URL of a hosted assertion. ``fmt``
        says where it came from ("... baked in PNG" is kept)."""
        _, baked, image = fmt.partition(" baked in ")

        def named(kind: str) -> str:  # where the assertion came from is kept
            return m.baked_format(kind, image) if baked else kind

        checks = [Check.said("input", Status.PASSED, m.READ, format=fmt)]
        text = text.strip()
        if text.startswith(("http://", "https://")):
            return self._hosted(text, checks, named(m.FORMAT_OB2_HOSTED))
        if not text.startswith("{"):
            return self._signed(text, checks, named(m.FORMAT_OB2_SIGNED))
        try:
            given = load_json(text)
        except InputError as exc:
            checks.append(Check.said("parse", Status.FAILED, m.NOT_READABLE, reason=exc))
            return VerificationResult(tuple(checks), format=fmt)
        kind = _kind(given)
        if kind in _SIGNED:
            checks.append(Check.said("proof", Status.FAILED, m.OB2_SIGNED_AS_JSON))
            return VerificationResult(tuple(checks), format=named(m.FORMAT_OB2_SIGNED))
        return self._hosted(given, checks, named(m.FORMAT_OB2_HOSTED))

    # hosted --------------------------------------------------------------------------------------

    def _hosted(self, given: JsonObject | str, checks: list[Check], fmt: str) -> VerificationResult:
        summary: dict[str, Any] = {}

        def done() -> VerificationResult:
            return VerificationResult(tuple(checks), format=fmt, summary=summary)

        url = hosted_url(given) if isinstance(given, dict) else given
        if url is None:
            checks.append(Check.said("proof", Status.FAILED, m.OB2_NO_HOSTED_URL))
            return done()
        if self._fetcher is None:
            checks.append(Check.said("proof", Status.SKIPPED, m.OB2_OFFLINE, url=short(url, 200)))
            checks.append(Check.said("status", Status.SKIPPED, m.OB2_OFFLINE, url=short(url, 200)))
            return done()
        try:
            assertion = self._get(url, "assertion", hosted=True)
        except (UnreachableError, UrlRefusedError) as exc:
            for name in ("proof", "status"):
                checks.append(_unreachable(name, url, exc))
            return done()
        except MicrocredError as exc:
            checks.append(Check.said("proof", Status.FAILED, m.OB2_NOT_AT_ID, reason=exc))
            return done()
        if not self._parse(assertion, checks):
            return done()
        issuer = self._linked_issuer(assertion, checks, summary)
        if issuer is None:
            return done()
        checks.append(_hosted_proof(assertion, issuer, url))
        checks.append(_validity(assertion, self._clock()))
        if assertion.get("revoked") is True:
            reason = assertion.get("revocationReason")
            if isinstance(reason, str) and reason.strip():
                checks.append(
                    Check.said(
                        "status", Status.FAILED, m.OB2_REVOKED_BECAUSE, reason=short_text(reason)
                    )
                )
            else:
                checks.append(Check.said("status", Status.FAILED, m.OB2_REVOKED))
        else:
            checks.append(Check.said("status", Status.PASSED, m.OB2_HOSTED_NOT_REVOKED))
        return done()

    def _linked_issuer(
        self, assertion: JsonObject, checks: list[Check], summary: dict[str, Any]
    ) -> JsonObject | None:
        """The assertion's issuer Profile, its BadgeClass and the issuer added to the summary;
        None (and the parse check failed with the reason) when they cannot be had."""
        reading: list[Any] = []
        try:
            badge, issuer = self._badge_and_issuer(assertion, reading)
        except (UnreachableError, UrlRefusedError) as exc:  # the proof could not be checked
            checks.append(_unreachable("proof", reading[-1] if reading else None, exc))
            return None
        except MicrocredError as exc:
            checks[-1] = Check.said("parse", Status.FAILED, m.OB2_LINKED, reason=exc)
            return None
        summary.update(_summary(assertion, badge, issuer))
        return issuer

    # signed --------------------------------------------------------------------------------------

    def _signed(self, token: str, checks: list[Check], fmt: str) -> VerificationResult:
        summary: dict[str, Any] = {}

        def done() -> VerificationResult:
            return VerificationResult(tuple(checks), format=fmt, summary=summary)

        try:
            header, assertion, signing_input, signature = split_jws(token)
        except InputError as exc:
            checks.append(Check.said("parse", Status.FAILED, m.OB2_NOT_JWS, reason=exc))
            return done()
        if not self._parse(assertion, checks):
            return done()
        kind = _kind(assertion)
        if kind in _HOSTED:  # the type decides: a signature on a hosted assertion adds nothing
            return self._hosted(assertion, checks[:1], fmt.replace("signed", "hosted"))
        if kind not in _SIGNED:
            checks.append(Check.said("proof", Status.FAILED, m.OB2_UNKNOWN_KIND, kind=short(kind)))
            return done()
        summary.update(_summary(assertion, _embedded(assertion.get("badge")), {}))
        verification = assertion["verification"]
        creator = verification.get("creator") if isinstance(verification, dict) else None
        if self._fetcher is None:
            badge = assertion.get("badge")
            where = creator or (badge if isinstance(badge, str) else "the issuer profile")
            for name in ("proof", "issuer"):
                checks.append(Check.said(name, Status.SKIPPED, m.OB2_OFFLINE, url=short(where)))
            checks.append(_validity(assertion, self._clock()))
            checks.append(Check.said("status", Status.SKIPPED, m.OB2_OFFLINE, url=short(where)))
            return done()
        issuer = self._linked_issuer(assertion, checks, summary)
        if issuer is None:
            return done()
        key = self._signature(header, signing_input, signature, creator, issuer, checks)
        if key is None:
            checks.append(Check.said("issuer", Status.SKIPPED, m.ISSUER_NOT_CHECKED))
        else:
            checks.append(_key_owner(key, issuer))
        checks.append(_validity(assertion, self._clock()))
        checks.append(self._revocation(assertion, issuer))
        return done()

    def _signature(
        self,
        header: JsonObject,
        signing_input: bytes,
        signature: bytes,
        creator: Any,
        issuer: JsonObject,
        checks: list[Check],
    ) -> JsonObject | None:
        """Appends the proof check; returns the key document that verified the signature."""
        if header.get("alg") != "RS256":
            checks.append(
                Check.said("proof", Status.FAILED, m.OB2_ALGORITHM, alg=short(header.get("alg")))
            )
            return None
        # Without a creator the spec points at the issuer's keys: try those it lists.
        candidates = [creator] if creator is not None else _key_ids(issuer)[:MAX_LISTED_KEYS]
        if not candidates:
            reason = InputError("no verification.creator, and the issuer lists no publicKey")
            checks.append(Check.said("proof", Status.FAILED, m.OB2_KEY_UNREADABLE, reason=reason))
            return None
        failed: Check | None = None
        for url in candidates:
            try:
                key = self._get(url, "signing key")
                public_key = _rsa_key(key)
            except (UnreachableError, UrlRefusedError) as exc:
                failed = _unreachable("proof", url, exc)
                continue
            except MicrocredError as exc:
                failed = Check.said("proof", Status.FAILED, m.OB2_KEY_UNREADABLE, reason=exc)
                continue
            try:
                public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                failed = Check.said("proof", Status.FAILED, m.OB2_SIGNED_BAD, key=url)
                continue
            checks.append(Check.said("proof", Status.PASSED, m.OB2_SIGNED_OK, key=url))
            return key
        assert failed is not None
        checks.append(failed)
        return None

    def _revocation(self, assertion: JsonObject, issuer: JsonObject) -> Check:
        url = issuer.get("revocationList")
        if url is None:
            return Check.said("status", Status.SKIPPED, m.OB2_NO_REVOCATION_LIST)
        try:
            revocations = self._get(url, "revocation list")
        except MicrocredError as exc:
            return Check.said("status", Status.FAILED, m.OB2_REVOCATION_UNCHECKED, reason=exc)
        listed = revocations.get("revokedAssertions", [])
        if not isinstance(listed, list):
            reason = InputError("revokedAssertions is not a list", found=short(listed))
            return Check.said("status", Status.FAILED, m.OB2_REVOCATION_UNCHECKED, reason=reason)
        names = {assertion.get("id"), assertion.get("uid")} - {None}
        for entry in listed:
            ids: set[Any] = {entry} if isinstance(entry, str) else set()
            if isinstance(entry, dict):
                ids = {entry.get("id"), entry.get("uid")} - {None}
            if ids & names:
                why = entry.get("revocationReason") if isinstance(entry, dict) else None
                if isinstance(why, str) and why.strip():
                    return Check.said(
                        "status", Status.FAILED, m.OB2_REVOKED_BECAUSE, reason=short_text(why)
                    )
                return Check.said("status", Status.FAILED, m.OB2_REVOKED)
        return Check.said("status", Status.PASSED, m.OB2_NOT_REVOKED)

    # shared --------------------------------------------------------------------------------------

    def _parse(self, assertion: JsonObject, checks: list[Check]) -> bool:
        fields = ("id", "recipient", "badge", "verification", "issuedOn")
        # A hosted assertion may name its URL in verify.url (Open Badges 1.x, Badgr's baked
        # badges) instead of an http id and a verification object.
        named_elsewhere = {"id", "verification"} if _verify_url(assertion) else set()
        missing = [k for k in fields if k not in assertion and k not in named_elsewhere]
        if missing:
            checks.append(
                Check.said("parse", Status.FAILED, m.OB2_LACKS, fields=", ".join(missing))
            )
            return False
        checks.append(Check.said("parse", Status.PASSED, m.OB2_OK))
        return True

    def _badge_and_issuer(
        self, assertion: JsonObject, reading: list[Any]
    ) -> tuple[JsonObject, JsonObject]:
        """The badge class (embedded in a signed or re-read assertion, else fetched) and the
        issuer profile, always as served at its own id (only that copy lists keys and lists).
        ``reading`` gets each URL before it is read (the last one failed, if any)."""
        badge = assertion["badge"]
        if not isinstance(badge, dict):
            reading.append(badge)
            badge = self._get(badge, "badge class")
        reading.append(badge.get("issuer"))
        return badge, self._get(badge.get("issuer"), "issuer profile")

    def _get(self, value: Any, what: str, *, hosted: bool = False) -> JsonObject:
        """The document served at ``value`` (or at an embedded node's id), which must carry
        that same id (``hosted``: or name that URL in its own ``verify.url``)."""
        assert self._fetcher is not None
        url = value.get("id") if isinstance(value, dict) else value
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise FetchError(f"the {what} has no URL to read it from", found=short(url))
        if url not in self._documents:
            body = self._fetcher(url)
            if len(body) > MAX_DOCUMENT_BYTES:
                raise FetchError(
                    f"the {what} is too large",
                    expected=f"<= {MAX_DOCUMENT_BYTES} bytes",
                    found=f"{len(body)} bytes",
                )
            document = load_json(body.decode("utf-8", "replace"))
            if document.get("id") != url and not (hosted and _verify_url(document) == url):
                raise FetchError(
                    f"the {what} served at its URL has another id",
                    expected=short(url),
                    found=short(document.get("id")),
                )
            self._documents[url] = document
        return self._documents[url]


def _kind(assertion: JsonObject) -> Any:
    verification = assertion.get("verification")
    if isinstance(verification, dict):
        return verification.get("type")
    verify = assertion.get("verify")  # Open Badges 1.x: "hosted" or "signed"
    return verify.get("type") if isinstance(verify, dict) else None


def hosted_url(assertion: JsonObject) -> str | None:
    """Where a hosted assertion is read from: its http(s) ``id``, else its ``verify.url``."""
    named = assertion.get("id")
    if isinstance(named, str) and named.startswith(("http://", "https://")):
        return named
    return _verify_url(assertion)


def _verify_url(assertion: JsonObject) -> str | None:
    verify = assertion.get("verify")
    url = verify.get("url") if isinstance(verify, dict) else None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def _unreachable(name: str, url: Any, error: MicrocredError) -> Check:
    return Check.said(name, Status.SKIPPED, m.OB2_UNREACHABLE, url=short(url, 200), reason=error)


def _embedded(value: Any) -> JsonObject:
    return value if isinstance(value, dict) else {}


def _key_ids(issuer: JsonObject) -> list[str]:
    listed = issuer.get("publicKey", [])
    listed = listed if isinstance(listed, list) else [listed]
    ids = [k.get("id") if isinstance(k, dict) else k for k in listed]
    return [k for k in ids if isinstance(k, str)]


def _rsa_key(key: JsonObject) -> rsa.RSAPublicKey:
    pem = key.get("publicKeyPem")
    if not isinstance(pem, str):
        raise InputError("the key has no publicKeyPem", expected="a PEM public key")
    try:
        public_key = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InputError("publicKeyPem is not a PEM public key", found=short(pem)) from exc
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InputError(
            "the key is not an RSA key", expected="RSA (RS256)", found=type(public_key).__name__
        )
    if public_key.key_size < MIN_RSA_BITS:
        raise InputError(
            "the RSA key is too short",
            expected=f">= {MIN_RSA_BITS} bits",
            found=f"{public_key.key_size} bits",
        )
    return public_key


def _key_owner(key: JsonObject, issuer: JsonObject) -> Check:
    key_id, issuer_id = key["id"], issuer["id"]
    if key.get("owner") != issuer_id:
        return Check.said(
            "issuer",
            Status.FAILED,
            m.OB2_KEY_OWNER,
            key=key_id,
            owner=short(key.get("owner")),
            issuer=issuer_id,
        )
    if key_id not in _key_ids(issuer):
        return Check.said("issuer", Status.FAILED, m.OB2_KEY_UNLISTED, key=key_id, issuer=issuer_id)
    return Check.said("issuer", Status.PASSED, m.OB2_KEY_OK, key=key_id, issuer=issuer_id)


def _hosted_proof(assertion: JsonObject, issuer: JsonObject, url: str) -> Check:
    """The assertion (as fetched from ``url``) is hosted where the issuer profile allows."""
    kind = _kind(assertion)
    if kind in _SIGNED:
        return Check.said("proof", Status.FAILED, m.OB2_SIGNED_AS_JSON)
    if kind not in _HOSTED:
        return Check.said("proof", Status.FAILED, m.OB2_UNKNOWN_KIND, kind=short(kind))
    policy = issuer.get("verification")
    allowed = policy.get("allowedOrigins") if isinstance(policy, dict) else None
    origins = [allowed] if isinstance(allowed, str) else list(allowed or [])
    if not origins:
        origins = [urlsplit(issuer["id"]).netloc]
    host = urlsplit(url).netloc
    if host not in origins:
        return Check.said(
            "proof",
            Status.FAILED,
            m.OB2_HOSTED_FOREIGN,
            host=host,
            origins=", ".join(str(o) for o in origins),
        )
    return Check.said("proof", Status.PASSED, m.OB2_HOSTED_OK, host=host)


def _validity(assertion: JsonObject, now: datetime) -> Check:
    expires = assertion.get("expires")
    if expires is None:
        return Check.said("validity", Status.PASSED, m.OB2_NO_EXPIRY)
    if not isinstance(expires, str):
        return Check.said("validity", Status.FAILED, m.OB2_BAD_EXPIRY, value=short(expires))
    try:
        when = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        return Check.said("validity", Status.FAILED, m.OB2_BAD_EXPIRY, value=short(expires))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # OB 2.0 allows dates without an offset
    if when <= now:
        return Check.said("validity", Status.FAILED, m.EXPIRED, end=expires)
    return Check.said("validity", Status.PASSED, m.OB2_VALID_UNTIL, end=expires)


def _summary(assertion: JsonObject, badge: JsonObject, issuer: JsonObject) -> dict[str, Any]:
    embedded_issuer = _embedded(badge.get("issuer"))
    issuer_id = issuer.get("id") or embedded_issuer.get("id") or badge.get("issuer")
    return {
        "id": assertion.get("id"),
        "name": badge.get("name"),
        "achievement": badge.get("name"),
        "issuer": {
            "id": issuer_id if isinstance(issuer_id, str) else None,
            "name": issuer.get("name") or embedded_issuer.get("name"),
        },
        "validFrom": assertion.get("issuedOn"),
        "validUntil": assertion.get("expires"),
    }


def short_text(text: str, limit: int = 200) -> str:
    """A reason an issuer wrote, bounded, shown as text (not as a repr)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["Ob2Verifier", "is_ob2", "ob2_input", "split_jws"]
