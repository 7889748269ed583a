"""What a learner shows: visibility (private by default), collections, the public profile with
only what was made public, the expiry timeline, removal, and the showcase rows in the
learner's export and deletion."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.errors import ConflictError, InputError, NotFoundError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.tables import (
    CredentialRow,
    WalletCollectionEntryRow,
    WalletCollectionRow,
    WalletShareRow,
)
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture
from tests.platform.test_wallet_service import CLR, foreign_jwt
from tests.platform.wallet_support import make_learner


def issue(
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    email: str,
    *,
    valid_from: datetime | None = None,
) -> CredentialRow:
    request = IssueRequest(
        achievement_id=achievement_id, email=email, name="Ada", valid_from=valid_from
    )
    (row,) = runtime.issuance.issue(SYSTEM, issuer.id, [request])
    return row


def rows(runtime: Runtime, table: type[object]) -> int:
    with runtime.sessions() as session:
        return session.query(table).count()


def test_every_credential_is_private_until_the_learner_shows_it(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    ours = issue(runtime, issuer, achievement_id, "ada@example.org")
    imported = runtime.wallet.import_bytes(ada, foreign_jwt().encode(), source="upload")
    assert runtime.showcase.public_refs(ada) == set()
    assert runtime.showcase.profile_slug(ada) is None

    slug = runtime.showcase.set_public(ada, imported.id, public=True)
    assert slug == "ada-lovelace"  # made from the learner's name on the first one shown
    profile = runtime.showcase.public_profile(slug)
    assert [item.id for item in profile.items] == [imported.id]
    assert profile.name == "Ada Lovelace"

    runtime.showcase.set_public(ada, ours.id, public=True)
    assert {item.id for item in runtime.showcase.public_profile(slug).items} == {
        ours.id,
        imported.id,
    }
    runtime.showcase.set_public(ada, imported.id, public=False)
    assert [item.id for item in runtime.showcase.public_profile(slug).items] == [ours.id]
    with pytest.raises(NotFoundError):
        runtime.showcase.public_item(slug, imported.id)


def test_only_a_held_credential_can_be_shown(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    bob = make_learner(runtime, "bob@example.org")
    bobs = issue(runtime, issuer, achievement_id, "bob@example.org")
    with pytest.raises(NotFoundError):
        runtime.showcase.set_public(ada, bobs.id, public=True)
    assert rows(runtime, WalletShareRow) == 0
    assert runtime.showcase.public_refs(bob) == set()


def test_a_public_collection_shows_only_its_public_members(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org", slug="ada")
    first = issue(runtime, issuer, achievement_id, "ada@example.org")
    second = issue(runtime, issuer, achievement_id, "ada@example.org")
    collection = runtime.showcase.create_collection(ada, "  Data skills ", "For data jobs")
    assert runtime.showcase.add_to_collection(ada, collection, first.id) is True
    assert runtime.showcase.add_to_collection(ada, collection, first.id) is False  # once
    runtime.showcase.add_to_collection(ada, collection, second.id)
    runtime.showcase.set_public(ada, first.id, public=True)

    assert runtime.showcase.public_profile("ada").collections == []  # still private
    runtime.showcase.update_collection(
        ada, collection, name="Data skills", description="For data jobs", public=True
    )
    (shown,) = runtime.showcase.public_profile("ada").collections
    assert shown.collection.name == "Data skills"
    assert [item.id for item in shown.items] == [first.id]  # the private one stays hidden

    own, members = runtime.showcase.collection(ada, collection)
    assert own.refs == (first.id, second.id)
    assert [item.id for item in members] == [first.id, second.id]
    runtime.showcase.remove_from_collection(ada, collection, second.id)
    assert runtime.showcase.collection(ada, collection)[0].refs == (first.id,)


def test_collections_are_each_learners_own(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    bob = make_learner(runtime, "bob@example.org")
    held = issue(runtime, issuer, achievement_id, "ada@example.org")
    bobs = issue(runtime, issuer, achievement_id, "bob@example.org")
    collection = runtime.showcase.create_collection(ada, "Mine")
    for attempt in (
        lambda: runtime.showcase.collection(bob, collection),
        lambda: runtime.showcase.add_to_collection(bob, collection, bobs.id),
        lambda: runtime.showcase.delete_collection(bob, collection),
        lambda: runtime.showcase.add_to_collection(ada, collection, bobs.id),
    ):
        with pytest.raises(NotFoundError):
            attempt()
    runtime.showcase.add_to_collection(ada, collection, held.id)
    runtime.showcase.delete_collection(ada, collection)
    assert rows(runtime, WalletCollectionRow) == rows(runtime, WalletCollectionEntryRow) == 0
    assert runtime.wallet.get(ada, held.id).id == held.id  # the credential stays


def test_bad_names_and_addresses_are_refused_with_what_was_expected(runtime: Runtime) -> None:
    ada = make_learner(runtime, "ada@example.org")
    make_learner(runtime, "bob@example.org", slug="bob")
    with pytest.raises(InputError) as empty:
        runtime.showcase.create_collection(ada, "   ")
    assert "1 to 200 characters" in str(empty.value.expected)
    with pytest.raises(InputError):
        runtime.showcase.create_collection(ada, "x" * 201)
    for bad in ("ab", "-ada", "Ada Lovelace", "ada_l", "a" * 41, "ada-"):
        with pytest.raises(InputError) as refused:
            runtime.showcase.set_profile_slug(ada, bad)
        assert "lower-case" in str(refused.value.expected)
    for taken in ("bob", "wallet"):
        with pytest.raises(ConflictError):
            runtime.showcase.set_profile_slug(ada, taken)
    assert runtime.showcase.profile_slug(ada) is None
    assert runtime.showcase.set_profile_slug(ada, " ADA-L ") == "ada-l"
    assert runtime.showcase.set_profile_slug(ada, "ada-l") == "ada-l"  # one's own again
    assert rows(runtime, WalletCollectionRow) == 0


def test_a_second_learner_of_the_same_name_gets_another_address(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    slugs = []
    for email in ("ada@example.org", "ada@else.example"):
        learner = make_learner(runtime, email)
        row = issue(runtime, issuer, achievement_id, email)
        slugs.append(runtime.showcase.set_public(learner, row.id, public=True))
    assert slugs[0] == "ada-lovelace"
    assert slugs[1].startswith("ada-lovelace-")
    assert slugs[1] != slugs[0]


def test_the_timeline_lists_what_expires_soonest_first(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    now = runtime.clock()  # the achievement is valid for 24 months
    later = issue(runtime, issuer, achievement_id, "ada@example.org", valid_from=now)
    sooner = issue(
        runtime, issuer, achievement_id, "ada@example.org", valid_from=now - timedelta(days=700)
    )
    lasting = runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT).id
    issue(runtime, issuer, lasting, "ada@example.org")  # no expiry: not on it
    assert [item.id for item in runtime.wallet.timeline(ada)] == [sooner.id, later.id]


def test_removing_an_import_takes_it_off_the_profile_and_out_of_collections(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org", slug="ada")
    clr = runtime.wallet.import_bytes(ada, CLR.read_bytes(), source="upload")
    (part,) = runtime.wallet.parts(ada, clr.id)
    collection = runtime.showcase.create_collection(ada, "Record")
    runtime.showcase.add_to_collection(ada, collection, part.id)
    runtime.showcase.set_public(ada, part.id, public=True)
    ours = issue(runtime, issuer, achievement_id, "ada@example.org")
    with pytest.raises(ConflictError):
        runtime.wallet.remove(ada, ours.id)  # issued to her address: it stays hers

    runtime.wallet.remove(ada, clr.id)
    assert runtime.wallet.list_credentials(ada)[1] == 1
    assert runtime.showcase.public_profile("ada").items == []
    assert runtime.showcase.collection(ada, collection)[0].refs == ()


def test_a_claimed_credential_can_be_removed_and_claimed_again(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    other = issue(runtime, issuer, achievement_id, "ada@old.example")
    token = runtime.recipients.token(other.id)
    runtime.wallet.claim(ada, other.id, token)
    assert runtime.wallet.is_claim_only(ada, other.id)
    runtime.wallet.remove(ada, other.id)
    with pytest.raises(NotFoundError):
        runtime.wallet.get(ada, other.id)
    assert runtime.wallet.claim(ada, other.id, token) is True


def test_claiming_one_held_by_address_says_it_was_there_and_keeps_it_past_the_address(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org", "ada@old.example")
    row = issue(runtime, issuer, achievement_id, "ada@old.example")
    assert runtime.wallet.claim(ada, row.id, runtime.recipients.token(row.id)) is False
    runtime.learners.remove_email(ada, "ada@old.example")
    assert runtime.wallet.get(ada, row.id).id == row.id  # kept by the claim


def test_showcase_rows_are_exported_and_deleted_with_the_account(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    held = issue(runtime, issuer, achievement_id, "ada@example.org")
    collection = runtime.showcase.create_collection(ada, "Mine", "what I show")
    runtime.showcase.add_to_collection(ada, collection, held.id)
    runtime.showcase.set_public(ada, held.id, public=True)
    exported = runtime.learners.export(ada)["wallet"]
    assert exported["public"] == [held.id]
    assert exported["collections"][0]["credentials"] == [held.id]
    assert exported["collections"][0]["description"] == "what I show"

    runtime.learners.delete(ada, confirmation="ada@example.org")
    for table in (WalletShareRow, WalletCollectionRow, WalletCollectionEntryRow):
        assert rows(runtime, table) == 0
    with pytest.raises(NotFoundError):
        runtime.showcase.public_profile("ada-lovelace")
