"""The Open Badges API over the real wallet: a credential this server issued, pushed by an app
with ``credential.upsert`` (the wallet verifies it), read back with ``credential.readonly``.
Runs once the wallet service exists (microcred.wallet is written beside this feature)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from tests.platform.conftest import IssuerFixture
from tests.platform.learners_support import web
from tests.platform.obapi_support import register, sign_in

__all__ = ["web"]  # the fixture, imported

pytest.importorskip("microcred.wallet.service", reason="the wallet service is not written yet")


@pytest.fixture
def real_wallet(runtime: Runtime) -> None:
    wallet = getattr(runtime, "wallet", None)
    if wallet is None:
        pytest.skip("the runtime builds no wallet service yet")
    if runtime.obapi.wallet is None:  # until runtime.py hands the wallet to the API
        runtime.obapi.wallet = wallet


def test_an_app_pushes_and_reads_a_credential_in_the_real_wallet(
    runtime: Runtime,
    web: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
    real_wallet: None,
) -> None:
    sign_in(runtime, web, "ada@example.org")
    (issued,) = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement_id, email="ada@example.org", name="Ada")],
    )
    app = register(web)
    token = app.tokens()["access_token"]
    pushed = app.api("POST", "credentials", token, json=issued.document)
    assert pushed.status_code in (200, 201), pushed.text
    assert pushed.json() == issued.document
    listed = app.api("GET", "credentials", token)
    assert listed.status_code == 200, listed.text
    assert issued.document["id"] in [c["id"] for c in listed.json().get("credential", [])]
    total = listed.headers["x-total-count"]
    refused = app.api("POST", "credentials", token, json={"type": ["NotACredential"]})
    assert refused.status_code == 400
    assert (
        refused.json()["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        == "invalid_data"
    )
    assert app.api("GET", "credentials", token).headers["x-total-count"] == total
