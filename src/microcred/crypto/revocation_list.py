"""The legacy 1EdTech Revocation List status method (``1EdTechRevocationList``, VCRL 1.0).

The entry is ``{"id": <list URL>, "type": "1EdTechRevocationList"}``. The list served at that
URL is plain JSON, not a credential: ``{"id", "issuer", "revokedCredentials": [{"id",
"revocationReason"?}]}``. A credential is revoked when its ``id`` is in ``revokedCredentials``.

Unlike a Bitstring Status List it carries no proof, and it names the credential it revokes, so
the issuer learns which credential is checked. The verifier says both in its result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microcred.crypto.statuslist import StatusCheck
from microcred.errors import StatusListError, short

ENTRY_TYPE = "1EdTechRevocationList"
MAX_REVOKED = 1_000_000


def list_url(entry: Mapping[str, Any]) -> str:
    """The URL the entry's ``id`` names, where its revocation list is served."""
    url = entry.get("id")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise StatusListError(
            "1EdTechRevocationList entry names no list URL",
            expected="id: an http(s) URL",
            found=short(url),
        )
    return url


def check_revocation_list(
    entry: Mapping[str, Any],
    document: Any,
    *,
    credential_id: Any,
    issuer_id: str,
) -> StatusCheck:
    """Whether ``document`` (the list the entry names) revokes the credential ``credential_id``."""
    url = list_url(entry)
    if not isinstance(credential_id, str) or not credential_id:
        raise StatusListError(
            "a credential without an id cannot be looked up in a 1EdTech revocation list",
            expected="the credential's id",
            found=short(credential_id),
        )
    if not isinstance(document, Mapping):
        raise StatusListError(
            "the revocation list is not a JSON object", expected="object", found=short(document)
        )
    if document.get("id") != url:
        raise StatusListError(
            "the revocation list is not the one the entry points at",
            expected=f"id {url}",
            found=f"id {short(document.get('id'))}",
        )
    listed_issuer = document.get("issuer")
    if isinstance(listed_issuer, Mapping):
        listed_issuer = listed_issuer.get("id")
    if listed_issuer != issuer_id:
        raise StatusListError(
            "the revocation list is published by another issuer than the credential's",
            expected=f"issuer {issuer_id}",
            found=f"issuer {short(listed_issuer)}",
        )
    revoked = document.get("revokedCredentials", [])
    if not isinstance(revoked, list) or len(revoked) > MAX_REVOKED:
        raise StatusListError(
            "revokedCredentials is not a list",
            expected=f"a list of at most {MAX_REVOKED} {{id, revocationReason}}",
            found=short(revoked),
        )
    for item in revoked:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            raise StatusListError(
                "a revokedCredentials entry has no id",
                expected="{id: <credential id>, revocationReason?}",
                found=short(item),
            )
        if item["id"] == credential_id:
            reason = item.get("revocationReason")
            explained = reason if isinstance(reason, str) and reason else None
            message = "The issuer has revoked this credential." + (
                f" Reason: {explained}" if explained else ""
            )
            return StatusCheck("revocation", 0, True, message, 1, explained)
    return StatusCheck("revocation", 0, False, "Not revoked.")
