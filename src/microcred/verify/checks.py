"""Checks that need no state: the issuer binding, the validity window, and the little readers
they share. The verifier and the status check both use them (status lists are credentials too)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from microcred.crypto.did import VerificationMethod
from microcred.errors import InputError, short
from microcred.types import JsonObject
from microcred.verify import messages as m
from microcred.verify import vc1
from microcred.verify.result import Check, Status


def issuer_check(credential: JsonObject, methods: list[VerificationMethod]) -> Check:
    """Passes when a verified proof is the issuer's (the others may be an endorser's, a
    witness's); else names the first proof's key and who controls it."""
    issuer = issuer_id(credential)
    for candidate in methods:
        did_of_key = candidate.id.split("#", 1)[0]
        listed = candidate.binding == "listed"
        if listed and issuer and candidate.controller == issuer and did_of_key == issuer:
            return Check.said("issuer", Status.PASSED, m.ISSUER_OK, issuer=issuer)
    method = methods[0]
    reason = method.binding_reason or method.binding
    if method.binding == "unconfirmed":
        # The key came with the credential: the signature proves integrity, not authorship.
        return Check.said(
            "issuer", Status.WARNING, m.ISSUER_UNCONFIRMED, key=method.id, reason=reason
        )
    if method.binding == "unlisted":
        return Check.said("issuer", Status.FAILED, m.ISSUER_UNLISTED, key=method.id, reason=reason)
    return Check.said(
        "issuer",
        Status.FAILED,
        m.ISSUER_OTHER,
        key=method.id,
        controller=method.controller,
        issuer=issuer or "(none)",
    )


def validity_check(credential: Mapping[str, Any], now: datetime) -> Check:
    start_name, end_name = vc1.validity_names(credential)
    start = credential.get(start_name)
    end = credential.get(end_name)
    try:
        start_at = parse_time(start, start_name) if start is not None else None
        end_at = parse_time(end, end_name) if end is not None else None
    except InputError as exc:
        return Check.said("validity", Status.FAILED, m.DATES_UNREADABLE, reason=str(exc))
    if start_at is not None and now < start_at:
        return Check.said("validity", Status.FAILED, m.NOT_YET, start=start)
    if end_at is not None and now >= end_at:
        return Check.said("validity", Status.FAILED, m.EXPIRED, end=end)
    if end_at is None:
        if start:
            return Check.said("validity", Status.PASSED, m.VALID_SINCE, start=start)
        return Check.said("validity", Status.PASSED, m.NO_PERIOD)
    return Check.said("validity", Status.PASSED, m.VALID_BETWEEN, start=start, end=end)


def parse_time(value: Any, name: str) -> datetime:
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


def issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else ""
