"""Status entries others issue: numeric indices, wide statuses with messages, lists secured as
VC-JWTs, the legacy 1EdTech revocation list, and lists signed with a key their issuer lacks."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from microcred.crypto import jose, proofs
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.statuslist import BitstringStatusList, status_entry, status_list_credential
from microcred.errors import FetchError
from microcred.samples import sample_credential
from microcred.verify import Status, Verifier

KEY = KeyFile.for_did_key(SigningKey.generate())
LIST_URL = "https://issuer.example/status/1"
REVOCATIONS_URL = "https://issuer.example/api/revocations/1"
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
MESSAGES = [
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "pending review"},
    {"status": "0x2", "message": "under investigation"},
    {"status": "0x3", "message": "withdrawn"},
]


def clock() -> datetime:
    return NOW


def sign(document: dict[str, Any], key: KeyFile = KEY) -> dict[str, Any]:
    return proofs.sign(document, key.key, verification_method=key.verification_method)


def unsigned_list(bits: BitstringStatusList, purpose: str = "revocation") -> dict[str, Any]:
    listed = status_list_credential(
        id=LIST_URL,
        issuer=KEY.controller,
        status_purpose="revocation",
        status_list=bits,
        valid_from=NOW - timedelta(days=1),
    )
    listed["credentialSubject"]["statusPurpose"] = purpose
    return listed


def credential_with(status: Any, **changes: Any) -> dict[str, Any]:
    document = sample_credential(issuer_id=KEY.controller, status=status)
    document.update(changes)
    return sign(document)


def verify(document: Any, **lists: Any) -> Any:
    return Verifier(clock=clock, status_lists=lists.get("lists", {})).verify(document)


def test_a_numeric_status_list_index_is_read_like_its_string() -> None:
    bits = BitstringStatusList()
    bits.set(1234, True)
    entry = {**status_entry(list_url=LIST_URL, index=1234, purpose="revocation")}
    entry["statusListIndex"] = 1234
    result = verify(credential_with(entry), lists={LIST_URL: sign(unsigned_list(bits))})
    assert result.check("status").status == Status.FAILED
    assert "revoked" in result.check("status").message
    entry["statusListIndex"] = 1235
    assert verify(credential_with(entry), lists={LIST_URL: sign(unsigned_list(bits))}).verified


def _message_entry(index: int) -> dict[str, Any]:
    entry = status_entry(list_url=LIST_URL, index=index, purpose="revocation")
    entry.update(statusPurpose="message", statusSize=2, statusMessage=MESSAGES)
    return entry


def test_a_two_bit_message_status_is_shown_with_the_issuers_message() -> None:
    bits = BitstringStatusList()
    bits.set_value(20, 2, 2)
    lists = {LIST_URL: sign(unsigned_list(bits, "message"))}
    result = verify(credential_with(_message_entry(20)), lists=lists)
    assert result.verified  # a message is information, not a verdict
    check = result.check("status")
    assert check.status == Status.PASSED
    assert check.message == "the issuer's status for this credential is 0x2: under investigation"
    plain = verify(credential_with(_message_entry(21)), lists=lists)
    assert plain.check("status").message == "the issuer's status for this credential is 0x0: valid"


def test_a_message_entry_beside_a_revocation_entry_is_its_own_check() -> None:
    revocation_bits = BitstringStatusList()
    message_bits = BitstringStatusList()
    message_bits.set_value(5, 2, 3)
    message_url = "https://issuer.example/status/messages"
    message_list = unsigned_list(message_bits, "message")
    message_list["id"] = message_url
    message_list["credentialSubject"]["id"] = message_url + "#list"
    entry = _message_entry(5)
    entry.update(id=message_url + "#5", statusListCredential=message_url)
    status = [status_entry(list_url=LIST_URL, index=5, purpose="revocation"), entry]
    lists = {LIST_URL: sign(unsigned_list(revocation_bits)), message_url: sign(message_list)}
    result = verify(credential_with(status), lists=lists)
    assert result.verified
    assert result.check("status").message == "not revoked (status list checked)"
    assert "withdrawn" in result.check("status message").message


def test_a_wide_entry_without_its_messages_cannot_be_checked() -> None:
    entry = _message_entry(3)
    del entry["statusMessage"]
    lists = {LIST_URL: sign(unsigned_list(BitstringStatusList(), "message"))}
    result = verify(credential_with(entry), lists=lists)
    assert result.check("status").status == Status.FAILED
    assert "statusMessage is missing" in result.check("status").message
    assert not result.verified


def _jwt_list(bits: BitstringStatusList, key: KeyFile = KEY) -> str:
    return jose.sign_jwt(unsigned_list(bits), key.key, kid=key.verification_method)


def test_a_status_list_secured_as_a_vc_jwt_is_verified_and_read() -> None:
    bits = BitstringStatusList()
    bits.set(9, True)
    token = _jwt_list(bits)
    served: list[str] = []

    def fetcher(url: str) -> bytes:
        served.append(url)
        if url != LIST_URL:
            raise FetchError("not here", found=url)
        return token.encode()

    entry = status_entry(list_url=LIST_URL, index=9, purpose="revocation")
    result = Verifier(clock=clock, fetcher=fetcher).verify(credential_with(entry))
    assert served == [LIST_URL]
    assert result.check("status").message == "the issuer has revoked this credential"
    other = status_entry(list_url=LIST_URL, index=10, purpose="revocation")
    assert verify(credential_with(other), lists={LIST_URL: token}).verified


def test_a_tampered_vc_jwt_status_list_is_not_trusted() -> None:
    token = _jwt_list(BitstringStatusList())
    header, _payload, signature = token.split(".")
    forged_bits = BitstringStatusList()
    forged_bits.set(9, True)
    forged = jose.sign_jwt(unsigned_list(forged_bits), KEY.key, kid=KEY.verification_method)
    spliced = ".".join([header, forged.split(".")[1], signature])
    entry = status_entry(list_url=LIST_URL, index=9, purpose="revocation")
    result = verify(credential_with(entry), lists={LIST_URL: spliced})
    assert result.check("status").status == Status.FAILED
    assert "signature does not match" in result.check("status").message


def test_a_list_naming_our_issuer_but_signed_by_another_key_is_not_trusted() -> None:
    mallory = KeyFile.for_did_key(SigningKey.generate())
    entry = status_entry(list_url=LIST_URL, index=9, purpose="revocation")
    forged = sign(unsigned_list(BitstringStatusList()), mallory)  # issuer: ours; key: Mallory's
    result = verify(credential_with(entry), lists={LIST_URL: forged})
    assert result.check("status").status == Status.FAILED
    assert "a key its issuer" in result.check("status").message
    jwt_forged = _jwt_list(BitstringStatusList(), mallory)
    result = verify(credential_with(entry), lists={LIST_URL: jwt_forged})
    assert "a key its issuer" in result.check("status").message


def _revocable(credential_id: str) -> dict[str, Any]:
    document = sample_credential(issuer_id=KEY.controller, credential_id=credential_id)
    document["@context"] = [*document["@context"], EXTENSIONS]
    document["credentialStatus"] = {"id": REVOCATIONS_URL, "type": "1EdTechRevocationList"}
    return sign(document)


def test_the_1edtech_revocation_list_is_fetched_and_read() -> None:
    listing = {
        "id": REVOCATIONS_URL,
        "issuer": KEY.controller,
        "revokedCredentials": [{"id": "urn:uuid:gone", "revocationReason": "issued in error"}],
    }
    asked: list[str] = []

    def fetcher(url: str) -> bytes:
        asked.append(url)
        return json.dumps(listing).encode()

    revoked = Verifier(clock=clock, fetcher=fetcher).verify(_revocable("urn:uuid:gone"))
    assert asked == [REVOCATIONS_URL]
    assert revoked.check("status").message == (
        "the issuer has revoked this credential: issued in error"
    )
    assert not revoked.verified
    kept = Verifier(clock=clock, fetcher=fetcher).verify(_revocable("urn:uuid:kept"))
    assert kept.verified, kept.to_json()
    assert "not signed" in kept.check("status").message


def test_a_1edtech_revocation_list_from_another_issuer_is_not_trusted() -> None:
    listing = {"id": REVOCATIONS_URL, "issuer": "did:web:mallory.example", "revokedCredentials": []}
    result = verify(_revocable("urn:uuid:1"), lists={REVOCATIONS_URL: listing})
    assert result.check("status").status == Status.FAILED
    assert "another issuer" in result.check("status").message


# --- relatedResource digests, through the injected fetcher ----------------------------------------

RESOURCE_URL = "https://issuer.example/rubric.pdf"
RESOURCE = b"%PDF-1.7 the assessment rubric"


def _related(body: bytes = RESOURCE) -> dict[str, Any]:
    digest = base64.b64encode(hashlib.sha384(body).digest()).decode()
    return credential_with(
        None, relatedResource=[{"id": RESOURCE_URL, "digestSRI": f"sha384-{digest}"}]
    )


def _serving(body: bytes) -> Any:
    def fetcher(url: str) -> bytes:
        if url != RESOURCE_URL:
            raise FetchError("not here", found=url)
        return body

    return fetcher


def test_related_resources_are_fetched_and_compared_with_their_digests() -> None:
    matching = Verifier(clock=clock, fetcher=_serving(RESOURCE)).verify(_related())
    assert matching.verified, matching.to_json()
    assert matching.check("related resources").status == Status.PASSED
    changed = Verifier(clock=clock, fetcher=_serving(RESOURCE + b"!")).verify(_related())
    check = changed.check("related resources")
    assert check.status == Status.FAILED
    assert RESOURCE_URL in check.message
    assert "digestSRI" in check.message
    assert not changed.verified


def test_related_resources_are_not_fetched_offline_and_say_so() -> None:
    result = Verifier(clock=clock).verify(_related())
    assert result.check("related resources").status == Status.WARNING
    assert "offline" in result.check("related resources").message
    unreachable = Verifier(clock=clock, fetcher=_serving(RESOURCE)).verify(
        credential_with(
            None, relatedResource={"id": "https://elsewhere.example/x", "digestSRI": "sha384-AAAA"}
        )
    )
    assert unreachable.check("related resources").status == Status.FAILED
    assert "could not be checked" in unreachable.check("related resources").message
