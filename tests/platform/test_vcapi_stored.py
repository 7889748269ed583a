"""What the VC-API signs is stored as the platform's own credentials are (issue 13): a row with
its status index, an audit event and a transparency-log entry, so the issuer's lifecycle routes
revoke or suspend it and verifiers then see it so. A credential that names no list for a
purpose cannot be moved that way (the bit would change nothing a verifier sees)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.errors import InputError
from microcred.runtime import Runtime
from microcred.store.log import SqlLogStore
from microcred.verify.log_check import issuance_entry, status_entry
from tests.platform.conftest import IssuerFixture
from tests.platform.test_vcapi import EXAMPLE, _issue, _verify

REVOCATION = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
BOTH = {"type": "BitstringStatusListEntry", "statusPurpose": ["revocation", "suspension"]}


@pytest.fixture
def vcapi_issuer(runtime: Runtime, issuer: IssuerFixture) -> IssuerFixture:
    runtime.settings.demo_issuer = issuer.slug
    return issuer


def issued(client: TestClient, issuer: IssuerFixture, **options: Any) -> tuple[Any, str]:
    """The signed credential and the id the platform stores it under (from Location)."""
    response = _issue(client, issuer, EXAMPLE, **options)
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    return response.json()["verifiableCredential"], urlsplit(location).path.rsplit("/", 1)[1]


def move(client: TestClient, issuer: IssuerFixture, row_id: str, action: str) -> Any:
    return client.post(
        f"/api/v1/issuers/{issuer.id}/credentials/{row_id}/{action}",
        json={"reason": "issued in error"},
        headers=issuer.headers,
    )


def status_of(client: TestClient, credential: Any) -> tuple[bool, Any]:
    body = _verify(client, credential).json()
    return body["verified"], next(r for r in body["results"] if r["name"] == "status")


@pytest.mark.parametrize("fmt", ["ldp", "vc+jwt"])
def test_a_vcapi_credential_is_stored_then_revoked_and_verifies_as_revoked(
    runtime: Runtime, client: TestClient, vcapi_issuer: IssuerFixture, fmt: str
) -> None:
    options: dict[str, Any] = {"credentialStatus": REVOCATION}
    if fmt == "vc+jwt":
        options["format"] = "vc+jwt"
    vc, row_id = issued(client, vcapi_issuer, **options)
    stored = client.get(
        f"/api/v1/issuers/{vcapi_issuer.id}/credentials/{row_id}", headers=vcapi_issuer.headers
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["credential"] == vc
    assert stored.json()["achievementId"] is None
    assert stored.json()["state"] == "active"
    assert client.get(f"/credentials/{row_id}").json() == vc  # its public JSON, as signed
    verified, status = status_of(client, vc)
    assert verified is True
    assert status["status"] == "passed", status

    revoked = move(client, vcapi_issuer, row_id, "revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    verified, status = status_of(client, vc)
    assert verified is False
    assert status["status"] == "failed"
    assert "revoked" in status["message"]

    # The log holds its issuance and its revocation, as for the platform's credentials.
    with runtime.sessions() as session:
        leaves = [leaf.entry for leaf in SqlLogStore(session).leaves_for_credential(row_id)]
    events = {e.action: e.at for e in runtime.audit.list(SYSTEM, vcapi_issuer.id).events}
    assert "vcapi.issued" in events
    url = runtime.urls.credential(row_id)
    assert leaves == [
        issuance_entry(vc),
        status_entry(url, "revoked", events["credential.revoked"]),
    ]


def test_suspension_and_reinstatement_of_a_vcapi_credential(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    vc, row_id = issued(client, vcapi_issuer, credentialStatus=BOTH)
    assert move(client, vcapi_issuer, row_id, "suspend").status_code == 200
    verified, status = status_of(client, vc)
    assert verified is False
    assert "suspended" in status["message"], status
    assert move(client, vcapi_issuer, row_id, "reinstate").status_code == 200
    verified, status = status_of(client, vc)
    assert verified is True, status


def test_a_move_the_credential_names_no_list_for_is_refused(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    _vc, bare = issued(client, vcapi_issuer)
    refused = move(client, vcapi_issuer, bare, "revoke")
    assert refused.status_code == 409, refused.text
    assert "names no revocation status list" in refused.text
    _vc, revocable = issued(client, vcapi_issuer, credentialStatus=REVOCATION)
    refused = move(client, vcapi_issuer, revocable, "suspend")
    assert refused.status_code == 409, refused.text
    assert "names no suspension status list" in refused.text
    listed = client.get(
        f"/api/v1/issuers/{vcapi_issuer.id}/credentials/{revocable}", headers=vcapi_issuer.headers
    )
    assert listed.json()["state"] == "active"  # nothing half-done


def test_its_public_page_and_downloads_work_without_an_achievement(
    client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    _vc, row_id = issued(client, vcapi_issuer, credentialStatus=REVOCATION)
    page = client.get(f"/credentials/{row_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    for suffix in ("png", "svg"):
        assert client.get(f"/credentials/{row_id}/badge.{suffix}").status_code == 200


def test_the_console_lists_and_shows_it(runtime: Runtime, vcapi_issuer: IssuerFixture) -> None:
    from microcred.web.app import create_app
    from tests.platform.test_pages import sign_in, staff

    with TestClient(create_app(runtime), base_url="https://testserver") as web:
        _vc, row_id = issued(web, vcapi_issuer, credentialStatus=REVOCATION)
        sign_in(web, staff(runtime, vcapi_issuer))
        dashboard = web.get("/console")  # lists the latest credentials
        assert dashboard.status_code == 200, dashboard.text
        assert f"/console/credentials/{row_id}" in dashboard.text
        page = web.get(f"/console/credentials/{row_id}")
        assert page.status_code == 200, page.text
        assert f"<h1>{row_id}</h1>" in page.text  # no achievement, no name: its id


def test_a_vcapi_credential_cannot_be_exported_as_an_edc(
    runtime: Runtime, client: TestClient, vcapi_issuer: IssuerFixture
) -> None:
    """It has no achievement of ours, so no EU elements to map: a clear refusal, not a 500."""
    _, row_id = issued(client, vcapi_issuer, credentialStatus=REVOCATION)
    runtime.europass.set_legal_identifier(SYSTEM, vcapi_issuer.id, "DE123456789")
    with pytest.raises(InputError, match="no achievement defined here"):
        runtime.europass.export(SYSTEM, vcapi_issuer.id, row_id)
    response = client.get(
        f"/api/v1/issuers/{vcapi_issuer.id}/credentials/{row_id}/edc", headers=vcapi_issuer.headers
    )
    assert response.status_code == 422, response.text
