"""The VC Data Model checks VC-API issue runs on an unsecured credential before signing it.

The issue route signs arbitrary credentials, not Open Badges, so the OB 3.0 model does not
apply; these are the VC 2.0 (and 1.1) rules a conforming issuer must not sign against: the
W3C VC Data Model 2.0 test suite sends one credential per rule and expects a refusal. Each
failure is a :class:`ModelError` naming the field, what was expected and what was found.

Digests of ``relatedResource`` entries are not compared with the resources: that needs
fetching them, and this server fetches nothing while signing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from microcred.crypto.jsonld import bundled_urls
from microcred.errors import ContextError, InputError, ModelError, short
from microcred.types import JsonObject

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
# An absolute IRI: a scheme, then no whitespace or characters RFC 3987 leaves out.
ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*")
# xsd:dateTimeStamp: a date-time that states its time zone.
DATE_TIME_STAMP = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
# Objects the data model requires to say their type (VC 2.0 section 4.5); credentialSchema
# also needs an id.
TYPED_OBJECTS = ("credentialStatus", "termsOfUse", "evidence", "refreshService", "credentialSchema")
MAX_CONTEXT_DEPTH = 8


def check_unsecured(credential: Any) -> JsonObject:
    """A copy of ``credential`` if it is an unsecured VC this server may sign; else an error."""
    if not isinstance(credential, Mapping):
        raise InputError(
            "credential is not a JSON object",
            expected="an unsecured credential object",
            found=type(credential).__name__,
        )
    document = dict(credential)
    _check_contexts(document.get("@context"))
    types = document.get("type")
    if "VerifiableCredential" not in _type_list(types, "type"):
        raise ModelError(
            "type must include VerifiableCredential",
            field="type",
            expected="['VerifiableCredential', ...]",
            found=short(types),
        )
    if "proof" in document:
        raise ModelError("the credential is already secured", field="proof", expected="no proof")
    if "id" in document:
        _check_url(document["id"], "id")
    _check_issuer(document)
    _check_subjects(document.get("credentialSubject"))
    _check_dates(document)
    for name in TYPED_OBJECTS:
        if name in document:
            for where, item in _objects(document[name], name):
                _type_list(item.get("type"), f"{where}.type")
                if "id" in item or name == "credentialSchema":
                    _check_url(item.get("id"), f"{where}.id")
    if "relatedResource" in document:
        _check_related(document["relatedResource"])
    _check_identifiers(document)
    return document


def _check_contexts(context: Any) -> None:
    contexts = context if isinstance(context, list) else [context]
    if not contexts or contexts[0] not in (VC_V2, VC_V1):
        raise ModelError(
            "the first @context must be the VC context",
            field="@context",
            expected=f"[{VC_V2!r}, ...]",
            found=short(context),
        )
    for index, item in enumerate(contexts):
        if isinstance(item, Mapping):
            _check_definitions(item, f"@context[{index}]", 0)
        elif not isinstance(item, str):
            raise ModelError(
                "a context is neither a URL nor an object",
                field=f"@context[{index}]",
                expected="a URL string or a context object",
                found=short(item),
            )
    unknown = [c for c in contexts if isinstance(c, str) and c not in bundled_urls()]
    if unknown:
        raise ContextError(
            "the credential uses a JSON-LD context this server does not hold (nothing is fetched)",
            expected="bundled contexts only",
            found=short(unknown),
        )


def _check_definitions(context: Mapping[str, Any], where: str, depth: int) -> None:
    """Terms an embedded context defines must map to absolute IRIs: a processor drops a term
    mapped to anything else from the signed statements without a word."""
    if depth > MAX_CONTEXT_DEPTH:
        raise ModelError("the context nests too deeply", field=where, expected="8 levels or fewer")
    for term, definition in context.items():
        if term.startswith("@"):
            continue
        target = definition.get("@id") if isinstance(definition, Mapping) else definition
        if isinstance(target, str) and not (target.startswith("@") or _is_iri(target)):
            raise ModelError(
                f"the term {short(term)} does not map to an absolute IRI",
                field=where,
                expected="an absolute IRI such as https://example.org/vocab#Term",
                found=short(target),
            )
        if isinstance(definition, Mapping) and isinstance(definition.get("@context"), Mapping):
            _check_definitions(definition["@context"], f"{where}.{term}", depth + 1)


def _check_issuer(document: Mapping[str, Any]) -> None:
    # Absent: the signer sets the configured issuer. Present, it must say who.
    if "issuer" not in document:
        return
    issuer = document["issuer"]
    if isinstance(issuer, Mapping):
        if "id" in issuer:
            _check_url(issuer["id"], "issuer.id")
        return
    if not isinstance(issuer, str):
        raise ModelError(
            "issuer must be a URL or an object",
            field="issuer",
            expected="a URL string, or an object whose id is a URL",
            found=short(issuer),
        )
    _check_url(issuer, "issuer")


def _check_subjects(subject: Any) -> None:
    subjects = subject if isinstance(subject, list) else [subject]
    if not subjects or not all(isinstance(s, Mapping) and s for s in subjects):
        raise ModelError(
            "credentialSubject must be a non-empty object or list of objects",
            field="credentialSubject",
            found=short(subject),
        )
    for index, item in enumerate(subjects):
        if "id" in item:
            where = f"[{index}]" if isinstance(subject, list) else ""
            _check_url(item["id"], f"credentialSubject{where}.id")


def _check_dates(document: Mapping[str, Any]) -> None:
    for name in ("validFrom", "validUntil", "issuanceDate", "expirationDate"):
        value = document.get(name)
        if value is not None and not (isinstance(value, str) and DATE_TIME_STAMP.fullmatch(value)):
            raise ModelError(
                "not a date-time with a time zone",
                field=name,
                expected="YYYY-MM-DDThh:mm:ssZ",
                found=short(value),
            )
    start, end = _instant(document.get("validFrom")), _instant(document.get("validUntil"))
    if start is not None and end is not None and end < start:
        raise ModelError(
            "validUntil is before validFrom",
            field="validUntil",
            expected=f"a date-time not before {document['validFrom']}",
            found=short(document["validUntil"]),
        )


def _check_related(value: Any) -> None:
    seen: set[str] = set()
    for where, item in _objects(value, "relatedResource"):
        _check_url(item.get("id"), f"{where}.id")
        if item["id"] in seen:
            raise ModelError(
                "the same resource is listed twice",
                field=f"{where}.id",
                expected="a different id for each related resource",
                found=short(item["id"]),
            )
        seen.add(item["id"])
        if not any(isinstance(item.get(k), str) for k in ("digestSRI", "digestMultibase")):
            raise ModelError(
                "a related resource needs a digest",
                field=where,
                expected="digestSRI or digestMultibase",
                found="neither",
            )


def _check_identifiers(document: Mapping[str, Any]) -> None:
    """Every node id, and every type written as a full IRI, anywhere in the credential must be an
    absolute IRI (or a blank node id). Our canonicalizer leaves a node with any other id out of
    the signed statements, where the reference refuses the document (safe mode)."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, list):
            stack.extend((f"{where}[{index}]", item) for index, item in enumerate(value))
            continue
        if not isinstance(value, Mapping):
            continue
        for key, item in value.items():
            if key == "@context":
                continue  # checked by _check_contexts
            path = f"{where}.{key}" if where else key
            if key in ("id", "@id") and isinstance(item, str) and not item.startswith("_:"):
                _check_url(item, path)
            elif key in ("type", "@type"):
                for kind in item if isinstance(item, list) else [item]:
                    if isinstance(kind, str) and ":" in kind and not _is_iri(kind):
                        raise ModelError(
                            "a type that is not a term is not an absolute IRI",
                            field=path,
                            expected="a term the contexts define, or an absolute IRI",
                            found=short(kind),
                        )
            stack.append((path, item))


