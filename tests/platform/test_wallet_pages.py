"""The wallet's pages as a signed-in learner uses them: the list, a credential's page and its
share panel, import (file, paste, URL) with every refusal explained, visibility and the public
profile, collections, the timeline, the claim button, a signed presentation and the PDF record.
Another learner's things are "not found"; every form needs its token."""

from __future__ import annotations

import html
import json
import re
import uuid
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from microcred.accounts.actor import SYSTEM
from microcred.crypto.baking import bake_png, default_badge_png
from microcred.errors import NotFoundError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.tables import CredentialRow, WalletItemRow, WalletNoticeRow
from microcred.wallet.presentation import verify_presentation
from microcred.wallet.service import MAX_IMPORT_BYTES
from tests.platform.conftest import IssuerFixture
from tests.platform.learners_support import browser, csrf, sign_in, web
from tests.platform.test_wallet_service import CLR, foreign_jwt
from tests.verify import ob2_fixtures as ob2

__all__ = ["web"]  # a fixture used here

ADA = "ada@example.org"


def issue(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, email: str = ADA
) -> CredentialRow:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email=email, name="Ada")]
    )
    return row


def learner_of(runtime: Runtime, email: str = ADA) -> str:
    from tests.platform.test_learners_account import learner_id

    return learner_id(runtime, email)


def post(client: TestClient, path: str, page: str = "/wallet/import", **data: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf(client.get(page).text), **data})


