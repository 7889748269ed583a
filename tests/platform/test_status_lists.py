"""Published status lists: what the server serves, how it caches, how lists fill and grow."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from microcred.accounts.actor import SYSTEM
from microcred.crypto import proofs
from microcred.crypto.did import DidResolver
from microcred.crypto.statuslist import MIN_LENGTH, BitstringStatusList, check_status_entry
from microcred.errors import NotFoundError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.status.allocation import allocate_indices, list_length
from microcred.store.db import transaction
from microcred.store.tables import CredentialRow, StatusIndexRow, StatusListRow
from microcred.types import JsonObject
from tests.platform.conftest import FakeClock, IssuerFixture

START = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
MAX_AGE = 300  # the settings default the fixtures use


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def issue(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, count: int = 1
) -> list[CredentialRow]:
    requests = [
        IssueRequest(achievement_id=achievement_id, email=f"learner{i}@example.org")
        for i in range(count)
    ]
    return runtime.issuance.issue(SYSTEM, issuer.id, requests)


def list_path(issuer: IssuerFixture, purpose: str, seq: int = 1) -> str:
    return f"/status/{issuer.slug}/{purpose}/{seq}"


def entry(row: CredentialRow, purpose: str) -> JsonObject:
    entries = row.document["credentialStatus"]
    (found,) = [e for e in entries if e["statusPurpose"] == purpose]
    return dict(found)


def test_served_list_is_signed_and_has_exactly_the_revoked_bit(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    revoked, kept = issue(runtime, issuer, achievement_id, count=2)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, revoked.id, "duplicate award")

    response = client.get(list_path(issuer, "revocation"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vc+ld+json"
    document = response.json()
    assert document["id"] == entry(revoked, "revocation")["statusListCredential"]
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["issuer"] == issuer.did
    assert document["credentialSubject"]["statusPurpose"] == "revocation"
    bits = BitstringStatusList.decode(document["credentialSubject"]["encodedList"])
    assert bits.length >= MIN_LENGTH
    assert list(bits.iter_set()) == [revoked.status_index]

    # The signature checks out against the DID document the server publishes.
    did_document = client.get(f"/issuers/{issuer.slug}/did.json").json()
    verified = proofs.verify(document, DidResolver(documents={issuer.did: did_document}))
    assert verified.method.controller == issuer.did
    assert check_status_entry(entry(revoked, "revocation"), document).set
    assert not check_status_entry(entry(kept, "revocation"), document).set

    suspension = client.get(list_path(issuer, "suspension")).json()
    assert not list(
        BitstringStatusList.decode(suspension["credentialSubject"]["encodedList"]).iter_set()
    )


def test_cache_headers_etag_and_304(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    clock: FakeClock,
) -> None:
    (row,) = issue(runtime, issuer, achievement_id)
    path = list_path(issuer, "revocation")
    first = client.get(path)
    assert first.headers["cache-control"] == f"public, max-age={MAX_AGE}"
    etag = first.headers["etag"]
    assert len(etag) == 34
    assert etag[0] == etag[-1] == '"'
    document = first.json()
    assert document["validFrom"] == "2026-05-04T12:00:00Z"
    # Valid a little past the time it is re-signed, so a cached copy never dies in a cache.
    assert document["validUntil"] == "2026-05-04T12:07:00Z"

    clock.advance(seconds=100)
    kept = client.get(path)
    assert kept.json() == document  # the kept signature, not a new one
    assert kept.headers["etag"] == etag
    assert kept.headers["cache-control"] == f"public, max-age={MAX_AGE - 100}"

    not_modified = client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert not_modified.headers["cache-control"] == f"public, max-age={MAX_AGE - 100}"

    # A change is published at once, whatever the age of the kept signature.
    runtime.lifecycle.revoke(SYSTEM, issuer.id, row.id, "error")
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.headers["cache-control"] == f"public, max-age={MAX_AGE}"
    assert changed.json()["validFrom"] == "2026-05-04T12:01:40Z"  # when the bit changed

    # Unchanged but old: re-signed with a new window; validFrom still says since when.
    clock.advance(seconds=MAX_AGE)
    aged = client.get(path).json()
    assert aged["validFrom"] == "2026-05-04T12:01:40Z"
    assert aged["validUntil"] == "2026-05-04T12:13:40Z"
    assert aged["proof"]["created"] == "2026-05-04T12:06:40Z"


def test_a_rotated_key_signs_the_next_response(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (row,) = issue(runtime, issuer, achievement_id)
    before = client.get(list_path(issuer, "suspension")).json()
    method = runtime.issuers.rotate_key(SYSTEM, issuer.id)
    after = client.get(list_path(issuer, "suspension")).json()
    assert before["proof"]["verificationMethod"] != method
    assert after["proof"]["verificationMethod"] == method
    # The credential, signed with the retired key, still verifies from the store.
    result = runtime.verification.verifier().verify(row.document)
    assert result.verified, result.checks


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/status/nobody/revocation/1", 404),
        ("/status/alpha/revocation/2", 404),
        ("/status/alpha/message/1", 404),
        ("/status/alpha/revocation/0", 422),
        ("/status/alpha/revocation/abc", 422),
        ("/status/alpha/revocation/99999999999999999999", 422),
    ],
)
def test_unknown_lists_are_clear_4xx(
    client: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    path: str,
    status: int,
) -> None:
    issue(runtime, issuer, achievement_id)
    response = client.get(path)
    assert response.status_code == status, response.text
    assert "error" in response.json()


def test_signed_list_contract(runtime: Runtime, issuer: IssuerFixture, achievement_id: str) -> None:
    with pytest.raises(NotFoundError):
        runtime.status_lists.signed_list(issuer.slug, "revocation", 1)  # nothing issued yet
    issue(runtime, issuer, achievement_id)
    document = runtime.status_lists.signed_list(issuer.slug, "revocation", 1)
    assert document["id"] == runtime.urls.status_list(issuer.slug, "revocation", 1)
    assert "proof" in document


def test_indices_are_random_distinct_and_point_at_both_lists(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    rows = issue(runtime, issuer, achievement_id, count=40)
    indices = [r.status_index for r in rows]
    assert len(set(indices)) == 40
    assert all(0 <= i < MIN_LENGTH for i in indices)
    # 40 uniform picks out of 131,072 all within a span of 4,096 happen with p < 1e-50.
    assert max(indices) - min(indices) > 4096
    assert indices != sorted(indices)
    for row in rows:
        revocation, suspension = row.document["credentialStatus"]
        assert (
            revocation["statusListIndex"] == suspension["statusListIndex"] == str(row.status_index)
        )
        assert revocation["statusListCredential"].endswith(
            f"/status/alpha/revocation/{row.status_list_seq}"
        )
        assert suspension["statusListCredential"].endswith(
            f"/status/alpha/suspension/{row.status_list_seq}"
        )


def test_a_new_list_pair_starts_when_the_current_one_is_half_full(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (first,) = issue(runtime, issuer, achievement_id)
    assert first.status_list_seq == 1
    half = MIN_LENGTH // 2
    with transaction(runtime.sessions) as session:
        # Stand in for 65,534 more credentials: the count is what allocation goes by.
        session.execute(
            update(StatusListRow)
            .where(StatusListRow.issuer_id == issuer.id, StatusListRow.seq == 1)
            .values(allocated=half - 1)
        )
    last_of_one, first_of_two, second_of_two = issue(runtime, issuer, achievement_id, count=3)
    assert last_of_one.status_list_seq == 1
    assert first_of_two.status_list_seq == second_of_two.status_list_seq == 2

    with runtime.sessions() as session:
        lists = session.scalars(
            select(StatusListRow)
            .where(StatusListRow.issuer_id == issuer.id)
            .order_by(StatusListRow.seq, StatusListRow.purpose)
        ).all()
    assert [(r.seq, r.purpose, r.length) for r in lists] == [
        (1, "revocation", MIN_LENGTH),
        (1, "suspension", MIN_LENGTH),
        (2, "revocation", MIN_LENGTH),
        (2, "suspension", MIN_LENGTH),
    ]
    assert [r.allocated for r in lists if r.purpose == "revocation"] == [half, 2]

    runtime.lifecycle.suspend(SYSTEM, issuer.id, second_of_two.id, "check")
    served = client.get(list_path(issuer, "suspension", 2)).json()
    bits = BitstringStatusList.decode(served["credentialSubject"]["encodedList"])
    assert list(bits.iter_set()) == [second_of_two.status_index]
    assert not runtime.verification.verifier().verify(second_of_two.document).verified
    result = runtime.verification.verifier().verify(first_of_two.document)
    assert result.verified, result.checks


def test_lists_never_get_shorter_than_the_herd_privacy_minimum(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    assert list_length(1024) == MIN_LENGTH
    assert list_length(MIN_LENGTH + 3) == MIN_LENGTH + 8
    with transaction(runtime.sessions) as session:
        picked = allocate_indices(session, issuer.id, 5, length=1024, now=START)
    assert {seq for seq, _ in picked} == {1}
    with runtime.sessions() as session:
        lengths = session.scalars(
            select(StatusListRow.length).where(StatusListRow.issuer_id == issuer.id)
        ).all()
        stored = session.scalars(select(StatusIndexRow.status_index)).all()
    assert lengths == [MIN_LENGTH, MIN_LENGTH]
    assert sorted(stored) == sorted(i for _, i in picked)


def test_the_verifier_never_uses_the_network_for_our_lists(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (row,) = issue(runtime, issuer, achievement_id)
    asked: list[str] = []

    def fetcher(url: str) -> bytes:
        asked.append(url)
        return json.dumps({"id": url}).encode()

    result = runtime.verification.verifier(fetcher=fetcher).verify(row.document)
    assert result.verified, result.checks
    assert asked == []

    # A list URL under our base that we do not have is not fetched elsewhere either.
    forged = json.loads(json.dumps(row.document))
    forged["credentialStatus"][0]["statusListCredential"] = (
        "https://badges.example.org/status/alpha/revocation/7"
    )
    result = runtime.verification.verifier(fetcher=fetcher).verify(forged)
    assert not result.verified
    assert asked == []


def test_concurrent_first_issuances_share_one_list_pair(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    # Nobody has a list yet, so every worker tries to start list 1 at the same moment.
    barrier = threading.Barrier(4)

    def work(worker: int) -> list[CredentialRow]:
        barrier.wait()
        requests = [
            IssueRequest(achievement_id=achievement_id, email=f"w{worker}-{i}@example.org")
            for i in range(5)
        ]
        return runtime.issuance.issue(SYSTEM, issuer.id, requests)

    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = [row for batch in pool.map(work, range(4)) for row in batch]
    assert len({(r.status_list_seq, r.status_index) for r in rows}) == 20
    assert {r.status_list_seq for r in rows} == {1}
    with runtime.sessions() as session:
        lists = session.scalars(
            select(StatusListRow).where(StatusListRow.issuer_id == issuer.id)
        ).all()
    assert sorted((r.seq, r.purpose) for r in lists) == [(1, "revocation"), (1, "suspension")]
    assert next(r.allocated for r in lists if r.purpose == "revocation") == 20
