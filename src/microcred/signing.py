"""Sign a credential with one of the proof formats we issue.

The one rule on top of the proof formats: the issuer is the key's controller. A credential
without an issuer gets the key's DID; one whose issuer differs from it is refused, because a
verifier would reject it anyway (the key-to-issuer binding check).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from microcred.crypto import jose, proofs
from microcred.crypto.keys import KeyFile
from microcred.errors import InputError, ProofError, short
from microcred.types import JsonObject

# eddsa-2022: the draft name of eddsa-rdfc-2022 (same steps), for verifiers that know only it.
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "eddsa-2022", "vc-jwt")


def with_issuer(credential: Mapping[str, Any], issuer_did: str) -> JsonObject:
    """The credential with its issuer set to ``issuer_did`` (refused if it names another)."""
    if not isinstance(credential, Mapping):
        raise InputError("credential is not a JSON object", found=type(credential).__name__)
    issuer = credential.get("issuer")
    if issuer is None:
        result: JsonObject = {}
        for k, v in credential.items():
            result[k] = v
            if k == "type":
                result["issuer"] = issuer_did
        result.setdefault("issuer", issuer_did)
        return result
    if isinstance(issuer, Mapping):
        current = issuer.get("id")
        if current is None:
            return {**credential, "issuer": {"id": issuer_did, **issuer}}
    else:
        current = issuer
    if current != issuer_did:
        raise InputError(
            "the credential's issuer is not the signing key's DID",
            expected=issuer_did,
            found=short(current),
        )
    return dict(credential)


def sign_credential(
    credential: Mapping[str, Any],
    key_file: KeyFile,
    *,
    suite: str = "eddsa-rdfc-2022",
    created: datetime | None = None,
) -> JsonObject | str:
    """The signed credential (a dict), or for ``vc-jwt`` the compact JWT."""
    if suite not in SUITES:
        raise ProofError("unknown proof suite", expected=" | ".join(SUITES), found=short(suite))
    document = with_issuer(credential, key_file.controller)
    if suite == "vc-jwt":
        return jose.sign_jwt(document, key_file.key, kid=key_file.verification_method)
    return proofs.sign(
        document,
        key_file.key,
        verification_method=key_file.verification_method,
        cryptosuite=suite,  # type: ignore[arg-type]
        created=created,
    )
