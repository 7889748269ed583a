"""The wallet's service: holdings (ours by address and by claim, imports), import from every
supported form, bad input refused with nothing stored, and the learner's export and deletion."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.crypto.baking import bake_png, bake_svg, default_badge_png
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.errors import ConflictError, InputError, NotFoundError, UrlRefusedError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.store.tables import CredentialRow, WalletItemRow
from microcred.wallet.service import MAX_IMPORT_BYTES
from microcred.web.fetch import FetchPolicy
from tests.platform.conftest import IssuerFixture
from tests.platform.wallet_support import make_learner
from tests.verify import ob2_fixtures as ob2

CLR = Path("/work/shared/vectors/clr-1edtech/simple.json")
FOREIGN = KeyFile.for_did_key(SigningKey.generate())
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'


def issue(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, email: str
) -> CredentialRow:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email=email, name="Ada")]
    )
    return row


def item_count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.query(WalletItemRow).count()


def foreign_jwt() -> str:
    return sign_credential(sample_credential(issuer_id=FOREIGN.controller), FOREIGN, suite="vc-jwt")


# ---- holdings --------------------------------------------------------------------------------


def test_credentials_issued_to_any_verified_address_are_held_at_once(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org", "ada@work.example")
    first = issue(runtime, issuer, achievement_id, "ada@example.org")
    second = issue(runtime, issuer, achievement_id, "ada@work.example")
    issue(runtime, issuer, achievement_id, "someone@else.example")
    items, total = runtime.wallet.list_credentials(ada, offset=0, limit=10)
    assert total == 2
    assert {i.id for i in items} == {first.id, second.id}
    assert all(i.kind == "ours" and i.state == "active" for i in items)
    held = {i.id: i.document for i in items}
    assert held[first.id] == first.document  # the document as issued, not a copy
    assert runtime.wallet.list_credentials(make_learner(runtime), offset=0, limit=10) == ([], 0)


def test_revoked_suspended_and_expired_are_shown_as_such(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    revoked = issue(runtime, issuer, achievement_id, "ada@example.org")
    suspended = issue(runtime, issuer, achievement_id, "ada@example.org")
    (expired,) = runtime.issuance.issue(  # the achievement lasts 24 months: long over
        SYSTEM,
        issuer.id,
        [
            IssueRequest(
                achievement_id=achievement_id,
                email="ada@example.org",
                valid_from=runtime.clock() - timedelta(days=800),
            )
        ],
    )
    runtime.lifecycle.revoke(SYSTEM, issuer.id, revoked.id, "error")
    runtime.lifecycle.suspend(SYSTEM, issuer.id, suspended.id, "check")
    states = {i.id: i.state for i in runtime.wallet.list_credentials(ada, offset=0, limit=10)[0]}
    assert states == {revoked.id: "revoked", suspended.id: "suspended", expired.id: "expired"}


def test_paging_gives_every_credential_once(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    ids = {issue(runtime, issuer, achievement_id, "ada@example.org").id for _ in range(5)}
    runtime.wallet.import_bytes(ada, foreign_jwt().encode(), source="upload")
    seen: list[str] = []
    for offset in range(0, 6, 2):
        page, total = runtime.wallet.list_credentials(ada, offset=offset, limit=2)
        assert total == 6
        seen += [i.id for i in page]
    assert len(seen) == len(set(seen)) == 6
    assert ids <= set(seen)


def test_claiming_by_the_private_link_is_idempotent_and_needs_the_token(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    row = issue(runtime, issuer, achievement_id, "ada@old-address.example")
    token = runtime.recipients.token(row.id)
    with pytest.raises(NotFoundError):
        runtime.wallet.claim(ada, row.id, "not-the-token")
    assert runtime.wallet.list_credentials(ada, offset=0, limit=5)[1] == 0
    assert runtime.wallet.claim(ada, row.id, token) is True
    assert runtime.wallet.claim(ada, row.id, token) is False
    items, total = runtime.wallet.list_credentials(ada, offset=0, limit=5)
    assert total == 1
    assert items[0].id == row.id
    assert items[0].document == row.document


# ---- import ----------------------------------------------------------------------------------


def test_a_vc_jwt_is_imported_verified_and_kept_compact(runtime: Runtime) -> None:
    ada = make_learner(runtime, "ada@example.org")
    token = foreign_jwt()
    item = runtime.wallet.import_bytes(ada, token.encode(), source="upload")
    assert item.kind == "imported"
    assert item.document == token
    assert item.state == "active", item.verification
    assert item.verification is not None
    assert item.verification["verified"] is True
    assert item.format == "VC-JWT"
    (listed,), _ = runtime.wallet.list_credentials(ada, offset=0, limit=5)
    assert listed.document == token
    assert runtime.wallet.get(ada, item.id).verification == item.verification


def test_an_import_keeps_the_state_the_verifier_found(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    """Revoked and expired are read from the verifier's failed checks, not from their wording."""
    ada = make_learner(runtime, "ada@example.org")
    revoked = issue(runtime, issuer, achievement_id, "someone@else.example")
    runtime.lifecycle.revoke(SYSTEM, issuer.id, revoked.id, "error")
    item = runtime.wallet.import_bytes(ada, json.dumps(revoked.document).encode(), source="upload")
    assert item.state == "revoked", item.verification
    lapsed = sample_credential(
        issuer_id=FOREIGN.controller, valid_from=datetime(2000, 1, 1, tzinfo=UTC)
    )
    lapsed["validUntil"] = "2001-01-01T00:00:00Z"
    signed = sign_credential(lapsed, FOREIGN)
    expired = runtime.wallet.import_bytes(ada, json.dumps(signed).encode(), source="upload")
    assert expired.state == "expired", expired.verification


