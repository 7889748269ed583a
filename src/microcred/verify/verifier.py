"""The verifier: from bytes a person hands us to a step-by-step explained result.

Steps (each a named check in the result):
  1. input     read JSON, a JWT, or a baked PNG/SVG
  2. parse     a Verifiable Credential; Open Badges 3.0 credentials must fit the OB 3.0 model
  3. contexts  every JSON-LD context is one we hold (nothing is fetched)
  4. proof     the Data Integrity proof or the JWT signature verifies
  5. issuer    the signing key belongs to the credential's issuer
  6. validity  now lies within validFrom .. validUntil
  7. status    the issuer's status list says neither revoked nor suspended

Open Badges 2.0 assertions (hosted, or signed as a JWS) are handed to
:class:`~microcred.verify.ob2.Ob2Verifier`, whose checks carry the same names.

Verification never raises on hostile input: every failure becomes a check in the result. A
credential whose status cannot be checked is not reported as verified.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from microcred.crypto import jose, proofs, resource_digest
from microcred.crypto.baking import unbake
from microcred.crypto.canon import DEFAULT_LIMITS, Limits
from microcred.crypto.did import DidResolver, Fetcher, VerificationMethod, no_network
from microcred.crypto.jsonld import bundled_urls
from microcred.errors import (
    InputError,
    LogStoreError,
    MicrocredError,
    ProofError,
    short,
)
from microcred.ledger.anchor import AnchorReader
from microcred.types import JsonObject
from microcred.verify import embedded, europass, vc1
from microcred.verify import messages as m
from microcred.verify.checks import issuer_check, issuer_id, validity_check
from microcred.verify.jsontext import load_json as _load_json
from microcred.verify.log_check import check_anchor, check_transparency, unreadable_log
from microcred.verify.ob2 import Ob2Verifier, ob2_input
from microcred.verify.result import (
    Check,
    Outcome,
    PartResult,
    Status,
    VerificationResult,
    unreadable,
)
from microcred.verify.status import StatusChecker

Clock = Callable[[], datetime]
OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"})
MAX_RELATED_BYTES = 16 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _SealedEdc:
    """A European Digital Credential in a JAdES seal (JWS JSON serialization)."""

    text: str


@dataclass(frozen=True)
class _Ob2Assertion:
    """An Open Badges 2.0 assertion: its JSON, its JWS, or the URL of a hosted one."""

    text: str


_Payload = str | JsonObject | _Ob2Assertion | _SealedEdc


class Verifier:
    """Verifies credentials; everything that reaches outside is injected.

    ``fetcher`` fetches status lists and did:web documents (default: offline, refuses).
    ``status_lists`` holds status lists the caller already has, by the URL credentials name:
    credentials (JSON), VC-JWTs (text), or 1EdTech revocation lists. ``verified_lists`` gives
    bitstring list credentials whose proof the caller has itself verified as the issuer's
    (a server's own lists, checked once and kept), by URL, or None for any other.
    """

    def __init__(
        self,
        *,
        resolver: DidResolver | None = None,
        fetcher: Fetcher = no_network,
        status_lists: Mapping[str, Mapping[str, Any] | str] | None = None,
        verified_lists: Callable[[str], Mapping[str, Any] | None] | None = None,
        clock: Clock = proofs.utc_now,
        limits: Limits = DEFAULT_LIMITS,
        log_key: str | None = None,
        log_bundles: Callable[[str], Mapping[str, Any] | None] | None = None,
        anchor_reader: AnchorReader | None = None,
    ) -> None:
        """``log_key`` (a C2SP verifier key) turns on the transparency-log check; its proof
        comes with each call (``verify(..., log_bundle=)``) or from ``log_bundles``, which
        maps a credential id to its bundle (None when it has none; :class:`LogStoreError`
        when the log that should hold it cannot be read, which fails the check). A bundle that
        claims an anchor always gets the ``anchor`` check beside it; ``anchor_reader`` lets
        that check ask the chain whether the bundle's checkpoint is anchored as claimed (an
        unreachable chain is a warning; without a reader the anchor is reported, not checked).
        With a reader, a bundle without an anchor gets the check too (skipped: no anchor)."""
        self._log_key = log_key
        self._log_bundles = log_bundles
        self._anchor_reader = anchor_reader
        self._fetcher = fetcher
        self._resolver = resolver or DidResolver(fetcher=fetcher)
        self._clock = clock
        self._limits = limits
        self._status = StatusChecker(
            resolver=self._resolver,
            fetcher=fetcher,
            status_lists=status_lists,
            verified_lists=verified_lists,
            clock=clock,
            limits=limits,
        )
        self._depth = 0  # how deep in embedded credentials the current one is
        self._parts_seen = 0

    # 1. input ---------------------------------------------------------------------------------

    def verify(
        self,
        data: bytes | str | Mapping[str, Any],
        *,
        log_bundle: Mapping[str, Any] | None = None,
    ) -> VerificationResult:
        """Verify a credential given as JSON text/bytes, a JWT, a baked PNG/SVG, or a dict."""
        result = self._verify(data)
        if self._log_key is None or result.credential is None:
            return result
        if log_bundle is None and self._log_bundles is not None:
            credential_id = result.credential.get("id")
            if isinstance(credential_id, str):
                try:
                    log_bundle = self._log_bundles(credential_id)
                except LogStoreError as error:  # the log that should hold it is unreadable
                    log.warning("log of %s unreadable: %s", short(credential_id), error)
                    return replace(result, checks=(*result.checks, unreadable_log(error)))
        checks = [check_transparency(result.credential, log_bundle, self._log_key)]
        # A bundle's anchor is unsigned: whenever one is claimed, its own check says whether
        # the chain was asked (without a reader it is reported as not checked).
        claims_anchor = log_bundle is not None and log_bundle.get("anchor") is not None
        if log_bundle is not None and (self._anchor_reader is not None or claims_anchor):
            checks.append(check_anchor(log_bundle, self._anchor_reader))
        return replace(result, checks=(*result.checks, *checks))

    def _verify(self, data: bytes | str | Mapping[str, Any]) -> VerificationResult:
        try:
            fmt, payload = self._read(data)
        except MicrocredError as exc:
            return unreadable(m.UNREADABLE, reason=_explain(exc))
        except Exception as exc:  # a reader's bug must not crash the caller: say it, log it
            log.warning("input could not be read: %s", type(exc).__name__, exc_info=True)
            return unreadable(m.UNREADABLE_KIND, error=type(exc).__name__)
        checks = [Check.said("input", Status.PASSED, m.READ, format=fmt)]
        try:
            if isinstance(payload, _SealedEdc):
                return europass.verify_sealed(payload.text, fmt, clock=self._clock)
            if isinstance(payload, _Ob2Assertion):
                # Open Badges 2.0 has its own steps; the network they need is our fetcher.
                online = None if self._fetcher is no_network else self._fetcher
                return Ob2Verifier(fetcher=online, clock=self._clock).verify(payload.text, fmt)
            return self._verify_payload(fmt, payload, checks)
        except Exception as exc:  # a bug in a check: an "internal" failed check, and the trace
            log.exception("verification of a %s stopped by %s", fmt, type(exc).__name__)
            checks.append(
                Check.said(
                    "internal", Status.FAILED, m.STOPPED, error=f"{type(exc).__name__}: {exc}"
                )
            )
            return VerificationResult(tuple(checks), format=fmt)

    def _read(self, data: bytes | str | Mapping[str, Any]) -> tuple[str, _Payload]:
        if isinstance(data, Mapping):
            if ob2_input(dict(data)):
                return m.FORMAT_OB2, _Ob2Assertion(json.dumps(dict(data)))
            if europass.is_sealed_edc(data):
                return m.FORMAT_EDC, _SealedEdc(json.dumps(dict(data)))
            return m.FORMAT_JSON, dict(data)
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if len(raw) > self._limits.max_bytes * 4:
            raise InputError(
                "input is too large",
                expected=f"<= {self._limits.max_bytes * 4} bytes",
                found=f"{len(raw)} bytes",
            )
        stripped = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
        if raw.startswith(PNG_SIGNATURE) or stripped.startswith(b"<"):
            baked = unbake(raw)
            if baked.version == "ob2":
                return m.baked_format(m.FORMAT_OB2, baked.format), _Ob2Assertion(baked.text)
            return m.baked_format(m.FORMAT_CREDENTIAL, baked.format), baked.text
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                "input is neither UTF-8 text nor a PNG", expected="JSON, a JWT, a PNG or an SVG"
            ) from exc
        if ob2_input(text):
            return m.FORMAT_OB2, _Ob2Assertion(text)
        if text.startswith("{"):
            if _sealed_edc(text):
                return m.FORMAT_EDC, _SealedEdc(text)
            return m.FORMAT_JSON, text
        if jose.looks_like_jwt(text):
            return m.FORMAT_JWT, text
        raise InputError(
            "input is not a credential", expected="JSON, a JWT, a PNG or an SVG", found=short(text)
        )

    # 2.. the credential -------------------------------------------------------------------------

    def _verify_payload(
        self, fmt: str, payload: _Payload, checks: list[Check]
    ) -> VerificationResult:
        assert not isinstance(payload, _Ob2Assertion | _SealedEdc)  # handled before
        jwt_token: str | None = None
        if isinstance(payload, str) and jose.looks_like_jwt(payload):
            jwt_token = payload.strip()
            try:
                _, credential = jose.decode_unverified(jwt_token)
            except MicrocredError as exc:
                checks.append(
                    Check.said("parse", Status.FAILED, m.NOT_READABLE, reason=_explain(exc))
                )
                return VerificationResult(tuple(checks), format=fmt)
        elif isinstance(payload, str):
            try:
                credential = _load_json(payload)
            except MicrocredError as exc:
                checks.append(
                    Check.said("parse", Status.FAILED, m.NOT_READABLE, reason=_explain(exc))
                )
                return VerificationResult(tuple(checks), format=fmt, readable=fmt != m.FORMAT_JSON)
        else:
            credential = payload
        return self._verify_credential(credential, jwt_token, fmt, checks)

    def _verify_credential(
        self, credential: JsonObject, jwt_token: str | None, fmt: str, checks: list[Check]
    ) -> VerificationResult:
        summary = _summary(credential)
        parts: tuple[PartResult, ...] = ()

        def done() -> VerificationResult:
            return VerificationResult(
                tuple(checks), format=fmt, credential=credential, summary=summary, parts=parts
            )

        parse = _parse_check(credential)
        checks.append(parse)
        if parse.status == Status.FAILED:
            return done()

        uses_rdfc = jwt_token is None and _cryptosuite(credential) in proofs.RDFC_SUITES
        checks.append(_context_check(credential, bundled_urls(), required=uses_rdfc))

        methods = self._proof_check(credential, jwt_token, checks)
        if methods:
            checks.append(issuer_check(credential, methods))
        else:
            checks.append(Check.said("issuer", Status.SKIPPED, m.ISSUER_NOT_CHECKED))
        checks.append(validity_check(credential, self._clock()))
        checks.extend(self._status.check(credential))
        if "relatedResource" in credential:
            checks.append(self._related_check(credential["relatedResource"]))
        parts = self._verify_parts(credential, checks)
        if embedded.is_clr(credential):
            summary["associations"] = embedded.associations(credential)
        return done()

    # 4. proof -----------------------------------------------------------------------------------

    def _proof_check(
        self, credential: JsonObject, jwt_token: str | None, checks: list[Check]
    ) -> list[VerificationMethod]:
        """The proof checks; returns the keys of the proofs that verified."""
        try:
            if jwt_token is not None:
                verified_jwt = jose.verify_jwt(jwt_token, self._resolver)
                alg = verified_jwt.header.get("alg")
                checks.append(Check.said("proof", Status.PASSED, m.JWT_OK, alg=alg))
                return [verified_jwt.method]
            if isinstance(credential.get("proof"), list) and len(credential["proof"]) > 1:
                return self._proof_set_checks(credential, checks)
            verified = proofs.verify(credential, self._resolver, limits=self._limits)
        except MicrocredError as exc:
            checks.append(Check.said("proof", Status.FAILED, m.PROOF_FAILED, reason=_explain(exc)))
            return []
        checks.append(Check.said("proof", Status.PASSED, m.PROOF_OK, suite=verified.cryptosuite))
        return [verified.method]

    def _proof_set_checks(
        self, credential: JsonObject, checks: list[Check]
    ) -> list[VerificationMethod]:
        """A set or chain: one check that sums up, then one check per proof ("proof 1", ...)."""
        outcomes = proofs.verify_each(credential, self._resolver, limits=self._limits)
        failed = [o for o in outcomes if o.verified is None]
        if failed:
            which = ", ".join(o.label for o in failed)
            summary = Check.said(
                "proof",
                Status.FAILED,
                m.PROOFS_FAILED,
                failed=len(failed),
                count=len(outcomes),
                which=which,
            )
        else:
            summary = Check.said("proof", Status.PASSED, m.PROOFS_OK, count=len(outcomes))
        checks.append(summary)
        for outcome in outcomes:
            name = f"proof {outcome.index}"
            if outcome.verified is not None:
                checks.append(
                    Check.said(
                        name,
                        Status.PASSED,
                        m.PROOF_N_OK,
                        which=outcome.label,
                        suite=outcome.verified.cryptosuite,
                        key=outcome.verified.method.id,
                    )
                )
            else:
                reason = _explain(outcome.error) if outcome.error else "?"
                checks.append(
                    Check.said(
                        name, Status.FAILED, m.PROOF_N_FAILED, which=outcome.label, reason=reason
                    )
                )
        return [o.verified.method for o in outcomes if o.verified is not None]

    # relatedResource digests ------------------------------------------------------------------

    def _related_check(self, related: Any) -> Check:
        entries = related if isinstance(related, list) else [related]
        if self._fetcher is no_network:
            return Check.said("related resources", Status.WARNING, m.RELATED_OFFLINE)
        for entry in entries:
            url = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(url, str):
                return Check.said(
                    "related resources",
                    Status.FAILED,
                    m.RELATED_UNCHECKED,
                    url="?",
                    reason=f"an entry names no resource: {short(entry)}",
                )
            try:
                body = self._fetcher(url)
                if len(body) > MAX_RELATED_BYTES:
                    raise InputError(
                        "the resource is too large",
                        expected=f"<= {MAX_RELATED_BYTES} bytes",
                        found=f"{len(body)} bytes",
                    )
                resource_digest.check_digests(entry, body)
            except ProofError as exc:
                return Check.said(
                    "related resources",
                    Status.FAILED,
                    m.RELATED_MISMATCH,
                    url=url,
                    reason=_explain(exc),
                )
            except MicrocredError as exc:
                return Check.said(
                    "related resources",
                    Status.FAILED,
                    m.RELATED_UNCHECKED,
                    url=url,
                    reason=_explain(exc),
                )
        return Check.said("related resources", Status.PASSED, m.RELATED_OK, count=len(entries))

    # 8. credentials inside: a CLR's, endorsements --------------------------------------------

    def _verify_parts(self, credential: JsonObject, checks: list[Check]) -> tuple[PartResult, ...]:
        found = embedded.embedded_parts(credential)
        if not found:
            return ()
        roles = sorted({item.role for item in found})
        if self._depth >= embedded.MAX_DEPTH:
            for role in roles:
                checks.append(
                    Check.said(
                        _PART_CHECKS[role], Status.WARNING, m.PARTS_TOO_DEEP, depth=self._depth
                    )
                )
            return ()
        results: list[PartResult] = []
        self._depth += 1
        try:
            for item in found:
                if self._parts_seen >= embedded.MAX_PARTS:
                    break
                self._parts_seen += 1
                results.append(PartResult(item.role, item.path, self._verify_part(item.data)))
        finally:
            self._depth -= 1
        for role in roles:
            checks.append(_parts_check(role, [r for r in results if r.role == role], found))
        return tuple(results)

    def _verify_part(self, data: Mapping[str, Any] | str) -> VerificationResult:
        fmt = m.FORMAT_JSON
        if isinstance(data, str):
            if not jose.looks_like_jwt(data):
                return unreadable(m.UNREADABLE, reason="an embedded string is not a VC-JWT")
            fmt = m.FORMAT_JWT
        checks = [Check.said("input", Status.PASSED, m.READ, format=fmt)]
        payload: _Payload = data if isinstance(data, str) else dict(data)
        return self._verify_payload(fmt, payload, checks)


_PART_CHECKS = {"credential": "credentials", "endorsement": "endorsements"}


def _parts_check(role: str, results: list[PartResult], found: list[embedded.Embedded]) -> Check:
    """How embedded credentials count: a CLR stands or falls with the credentials it holds;
    an endorsement that fails is a warning (it is a third party's claim, not the credential)."""
    name = _PART_CHECKS[role]
    record = role == "credential"
    count = sum(1 for item in found if item.role == role)
    failed = [r.path for r in results if not r.result.verified]
    unchecked = count - len(results)
    if not failed and not unchecked:
        return Check.said(
            name, Status.PASSED, m.PARTS_OK if record else m.ENDORSEMENTS_OK, count=count
        )
    unconfirmed = [r.path for r in results if r.result.outcome == Outcome.ISSUER_NOT_CONFIRMED]
    if unconfirmed and len(unconfirmed) == len(failed) and not unchecked:
        # Valid signatures by keys the credentials carry: the record is unconfirmed too; an
        # endorsement is a warning either way, and says whose word could not be confirmed.
        return Check.said(
            name,
            Status.WARNING,
            m.PARTS_UNCONFIRMED if record else m.ENDORSEMENTS_UNCONFIRMED,
            failed=len(unconfirmed),
            count=count,
            paths=", ".join(unconfirmed),
        )
    if not record:  # the unconfirmed ones are not "not verified": their parts say what they are
        failed = [path for path in failed if path not in unconfirmed]
    return Check.said(
        name,
        Status.FAILED if record else Status.WARNING,
        m.PARTS_FAILED if record else m.ENDORSEMENTS_FAILED,
        failed=len(failed) + unchecked,
        count=count,
        paths=", ".join(failed) or "-",
    )


# --- checks that need no state ----------------------------------------------------------------


def _parse_check(credential: JsonObject) -> Check:
    types = _types(credential)
    if "VerifiableCredential" not in types:
        return Check.said("parse", Status.FAILED, m.NOT_VC, types=short(sorted(types)))
    if embedded.is_clr(credential):
        problem = embedded.clr_problem(credential)
        if problem is not None:
            return Check.said("parse", Status.FAILED, m.CLR_INVALID, reason=problem)
        held = credential["credentialSubject"]["verifiableCredential"]
        return Check.said("parse", Status.PASSED, m.CLR_OK, count=len(held))
    if not types & OB_TYPES:
        return Check.said("parse", Status.WARNING, m.PLAIN_VC)
    from microcred.model import parse_credential

    try:
        legacy = vc1.is_vc1(credential)
        parse_credential(vc1.as_vc2(credential) if legacy else credential)
    except MicrocredError as exc:
        return Check.said("parse", Status.FAILED, m.OB3_INVALID, reason=_explain(exc))
    return Check.said("parse", Status.PASSED, m.OB3_OK_VC1 if legacy else m.OB3_OK)


def _context_check(credential: JsonObject, bundled: frozenset[str], *, required: bool) -> Check:
    context = credential.get("@context")
    entries = context if isinstance(context, list) else [context]
    unknown = [c for c in entries if isinstance(c, str) and c not in bundled]
    if not unknown:
        return Check.said("contexts", Status.PASSED, m.CONTEXTS_OK)
    status = Status.FAILED if required else Status.WARNING
    return Check.said("contexts", status, m.CONTEXTS_UNKNOWN, contexts=", ".join(unknown))


def _sealed_edc(text: str) -> bool:
    """A JWS JSON serialization holding an EDC (read only when it looks like one)."""
    if '"signatures"' not in text[:200_000] and '"protected"' not in text[:200_000]:
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and europass.is_sealed_edc(document)


def _types(credential: Mapping[str, Any]) -> set[str]:
    value = credential.get("type", [])
    return {t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)}


