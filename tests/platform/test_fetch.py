"""The guarded fetcher (SSRF protection) and verification by URL, against a local server."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.errors import FetchError, UrlRefusedError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.web.app import create_app
from microcred.web.fetch import FetchPolicy, fetch
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import csrf, issue

LOOPBACK = FetchPolicy.allowing(["127.0.0.1/32"], timeout=3.0)


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: bool = False  # send the body without Content-Length, in small pieces


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                outer.seen.append(
                    {"path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
                )
                route = outer.routes.get(self.path, Route(404, b"no"))
                time.sleep(route.delay)
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                if not route.drip:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    if route.drip:
                        for i in range(0, len(route.body), 100):
                            self.wfile.write(route.body[i : i + 100])
                            self.wfile.flush()
                    else:
                        self.wfile.write(route.body)
                except OSError:
                    pass  # the client gave up (size or time limit): that is the point

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # server_close() waits for handler threads, so no socket outlives the test.
        self.httpd.daemon_threads = False
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def local() -> Iterator[LocalServer]:
    server = LocalServer()
    yield server
    server.close()


# ---- the fetcher ---------------------------------------------------------------------------------


def test_loopback_is_refused_unless_allowed(local: LocalServer) -> None:
    local.routes["/doc"] = Route(body=b'{"ok": true}', headers={"Content-Type": "application/json"})
    with pytest.raises(UrlRefusedError) as refused:
        fetch(f"{local.url}/doc", FetchPolicy(timeout=3.0))
    assert refused.value.found == "127.0.0.1 -> 127.0.0.1"
    assert local.seen == []  # refused before connecting
    got = fetch(f"{local.url}/doc", LOOPBACK)
    assert got.body == b'{"ok": true}'
    assert got.content_type == "application/json"


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not FetchPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"])
def test_public_addresses_are_permitted(address: str) -> None:
    assert FetchPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/x",
        "gopher://127.0.0.1/",
        "http://user:pw@example.org/",
        "http:///nohost",
        "http://[::1",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(UrlRefusedError):
        fetch(url, LOOPBACK)


def test_a_host_with_any_private_answer_is_refused() -> None:
    policy = FetchPolicy(resolver=lambda _h, _p: ["8.8.8.8", "10.0.0.7"])
    with pytest.raises(UrlRefusedError, match="private or reserved"):
        fetch("https://mixed.example/", policy)


def test_connects_to_the_address_it_checked(local: LocalServer) -> None:
    """The name is resolved once by the policy's resolver; the socket goes to that address,
    so a DNS server that answers differently the second time gains nothing."""
    local.routes["/pinned"] = Route(body=b"pinned")
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    policy = FetchPolicy.allowing(
        ["127.0.0.1/32"], resolver=lambda _h, _p: next(answers), timeout=3.0
    )
    got = fetch(f"http://rebind.invalid:{local.port}/pinned", policy)
    assert got.body == b"pinned"
    assert local.seen[0]["host"] == f"rebind.invalid:{local.port}"


def test_redirects_are_checked_again(local: LocalServer) -> None:
    local.routes["/hop"] = Route(302, headers={"Location": "/end"})
    local.routes["/end"] = Route(body=b"end")
    assert fetch(f"{local.url}/hop", LOOPBACK).body == b"end"
    # A redirect into a network the policy does not open is refused.
    local.routes["/escape"] = Route(302, headers={"Location": "http://169.254.169.254/latest"})
    with pytest.raises(UrlRefusedError, match="private or reserved"):
        fetch(f"{local.url}/escape", LOOPBACK)
    local.routes["/file"] = Route(302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(UrlRefusedError, match="only http and https"):
        fetch(f"{local.url}/file", LOOPBACK)


def test_redirect_loops_stop(local: LocalServer) -> None:
    local.routes["/loop"] = Route(302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(f"{local.url}/loop", LOOPBACK)
    assert len(local.seen) == LOOPBACK.max_redirects + 1


def test_no_cookies_are_kept_or_sent(local: LocalServer) -> None:
    local.routes["/set"] = Route(302, headers={"Location": "/next", "Set-Cookie": "sid=secret"})
    local.routes["/next"] = Route(body=b"ok")
    fetch(f"{local.url}/set", LOOPBACK)
    assert all("cookie" not in request for request in local.seen)
    assert local.seen[1]["accept-encoding"] == "identity"


def test_size_limit(local: LocalServer) -> None:
    policy = FetchPolicy.allowing(["127.0.0.1/32"], max_bytes=1000, timeout=3.0)
    local.routes["/big"] = Route(body=b"x" * 5000)
    with pytest.raises(FetchError, match="too large"):
        fetch(f"{local.url}/big", policy)
    local.routes["/drip"] = Route(body=b"x" * 5000, drip=True)  # no Content-Length
    with pytest.raises(FetchError, match="too large"):
        fetch(f"{local.url}/drip", policy)
    local.routes["/small"] = Route(body=b"x" * 1000, drip=True)
    assert len(fetch(f"{local.url}/small", policy).body) == 1000


def test_time_limit(local: LocalServer) -> None:
    local.routes["/slow"] = Route(body=b"late", delay=2.0)
    policy = FetchPolicy.allowing(["127.0.0.1/32"], timeout=0.5)
    started = time.monotonic()
    with pytest.raises(FetchError, match="too long"):
        fetch(f"{local.url}/slow", policy)
    assert time.monotonic() - started < 1.5


def test_http_errors_are_reported(local: LocalServer) -> None:
    with pytest.raises(FetchError) as error:
        fetch(f"{local.url}/missing", LOOPBACK)
    assert error.value.found == "HTTP 404"


# ---- verification by URL -------------------------------------------------------------------------


@pytest.fixture
def web_local(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime)
    app.state.fetch_policy = LOOPBACK
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def _ob2(local: LocalServer, *, revoked: bool = False, host: str | None = None) -> str:
    origin = f"http://{host or '127.0.0.1'}:{local.port}"
    assertion_id = f"{local.url}/assertions/1"
    issuer = {"id": f"{origin}/issuer", "type": "Profile", "name": "Old School"}
    badge = {
        "id": f"{local.url}/badge",
        "type": "BadgeClass",
        "name": "Legacy Badge",
        "issuer": f"{origin}/issuer",
        "criteria": {"narrative": "x"},
    }
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": assertion_id,
        "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
        "badge": f"{local.url}/badge",
        "verification": {"type": "hosted"},
        "issuedOn": "2024-01-01T00:00:00Z",
    }
    if revoked:
        assertion["revoked"] = True
        assertion["revocationReason"] = "issued by mistake"
    local.routes["/assertions/1"] = Route(body=json.dumps(assertion).encode())
    local.routes["/badge"] = Route(body=json.dumps(badge).encode())
    local.routes["/issuer"] = Route(body=json.dumps(issuer).encode())
    return assertion_id


def test_api_verifies_a_credential_by_url(
    web_local: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    local: LocalServer,
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    document = runtime.credentials.get_public(credential_id).document
    local.routes["/cred.json"] = Route(body=json.dumps(document).encode())
    png = web_local.get(f"/credentials/{credential_id}/badge.png").content
    local.routes["/badge.png"] = Route(body=png, headers={"Content-Type": "image/png"})
    for path in ("/cred.json", "/badge.png"):
        answer = web_local.post("/api/v1/verify", json={"url": f"{local.url}{path}"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["verified"] is True, body
        assert body["issuer"]["registeredHere"] is True
        assert {c["name"] for c in body["checks"]} >= {"proof", "status", "issuer"}
    # The same document given inline, and garbage given inline.
    inline = web_local.post("/api/v1/verify", json={"credential": document}).json()
    assert inline["verified"] is True
    bad = web_local.post("/api/v1/verify", json={"credential": "not a credential"}).json()
    assert bad["verified"] is False
    assert bad["checks"][0] == {
        "name": "input",
        "status": "failed",
        "message": bad["checks"][0]["message"],
    }


def test_api_verify_request_errors(web_local: TestClient) -> None:
    for body in ({}, {"url": "https://x.example", "credential": {}}, {"credential": 5}):
        answer = web_local.post("/api/v1/verify", json=body)
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "invalid_input"
    assert web_local.post("/api/v1/verify", content=b"[1]").status_code == 422


def test_api_url_into_private_network_is_refused_by_default(
    runtime: Runtime, local: LocalServer
) -> None:
    local.routes["/x"] = Route(body=b"{}")
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        body = client.post("/api/v1/verify", json={"url": f"{local.url}/x"}).json()
    assert body["verified"] is False
    assert "private or reserved network" in body["checks"][0]["message"]
    assert local.seen == []


def test_own_credential_urls_are_read_from_the_store(
    web_local: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    url = f"{runtime.settings.base_url}/credentials/{credential_id}"
    body = web_local.post("/api/v1/verify", json={"url": url}).json()
    assert body["verified"] is True
    assert body["summary"]["achievement"] == "Data Analysis with Python"
    missing = web_local.post("/api/v1/verify", json={"url": f"{url}x"}).json()
    assert missing["verified"] is False


def test_ob2_hosted_assertion(web_local: TestClient, local: LocalServer) -> None:
    url = _ob2(local)
    body = web_local.post("/api/v1/verify", json={"url": url}).json()
    assert body["verified"] is True, body
    assert body["format"] == "Open Badges 2.0 hosted assertion"
    assert body["summary"]["achievement"] == "Legacy Badge"
    assert body["issuer"]["name"] == "Old School"


def test_ob2_revoked_or_foreign_origin_fails(web_local: TestClient, local: LocalServer) -> None:
    url = _ob2(local, revoked=True)
    body = web_local.post("/api/v1/verify", json={"url": url}).json()
    assert body["verified"] is False
    status = next(c for c in body["checks"] if c["name"] == "status")
    assert status["status"] == "failed"
    assert "issued by mistake" in status["message"]
    # The issuer lives on another origin than the assertion: hosting proves nothing.
    url = _ob2(local, host="localhost")
    body = web_local.post("/api/v1/verify", json={"url": url}).json()
    proof = next(c for c in body["checks"] if c["name"] == "proof")
    assert proof["status"] == "failed"
    assert "not on an origin its issuer allows" in proof["message"]


def test_ob2_trusts_only_what_is_served_at_the_ids(
    web_local: TestClient, local: LocalServer
) -> None:
    # A stale copy elsewhere says "not revoked"; the assertion at its own id is revoked.
    url = _ob2(local, revoked=True)
    stale = json.loads(local.routes["/assertions/1"].body)
    del stale["revoked"], stale["revocationReason"]
    local.routes["/copy"] = Route(body=json.dumps(stale).encode())
    body = web_local.post("/api/v1/verify", json={"url": f"{local.url}/copy"}).json()
    assert body["verified"] is False
    assert next(c for c in body["checks"] if c["name"] == "status")["status"] == "failed"
    assert body["summary"]["id"] == url

    # An embedded issuer claiming another origin, and an allowedOrigins the assertion sets for
    # itself, count for nothing: the issuer profile at its own id decides.
    spoofed = json.loads(local.routes["/assertions/1"].body)
    del spoofed["revoked"]
    spoofed["id"] = f"{local.url}/assertions/2"
    spoofed["verification"] = {"type": "hosted", "allowedOrigins": [f"127.0.0.1:{local.port}"]}
    spoofed["badge"] = {
        "id": f"{local.url}/badge2",
        "type": "BadgeClass",
        "name": "Famous Badge",
        "issuer": {
            "id": f"http://localhost:{local.port}/famous",
            "type": "Profile",
            "name": "Famous University",
            "verification": {"allowedOrigins": [f"127.0.0.1:{local.port}"]},
        },
    }
    famous = {"id": f"http://localhost:{local.port}/famous", "type": "Profile", "name": "F"}
    local.routes["/assertions/2"] = Route(body=json.dumps(spoofed).encode())
    local.routes["/famous"] = Route(body=json.dumps(famous).encode())
    body = web_local.post("/api/v1/verify", json={"url": spoofed["id"]}).json()
    assert body["verified"] is False
    proof = next(c for c in body["checks"] if c["name"] == "proof")
    assert proof["status"] == "failed"
    assert f"localhost:{local.port}" in proof["message"]


def test_verify_page_by_url(
    web_local: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    local: LocalServer,
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    document = runtime.credentials.get_public(credential_id).document
    local.routes["/c"] = Route(body=json.dumps(document).encode())
    token = csrf(web_local.get("/verify").text)
    page = web_local.post("/verify", data={"url": f"{local.url}/c", "csrf_token": token})
    assert page.status_code == 200
    assert 'data-verified="true"' in page.text
    assert 'data-check="proof" data-status="passed"' in page.text
    refused = web_local.post(
        "/verify", data={"url": "http://169.254.169.254/latest/meta-data", "csrf_token": token}
    )
    assert 'data-verified="false"' in refused.text
    assert "private or reserved network" in refused.text


def test_a_credential_that_needs_the_network_is_verified_off_the_event_loop(
    web_local: TestClient,
    local: LocalServer,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The verify API tries a given credential on the event loop first (CpuLane.on_loop); one
    # whose check fetches (a hosted OB 2.0 assertion) stops before the fetch and is verified
    # in a worker thread: the same answer, one fetch per document, nothing waited on the loop.
    from microcred.web.api import verify as verify_api

    threads: list[str] = []
    real = verify_api.run_in_threadpool

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(getattr(func, "__name__", "?"))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(verify_api, "run_in_threadpool", counted)
    url = _ob2(local)
    assertion = json.loads(local.routes["/assertions/1"].body)
    local.seen.clear()
    body = web_local.post("/api/v1/verify", json={"credential": assertion}).json()
    assert body["verified"] is True, body
    assert body["format"] == "Open Badges 2.0 hosted assertion"
    assert threads == ["work"]
    assert [seen["path"] for seen in local.seen].count("/assertions/1") == 1
    assert url.endswith("/assertions/1")

    # One of our own credentials needs nothing but the database: verified on the loop.
    threads.clear()
    [row] = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, email="a@example.org")]
    )
    ours = web_local.post("/api/v1/verify", json={"credential": row.document}).json()
    assert ours["verified"] is True, ours
    assert threads == []