def test_json_and_baked_png_and_svg_are_imported(runtime: Runtime) -> None:
    ada = make_learner(runtime, "ada@example.org")
    signed = sign_credential(sample_credential(issuer_id=FOREIGN.controller), FOREIGN)
    as_json = runtime.wallet.import_bytes(ada, json.dumps(signed).encode(), source="upload")
    assert as_json.document == signed
    assert as_json.state == "active", as_json.verification
    png = bake_png(default_badge_png(), foreign_jwt())
    baked = runtime.wallet.import_bytes(ada, png, source="upload")
    assert isinstance(baked.document, str)
    assert baked.state == "active", baked.verification
    svg = bake_svg(SVG, foreign_jwt())
    in_svg = runtime.wallet.import_bytes(ada, svg, source="upload")
    assert isinstance(in_svg.document, str)
    assert in_svg.state == "active", in_svg.verification
    assert runtime.wallet.list_credentials(ada, offset=0, limit=10)[1] == 3


def test_ob2_signed_and_baked_assertions_are_imported_with_the_fetcher(runtime: Runtime) -> None:
    ada = make_learner(runtime, "ada@example.org")
    web = ob2.issuer_web()
    token = ob2.jws(ob2.assertion(), ob2.rsa_key())
    signed = runtime.wallet.import_bytes(ada, token.encode(), source="upload", fetcher=web)
    assert signed.document == token
    assert signed.verification is not None
    assert signed.verification["verified"] is True
    baked = runtime.wallet.import_bytes(
        ada, ob2.baked_png(ob2.jws(ob2.assertion(id="urn:uuid:2"), ob2.rsa_key())), source="f"
    )
    assert baked.format is not None
    assert "PNG" in baked.format
    assert baked.verification is not None  # kept, verified or not, with its explanation
    assert [c["name"] for c in baked.verification["checks"]]


def test_a_clr_brings_in_each_part_each_verified(runtime: Runtime) -> None:
    ada = make_learner(runtime, "ada@example.org")
    clr = runtime.wallet.import_bytes(ada, CLR.read_bytes(), source="upload")
    parts = runtime.wallet.parts(ada, clr.id)
    document = json.loads(CLR.read_text())
    assert clr.document == document
    assert [p.document for p in parts] == document["credentialSubject"]["verifiableCredential"]
    assert all(p.parent_id == clr.id and p.verification is not None for p in parts)
    # Offline, the sample's keys (in https://...#z6Mk methods) prove integrity, not authorship.
    assert clr.state == "unconfirmed"
    assert clr.verification is not None
    assert clr.verification["outcome"] == "issuer-not-confirmed"
    assert runtime.wallet.list_credentials(ada, offset=0, limit=10)[1] == 2


