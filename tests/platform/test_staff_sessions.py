"""Issue 20, defect 7: a console session ends on the server when its user signs out, and failed
sign-ins are limited per client: a stranger can neither lock a staff member out nor spray
guesses over many accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.staff import LOCKOUT, MAX_FAILED_PER_CLIENT, StaffService
from microcred.errors import AccountLockedError, RateLimitedError, SignInError
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import PASSWORD, csrf, sign_in, staff

Clients = Callable[[str], TestClient]


@pytest.fixture
def clients(runtime: Runtime) -> Iterator[Clients]:
    """Browsers at different addresses, on one app."""
    app = create_app(runtime)
    opened: list[TestClient] = []

    def at(address: str) -> TestClient:
        client = TestClient(app, base_url="https://testserver", client=(address, 40000))
        client.__enter__()
        opened.append(client)
        return client

    yield at
    for client in opened:
        client.__exit__(None, None, None)


def attempt(client: TestClient, email: str, password: str) -> int:
    token = csrf(client.get("/console/sign-in").text)
    response = client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return response.status_code


def test_a_copied_session_cookie_stops_working_after_sign_out(
    clients: Clients, runtime: Runtime, issuer: IssuerFixture
) -> None:
    web = clients("192.0.2.10")
    sign_in(web, staff(runtime, issuer))
    cookie = web.cookies.get("mc_session")
    assert cookie
    dashboard = web.get("/console")
    assert dashboard.status_code == 200
    signed_out = web.post(
        "/console/sign-out", data={"csrf_token": csrf(dashboard.text)}, follow_redirects=False
    )
    assert signed_out.status_code == 303
    thief = clients("198.51.100.7")
    thief.cookies.set("mc_session", cookie)
    assert thief.get("/console", follow_redirects=False).status_code == 303


def test_signing_out_ends_only_that_session(
    clients: Clients, runtime: Runtime, issuer: IssuerFixture
) -> None:
    email = staff(runtime, issuer)
    laptop, phone = clients("192.0.2.10"), clients("192.0.2.11")
    sign_in(laptop, email)
    sign_in(phone, email)
    dashboard = laptop.get("/console")
    laptop.post("/console/sign-out", data={"csrf_token": csrf(dashboard.text)})
    assert laptop.get("/console", follow_redirects=False).status_code == 303
    assert phone.get("/console", follow_redirects=False).status_code == 200


def test_a_stranger_cannot_lock_a_staff_member_out(
    clients: Clients, runtime: Runtime, issuer: IssuerFixture
) -> None:
    email = staff(runtime, issuer)
    stranger = clients("203.0.113.66")
    statuses = [attempt(stranger, email, "guess number one") for _ in range(6)]
    assert statuses[:4] == [401] * 4
    assert statuses[4:] == [429, 429]
    # Refused to the stranger even with the right password: guessing on teaches nothing.
    assert attempt(stranger, email, PASSWORD) == 429
    # The staff member, from their own network, signs in as usual.
    assert attempt(clients("192.0.2.10"), email, PASSWORD) == 303


def test_a_client_cannot_spray_guesses_over_many_accounts(
    clients: Clients, runtime: Runtime, issuer: IssuerFixture
) -> None:
    email = staff(runtime, issuer)
    sprayer = clients("203.0.113.66")
    statuses = [
        attempt(sprayer, f"nobody{i}@alpha.example", "guess number one")
        for i in range(MAX_FAILED_PER_CLIENT + 1)
    ]
    assert statuses[:MAX_FAILED_PER_CLIENT] == [401] * MAX_FAILED_PER_CLIENT
    assert statuses[-1] == 429
    assert attempt(sprayer, email, PASSWORD) == 429  # a real account too, from that client
    token = csrf(sprayer.get("/console/sign-in").text)
    page = sprayer.post(
        "/console/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert "from this device or network" in page.text
    assert int(page.headers["retry-after"]) > 0
    assert attempt(clients("192.0.2.10"), email, PASSWORD) == 303


def test_per_client_limits_end_with_their_window(runtime: Runtime, issuer: IssuerFixture) -> None:
    now = [runtime.clock()]
    service = StaffService(runtime.sessions, clock=lambda: now[0])
    email = staff(runtime, issuer)
    for _ in range(4):
        with pytest.raises(SignInError) as caught:
            service.authenticate(email, "nope nope nope", client="203.0.113.66")
        assert not isinstance(caught.value, AccountLockedError)
    with pytest.raises(AccountLockedError):
        service.authenticate(email, "nope nope nope", client="203.0.113.66")
    assert service.authenticate(email, PASSWORD, client="192.0.2.10").email == email
    for i in range(MAX_FAILED_PER_CLIENT):
        with pytest.raises(SignInError):
            service.authenticate(f"x{i}@alpha.example", "nope nope nope", client="198.51.100.1")
    with pytest.raises(RateLimitedError):
        service.authenticate("y@alpha.example", "nope nope nope", client="198.51.100.1")
    now[0] += LOCKOUT + timedelta(seconds=1)
    assert service.authenticate(email, PASSWORD, client="203.0.113.66").email == email
    with pytest.raises(SignInError) as caught:
        service.authenticate("y@alpha.example", "nope nope nope", client="198.51.100.1")
    assert not isinstance(caught.value, RateLimitedError)
