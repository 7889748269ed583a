"""Defects 1 and 6 of issue 20 on the Open Badges API: a lone surrogate in a registration, a
profile or a pushed credential is refused in the API's own error shape, and nothing is stored; a
``since`` outside years 1-9999 in UTC is a 400."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from microcred.runtime import Runtime
from tests.platform.learners_support import web
from tests.platform.obapi_support import (
    App,
    ListWallet,
    credential,
    register,
    registration,
    sign_in,
)

__all__ = ["web"]  # the fixture, imported

LONE = "\ud800"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def wallet(runtime: Runtime) -> ListWallet:
    held = ListWallet()
    runtime.obapi.wallet = held
    return held


@pytest.fixture
def learner_id(runtime: Runtime, web: TestClient) -> str:
    return sign_in(runtime, web)


@pytest.fixture
def app(web: TestClient, learner_id: str) -> App:
    return register(web)


def test_a_registration_with_a_lone_surrogate_is_refused(web: TestClient) -> None:
    body = json.dumps(registration(client_name=f"Wallet {LONE}")).encode()
    answer = web.post("/ims/ob/v3p0/oauth/register", content=body, headers=JSON)
    assert answer.status_code == 400, answer.text


def test_a_profile_with_a_lone_surrogate_is_refused(
    runtime: Runtime, app: App, learner_id: str
) -> None:
    token = app.tokens()["access_token"]
    profile = app.api("GET", "profile", token).json()
    before = runtime.learners.get(learner_id).display_name
    body = json.dumps({**profile, "name": f"Ada {LONE}"}).encode()
    refused = app.api("PUT", "profile", token, content=body, headers=JSON)
    assert refused.status_code == 400, refused.text
    assert runtime.learners.get(learner_id).display_name == before


def test_a_pushed_credential_with_a_lone_surrogate_is_refused(
    app: App, wallet: ListWallet, learner_id: str
) -> None:
    token = app.tokens()["access_token"]
    body = json.dumps({**credential(3), "name": LONE}).encode()
    refused = app.api("POST", "credentials", token, content=body, headers=JSON)
    assert refused.status_code == 400, refused.text
    assert "surrogate" in refused.json()["imsx_description"]
    assert wallet.held.get(learner_id, []) == []


def test_since_past_year_9999_in_utc_is_refused(app: App) -> None:
    """Defect 6's issuedAfter case on the OB API's ``since``: a 400, not a 500."""
    token = app.tokens()["access_token"]
    for since in ("9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00"):
        answer = app.api("GET", "credentials", token, params={"since": since})
        assert answer.status_code == 400, answer.text
        assert "since" in answer.json()["imsx_description"]
    fine = app.api("GET", "credentials", token, params={"since": "9999-12-31T09:00:00-14:00"})
    assert fine.status_code == 200, fine.text
