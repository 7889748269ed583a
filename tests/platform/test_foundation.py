"""Settings, sealed keys, issuers, achievements and single issuance, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from pydantic import SecretStr

from microcred.accounts.actor import SYSTEM, Actor
from microcred.achievements.images import default_badge_svg
from microcred.crypto import proofs
from microcred.crypto.did import DidResolver
from microcred.crypto.sealing import Sealer
from microcred.errors import (
    ConflictError,
    InputError,
    ModelError,
    NotFoundError,
    PermissionDeniedError,
    SealingError,
)
from microcred.instance.service import set_public_url
from microcred.issuers.service import IssuerInput, IssuerService
from microcred.issuing.issuance import IssueRequest, add_months
from microcred.issuing.repository import CredentialFilter, CredentialRepository
from microcred.model import identity_matches, parse_credential
from microcred.model.identity import IdentityObject
from microcred.runtime import Runtime
from microcred.settings import DEVELOPMENT_SECRET, Settings
from microcred.store.db import migrate
from microcred.store.tables import Base
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, FakeClock, IssuerFixture

# ---- settings and sealing ----------------------------------------------------------------------


def test_production_refuses_the_default_master_secret(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="master secret") as caught:
        Settings(mode="production", data_dir=tmp_path)
    assert caught.value.found == "the development default"
    with pytest.raises(InputError, match="master secret"):
        Settings(mode="production", data_dir=tmp_path, master_secret="short")
    ok = Settings(mode="production", data_dir=tmp_path, master_secret="x" * 40)
    assert ok.master_secret.get_secret_value() != DEVELOPMENT_SECRET


def test_sealed_secret_opens_only_with_its_master_and_owner() -> None:
    sealer = Sealer("master one")
    sealed = sealer.seal(b"secret key", bound_to="did:web:a#k1")
    assert b"secret key" not in sealed
    assert sealer.open(sealed, bound_to="did:web:a#k1") == b"secret key"
    with pytest.raises(SealingError):
        sealer.open(sealed, bound_to="did:web:b#k1")
    with pytest.raises(SealingError):
        Sealer("master two").open(sealed, bound_to="did:web:a#k1")
    with pytest.raises(SealingError, match="not a sealed secret"):
        sealer.open(b"mc1short", bound_to="did:web:a#k1")


# ---- schema ------------------------------------------------------------------------------------


def test_migrations_match_the_models_and_rerun_cleanly(runtime: Runtime) -> None:
    migrate(runtime.engine)  # a second run is a no-op
    with runtime.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


# ---- issuers and keys --------------------------------------------------------------------------


def test_issuer_input_is_checked(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="slug"):
        runtime.issuers.create(SYSTEM, IssuerInput(slug="Bad Slug", name="X"))
    with pytest.raises(InputError, match="country") as caught:
        runtime.issuers.create(SYSTEM, IssuerInput(slug="ok", name="X", country="Germany"))
    assert caught.value.found == "'Germany'"
    runtime.issuers.create(SYSTEM, IssuerInput(slug="dup", name="X"))
    with pytest.raises(ConflictError):
        runtime.issuers.create(SYSTEM, IssuerInput(slug="dup", name="Y"))


def test_issuer_patch_refuses_what_would_break_signing(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}"
    for body, reason in [
        ({"name": None}, "name"),
        ({"address": {"x": {"y": 1}}}, "unknown issuer address fields"),
        ({"address": {"postalCode": 12345}}, "postalCode"),
    ]:
        answer = client.patch(url, json=body, headers=issuer.headers)
        assert answer.status_code == 422, answer.text
        assert reason in answer.json()["error"]["message"]
    ok = client.patch(url, json={"address": {"addressLocality": "Berlin"}}, headers=issuer.headers)
    assert ok.status_code == 200
    issued = client.post(
        f"{url}/credentials",
        json={"achievementId": achievement_id, "recipient": {"did": "did:example:a"}},
        headers=issuer.headers,
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["credential"]["issuer"]["address"]["addressLocality"] == "Berlin"


def test_only_the_operator_creates_issuers(runtime: Runtime, issuer: IssuerFixture) -> None:
    staff = Actor(issuer_id=issuer.id, name="staff:x", role="owner")
    with pytest.raises(PermissionDeniedError):
        runtime.issuers.create(staff, IssuerInput(slug="mine", name="Mine"))


def test_secret_keys_are_sealed_at_rest(runtime: Runtime, issuer: IssuerFixture) -> None:
    from sqlalchemy import select

    from microcred.store.tables import IssuerKeyRow

    with runtime.sessions() as session:
        row = session.scalars(select(IssuerKeyRow).where(IssuerKeyRow.issuer_id == issuer.id)).one()
        key_file = runtime.issuers.signing_key(session, issuer.id)
    assert key_file.key.secret_multibase.encode() not in row.sealed_secret
    other = Runtime(runtime.settings.model_copy(update={"master_secret": SecretStr("another" * 6)}))
    try:
        with other.sessions() as session, pytest.raises(SealingError):
            other.issuers.signing_key(session, issuer.id)
    finally:
        other.close()


def test_keys_still_open_after_the_public_url_changes(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    # A demo run on 127.0.0.1 moving to its real domain must keep its keys. The move is
    # deliberate (issue 20, defect 4): a process configured with another URL refuses to start.
    settings = runtime.settings.model_copy(update={"public_url": "https://new.example"})
    with pytest.raises(ConflictError, match="public-url set"):
        Runtime(settings)
    set_public_url(runtime.sessions, "https://new.example", runtime.clock())
    moved = Runtime(settings)
    try:
        (row,) = moved.issuance.issue(
            SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, did="did:example:a")]
        )
    finally:
        moved.close()
    assert row.document["issuer"]["id"] == "did:web:new.example:issuers:alpha"
    assert row.document["proof"]["verificationMethod"].startswith("did:web:new.example:")


def _verify_proof(runtime: Runtime, slug: str, document: dict[str, object]) -> str:
    resolver = DidResolver()
    resolver.add_document(runtime.issuers.did_document(slug))
    return proofs.verify(document, resolver).method.id


def test_key_rotation_new_credentials_use_new_key_old_ones_keep_verifying(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (old,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email="a@example.org")]
    )
    new_method = runtime.issuers.rotate_key(SYSTEM, issuer.id)
    (new,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email="b@example.org")]
    )
    assert new.document["proof"]["verificationMethod"] == new_method
    assert old.document["proof"]["verificationMethod"] != new_method
    assert (
        _verify_proof(runtime, issuer.slug, old.document)
        == old.document["proof"]["verificationMethod"]
    )
    assert _verify_proof(runtime, issuer.slug, new.document) == new_method
    document = runtime.issuers.did_document(issuer.slug)
    assert document["assertionMethod"][0] == new_method  # current key first
    assert len(document["verificationMethod"]) == 2


def test_profile_and_did_document_are_served(client: TestClient, issuer: IssuerFixture) -> None:
    did_doc = client.get(f"/issuers/{issuer.slug}/did.json")
    assert did_doc.status_code == 200
    assert did_doc.json()["id"] == issuer.did == "did:web:badges.example.org:issuers:alpha"
    profile = client.get(f"/issuers/{issuer.slug}").json()
    assert profile["id"] == issuer.did
    assert profile["address"]["addressCountryCode"] == "DE"
    assert client.get("/issuers/nobody/did.json").status_code == 404


# ---- achievements ------------------------------------------------------------------------------


def test_achievement_errors_name_the_field(runtime: Runtime, issuer: IssuerFixture) -> None:
    bad = {**SIMPLE_ACHIEVEMENT, "eqfLevel": "http://data.europa.eu/snb/eqf/9"}
    with pytest.raises(ModelError) as caught:
        runtime.achievements.create(SYSTEM, issuer.id, bad)
    assert "eqfLevel" in str(caught.value)
    with pytest.raises(InputError, match="validityMonths"):
        runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT, validity_months=0)


def test_editing_an_achievement_leaves_issued_credentials_alone(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (before,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, did="did:example:ada")]
    )
    renamed = {**SIMPLE_ACHIEVEMENT, "name": "Advanced Data Analysis"}
    row = runtime.achievements.update(SYSTEM, issuer.id, achievement_id, data=renamed)
    assert row.version == 2
    stored = runtime.credentials.get(SYSTEM, issuer.id, before.id)
    assert stored.document == before.document
    assert stored.document["credentialSubject"]["achievement"]["name"] == (
        "Data Analysis with Python"
    )
    (after,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, did="did:example:bob")]
    )
    assert after.document["credentialSubject"]["achievement"]["name"] == "Advanced Data Analysis"
    assert after.achievement_version == 2


def test_uploaded_svg_is_sanitised_and_served_with_a_sandbox(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    hostile = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
        b'<circle r="4" onload="alert(2)"/></svg>'
    )
    response = client.put(
        f"/api/v1/issuers/{issuer.id}/achievements/{achievement_id}/image",
        content=hostile,
        headers=issuer.headers,
    )
    assert response.status_code == 200, response.text
    image = client.get(f"/achievements/{achievement_id}/image")
    assert image.headers["content-type"].startswith("image/svg+xml")
    assert b"script" not in image.content
    assert b"onload" not in image.content
    assert "sandbox" in image.headers["content-security-policy"]
    not_an_image = client.put(
        f"/api/v1/issuers/{issuer.id}/achievements/{achievement_id}/image",
        content=b"GIF89a....",
        headers=issuer.headers,
    )
    assert not_an_image.status_code == 422
    assert not_an_image.json()["error"]["code"] == "invalid_input"


def test_default_badge_escapes_names() -> None:
    svg = default_badge_svg('<script>alert("x")</script> & more', "Evil <b>Inc</b>")
    assert b"<script>" not in svg
    assert b"<b>" not in svg
    assert b"&lt;script&gt;" in svg


# ---- issuance ----------------------------------------------------------------------------------


def test_issued_credential_hides_the_email_and_matches_it(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (row,) = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement_id, email="Ada.Lovelace@Example.org", name="Ada")],
    )
    text = str(row.document).lower()
    assert "ada.lovelace@example.org" not in text
    parse_credential(row.document)
    identity = IdentityObject.model_validate(row.document["credentialSubject"]["identifier"][0])
    assert identity_matches(identity, "ada.lovelace@example.org")
    assert row.document["issuer"]["id"] == issuer.did
    assert row.document["validUntil"]  # the achievement's 24-month rule
    assert row.valid_until == add_months(row.valid_from, 24)
    entries = row.document["credentialStatus"]
    assert {e["statusPurpose"] for e in entries} == {"revocation", "suspension"}
    assert {e["statusListIndex"] for e in entries} == {str(row.status_index)}
    assert _verify_proof(runtime, issuer.slug, row.document)
    # Stored as signed, key order included (PostgreSQL's JSONB would reorder it).
    stored = runtime.credentials.get_public(row.id).document
    assert json.dumps(stored) == json.dumps(row.document)


def test_idempotency_keys_issue_once_across_and_within_calls(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    requests = [
        IssueRequest(achievement_id=achievement_id, email=f"p{i}@example.org", idempotency_key=k)
        for i, k in enumerate(["a", "b", "a", "c"])
    ]
    first = runtime.issuance.issue_reporting(SYSTEM, issuer.id, requests)
    assert [created for _row, created in first] == [True, True, False, True]
    assert first[0][0].id == first[2][0].id
    again = runtime.issuance.issue_reporting(SYSTEM, issuer.id, requests)
    assert [created for _row, created in again] == [False] * 4
    assert [r.id for r, _ in again] == [r.id for r, _ in first]
    with runtime.sessions() as session:
        _rows, total = CredentialRepository(session).list(issuer.id)
    assert total == 3


def test_status_indices_are_random_and_distinct(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    rows = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement_id, did=f"did:example:{i}") for i in range(60)],
    )
    indices = [r.status_index for r in rows]
    assert len(set(indices)) == 60
    assert indices != sorted(indices)  # not handed out in order (chance of failure ~ 1/60!)
    assert max(indices) > 1000  # spread over the 131,072 entries, not packed at the start


def test_bad_recipients_are_refused_with_reasons(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    with pytest.raises(InputError, match="e-mail address or a DID"):
        runtime.issuance.issue(SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id)])
    with pytest.raises(InputError, match="not an address") as caught:
        runtime.issuance.issue(
            SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email="nobody")]
        )
    assert caught.value.found == "'nobody'"
    with pytest.raises(NotFoundError, match="achievement"):
        runtime.issuance.issue(
            SYSTEM, issuer.id, [IssueRequest(achievement_id="nope", email="a@example.org")]
        )


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    start = datetime(2024, 1, 31, 12, tzinfo=UTC)
    assert add_months(start, 1) == datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert add_months(start, 13) == datetime(2025, 2, 28, 12, tzinfo=UTC)
    assert add_months(start, 24) == datetime(2026, 1, 31, 12, tzinfo=UTC)


# ---- repositories: one issuer never sees another's rows -----------------------------------------


def test_repositories_scope_every_read_to_the_issuer(
    runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture, achievement_id: str
) -> None:
    rows = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [
            IssueRequest(achievement_id=achievement_id, email="ada@example.org", name="Ada Byron"),
            IssueRequest(achievement_id=achievement_id, email="bob@example.org", name="Bob 100%_"),
        ],
    )
    with runtime.sessions() as session:
        repository = CredentialRepository(session)
        assert repository.get(other_issuer.id, rows[0].id) is None
        assert repository.list(other_issuer.id) == ([], 0)
        found, total = repository.list(issuer.id, CredentialFilter(search="byron"))
        assert total == 1
        assert found[0].id == rows[0].id
        # LIKE wildcards in the search are literal characters, not patterns.
        found, total = repository.list(issuer.id, CredentialFilter(search="100%_"))
        assert total == 1
        assert found[0].id == rows[1].id
        _found, total = repository.list(issuer.id, CredentialFilter(search="b%_"))
        assert total == 0
        page, total = repository.list(issuer.id, offset=1, limit=1)
        assert total == 2
        assert len(page) == 1
    with pytest.raises(NotFoundError):
        runtime.achievements.get(
            Actor(other_issuer.id, "api-key:x", "owner"), issuer.id, achievement_id
        )


# ---- API basics --------------------------------------------------------------------------------


def test_api_needs_a_valid_key(client: TestClient, runtime: Runtime, issuer: IssuerFixture) -> None:
    url = f"/api/v1/issuers/{issuer.id}"
    missing = client.get(url)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthenticated"
    assert client.get(url, headers={"Authorization": "Bearer mc_nope_nope"}).status_code == 401
    assert client.get(url, headers=issuer.headers).status_code == 200
    keys = runtime.issuers.list_api_keys(SYSTEM, issuer.id)
    runtime.issuers.revoke_api_key(SYSTEM, issuer.id, keys[0].id)
    assert client.get(url, headers=issuer.headers).status_code == 401


def test_api_key_use_is_recorded_at_most_once_a_minute(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    service = IssuerService(runtime.sessions, sealer=runtime.sealer, urls=runtime.urls, clock=clock)

    def last_used() -> datetime | None:
        return service.list_api_keys(SYSTEM, issuer.id)[0].last_used_at

    assert service.authenticate(issuer.token) is not None
    first = last_used()
    assert first == clock.now
    clock.advance(seconds=30)
    assert service.authenticate(issuer.token) is not None
    assert last_used() == first  # no write for a use seconds after the last
    clock.advance(minutes=2)
    assert service.authenticate(issuer.token) is not None
    assert last_used() == clock.now


def test_api_issue_validates_and_reports_json_errors(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    url = f"/api/v1/issuers/{issuer.id}/credentials"
    wrong_type = client.post(
        url, json={"achievementId": achievement_id, "recipient": "ada"}, headers=issuer.headers
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["error"]["code"] == "invalid_request"
    no_recipient = client.post(
        url, json={"achievementId": achievement_id, "recipient": {}}, headers=issuer.headers
    )
    assert no_recipient.status_code == 422
    assert "e-mail address or a DID" in no_recipient.json()["error"]["message"]
    ok = client.post(
        url,
        json={"achievementId": achievement_id, "recipient": {"did": "did:example:ada"}},
        headers={**issuer.headers, "Idempotency-Key": "hdr-1"},
    )
    assert ok.status_code == 201
    listed = client.get(url, params={"q": "did:"}, headers=issuer.headers)
    assert listed.status_code == 200
    assert listed.json()["total"] == 0  # search covers names and e-mails, not DIDs
    page = client.get(url, headers=issuer.headers).json()
    assert page["total"] == 1
    assert page["items"][0]["id"] == ok.json()["id"]


def test_issuer_logo_is_checked_and_served(client: TestClient, issuer: IssuerFixture) -> None:
    missing = client.get(f"/issuers/{issuer.slug}/logo")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    url = f"/api/v1/issuers/{issuer.id}/logo"
    assert client.put(url, content=b"GIF89a", headers=issuer.headers).status_code == 422
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script><rect width="1"/></svg>'
    assert client.put(url, content=svg, headers=issuer.headers).status_code == 204
    served = client.get(f"/issuers/{issuer.slug}/logo")
    assert served.headers["content-type"].startswith("image/svg+xml")
    assert b"script" not in served.content
    profile = client.get(f"/issuers/{issuer.slug}").json()
    assert profile["image"]["id"].endswith(f"/issuers/{issuer.slug}/logo")
    assert profile["@context"][0] == "https://www.w3.org/ns/credentials/v2"
