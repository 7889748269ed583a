"""Step 7 of verification: what the issuer's status lists say about a credential.

A ``BitstringStatusListEntry`` points at a status list credential, which must be the same
issuer's, signed by the issuer's key and current; a legacy ``1EdTechRevocationList`` entry
points at an unsigned list. Lists come from the caller (by the URL credentials name) or from the
injected fetcher, and each is read and its proof verified once per verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from microcred.crypto import jose, proofs, revocation_list
from microcred.crypto.canon import Limits
from microcred.crypto.did import DidResolver, Fetcher, no_network
from microcred.crypto.statuslist import StatusCheck, check_status_entry
from microcred.errors import FetchError, InputError, MicrocredError, short
from microcred.types import JsonObject
from microcred.verify import messages as m
from microcred.verify.checks import issuer_check, issuer_id, validity_check
from microcred.verify.jsontext import load_json
from microcred.verify.result import Check, Status

MAX_STATUS_LIST_BYTES = 1024 * 1024
BITSTRING_ENTRY = "BitstringStatusListEntry"


def _failed(template: str, **params: object) -> Check:
    return Check.said("status", Status.FAILED, template, **params)


def _passed(template: str) -> Check:
    return Check.said("status", Status.PASSED, template)


class StatusChecker:
    """The status check of one verifier; it remembers the lists it has read and verified."""

    def __init__(
        self,
        *,
        resolver: DidResolver,
        fetcher: Fetcher,
        status_lists: Mapping[str, Mapping[str, Any] | str] | None,
        clock: Callable[[], datetime],
        limits: Limits,
        verified_lists: Callable[[str], Mapping[str, Any] | None] | None = None,
    ) -> None:
        self._resolver = resolver
        self._fetcher = fetcher
        self._lists: dict[str, Mapping[str, Any] | str] = dict(status_lists or {})
        self._verified_lists: set[str] = set()
        self._verified_elsewhere = verified_lists
        self._clock = clock
        self._limits = limits

    def check(self, credential: JsonObject) -> list[Check]:
        """One ``status`` check for the verdict, and a ``status message`` per message entry."""
        status = credential.get("credentialStatus")
        if status is None:
            return [Check.said("status", Status.SKIPPED, m.NO_STATUS)]
        entries = status if isinstance(status, list) else [status]
        purposes: set[str] = set()
        notes: list[Check] = []
        unsigned_list = False
        for entry in entries:
            outcome = self._one(credential, entry)
            if isinstance(outcome, Check):
                return [outcome]
            if outcome.purpose == "message":
                notes.append(_message_check(outcome))
                continue
            unsigned_list |= _is_revocation_list(entry)
            purposes.add(outcome.purpose)
        if not purposes:
            verdict = notes.pop(0)
            return [replace(verdict, name="status"), *notes]
        if len(purposes) > 1:
            return [_passed(m.NEITHER), *notes]
        if purposes == {"suspension"}:
            return [_passed(m.NOT_SUSPENDED), *notes]
        return [_passed(m.NOT_REVOKED_UNSIGNED if unsigned_list else m.NOT_REVOKED), *notes]

    def _one(self, credential: JsonObject, entry: Any) -> Check | StatusCheck:
        """A failed check, or the outcome of an entry that neither revokes nor suspends."""
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in (revocation_list.ENTRY_TYPE, BITSTRING_ENTRY):
            found = kind if isinstance(entry, dict) else entry
            return _failed(m.STATUS_UNSUPPORTED, found=short(found))
        result: Check | StatusCheck
        try:
            if kind == revocation_list.ENTRY_TYPE:
                result = self._revocation_list(credential, entry)
            else:
                result = self._bitstring(credential, entry)
        except MicrocredError as exc:
            return _failed(m.STATUS_UNCHECKED, reason=str(exc))
        return result if isinstance(result, Check) else _outcome(result)

    def _bitstring(self, credential: JsonObject, entry: JsonObject) -> Check | StatusCheck:
        url = entry.get("statusListCredential")
        if not isinstance(url, str):
            return _failed(m.STATUS_NO_LIST)
        if url not in self._lists and self._verified_elsewhere is not None:
            verified = self._verified_elsewhere(url)
            if verified is not None:  # its proof and key were checked by the caller
                self._lists[url] = verified
                self._verified_lists.add(url)
        list_credential, token = self._list(url)
        issuer = issuer_id(credential)
        if issuer_id(list_credential) != issuer:
            return _failed(
                m.STATUS_OTHER_ISSUER,
                list_issuer=repr(issuer_id(list_credential)),
                issuer=repr(issuer),
            )
        if url not in self._verified_lists:  # one list serves many credentials
            if token is not None:
                method = jose.verify_jwt(token, self._resolver).method
            else:
                method = proofs.verify(list_credential, self._resolver, limits=self._limits).method
            if issuer_check(list_credential, [method]).status != Status.PASSED:
                return _failed(m.STATUS_LIST_KEY_OTHER, key=method.id, issuer=issuer)
            self._verified_lists.add(url)
        window = validity_check(list_credential, self._clock())
        if window.status == Status.FAILED:
            return _failed(m.STATUS_LIST_STALE, reason=window.message)
        return check_status_entry(entry, list_credential)

    def _revocation_list(self, credential: JsonObject, entry: JsonObject) -> StatusCheck:
        document, _ = self._list(revocation_list.list_url(entry), jwt_allowed=False)
        return revocation_list.check_revocation_list(
            entry,
            document,
            credential_id=credential.get("id"),
            issuer_id=issuer_id(credential),
        )

    def _list(self, url: str, *, jwt_allowed: bool = True) -> tuple[JsonObject, str | None]:
        """The list served at ``url`` (given, or fetched once), and its JWT if it is one."""
        known = self._lists.get(url)
        if known is None:
            if self._fetcher is no_network:
                given = ", ".join(sorted(self._lists)) or "none"
                raise FetchError(
                    "this list was not given and fetching is disabled (offline)",
                    expected=f"a status list for {url} (given: {given})",
                    found=url,
                )
            body = self._fetcher(url)
            if len(body) > MAX_STATUS_LIST_BYTES:
                raise InputError(
                    "status list is too large",
                    expected=f"<= {MAX_STATUS_LIST_BYTES} bytes",
                    found=f"{len(body)} bytes",
                )
            text = body.decode("utf-8", "replace").strip()
            known = text if jose.looks_like_jwt(text) else load_json(text)
            self._lists[url] = known
        if isinstance(known, str):
            if not jwt_allowed:
                raise InputError("a 1EdTech revocation list is JSON", found="a JWT")
            _, decoded = jose.decode_unverified(known)
            return decoded, known
        return dict(known), None


def _outcome(result: StatusCheck) -> Check | StatusCheck:
    if not result.set or result.purpose == "message":
        return result
    if result.purpose == "suspension":
        return _failed(m.SUSPENDED)
    if result.status_message:
        return _failed(m.REVOKED_BECAUSE, reason=result.status_message)
    return _failed(m.REVOKED)


def _message_check(result: StatusCheck) -> Check:
    value = f"{result.value:#x}"
    if result.status_message:
        return Check.said(
            "status message",
            Status.PASSED,
            m.STATUS_VALUE,
            value=value,
            message=result.status_message,
        )
    return Check.said("status message", Status.PASSED, m.STATUS_VALUE_UNEXPLAINED, value=value)


def _is_revocation_list(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("type") == revocation_list.ENTRY_TYPE
