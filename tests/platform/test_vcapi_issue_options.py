"""VC-API issue beyond the defaults: text with a base direction, a status entry the options ask
for (and the list it points at, served here), eddsa-jcs-2022 and VC-JWT on request, and numbers
that would not read back the same refused."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from microcred.crypto import jose
from microcred.crypto.statuslist import BitstringStatusList
from microcred.runtime import Runtime
from tests.platform.conftest import IssuerFixture
from tests.platform.test_vcapi import EXAMPLE, _issue, _verify

DIRECTED = {
    **EXAMPLE,
    "name": [
        {"@value": "\u0634\u0647\u0627\u062f\u0629", "@language": "ar", "@direction": "rtl"},
        {"@value": "Alumni credential", "@language": "en", "@direction": "ltr"},
    ],
    "description": {"@value": "\u05ea\u05e2\u05d5\u05d3\u05d4", "@direction": "rtl"},
}


@pytest.fixture
def vcapi_issuer(runtime: Runtime, issuer: IssuerFixture) -> IssuerFixture:
    runtime.settings.demo_issuer = issuer.slug
    return issuer


def issued(client: TestClient, issuer: IssuerFixture, credential: Any, **options: Any) -> Any:
    response = _issue(client, issuer, credential, **options)
    assert response.status_code == 201, response.text
    return response.json()["verifiableCredential"]


def test_text_with_a_base_direction_is_issued_and_its_direction_signed(
    runtime: Runtime, client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    vc = issued(client, vcapi_issuer, DIRECTED)
    assert vc["name"] == DIRECTED["name"]
    assert _verify(client, vc).json()["verified"] is True
    flipped = copy.deepcopy(vc)
    flipped["name"][0]["@direction"] = "ltr"
    body = _verify(client, flipped).json()
    assert body["verified"] is False
    assert any(error.startswith("proof:") for error in body["errors"])


def test_a_status_entry_is_attached_as_the_options_ask_and_its_list_served(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    options = {
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
    }
    vc = issued(client, vcapi_issuer, EXAMPLE, **options)
    entry = vc["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    assert int(entry["statusListIndex"]) >= 0
    served = client.get(urlsplit(entry["statusListCredential"]).path)
    assert served.status_code == 200, served.text
    listed = served.json()
    assert listed["id"] == entry["statusListCredential"]
    assert "BitstringStatusListCredential" in listed["type"]
    assert listed["credentialSubject"]["statusPurpose"] == "revocation"
    assert BitstringStatusList.decode(listed["credentialSubject"]["encodedList"]).length >= 131072
    body = _verify(client, vc).json()
    assert body["verified"] is True, body
    status = next(r for r in body["results"] if r["name"] == "status")
    assert status["status"] == "passed"


def test_both_purposes_share_one_index_and_vc_1_1_gets_the_status_context(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    purposes = ["revocation", "suspension"]
    legacy = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": "urn:uuid:5e2b8c1d-3f4a-4b6c-9d7e-1a2b3c4d5e6f",
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"},
    }
    vc = issued(
        client,
        vcapi_issuer,
        legacy,
        credentialStatus={"type": "BitstringStatusListEntry", "statusPurpose": purposes},
    )
    assert [e["statusPurpose"] for e in vc["credentialStatus"]] == purposes
    assert len({e["statusListIndex"] for e in vc["credentialStatus"]}) == 1
    assert "https://www.w3.org/ns/credentials/status/v1" in vc["@context"]
    assert _verify(client, vc).json()["verified"] is True


def test_eddsa_jcs_2022_and_vc_jwt_on_request(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    jcs = issued(client, vcapi_issuer, EXAMPLE, cryptosuite="eddsa-jcs-2022")
    assert jcs["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert _verify(client, jcs).json()["verified"] is True
    tampered = copy.deepcopy(jcs)
    tampered["credentialSubject"]["alumniOf"]["name"] = "Other U"
    assert _verify(client, tampered).json()["verified"] is False

    envelope = issued(client, vcapi_issuer, EXAMPLE, format="vc+jwt")
    assert envelope["type"] == "EnvelopedVerifiableCredential"
    assert envelope["id"].startswith("data:application/vc+jwt,ey")
    token = envelope["id"].split(",", 1)[1]
    _header, payload = jose.decode_unverified(token)
    assert payload["credentialSubject"] == EXAMPLE["credentialSubject"]
    assert payload["issuer"] == vcapi_issuer.did
    assert _verify(client, envelope).json()["verified"] is True


def test_the_draft_name_eddsa_2022_on_request(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    """The same steps as eddsa-rdfc-2022 under its draft name, for verifiers that know only it
    (the reference verifies it: tests/interop/test_legacy_reference.py)."""
    vc = issued(client, vcapi_issuer, EXAMPLE, cryptosuite="eddsa-2022")
    assert vc["proof"]["type"] == "DataIntegrityProof"
    assert vc["proof"]["cryptosuite"] == "eddsa-2022"
    body = _verify(client, vc).json()
    assert body["verified"] is True, body
    proof = next(r for r in body["results"] if r["name"] == "proof")
    assert "eddsa-2022" in proof["message"]
    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["alumniOf"]["name"] = "Other U"
    assert _verify(client, tampered).json()["verified"] is False


@pytest.mark.parametrize(
    "options",
    [
        {"cryptosuite": "ecdsa-rdfc-2019"},
        {"format": "vc+jwt", "cryptosuite": "eddsa-rdfc-2022"},
        {"format": "mdoc"},
        {"credentialStatus": {"type": "StatusList2021Entry"}},
        {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "message"}},
        {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": []}},
        {"credentialStatus": "revocation"},
    ],
)
def test_options_that_cannot_be_honoured_are_refused(
    client: TestClient, vcapi_issuer: IssuerFixture, options: dict[str, Any]
) -> None:
    response = _issue(client, vcapi_issuer, EXAMPLE, **options)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["expected"]


def test_a_status_in_the_credential_and_in_the_options_is_refused(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    own = {
        **EXAMPLE,
        "credentialStatus": {"id": "https://example.org/status/1#3", "type": "ExampleStatus"},
    }
    options = {"credentialStatus": {"type": "BitstringStatusListEntry"}}
    response = _issue(client, vcapi_issuer, own, **options)
    assert response.status_code == 422
    assert "not both" in response.json()["error"]["expected"]


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (2**53 + 1, "beyond 2^53"),
        (-(2**60), "beyond 2^53"),
        (0.30000000000000004, "17 significant digits"),
        (1e-7, "without a decimal point"),
        (5e-10, "without a decimal point"),
    ],
)
def test_numbers_that_would_read_back_differently_are_refused(
    client: TestClient, vcapi_issuer: IssuerFixture, number: float, problem: str
) -> None:
    credential = copy.deepcopy(EXAMPLE)
    credential["credentialSubject"]["alumniOf"]["score"] = [1, number]
    credential["@context"] = [*EXAMPLE["@context"]]
    response = _issue(client, vcapi_issuer, credential)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert problem in error["message"]
    assert "credentialSubject.alumniOf.score[1]" in json.dumps(error)


def test_numbers_that_read_back_the_same_are_signed(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    credential = copy.deepcopy(EXAMPLE)
    credential["credentialSubject"]["alumniOf"]["score"] = [
        2**53 - 1,
        0.1,
        1.5e-7,
        1e-6,
        1e21,
        -0.0,
    ]
    vc = issued(client, vcapi_issuer, credential)
    assert _verify(client, vc).json()["verified"] is True
