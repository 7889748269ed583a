"""Issue 19: an owner takes someone off the staff or changes their role. Removal ends their
console sessions and revokes the API keys they made, at once; the last owner stays; another
issuer's staff are out of reach; every step is in the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from microcred.accounts.actor import SYSTEM, Role
from microcred.accounts.staff import actor_for
from microcred.runtime import Runtime
from microcred.store.db import alembic_config
from microcred.store.tables import StaffUserRow
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import csrf, sign_in, staff

Browsers = Callable[[], TestClient]


@pytest.fixture
def browsers(runtime: Runtime) -> Iterator[Browsers]:
    """Separate browsers (cookie jars) on one app."""
    app = create_app(runtime)
    opened: list[TestClient] = []

    def new() -> TestClient:
        client = TestClient(app, base_url="https://testserver")
        client.__enter__()
        opened.append(client)
        return client

    yield new
    for client in opened:
        client.__exit__(None, None, None)


def member(runtime: Runtime, issuer: IssuerFixture, email: str) -> StaffUserRow:
    users = runtime.staff.list(SYSTEM, issuer.id)
    return next(u for u in users if u.email == email)


def console_key(web: TestClient, name: str, role: Role) -> str:
    """An API key made in the console by whoever is signed in; its token."""
    page = web.get("/console/api-keys")
    made = web.post(
        "/console/api-keys", data={"csrf_token": csrf(page.text), "name": name, "role": role}
    )
    assert made.status_code == 201, made.text
    token = re.search(r'id="token" type="text" readonly value="([^"]+)"', made.text)
    assert token
    return token.group(1)


def api_works(web: TestClient, issuer: IssuerFixture, token: str) -> bool:
    answer = web.get(
        f"/api/v1/issuers/{issuer.id}/achievements", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def test_removal_ends_the_sessions_and_revokes_the_keys_at_once(
    browsers: Browsers, runtime: Runtime, issuer: IssuerFixture
) -> None:
    boss, bob_laptop, bob_phone = browsers(), browsers(), browsers()
    sign_in(boss, staff(runtime, issuer, "owner"))
    bob_email = staff(runtime, issuer, "owner", email="bob@alpha.example")
    sign_in(bob_laptop, bob_email)
    sign_in(bob_phone, bob_email)
    bobs_key = console_key(bob_laptop, "Bob's script", "issuer")
    bosses_key = console_key(boss, "The boss's script", "issuer")
    assert api_works(boss, issuer, bobs_key)
    bob = member(runtime, issuer, bob_email)

    confirm = boss.get(f"/console/settings/staff/{bob.id}/remove")
    assert confirm.status_code == 200
    assert "Bob&#39;s script" in confirm.text  # what will be revoked is named first
    assert runtime.staff.get(bob.id) is not None  # asking removes nothing
    removed = boss.post(
        f"/console/settings/staff/{bob.id}/remove",
        data={"csrf_token": csrf(confirm.text)},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert removed.headers["location"] == "/console/settings/staff?done=removed"

    assert runtime.staff.get(bob.id) is None
    for device in (bob_laptop, bob_phone):  # the very next request is signed out
        answer = device.get("/console", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/sign-in")
    assert not api_works(boss, issuer, bobs_key)
    assert api_works(boss, issuer, bosses_key)  # only the keys he made
    assert api_works(boss, issuer, issuer.token)  # and not the operator's

    events = runtime.audit.list(SYSTEM, issuer.id, action="staff.removed").events
    assert len(events) == 1
    assert events[0].actor == "staff:owner@alpha.example"
    assert events[0].subject == "staff:bob@alpha.example"
    assert events[0].details["sessions_ended"] == 2
    assert len(events[0].details["revoked_api_keys"]) == 1
    assert runtime.audit.list(SYSTEM, issuer.id, action="apikey.revoked").total == 1
    listing = boss.get("/console/settings/staff?done=removed").text
    assert "bob@alpha.example" not in listing
    # The address is free again: the person can be added back later, with a new account.
    staff(runtime, issuer, "viewer", email=bob_email)


def test_the_last_owner_can_be_neither_removed_nor_demoted(
    browsers: Browsers, runtime: Runtime, issuer: IssuerFixture
) -> None:
    web = browsers()
    sign_in(web, staff(runtime, issuer, "owner"))
    me = member(runtime, issuer, "owner@alpha.example")
    token = csrf(web.get("/console/settings/staff").text)
    refused = web.post(f"/console/settings/staff/{me.id}/remove", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "only owner cannot be removed" in refused.text
    assert "owner@alpha.example is the only owner" in refused.text
    demoted = web.post(
        f"/console/settings/staff/{me.id}/role", data={"csrf_token": token, "role": "issuer"}
    )
    assert demoted.status_code == 409
    assert "only owner cannot be demoted" in demoted.text
    assert web.get("/console", follow_redirects=False).status_code == 200  # still signed in
    assert runtime.audit.list(SYSTEM, issuer.id, action="staff.removed").total == 0

    # With a second owner, one may leave; their own session ends with it.
    staff(runtime, issuer, "owner", email="second@alpha.example")
    left = web.post(
        f"/console/settings/staff/{me.id}/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert left.status_code == 303
    assert left.headers["location"] == "/console/sign-in"
    assert web.get("/console", follow_redirects=False).status_code == 303


def test_an_owner_of_one_issuer_cannot_touch_another_issuers_staff(
    browsers: Browsers,
    runtime: Runtime,
    issuer: IssuerFixture,
    other_issuer: IssuerFixture,
) -> None:
    web, theirs = browsers(), browsers()
    sign_in(web, staff(runtime, issuer, "owner"))
    beta_email = staff(runtime, other_issuer, "owner", email="owner@beta.example")
    staff(runtime, other_issuer, "owner", email="second@beta.example")  # not the last owner
    sign_in(theirs, beta_email)
    beta = member(runtime, other_issuer, beta_email)
    token = csrf(web.get("/console/settings/staff").text)
    assert web.get(f"/console/settings/staff/{beta.id}/remove").status_code == 404
    answer = web.post(f"/console/settings/staff/{beta.id}/remove", data={"csrf_token": token})
    assert answer.status_code == 404
    assert runtime.staff.get(beta.id) is not None
    assert theirs.get("/console", follow_redirects=False).status_code == 200
    assert runtime.audit.list(SYSTEM, other_issuer.id, action="staff.removed").total == 0


@pytest.mark.parametrize("role", ["viewer", "issuer"])
def test_only_owners_remove(
    browsers: Browsers, runtime: Runtime, issuer: IssuerFixture, role: Role
) -> None:
    web = browsers()
    sign_in(web, staff(runtime, issuer, role))
    victim = member(runtime, issuer, staff(runtime, issuer, "owner"))
    token = csrf(web.get("/console").text)
    assert web.get(f"/console/settings/staff/{victim.id}/remove").status_code == 403
    answer = web.post(f"/console/settings/staff/{victim.id}/remove", data={"csrf_token": token})
    assert answer.status_code == 403
    assert runtime.staff.get(victim.id) is not None


def test_demotion_revokes_only_the_keys_above_the_new_role(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    staff(runtime, issuer, "owner")
    carol = member(runtime, issuer, staff(runtime, issuer, "owner", email="carol@alpha.example"))
    as_carol = actor_for(carol)
    owner_key, _ = runtime.issuers.create_api_key(as_carol, issuer.id, "admin", "owner")
    issuer_key, _ = runtime.issuers.create_api_key(as_carol, issuer.id, "issuing", "issuer")
    runtime.staff.set_role(SYSTEM, issuer.id, carol.id, "issuer")
    keys = {k.id: k for k in runtime.issuers.list_api_keys(SYSTEM, issuer.id)}
    assert keys[owner_key.id].revoked_at is not None
    assert keys[issuer_key.id].revoked_at is None
    event = runtime.audit.list(SYSTEM, issuer.id, action="staff.role_changed").events[0]
    assert event.details["revoked_api_keys"] == [owner_key.prefix]


def test_the_migration_ties_older_keys_to_their_maker_from_the_audit_log(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0023")
        now = "2026-12-01 10:00:00.000000"
        connection.execute(
            text(
                "INSERT INTO staff_users (id, issuer_id, email, name, role, password_hash,"
                " failed_logins, created_at) VALUES"
                " ('u1', 'i1', 'dan@alpha.example', 'Dan', 'owner', 'x', 0, :now)"
            ),
            {"now": now},
        )
        for key, prefix in (("k1", "aaa"), ("k2", "bbb")):
            connection.execute(
                text(
                    "INSERT INTO api_keys (id, issuer_id, name, role, prefix, secret_hash,"
                    " created_at) VALUES (:id, 'i1', 'n', 'issuer', :prefix, 'h', :now)"
                ),
                {"id": key, "prefix": prefix, "now": now},
            )
        for actor, prefix in (("staff:dan@alpha.example", "aaa"), ("api-key:zzz", "bbb")):
            connection.execute(
                text(
                    "INSERT INTO audit_events (issuer_id, actor, action, subject, details, at)"
                    " VALUES ('i1', :actor, 'apikey.created', :subject, '{}', :now)"
                ),
                {"actor": actor, "subject": f"api-key:{prefix}", "now": now},
            )
        command.upgrade(config, "0024")
        made = dict(connection.execute(text("SELECT id, created_by FROM api_keys")).all())
    engine.dispose()
    assert made == {"k1": "u1", "k2": None}
