"""The learner's account: sessions and sign-out, addresses, the DID, export and deletion, and
the header every page shows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microcred.accounts.actor import SYSTEM
from microcred.crypto.keys import PublicKey
from microcred.errors import ConflictError, EmailInUseError, InputError, NotFoundError
from microcred.issuing.issuance import IssueRequest
from microcred.ledger import verify_consistency
from microcred.runtime import Runtime
from microcred.store.tables import (
    AuditEventRow,
    CredentialRow,
    LearnerEmailRow,
    LearnerRow,
    LearnerSessionRow,
    LearnerTokenRow,
)

from .conftest import IssuerFixture
from .learners_support import browser, csrf, follow, link_in, sign_in, web
from .test_notifications import SmtpServer, settings, smtp

__all__ = ["settings", "smtp", "web"]  # fixtures used here


def learner_id(runtime: Runtime, email: str) -> str:
    with runtime.sessions() as session:
        return session.execute(
            select(LearnerEmailRow.learner_id).where(LearnerEmailRow.email == email)
        ).scalar_one()


def count(runtime: Runtime, table: type[object]) -> int:
    with runtime.sessions() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def post(client: TestClient, path: str, page: str = "/account", **data: str) -> Any:
    token = csrf(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **data})


# ---- sessions -----------------------------------------------------------------------------------


def test_a_learner_page_sends_a_visitor_to_sign_in(web: TestClient) -> None:
    answer = web.get("/account", params={"x": "1"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/account%3Fx%3D1"


def test_signing_in_rotates_the_session_and_signing_out_ends_it(
    runtime: Runtime, web: TestClient
) -> None:
    sign_in(runtime, web, "ada@example.org")
    first = web.cookies["mc_learner"]
    sign_in(runtime, web, "ada@example.org")
    second = web.cookies["mc_learner"]
    assert first != second
    assert count(runtime, LearnerSessionRow) == 1
    assert runtime.learners.learner_for_session(first) is None

    # A form from before sign-out stops validating: its token was bound to the session.
    old_form = csrf(web.get("/account").text)
    signed_out = web.post("/sign-out", data={"csrf_token": old_form})
    assert signed_out.status_code == 303
    assert count(runtime, LearnerSessionRow) == 0
    assert web.get("/account").status_code == 303
    assert "mc_learner" not in web.cookies
    web.cookies.set("mc_learner", second, domain="testserver")
    assert web.get("/account").status_code == 303
    refused = web.post("/account/name", data={"csrf_token": old_form, "name": "Eve"})
    assert refused.status_code in (303, 403)
    assert runtime.learners.get(learner_id(runtime, "ada@example.org")).display_name is None


def test_sign_out_everywhere_ends_every_session_of_the_learner(
    runtime: Runtime, web: TestClient
) -> None:
    sign_in(runtime, web, "ada@example.org")
    with browser(runtime) as phone, browser(runtime) as stranger:
        sign_in(runtime, phone, "ada@example.org")
        sign_in(runtime, stranger, "bob@example.org")
        assert "Signed in on 2 device" in phone.get("/account").text
        answer = post(phone, "/account/sign-out-everywhere")
        assert answer.status_code == 303
        assert phone.get("/account").status_code == 303
        assert web.get("/account").status_code == 303
        assert stranger.get("/account").status_code == 200
    assert count(runtime, LearnerSessionRow) == 1


def test_learner_forms_need_the_form_token_and_a_learner(runtime: Runtime, web: TestClient) -> None:
    sign_in(runtime, web, "ada@example.org")
    web.get("/account")
    assert web.post("/account/name", data={"name": "Ada"}).status_code == 403
    assert web.post("/account/name", data={"name": "Ada", "csrf_token": "x"}).status_code == 403
    with browser(runtime) as visitor:
        token = csrf(visitor.get("/sign-in").text)
        answer = visitor.post("/account/name", data={"name": "Eve", "csrf_token": token})
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in")
    assert post(web, "/account/name", name="  Ada   Lovelace ").status_code == 303
    assert runtime.learners.get(learner_id(runtime, "ada@example.org")).display_name == (
        "Ada Lovelace"
    )
    too_long = post(web, "/account/name", name="x" * 301)
    assert too_long.status_code == 422
    assert "at most 300" in too_long.text


# ---- addresses ----------------------------------------------------------------------------------


def test_an_address_is_added_only_once_its_link_is_followed(
    runtime: Runtime, web: TestClient, smtp: SmtpServer
) -> None:
    sign_in(runtime, web, "ada@example.org")
    me = learner_id(runtime, "ada@example.org")
    answer = post(web, "/account/emails", email="Ada.Work@Example.com")
    assert answer.status_code == 200
    assert "ada.work@example.com" in answer.text
    assert runtime.learners.emails(me) == ("ada@example.org",)
    [message] = smtp.inbox.messages
    assert message["To"] == "ada.work@example.com"
    assert message["Subject"] == "Confirm your address for microcred"
    follow(web, link_in(message))
    assert set(runtime.learners.emails(me)) == {"ada@example.org", "ada.work@example.com"}
    assert "The address was added" in web.get("/account", params={"done": "added"}).text

    # Signing in with the new address is the same account.
    with browser(runtime) as other:
        sign_in(runtime, other, "ada.work@example.com")
        assert "ada@example.org" in other.get("/account").text

    # Removing one works; the last never goes.
    assert post(web, "/account/emails/remove", email="ada@example.org").status_code == 303
    last = post(web, "/account/emails/remove", email="ada.work@example.com")
    assert last.status_code == 409
    assert "cannot be removed" in last.text
    with pytest.raises(ConflictError):
        runtime.learners.remove_email(me, "ada.work@example.com")
    unknown = post(web, "/account/emails/remove", email="nobody@example.org")
    assert unknown.status_code == 404
    assert runtime.learners.emails(me) == ("ada.work@example.com",)


def test_an_address_another_learner_verified_is_refused_saying_no_more(
    runtime: Runtime, web: TestClient, smtp: SmtpServer
) -> None:
    sign_in(runtime, web, "ada@example.org")
    with browser(runtime) as bob:
        sign_in(runtime, bob, "bob@example.org")
    answer = post(web, "/account/emails", email="BOB@example.org")
    assert answer.status_code == 409
    assert "already in use by another account" in answer.text
    assert smtp.inbox.messages == []
    yours = post(web, "/account/emails", email="ada@example.org")
    assert yours.status_code == 409
    assert "already one of yours" in yours.text

    # Two learners asking for one address: the first to follow the link has it.
    me = learner_id(runtime, "ada@example.org")
    bob_id = learner_id(runtime, "bob@example.org")
    runtime.learners.request_email(me, "shared@example.org", client="a", language="en")
    runtime.learners.request_email(bob_id, "shared@example.org", client="b", language="en")
    ada_link, bob_link = (link_in(m) for m in smtp.inbox.messages)
    runtime.learners.confirm_email(bob_link.rsplit("/", 1)[1])
    with pytest.raises(EmailInUseError):
        runtime.learners.confirm_email(ada_link.rsplit("/", 1)[1])
    page = web.get(ada_link)  # the link is unused still: the refusal changed nothing
    refused = web.post(ada_link, data={"csrf_token": csrf(page.text)})
    assert refused.status_code == 409
    assert "already in use by another account" in refused.text
    assert runtime.learners.emails(me) == ("ada@example.org",)


# ---- the DID ------------------------------------------------------------------------------------


def test_a_learner_did_is_made_on_request_and_its_key_signs(
    runtime: Runtime, web: TestClient
) -> None:
    sign_in(runtime, web, "ada@example.org")
    me = learner_id(runtime, "ada@example.org")
    with pytest.raises(NotFoundError):
        runtime.learners.signing_key(me)
    assert post(web, "/account/did").status_code == 303
    did = runtime.learners.get(me).did
    assert did is not None
    assert did.startswith("did:key:z6Mk")
    assert did in web.get("/account").text
    assert runtime.learners.create_did(me) == did  # asking again changes nothing

    key = runtime.learners.signing_key(me)
    assert key.controller == did
    assert key.verification_method == f"{did}#{did[8:]}"
    PublicKey.from_multibase(did[8:]).verify(key.key.sign(b"challenge"), b"challenge")
    with runtime.sessions() as session:
        sealed = session.get(LearnerRow, me)
        assert sealed is not None
        assert sealed.did_key_sealed is not None
        assert key.key.secret_multibase.encode() not in sealed.did_key_sealed


# ---- export and deletion ------------------------------------------------------------------------


class RecordingHook:
    """Another feature's rows about learners, kept in a dict; ``fail`` makes delete raise."""

    def __init__(self) -> None:
        self.rows: dict[str, list[str]] = {}
        self.fail = False

    def export(self, session: Session, learner_id: str) -> dict[str, object]:
        return {"items": list(self.rows.get(learner_id, []))}

    def delete(self, session: Session, learner_id: str) -> None:
        if self.fail:
            raise RuntimeError("the hook failed")
        self.rows.pop(learner_id, None)


