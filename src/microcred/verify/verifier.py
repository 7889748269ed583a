"""The verifier: from bytes a person hands us to a step-by-step explained result.

Steps (each a named check in the result):
  1. input     read JSON, a JWT, or a baked PNG/SVG
  2. parse     a Verifiable Credential; Open Badges 3.0 credentials must fit the OB 3.0 model
  3. contexts  every JSON-LD context is one we hold (nothing is fetched)
  4. proof     the Data Integrity proof or the JWT signature verifies
  5. issuer    the signing key belongs to the credential's issuer
  6. validity  now lies within validFrom .. validUntil
  7. status    the issuer's status list says neither revoked nor suspended

Verification never raises on hostile input: every failure becomes a check in the result. A
credential whose status cannot be checked is not reported as verified.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from microcred.crypto import jose, proofs
from microcred.crypto.baking import unbake
from microcred.crypto.canon import DEFAULT_LIMITS, Limits
from microcred.crypto.did import DidResolver, Fetcher, VerificationMethod, no_network
from microcred.crypto.jsonld import bundled_urls
from microcred.crypto.statuslist import check_status_entry
from microcred.errors import InputError, MicrocredError, short
from microcred.types import JsonObject
from microcred.verify.log_check import check_transparency
from microcred.verify.result import Check, Status, VerificationResult

Clock = Callable[[], datetime]
OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"})
MAX_STATUS_LIST_BYTES = 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STATE = {"revocation": "revoked", "suspension": "suspended"}


@dataclass(frozen=True)
class _Ob2Assertion:
    """An Open Badges 2.0 assertion found baked in an image (its JSON, JWS or URL)."""

    text: str


_Payload = str | JsonObject | _Ob2Assertion


class Verifier:
    """Verifies credentials; everything that reaches outside is injected.

    ``fetcher`` fetches status lists and did:web documents (default: offline, refuses).
    ``status_lists`` holds status list credentials the caller already has, by URL.
    """

    def __init__(
        self,
        *,
        resolver: DidResolver | None = None,
        fetcher: Fetcher = no_network,
        status_lists: Mapping[str, Mapping[str, Any]] | None = None,
        clock: Clock = proofs.utc_now,
        limits: Limits = DEFAULT_LIMITS,
        log_key: str | None = None,
        log_bundles: Callable[[str], Mapping[str, Any] | None] | None = None,
    ) -> None:
        """``log_key`` (a C2SP verifier key) turns on the transparency-log check; its proof
        comes with each call (``verify(..., log_bundle=)``) or from ``log_bundles``, which
        maps a credential id to its bundle (None when it has none)."""
        self._log_key = log_key
        self._log_bundles = log_bundles
        self._fetcher = fetcher
        self._resolver = resolver or DidResolver(fetcher=fetcher)
        self._status_lists: dict[str, Mapping[str, Any]] = dict(status_lists or {})
        self._verified_lists: set[str] = set()
        self._clock = clock
        self._limits = limits

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
                log_bundle = self._log_bundles(credential_id)
        check = check_transparency(result.credential, log_bundle, self._log_key)
        return replace(result, checks=(*result.checks, check))

    def _verify(self, data: bytes | str | Mapping[str, Any]) -> VerificationResult:
        try:
            fmt, payload = self._read(data)
        except MicrocredError as exc:
            return VerificationResult(
                (Check("input", Status.FAILED, _explain(exc)),), readable=False
            )
        except Exception as exc:
            return VerificationResult(
                (
                    Check(
                        "input",
                        Status.FAILED,
                        f"the input could not be read ({type(exc).__name__})",
                    ),
                ),
                readable=False,
            )
        checks = [Check("input", Status.PASSED, f"read {fmt}")]
        try:
            return self._verify_payload(fmt, payload, checks)
        except Exception as exc:
            checks.append(
                Check(
                    "internal", Status.FAILED, f"verification stopped: {type(exc).__name__}: {exc}"
                )
            )
            return VerificationResult(tuple(checks), format=fmt)

    def _read(self, data: bytes | str | Mapping[str, Any]) -> tuple[str, _Payload]:
        if isinstance(data, Mapping):
            return "JSON credential", dict(data)
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
                return f"Open Badges 2.0 assertion baked in {baked.format.upper()}", _Ob2Assertion(
                    baked.text
                )
            return f"credential baked in {baked.format.upper()}", baked.text
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                "input is neither UTF-8 text nor a PNG", expected="JSON, a JWT, a PNG or an SVG"
            ) from exc
        if text.startswith("{"):
            return "JSON credential", text
        if jose.looks_like_jwt(text):
            return "VC-JWT", text
        raise InputError(
            "input is not a credential", expected="JSON, a JWT, a PNG or an SVG", found=short(text)
        )

    # 2.. the credential -------------------------------------------------------------------------

    def _verify_payload(
        self, fmt: str, payload: _Payload, checks: list[Check]
    ) -> VerificationResult:
        if isinstance(payload, _Ob2Assertion):
            checks.append(
                Check(
                    "parse",
                    Status.FAILED,
                    "this is an Open Badges 2.0 assertion; this version of microcred "
                    "verifies Open Badges 3.0 credentials only",
                )
            )
            return VerificationResult(tuple(checks), format=fmt)
        jwt_token: str | None = None
        if isinstance(payload, str) and jose.looks_like_jwt(payload):
            jwt_token = payload.strip()
            try:
                _, credential = jose.decode_unverified(jwt_token)
            except MicrocredError as exc:
                checks.append(Check("parse", Status.FAILED, _explain(exc)))
                return VerificationResult(tuple(checks), format=fmt)
            fmt = fmt if "baked" in fmt else "VC-JWT"
        elif isinstance(payload, str):
            try:
                credential = _load_json(payload)
            except MicrocredError as exc:
                checks.append(Check("parse", Status.FAILED, _explain(exc)))
                return VerificationResult(
                    tuple(checks), format=fmt, readable=not fmt.startswith("JSON")
                )
        else:
            credential = payload
        return self._verify_credential(credential, jwt_token, fmt, checks)

    def _verify_credential(
        self, credential: JsonObject, jwt_token: str | None, fmt: str, checks: list[Check]
    ) -> VerificationResult:
        summary = _summary(credential)

        def done() -> VerificationResult:
            return VerificationResult(
                tuple(checks), format=fmt, credential=credential, summary=summary
            )

        parse = _parse_check(credential)
        checks.append(parse)
        if parse.status == Status.FAILED:
            return done()

        uses_rdfc = jwt_token is None and _cryptosuite(credential) == "eddsa-rdfc-2022"
        checks.append(_context_check(credential, bundled_urls(), required=uses_rdfc))

        method = self._proof_check(credential, jwt_token, checks)
        if method is not None:
            checks.append(_issuer_check(credential, method))
        else:
            checks.append(Check("issuer", Status.SKIPPED, "not checked: the proof did not verify"))
        checks.append(_validity_check(credential, self._clock()))
        checks.append(self._status_check(credential))
        return done()

    # 4. proof -----------------------------------------------------------------------------------

    def _proof_check(
        self, credential: JsonObject, jwt_token: str | None, checks: list[Check]
    ) -> VerificationMethod | None:
        try:
            if jwt_token is not None:
                verified_jwt = jose.verify_jwt(jwt_token, self._resolver)
                checks.append(
                    Check(
                        "proof",
                        Status.PASSED,
                        f"the JWT signature ({verified_jwt.header.get('alg')}) is valid",
                    )
                )
                return verified_jwt.method
            verified = proofs.verify(credential, self._resolver, limits=self._limits)
        except MicrocredError as exc:
            checks.append(Check("proof", Status.FAILED, _explain(exc)))
            return None
        checks.append(
            Check(
                "proof",
                Status.PASSED,
                f"the {verified.cryptosuite} signature is valid: "
                "the credential has not been altered since it was signed",
            )
        )
        return verified.method

    # 7. status ----------------------------------------------------------------------------------

    def _status_check(self, credential: JsonObject) -> Check:
        status = credential.get("credentialStatus")
        if status is None:
            return Check(
                "status",
                Status.SKIPPED,
                "the issuer published no status list for this credential: it cannot be revoked",
            )
        entries = status if isinstance(status, list) else [status]
        messages: list[str] = []
        for entry in entries:
            outcome = self._one_status(credential, entry)
            if outcome.status != Status.PASSED:
                return outcome
            messages.append(outcome.message)
        return Check("status", Status.PASSED, "; ".join(messages))

    def _one_status(self, credential: JsonObject, entry: Any) -> Check:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            found = entry.get("type") if isinstance(entry, dict) else entry
            return Check(
                "status",
                Status.FAILED,
                f"status cannot be checked: unsupported status type {short(found)} "
                "(expected BitstringStatusListEntry)",
            )
        url = entry.get("statusListCredential")
        if not isinstance(url, str):
            return Check(
                "status",
                Status.FAILED,
                "status cannot be checked: the entry names no statusListCredential",
            )
        try:
            list_credential = self._status_list(url)
            if url not in self._verified_lists:  # one list serves many credentials
                proofs.verify(list_credential, self._resolver, limits=self._limits)
                self._verified_lists.add(url)
            issuer = _issuer_id(credential)
            if _issuer_id(list_credential) != issuer:
                return Check(
                    "status",
                    Status.FAILED,
                    "status cannot be trusted: the status list is issued by "
                    f"{_issuer_id(list_credential)!r}, not by the credential's issuer {issuer!r}",
                )
            window = _validity_check(list_credential, self._clock())
            if window.status == Status.FAILED:
                return Check(
                    "status",
                    Status.FAILED,
                    f"status cannot be checked: the status list is not current ({window.message})",
                )
            result = check_status_entry(entry, list_credential)
        except MicrocredError as exc:
            return Check("status", Status.FAILED, f"status cannot be checked: {_explain(exc)}")
        if result.set:
            state = _STATE[result.purpose]
            return Check("status", Status.FAILED, f"the issuer has {state} this credential")
        return Check(
            "status",
            Status.PASSED,
            f"not {_STATE[result.purpose]} (status list checked)",
        )

    def _status_list(self, url: str) -> JsonObject:
        known = self._status_lists.get(url)
        if known is None:
            body = self._fetcher(url)
            if len(body) > MAX_STATUS_LIST_BYTES:
                raise InputError(
                    "status list is too large",
                    expected=f"<= {MAX_STATUS_LIST_BYTES} bytes",
                    found=f"{len(body)} bytes",
                )
            text = body.decode("utf-8", "replace").strip()
            if jose.looks_like_jwt(text):
                raise InputError(
                    "status lists secured as JWTs are not supported",
                    expected="a Data Integrity secured credential",
                )
            known = _load_json(text)
            self._status_lists[url] = known
        return dict(known)


# --- checks that need no state ----------------------------------------------------------------


def _parse_check(credential: JsonObject) -> Check:
    types = _types(credential)
    if "VerifiableCredential" not in types:
        return Check(
            "parse",
            Status.FAILED,
            f"not a Verifiable Credential: its type is {short(sorted(types))}",
        )
    if not types & OB_TYPES:
        return Check(
            "parse",
            Status.WARNING,
            "a Verifiable Credential, but not an Open Badges 3.0 credential: "
            "checked as a plain credential",
        )
    from microcred.model import parse_credential

    try:
        parse_credential(credential)
    except MicrocredError as exc:
        return Check(
            "parse", Status.FAILED, f"not a valid Open Badges 3.0 credential: {_explain(exc)}"
        )
    return Check("parse", Status.PASSED, "a well-formed Open Badges 3.0 credential")


def _context_check(credential: JsonObject, bundled: frozenset[str], *, required: bool) -> Check:
    context = credential.get("@context")
    entries = context if isinstance(context, list) else [context]
    unknown = [c for c in entries if isinstance(c, str) and c not in bundled]
    if not unknown:
        return Check("contexts", Status.PASSED, "every JSON-LD context is a known, pinned copy")
    message = f"unknown JSON-LD context(s) {', '.join(unknown)}: their terms cannot be read offline"
    return Check("contexts", Status.FAILED if required else Status.WARNING, message)


def _issuer_check(credential: JsonObject, method: VerificationMethod) -> Check:
    issuer = _issuer_id(credential)
    did_of_key = method.id.split("#", 1)[0]
    if issuer and method.controller == issuer and did_of_key == issuer:
        return Check("issuer", Status.PASSED, f"signed with a key of the issuer {issuer}")
    return Check(
        "issuer",
        Status.FAILED,
        f"the signing key {method.id} is controlled by {method.controller}, "
        f"not by the issuer {issuer or '(none)'}",
    )


def _validity_check(credential: Mapping[str, Any], now: datetime) -> Check:
    start = credential.get("validFrom", credential.get("issuanceDate"))
    end = credential.get("validUntil", credential.get("expirationDate"))
    try:
        start_at = _parse_time(start, "validFrom") if start is not None else None
        end_at = _parse_time(end, "validUntil") if end is not None else None
    except InputError as exc:
        return Check("validity", Status.FAILED, _explain(exc))
    if start_at is not None and now < start_at:
        return Check("validity", Status.FAILED, f"not valid yet: valid from {start}")
    if end_at is not None and now >= end_at:
        return Check("validity", Status.FAILED, f"expired on {end}")
    if end_at is None:
        return Check(
            "validity",
            Status.PASSED,
            f"valid since {start}, with no expiry date" if start else "no validity period stated",
        )
    return Check("validity", Status.PASSED, f"valid from {start} until {end}")


def _parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(
            f"{name} is not a date-time", expected="YYYY-MM-DDThh:mm:ssZ", found=short(value)
        )
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"{name} is not a date-time", expected="YYYY-MM-DDThh:mm:ssZ", found=short(value)
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _types(credential: Mapping[str, Any]) -> set[str]:
    value = credential.get("type", [])
    return {t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)}


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else ""


def _cryptosuite(credential: Mapping[str, Any]) -> str | None:
    proof = credential.get("proof")
    if isinstance(proof, list) and proof:
        proof = proof[0]
    return proof.get("cryptosuite") if isinstance(proof, dict) else None


def _summary(credential: Mapping[str, Any]) -> dict[str, Any]:
    issuer = credential.get("issuer")
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    return {
        "id": credential.get("id"),
        "name": credential.get("name"),
        "issuer": {
            "id": _issuer_id(credential),
            "name": issuer.get("name") if isinstance(issuer, dict) else None,
        },
        "achievement": achievement.get("name") if isinstance(achievement, dict) else None,
        "subject": subject.get("id") if isinstance(subject, dict) else None,
        "validFrom": credential.get("validFrom"),
        "validUntil": credential.get("validUntil"),
    }


def _load_json(text: str) -> JsonObject:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> JsonObject:
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            duplicate = next(k for k in keys if keys.count(k) > 1)
            raise InputError(
                "JSON object repeats a key (parsers disagree on which one counts)", found=duplicate
            )
        return dict(pairs)

    def no_constants(name: str) -> Any:
        raise InputError("JSON holds a non-standard number", expected="finite numbers", found=name)

    try:
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise InputError(
            "JSON is not an object", expected="a credential object", found=type(value).__name__
        )
    return value


def _explain(exc: MicrocredError) -> str:
    return str(exc)
