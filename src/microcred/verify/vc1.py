"""VC Data Model 1.1 credentials, read as their 2.0 equivalent for the OB 3.0 model.

Open Badges 3.0.0-3.0.2 were published on VC 1.1 (``https://www.w3.org/2018/credentials/v1``,
``issuanceDate``, ``expirationDate``), and many credentials in the wild still are. Their proof
covers the document as it is; only the model check reads a 2.0 view of it, where the dates take
their 2.0 names, so that one OB 3.0 model serves both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microcred.errors import ModelError
from microcred.types import JsonObject

VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_RENAMES = {"issuanceDate": "validFrom", "expirationDate": "validUntil"}


def is_vc1(credential: Mapping[str, Any]) -> bool:
    """True when the credential's first context is VC 1.1's."""
    context = credential.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    return first == VC_V1_CONTEXT


def validity_names(credential: Mapping[str, Any]) -> tuple[str, str]:
    """The names of the start and end of the validity period this credential uses."""
    if is_vc1(credential) and "validFrom" not in credential:
        return "issuanceDate", "expirationDate"
    return "validFrom", "validUntil"


def as_vc2(credential: Mapping[str, Any]) -> JsonObject:
    """The 2.0 view of a VC 1.1 credential, for the model check only (never signed or shown).

    VC 1.1 requires ``issuanceDate``; a credential without it is refused here with the field
    named, as the model would name a missing ``validFrom``.
    """
    if "issuanceDate" not in credential:
        raise ModelError(
            "a VC 1.1 credential must have an issuanceDate",
            field="issuanceDate",
            expected="an xsd:dateTime",
            found="(absent)",
        )
    view: JsonObject = {}
    for name, value in credential.items():
        if name == "@context":
            value = [VC_V2_CONTEXT, *value[1:]] if isinstance(value, list) else [VC_V2_CONTEXT]
        view[_RENAMES.get(name, name)] = value
    return view