@pytest.fixture
def hook(runtime: Runtime) -> RecordingHook:
    recording = RecordingHook()
    runtime.learner_hooks.append(recording)
    return recording


def issue_to(runtime: Runtime, issuer: IssuerFixture, achievement_id: str, email: str) -> str:
    [row] = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email=email, name="Ada")]
    )
    return row.id


def test_the_export_holds_everything_as_issued(
    runtime: Runtime,
    web: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
    hook: RecordingHook,
) -> None:
    mine = issue_to(runtime, issuer, achievement_id, "Ada@Example.org")
    issue_to(runtime, issuer, achievement_id, "someone.else@example.org")
    sign_in(runtime, web, "ada@example.org")
    me = learner_id(runtime, "ada@example.org")
    runtime.learners.set_name(me, "Ada")
    did = runtime.learners.create_did(me)
    hook.rows[me] = ["wallet item"]

    answer = web.get("/account/export.json")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["cache-control"] == "no-store"
    data = answer.json()
    assert data["profile"]["displayName"] == "Ada"
    assert data["profile"]["id"] == me
    assert [e["email"] for e in data["emails"]] == ["ada@example.org"]
    assert data["did"]["id"] == did
    assert "secret" not in json.dumps(data["did"]).lower()
    with runtime.sessions() as session:
        row = session.get(CredentialRow, mine)
        assert row is not None
        assert data["credentials"] == [row.document]
    # A hook outside microcred is named by its class (a feature by its package).
    assert data["RecordingHook"] == {"items": ["wallet item"]}
    assert web.get("/account").text.count('href="/account/export.json"') == 1