def _objects(value: Any, name: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The objects of a property that holds one object or a non-empty list of them."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ModelError("an empty list", field=name, expected="one or more objects", found="[]")
    for index, item in enumerate(items):
        where = f"{name}[{index}]" if isinstance(value, list) else name
        if not isinstance(item, Mapping):
            raise ModelError("not an object", field=where, expected="an object", found=short(item))
        yield where, item


def _type_list(value: Any, where: str) -> list[str]:
    types = value if isinstance(value, list) else [value]
    if not types or not all(isinstance(t, str) and t for t in types):
        raise ModelError(
            "type must be a term or URL, or a list of them",
            field=where,
            expected="e.g. 'VerifiableCredential' or ['VerifiableCredential', ...]",
            found=short(value),
        )
    return types


def _check_url(value: Any, where: str) -> None:
    if not (isinstance(value, str) and _is_iri(value)):
        raise ModelError("not a URL", field=where, expected="one absolute URL", found=short(value))


def _is_iri(value: str) -> bool:
    return ABSOLUTE_IRI.fullmatch(value) is not None


def _instant(value: Any) -> datetime | None:
    """The time a dateTimeStamp names, or None where Python cannot read it (years past 9999)."""
    if not isinstance(value, str) or not DATE_TIME_STAMP.fullmatch(value):
        return None
    # fromisoformat takes at most microseconds: finer digits are dropped, so only times less
    # than a microsecond apart may compare equal.
    text = re.sub(r"(\.\d{6})\d+", r"\1", value)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


__all__ = ["check_unsecured"]
