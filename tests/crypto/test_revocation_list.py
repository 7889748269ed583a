"""The legacy 1EdTech Revocation List status method: who is revoked, and lists not to trust."""

from __future__ import annotations

from typing import Any

import pytest

from microcred.crypto.revocation_list import check_revocation_list
from microcred.errors import StatusListError

URL = "https://issuer.example/api/revocations/1"
ISSUER = "did:web:issuer.example"
ENTRY = {"id": URL, "type": "1EdTechRevocationList"}


def revocations(*revoked: dict[str, Any], **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"id": URL, "issuer": ISSUER, "revokedCredentials": list(revoked)}
    document.update(changes)
    return document


def test_a_listed_credential_is_revoked_with_its_reason() -> None:
    listed = revocations(
        {"id": "urn:uuid:1", "revocationReason": "issued in error"}, {"id": "urn:uuid:2"}
    )
    first = check_revocation_list(ENTRY, listed, credential_id="urn:uuid:1", issuer_id=ISSUER)
    assert first.set
    assert first.purpose == "revocation"
    assert first.status_message == "issued in error"
    second = check_revocation_list(ENTRY, listed, credential_id="urn:uuid:2", issuer_id=ISSUER)
    assert second.set
    assert second.status_message is None
    other = check_revocation_list(ENTRY, listed, credential_id="urn:uuid:3", issuer_id=ISSUER)
    assert not other.set


@pytest.mark.parametrize(
    ("entry", "document", "credential_id", "text"),
    [
        ({"type": "1EdTechRevocationList"}, revocations(), "urn:uuid:1", "names no list URL"),
        (ENTRY, revocations(id="https://elsewhere.example/list"), "urn:uuid:1", "not the one"),
        (ENTRY, revocations(issuer="did:web:mallory.example"), "urn:uuid:1", "another issuer"),
        (ENTRY, revocations(issuer={"id": "did:web:m.example"}), "urn:uuid:1", "another issuer"),
        (ENTRY, revocations(revokedCredentials="urn:uuid:1"), "urn:uuid:1", "not a list"),
        (ENTRY, revocations("urn:uuid:1"), "urn:uuid:1", "has no id"),
        (ENTRY, [], "urn:uuid:1", "not a JSON object"),
        (ENTRY, revocations(), None, "without an id"),
    ],
)
def test_lists_that_say_nothing_reliable_are_refused(
    entry: dict[str, Any], document: Any, credential_id: Any, text: str
) -> None:
    with pytest.raises(StatusListError, match=text) as info:
        check_revocation_list(entry, document, credential_id=credential_id, issuer_id=ISSUER)
    assert info.value.expected is not None


def test_a_list_issued_as_an_object_with_the_right_id_is_accepted() -> None:
    listed = revocations(issuer={"id": ISSUER, "name": "Issuer"})
    assert not check_revocation_list(ENTRY, listed, credential_id="urn:x:1", issuer_id=ISSUER).set