def items(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.query(WalletItemRow).count()


@pytest.fixture
def ada(runtime: Runtime, web: TestClient) -> TestClient:
    sign_in(runtime, web, ADA)
    return web


# ---- the list ---------------------------------------------------------------------------------


def test_the_wallet_needs_a_signed_in_learner(web: TestClient) -> None:
    for path in ("/wallet", "/wallet/import", "/wallet/collections", "/wallet/record.pdf"):
        answer = web.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=")


def test_credentials_issued_to_the_learner_are_listed(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    mine = issue(runtime, issuer, achievement_id)
    issue(runtime, issuer, achievement_id, "someone@else.example")
    page = ada.get("/wallet")
    assert page.status_code == 200
    refs = re.findall(r'data-ref="([^"]+)"', page.text)
    assert refs == [mine.id]
    assert "Private" in page.text
    assert "Public" not in page.text.split("held-list")[1][:2000]


def test_the_banner_shows_notices_until_dismissed_and_only_the_learners_own(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    mine = issue(runtime, issuer, achievement_id)
    learner = learner_of(runtime)
    notice = WalletNoticeRow(
        id=str(uuid.uuid4()),
        learner_id=learner,
        ref=mine.id,
        what="revoked",
        name="Data Analysis with Python",
        created_at=runtime.clock(),
    )
    with runtime.sessions.begin() as session:
        session.add(notice)
    page = ada.get("/wallet")
    assert 'id="notices"' in page.text
    assert 'data-what="revoked"' in page.text

    other = browser(runtime)
    sign_in(runtime, other, "bob@example.org")
    stolen = post(other, f"/wallet/notices/{notice.id}/dismiss", "/wallet")
    assert stolen.status_code == 404
    other.close()
    assert 'id="notices"' in ada.get("/wallet").text

    dismissed = post(ada, f"/wallet/notices/{notice.id}/dismiss", "/wallet")
    assert dismissed.status_code == 303
    assert 'id="notices"' not in ada.get("/wallet").text


def test_a_credential_page_shares_it_and_links_linkedin_with_the_company_id(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    runtime.issuers.update(SYSTEM, issuer.id, {"linkedin_organization_id": "1337"})
    mine = issue(runtime, issuer, achievement_id)
    page = ada.get(f"/wallet/credentials/{mine.id}")
    assert page.status_code == 200
    add = re.search(r'id="linkedin-add" href="([^"]+)"', page.text)
    assert add is not None
    query = parse_qs(urlsplit(add.group(1).replace("&amp;", "&")).query)
    assert query["organizationId"] == ["1337"]
    assert "organizationName" not in query
    assert query["certUrl"] == [runtime.urls.credential(mine.id)]
    assert f"{runtime.urls.credential(mine.id)}/embed" in page.text  # the embed snippet
    assert "signature.png" in page.text  # the e-mail signature snippet
    download = ada.get(f"/wallet/credentials/{mine.id}/download")
    assert json.loads(download.text) == mine.document


def test_another_learners_credential_is_not_found(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    bobs = issue(runtime, issuer, achievement_id, "bob@example.org")
    for path in (f"/wallet/credentials/{bobs.id}", f"/wallet/credentials/{bobs.id}/download"):
        assert ada.get(path).status_code == 404
    answer = post(ada, f"/wallet/credentials/{bobs.id}/visibility", public="yes")
    assert answer.status_code == 404
    assert runtime.showcase.public_refs(learner_of(runtime)) == set()


def test_forms_need_their_token(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    mine = issue(runtime, issuer, achievement_id)
    answer = ada.post(f"/wallet/credentials/{mine.id}/visibility", data={"public": "yes"})
    assert answer.status_code == 403
    assert runtime.showcase.public_refs(learner_of(runtime)) == set()


# ---- import -------------------------------------------------------------------------------------


def test_a_file_is_imported_verified_and_its_checks_shown(
    runtime: Runtime, ada: TestClient
) -> None:
    baked = bake_png(default_badge_png(), foreign_jwt())
    answer = ada.post(
        "/wallet/import",
        data={"csrf_token": csrf(ada.get("/wallet/import").text)},
        files={"file": ("badge.png", baked, "image/png")},
    )
    assert answer.status_code == 303, answer.text
    page = ada.get(answer.headers["location"])
    assert 'data-check="proof" data-status="passed"' in page.text
    assert "The credential was verified and added" in page.text


def test_checks_are_shown_in_the_pages_language(runtime: Runtime, ada: TestClient) -> None:
    answer = post(ada, "/wallet/import", "/wallet/import", text=foreign_jwt())
    page = ada.get(answer.headers["location"], headers={"Accept-Language": "de"})
    check = re.search(
        r'data-check="proof"[^>]*>.*?<strong>([^<]+)</strong>.*?class="message">([^<]+)<',
        page.text,
        re.S,
    )
    assert check is not None
    assert check.group(1) == "Digitale Signatur"
    english = runtime.verification.verify_bytes(foreign_jwt().encode()).check("proof")
    assert english is not None
    assert check.group(2).strip() != english.message


def test_a_clr_and_an_ob2_badge_are_imported_with_their_parts(
    runtime: Runtime, ada: TestClient
) -> None:
    answer = post(ada, "/wallet/import", "/wallet/import", text=CLR.read_text())
    assert answer.status_code == 303
    page = ada.get(answer.headers["location"])
    assert "Credentials in this record" in page.text
    # A baked OB 2.0 badge: kept even where its issuer cannot be reached (no network here),
    # with the verifier's explanation.
    baked = ob2.baked_png(ob2.jws(ob2.assertion(), ob2.rsa_key()))
    answer = ada.post(
        "/wallet/import",
        data={"csrf_token": csrf(ada.get("/wallet/import").text)},
        files={"file": ("ob2.png", baked, "image/png")},
    )
    assert answer.status_code == 303, answer.text
    page = ada.get(answer.headers["location"])
    assert "Open Badges 2.0" in page.text
    # Its issuer's key could not be fetched: kept, and not called verified.
    assert 'data-state="unverified"' in page.text
    assert "not valid now" in page.text
    assert "verified and added" not in page.text
    assert items(runtime) == 3


def test_bad_imports_are_explained_and_change_nothing(runtime: Runtime, ada: TestClient) -> None:
    not_credential = post(ada, "/wallet/import", "/wallet/import", text='{"hello": "world"}')
    assert not_credential.status_code == 422
    assert 'data-problem="not_credential"' in not_credential.text
    assert "Expected:" in not_credential.text

    empty = post(ada, "/wallet/import", "/wallet/import")
    assert empty.status_code == 422
    assert 'data-problem="empty"' in empty.text

    private = post(ada, "/wallet/import", "/wallet/import", url="http://127.0.0.1:9/x.json")
    assert private.status_code == 422
    assert 'data-problem="fetch"' in private.text

    twice = foreign_jwt()
    assert post(ada, "/wallet/import", "/wallet/import", text=twice).status_code == 303
    again = post(ada, "/wallet/import", "/wallet/import", text=twice)
    assert again.status_code == 409
    assert 'data-problem="already"' in again.text
    assert items(runtime) == 1


def test_a_100_mb_upload_is_refused_before_it_is_read(runtime: Runtime, ada: TestClient) -> None:
    token = csrf(ada.get("/wallet/import").text)
    big = BytesIO(b"\0" * (100 * 1024 * 1024))
    answer = ada.post(
        "/wallet/import",
        data={"csrf_token": token},
        files={"file": ("huge.png", big, "image/png")},
    )
    assert answer.status_code == 413
    # The form's limit is the file's plus room for the other fields; the body is not read.
    assert f"at most {MAX_IMPORT_BYTES + 64 * 1024} bytes" in answer.text
    declared = re.search(r"<dd>(\d+) bytes</dd>", answer.text)  # the size the request declared
    assert declared is not None
    assert int(declared.group(1)) > 100 * 1024 * 1024
    assert items(runtime) == 0


# ---- visibility, the profile, collections --------------------------------------------------------


def test_only_what_is_made_public_is_on_the_profile(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    shown = issue(runtime, issuer, achievement_id)
    hidden = issue(runtime, issuer, achievement_id)
    imported = post(ada, "/wallet/import", "/wallet/import", text=foreign_jwt())
    imported_id = imported.headers["location"].split("/")[-1].split("?")[0]
    for ref in (shown.id, imported_id):
        answer = post(ada, f"/wallet/credentials/{ref}/visibility", public="yes")
        assert answer.status_code == 303
    slug = runtime.showcase.profile_slug(learner_of(runtime))
    assert slug is not None

    visitor = browser(runtime)
    profile = visitor.get(f"/learners/{slug}")
    assert profile.status_code == 200
    refs = set(re.findall(r'data-ref="([^"]+)"', profile.text))
    assert refs == {shown.id, imported_id}
    assert hidden.id not in profile.text
    assert f'href="{runtime.urls.credential(shown.id)}"' in profile.text
    public_page = visitor.get(f"/learners/{slug}/credentials/{imported_id}")
    assert public_page.status_code == 200
    assert 'data-check="proof"' in public_page.text
    embed = visitor.get(f"/learners/{slug}/credentials/{imported_id}/embed")
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert visitor.get(f"/learners/{slug}/credentials/{hidden.id}").status_code == 404
    assert visitor.get("/learners/no-such-learner").status_code == 404

    # The imported one's share panel now points at its public page.
    page = ada.get(f"/wallet/credentials/{imported_id}")
    assert runtime.urls.learner_public_credential(slug, imported_id) in page.text
    post(ada, f"/wallet/credentials/{imported_id}/visibility", public="no")
    assert visitor.get(f"/learners/{slug}/credentials/{imported_id}").status_code == 404
    visitor.close()


def test_collections_are_made_filled_and_shown_from_the_pages(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    mine = issue(runtime, issuer, achievement_id)
    page = f"/wallet/credentials/{mine.id}"
    made = post(ada, "/wallet/collections", page, name="Data skills", ref=mine.id)
    assert made.status_code == 303
    (collection,) = runtime.showcase.collections(learner_of(runtime))
    assert collection.refs == (mine.id,)
    listing = ada.get(f"/wallet/collections/{collection.id}")
    assert 'data-public="no"' in listing.text
    assert mine.id in listing.text
    post(
        ada,
        f"/wallet/collections/{collection.id}",
        f"/wallet/collections/{collection.id}",
        name="Data skills",
        public="yes",
    )
    shown = ada.get(f"/wallet/collections/{collection.id}")
    assert 'id="hidden-count"' in shown.text  # its one credential is still private
    bad = post(ada, "/wallet/collections", "/wallet/collections", name="")
    assert bad.status_code == 422


def test_a_profile_address_is_chosen_and_a_taken_one_refused(
    runtime: Runtime, ada: TestClient
) -> None:
    answer = post(ada, "/wallet/profile", slug="ada-l")
    assert answer.status_code == 303
    assert runtime.showcase.profile_slug(learner_of(runtime)) == "ada-l"
    other = browser(runtime)
    sign_in(runtime, other, "bob@example.org")
    taken = post(other, "/wallet/profile", slug="ada-l")
    assert taken.status_code == 409
    assert "is taken" in taken.text
    wrong = post(other, "/wallet/profile", slug="Ada L")
    assert wrong.status_code == 422
    other.close()


# ---- claiming from the private page -------------------------------------------------------------


def test_the_private_page_claims_into_the_wallet(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, web: TestClient
) -> None:
    row = issue(runtime, issuer, achievement_id, "ada@old.example")
    private = runtime.recipients.private_url(row.id).removeprefix(runtime.settings.base_url)
    visitor_page = web.get(private, headers={"Accept": "text/html"})
    link = re.search(r'href="(/sign-in\?next=[^"]+)" id="add-to-wallet"', visitor_page.text)
    assert link is not None  # not signed in: sign in first, then come back
    assert html.unescape(link.group(1)) == f"/sign-in?{urlencode({'next': private})}"

    sign_in(runtime, web, ADA)
    with pytest.raises(NotFoundError):  # issued to another address: not hers until claimed
        runtime.wallet.get(learner_of(runtime), row.id)
    page = web.get(private, headers={"Accept": "text/html"})
    assert 'action="/wallet/claim"' in page.text
    token = runtime.recipients.token(row.id)
    claimed = web.post(
        "/wallet/claim",
        data={"csrf_token": csrf(page.text), "credential_id": row.id, "token": token},
    )
    assert claimed.status_code == 303
    assert claimed.headers["location"].endswith("done=claimed")
    assert runtime.wallet.get(learner_of(runtime), row.id).kind == "ours"
    forged = web.post(
        "/wallet/claim",
        data={"csrf_token": csrf(page.text), "credential_id": row.id, "token": "forged"},
    )
    assert forged.status_code == 404


# ---- the timeline, a presentation, the record ----------------------------------------------------


def test_the_timeline_lists_expiring_credentials(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    mine = issue(runtime, issuer, achievement_id)  # the achievement lasts 24 months
    page = ada.get("/wallet/timeline")
    assert page.status_code == 200
    assert re.findall(r'id="coming".*?data-ref="([^"]+)"', page.text, re.S) == [mine.id]


def test_a_presentation_is_signed_by_the_learner_for_the_verifier(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    mine = issue(runtime, issuer, achievement_id)
    answer = post(
        ada,
        "/wallet/present",
        "/wallet/present",
        ref=[mine.id],
        challenge="c-123",
        domain="jobs.example",
    )
    assert answer.status_code == 200, answer.text
    vp = answer.json()
    did = runtime.learners.account(learner_of(runtime)).learner.did
    assert vp["holder"] == did
    verifier = runtime.verification.verifier()
    result = verify_presentation(vp, challenge="c-123", domain="jobs.example", verifier=verifier)
    assert result.verified, result.failures
    wrong = verify_presentation(vp, challenge="other", domain="jobs.example", verifier=verifier)
    assert not wrong.verified
    none = post(ada, "/wallet/present", "/wallet/present")
    assert none.status_code == 422


def test_the_record_is_a_pdf_of_every_credential(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str, ada: TestClient
) -> None:
    issue(runtime, issuer, achievement_id)
    post(ada, "/wallet/import", "/wallet/import", text=foreign_jwt())
    answer = ada.get("/wallet/record.pdf")
    assert answer.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(answer.content)).pages)
    assert "Credentials: 2" in text
    assert "Data Analysis with Python" in text
