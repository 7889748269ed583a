"""Verifying a credential given by URL: fetch it (guarded), then verify what came back.

The URL may serve OB 3.0 JSON, a VC-JWT or a baked PNG/SVG (all go to the usual verifier), or
an Open Badges 2.0 *hosted* assertion. OB 2.0 hosted assertions carry no signature: they are
trusted because the issuer serves them at their own ``id`` on the issuer's origin, so that is
what the "proof" check here establishes (then expiry and the ``revoked`` flag).

Credentials of this server are read from the store, not fetched over the network: the server
does not call itself, and this works behind any proxy.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from microcred.crypto.baking import unbake
from microcred.crypto.did import FetchError
from microcred.errors import MicrocredError, NotFoundError, short
from microcred.runtime import Runtime
from microcred.verify import VerificationResult
from microcred.verify.result import Check, Status
from microcred.web.fetch import FetchPolicy, fetch

ACCEPT = (
    "application/vc+ld+json, application/ld+json, application/json;q=0.9, "
    "application/vc+jwt;q=0.9, image/png;q=0.8, image/svg+xml;q=0.8, */*;q=0.1"
)
OB2_CONTEXT = "https://w3id.org/openbadges/v2"
_LOCAL = re.compile(r"^/credentials/([A-Za-z0-9-]{1,64})(?:/badge\.(?:png|svg))?/?$")


def verify_url(runtime: Runtime, url: str, policy: FetchPolicy) -> VerificationResult:
    """Every step becomes a check; this never raises for a bad URL or a bad document."""
    try:
        data = _local(runtime, url)
        if data is None:
            data = fetch(url, policy, accept=ACCEPT).body
    except MicrocredError as exc:
        return _unreadable(f"could not fetch the URL: {exc}")
    ob2 = _ob2_assertion(data)
    if ob2 is not None:
        return Ob2HostedVerifier(runtime, policy).verify(ob2)
    verifier = runtime.verification.verifier(fetcher=policy.fetcher())
    return verifier.verify(data)


def _local(runtime: Runtime, url: str) -> bytes | None:
    base = runtime.settings.base_url
    if not url.startswith(base + "/"):
        return None
    match = _LOCAL.match(url.removeprefix(base).split("?", 1)[0])
    if match is None:
        raise FetchError("this server has no credential at that address", found=short(url))
    try:
        row = runtime.credentials.get_public(match.group(1))
    except NotFoundError as exc:
        raise FetchError("this server has no such credential", found=short(url)) from exc
    return json.dumps(row.document).encode()


def _unreadable(message: str) -> VerificationResult:
    return VerificationResult((Check("input", Status.FAILED, message),), readable=False)


def _ob2_assertion(data: bytes) -> dict[str, Any] | str | None:
    """An OB 2.0 assertion (its JSON, or the URL an OB 2.0 image points to), else None."""
    head = data.lstrip()[:1]
    if data.startswith(b"\x89PNG") or head == b"<":
        try:
            baked = unbake(data)
        except MicrocredError:
            return None  # the verifier will explain what is wrong with the image
        if baked.version != "ob2":
            return None
        text = baked.text.strip()
        if text.startswith(("http://", "https://")):
            return text
        data = text.encode()
    try:
        document = json.loads(data)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if OB2_CONTEXT in contexts or "Assertion" in types:
        return document
    return None


class Ob2HostedVerifier:
    """OB 2.0 hosted verification. Nothing the caller hands in is trusted: the assertion is
    read again from its own ``id``, the issuer profile from its ``id``, and the assertion must
    be hosted on an origin that *profile* allows (``verification.allowedOrigins``, else the
    origin of the issuer's id). Everything after that reads the fetched copies."""

    def __init__(self, runtime: Runtime, policy: FetchPolicy) -> None:
        self.runtime = runtime
        self.policy = policy

    def _get_json(self, url: str) -> dict[str, Any]:
        body = fetch(url, self.policy, accept="application/ld+json, application/json").body
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise FetchError("not JSON", found=short(url)) from exc
        if not isinstance(document, dict):
            raise FetchError("not a JSON object", found=short(url))
        return document

    def _fetched(self, value: Any, what: str) -> dict[str, Any]:
        """The node as served at its own URL (an embedded copy only names that URL)."""
        url = value.get("id") if isinstance(value, dict) else value
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise FetchError(f"the {what} has no URL to read it from", found=short(url))
        document = self._get_json(url)
        if document.get("id") != url:
            raise FetchError(f"the {what} served at its URL has another id", found=short(url))
        return document

    def verify(self, given: dict[str, Any] | str) -> VerificationResult:
        """``given``: the assertion as the caller had it, or the URL an OB 2.0 image carries."""
        fmt = "Open Badges 2.0 hosted assertion"
        checks = [Check("input", Status.PASSED, "read an Open Badges 2.0 assertion")]
        summary: dict[str, Any] = {}

        def done() -> VerificationResult:
            return VerificationResult(tuple(checks), format=fmt, summary=summary)

        try:
            assertion = self._fetched(given, "assertion")
        except MicrocredError as exc:
            checks.append(Check("proof", Status.FAILED, f"not served at its own id: {exc}"))
            return done()
        missing = [
            k
            for k in ("id", "recipient", "badge", "verification", "issuedOn")
            if k not in assertion
        ]
        if missing:
            checks.append(
                Check("parse", Status.FAILED, f"the assertion lacks {', '.join(missing)}")
            )
            return done()
        try:
            badge = assertion["badge"]
            badge = badge if isinstance(badge, dict) else self._fetched(badge, "badge class")
            issuer = self._fetched(badge.get("issuer"), "issuer profile")
        except MicrocredError as exc:
            checks.append(Check("parse", Status.FAILED, str(exc)))
            return done()
        summary.update(
            id=assertion["id"],
            name=badge.get("name"),
            achievement=badge.get("name"),
            issuer={"id": issuer["id"], "name": issuer.get("name")},
            validFrom=assertion.get("issuedOn"),
            validUntil=assertion.get("expires"),
        )
        checks.append(Check("parse", Status.PASSED, "an Open Badges 2.0 Assertion"))
        checks.append(_hosted(assertion, issuer))
        checks.append(_validity(assertion, self.runtime.clock()))
        if assertion.get("revoked") is True:
            reason = assertion.get("revocationReason")
            why = f": {short(reason, 200)}" if isinstance(reason, str) else ""
            checks.append(Check("status", Status.FAILED, f"the issuer revoked this badge{why}"))
        else:
            checks.append(Check("status", Status.PASSED, "the hosted assertion is not revoked"))
        return done()


def _hosted(assertion: dict[str, Any], issuer: dict[str, Any]) -> Check:
    """The assertion (as fetched from its id) is hosted where the issuer profile allows."""
    verification = assertion.get("verification")
    kind = verification.get("type") if isinstance(verification, dict) else None
    if kind not in ("hosted", "HostedBadge"):
        return Check(
            "proof",
            Status.FAILED,
            f"only hosted OB 2.0 assertions can be checked here (found {short(kind)})",
        )
    policy = issuer.get("verification")
    allowed = policy.get("allowedOrigins") if isinstance(policy, dict) else None
    origins = [allowed] if isinstance(allowed, str) else list(allowed or [])
    if not origins:
        origins = [urlsplit(issuer["id"]).netloc]
    host = urlsplit(assertion["id"]).netloc
    if host not in origins:
        return Check(
            "proof",
            Status.FAILED,
            f"the assertion is hosted on {host}, not on an origin its issuer allows "
            f"({', '.join(str(o) for o in origins)})",
        )
    return Check(
        "proof",
        Status.PASSED,
        f"hosted verification: served at its own id on the issuer's origin {host} "
        "(OB 2.0 hosted assertions carry no signature)",
    )


def _validity(assertion: dict[str, Any], now: datetime) -> Check:
    expires = assertion.get("expires")
    if not isinstance(expires, str):
        return Check("validity", Status.PASSED, "no expiry date")
    try:
        when = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        return Check("validity", Status.FAILED, f"unreadable expiry date {short(expires)}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # OB 2.0 allows dates without an offset
    if when < now:
        return Check("validity", Status.FAILED, f"expired on {expires}")
    return Check("validity", Status.PASSED, f"valid until {expires}")


__all__ = ["verify_url"]