def test_our_own_credential_by_url_is_read_from_the_store(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    row = issue(runtime, issuer, achievement_id, "other@example.org")

    def no_fetch(url: str) -> bytes:
        raise AssertionError(f"fetched {url}")

    url = str(row.document["id"])
    item = runtime.wallet.import_url(ada, url, fetch_document=no_fetch)
    assert item.document == row.document
    assert item.state == "active", item.verification


# ---- bad input -------------------------------------------------------------------------------


def test_not_a_credential_is_refused_and_nothing_is_stored(runtime: Runtime) -> None:
    ada = make_learner(runtime, "ada@example.org")
    for data in (b"hello", b'{"name": "not a credential"}', default_badge_png()):
        with pytest.raises(InputError) as caught:
            runtime.wallet.import_bytes(ada, data, source="upload")
        assert "not a credential" in str(caught.value)
        assert caught.value.expected
    assert item_count(runtime) == 0


def test_a_100_mb_file_is_refused_before_it_is_read_whole(runtime: Runtime) -> None:
    ada = make_learner(runtime, "ada@example.org")

    class Huge(io.RawIOBase):
        read_total = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), 100 * 1024 * 1024 - self.read_total)
            buffer[:n] = b"x" * n
            self.read_total += n
            return n

    stream = Huge()
    with pytest.raises(InputError) as caught:
        runtime.wallet.import_stream(ada, io.BufferedReader(stream), source="upload")
    assert f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB" in str(caught.value.expected)
    assert stream.read_total <= MAX_IMPORT_BYTES + 1024 * 1024  # not the 100 MB
    assert item_count(runtime) == 0


def test_a_duplicate_is_refused_and_changes_nothing(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    token = foreign_jwt()
    first = runtime.wallet.import_bytes(ada, token.encode(), source="upload")
    with pytest.raises(ConflictError):
        runtime.wallet.import_bytes(ada, token.encode(), source="upload")
    ours = issue(runtime, issuer, achievement_id, "ada@example.org")
    with pytest.raises(ConflictError):  # held already through her address
        runtime.wallet.import_bytes(ada, json.dumps(ours.document).encode(), source="upload")
    assert item_count(runtime) == 1
    # An app's push of the same credential is an update (the API's upsert), not an error.
    again = runtime.wallet.import_bytes(ada, token.encode(), source="obapi:client")
    assert again.id == first.id
    assert item_count(runtime) == 1


def test_a_url_to_a_private_address_is_refused_by_the_fetcher(runtime: Runtime) -> None:
    ada = make_learner(runtime, "ada@example.org")
    fetcher = FetchPolicy().fetcher()
    with pytest.raises(UrlRefusedError):
        runtime.wallet.import_url(ada, "http://127.0.0.1/badge.json", fetch_document=fetcher)
    assert item_count(runtime) == 0


# ---- the learner's export and deletion ------------------------------------------------------


def test_wallet_rows_are_exported_and_deleted_with_the_account(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    row = issue(runtime, issuer, achievement_id, "ada@old.example")
    runtime.wallet.claim(ada, row.id, runtime.recipients.token(row.id))
    runtime.wallet.import_bytes(ada, CLR.read_bytes(), source="upload")
    with runtime.sessions() as session:
        exported = runtime.wallet.export(session, ada)
    assert exported["claimed"] == [row.id]
    assert isinstance(exported["imported"], list)
    assert len(exported["imported"]) == 2
    with runtime.sessions.begin() as session:
        runtime.wallet.delete(session, ada)
    assert item_count(runtime) == 0
    assert runtime.wallet.list_credentials(ada, offset=0, limit=5) == ([], 0)
    assert runtime.wallet in runtime.learner_hooks


def test_a_sealed_europass_credential_is_imported_with_its_name_and_issuer(
    runtime: Runtime,
) -> None:
    ada = make_learner(runtime, "ada@example.org")
    sealed = Path(__file__).parents[1] / "fixtures" / "edc" / "Sample-MC-Annex1-signed.jsonld"
    item = runtime.wallet.import_bytes(ada, sealed.read_bytes(), source="upload")
    assert item.name == "Digital micro-credential creation"
    assert item.issuer_name == "ORGANIZACION TEST"
    assert item.state == "unconfirmed"  # the seal is valid; the EU trusted lists not checked
    assert item.verification is not None
    assert item.verification["outcome"] == "issuer-not-confirmed"
    assert item.document == json.loads(sealed.read_text())  # kept as sealed, seal and all
