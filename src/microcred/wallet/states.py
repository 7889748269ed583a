"""What the wallet reads off a verifier's result: the state a held credential is shown in and
its name. Shared by the import (wallet/service.py) and the daily re-check (wallet/reverify.py),
so a credential is named and judged the same way both times."""

from __future__ import annotations

from microcred.types import JsonObject
from microcred.verify import messages as m
from microcred.verify.result import Outcome, Status, VerificationResult


def state_of(result: VerificationResult) -> str:
    """``active`` when verified; ``revoked``/``suspended``/``expired`` when the status or
    validity check says so (by the verifier's message template, not its wording); else
    ``unconfirmed`` when the signature is valid but its key is not confirmed as the
    issuer's (offline, a key the credential carried); else ``unverified`` (kept, with the
    verifier's reasons on its page)."""
    if result.verified:
        return "active"
    for name in ("status", "validity"):
        check = result.check(name)
        if check is not None and check.status == Status.FAILED:
            state = _STATE_OF_TEMPLATE.get(check.template or "")
            if state is not None:
                return state
    if result.outcome == Outcome.ISSUER_NOT_CONFIRMED:
        return "unconfirmed"
    return "unverified"


def status_unsettled(result: VerificationResult) -> bool:
    """True when the status check could not be made (the list was unreachable or not
    current): such a result says nothing new about a credential whose state was known."""
    check = result.check("status")
    return (
        check is not None
        and check.status == Status.FAILED
        and check.template in (m.STATUS_UNCHECKED, m.STATUS_LIST_STALE)
    )


_STATE_OF_TEMPLATE = {
    m.REVOKED: "revoked",
    m.OB2_REVOKED: "revoked",
    m.OB2_REVOKED_BECAUSE: "revoked",
    m.SUSPENDED: "suspended",
    m.EXPIRED: "expired",
}


def credential_name(credential: JsonObject, result: VerificationResult | None) -> str | None:
    """The achievement's name, else the credential's, else what the verifier summarised."""
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    for value in (
        achievement.get("name") if isinstance(achievement, dict) else None,
        credential.get("name"),
        (result.summary.get("achievement") if result is not None else None),
        (result.summary.get("name") if result is not None else None),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()[:500]
    return None


__all__ = ["credential_name", "state_of", "status_unsettled"]
