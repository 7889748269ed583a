"""VC-API issue beyond the defaults: text with a base direction, a status entry the options ask
for (and the list it points at, served here), eddsa-jcs-2022 and VC-JWT on request, and numbers
that would not read back the same refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

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