def test_deletion_removes_the_learner_and_keeps_credentials_and_log_sound(
    runtime: Runtime,
    web: TestClient,
    issuer: IssuerFixture,
    achievement_id: str,
    hook: RecordingHook,
) -> None:
    credential_id = issue_to(runtime, issuer, achievement_id, "ada@example.org")
    before = runtime.transparency.latest_checkpoint()
    sign_in(runtime, web, "ada@example.org")
    me = learner_id(runtime, "ada@example.org")
    runtime.learners.create_did(me)
    runtime.learners.issue_sign_in_link("ada@example.org")
    hook.rows[me] = ["x"]
    with browser(runtime) as bob:
        sign_in(runtime, bob, "bob@example.org")

    # A wrong confirmation deletes nothing; so does a hook that fails (one transaction).
    wrong = post(web, "/account/delete", confirmation="someone@example.org")
    assert wrong.status_code == 422
    assert "Nothing was deleted" in wrong.text
    hook.fail = True
    with pytest.raises(RuntimeError):
        runtime.learners.delete(me, confirmation="ada@example.org")
    assert runtime.learners.emails(me) == ("ada@example.org",)
    hook.fail = False
    with pytest.raises(InputError):
        runtime.learners.delete(me, confirmation="")

    done = post(web, "/account/delete", confirmation=" ADA@example.org ")
    assert done.status_code == 200
    assert "Account deleted" in done.text
    assert hook.rows == {}
    with runtime.sessions() as session:
        assert session.get(LearnerRow, me) is None
        for table in (LearnerEmailRow, LearnerSessionRow, LearnerTokenRow):
            rows = session.execute(select(table).where(table.learner_id == me)).all()
            assert rows == []
        assert session.execute(select(func.count()).select_from(LearnerRow)).scalar_one() == 1
        [event] = session.execute(
            select(AuditEventRow).where(AuditEventRow.action == "learner.deleted")
        ).scalars()
        recorded = json.dumps([event.actor, event.subject, event.details])
        assert "ada" not in recorded.lower()
        assert me not in recorded
    assert web.get("/account").status_code == 303

    # The issued credential is the issuer's record: it still verifies, and the log still
    # extends the checkpoint from before.
    with runtime.sessions() as session:
        row = session.get(CredentialRow, credential_id)
        assert row is not None
        document = json.dumps(row.document).encode()
    result = runtime.verification.verify_bytes(document)
    assert result.verified, [(c.name, c.status, c.message) for c in result.checks]
    issue_to(runtime, issuer, achievement_id, "carol@example.org")
    after = runtime.transparency.latest_checkpoint()
    assert after.size > before.size
    verify_consistency(
        size1=before.size,
        size2=after.size,
        proof=runtime.transparency.consistency(before.size, after.size),
        root1=before.root_hash,
        root2=after.root_hash,
    )


# ---- the header ---------------------------------------------------------------------------------


def test_the_header_offers_sign_in_or_the_wallet_and_sign_out(
    runtime: Runtime, web: TestClient
) -> None:
    page = web.get("/verify").text
    assert 'href="/sign-in"' in page
    assert 'href="/wallet"' not in page
    sign_in(runtime, web, "ada@example.org")
    page = web.get("/verify").text
    assert 'href="/wallet"' in page
    assert 'action="/sign-out"' in page
    assert 'href="/sign-in"' not in page
    assert web.get("/verify").headers["cache-control"] == "no-store"