def _cryptosuite(credential: Mapping[str, Any]) -> str | None:
    proof = credential.get("proof")
    if isinstance(proof, list) and proof:
        proof = proof[0]
    if not isinstance(proof, dict):
        return None
    return (
        proofs.ED25519_2020
        if proof.get("type") == proofs.ED25519_2020
        else proof.get("cryptosuite")
    )


def _summary(credential: Mapping[str, Any]) -> dict[str, Any]:
    issuer = credential.get("issuer")
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    summary: dict[str, Any] = {
        "id": credential.get("id"),
        "name": credential.get("name"),
        "issuer": {
            "id": issuer_id(credential),
            "name": issuer.get("name") if isinstance(issuer, dict) else None,
        },
        "achievement": achievement.get("name") if isinstance(achievement, dict) else None,
        "subject": subject.get("id") if isinstance(subject, dict) else None,
        "validFrom": credential.get(vc1.validity_names(credential)[0]),
        "validUntil": credential.get(vc1.validity_names(credential)[1]),
    }
    names = achievement.get("nameMap") if isinstance(achievement, dict) else None
    if isinstance(achievement, dict) and isinstance(names, dict):
        # Translations of the achievement's name (language maps, context microcred/i18n/v1):
        # a page shows the reader's; only present when the credential has them.
        summary["achievementNames"] = {
            str(tag): text for tag, text in names.items() if isinstance(text, str)
        }
        summary["achievementLanguage"] = achievement.get("inLanguage")
    return summary


def _explain(exc: MicrocredError) -> str:
    return str(exc)
