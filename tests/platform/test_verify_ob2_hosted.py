"""Issue 20, defect 8: Open Badges 2.0 baked badges of the Badgr kind, whose hosted verification
names its URL in ``verify.url`` (the assertion has no http ``id``). The hosted copy is read
there (through the guarded fetcher: a local HTTP server here); an unreachable host is "could not
be checked", on the page, in the API and in the CLI alike."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microcred.cli.main import app as cli_app
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.test_fetch import LOOPBACK, LocalServer, Route
from tests.platform.test_verify_inputs import check_of, post_page
from tests.verify import ob2_fixtures as ob2

ASSERTION_PATH = "/public/assertions/Jm3bEwq9SfO0"
OB2 = "https://w3id.org/openbadges/v2"


@pytest.fixture
def local() -> Iterator[LocalServer]:
    server = LocalServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime)
    app.state.fetch_policy = LOOPBACK
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def baked_assertion(hosted_url: str, badge: str) -> dict[str, Any]:
    """What a Badgr-kind baked badge carries: a uid, and the hosted copy's URL in verify.url."""
    return {
        "@context": OB2,
        "type": "Assertion",
        "uid": "Jm3bEwq9SfO0",
        "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
        "badge": badge,
        "verify": {"type": "hosted", "url": hosted_url},
        "issuedOn": "2024-01-01T00:00:00Z",
    }


def serve_badgr_issuer(local: LocalServer) -> dict[str, Any]:
    """The issuer's profile and badge class, and the hosted assertion at verify.url, served
    at their own ids; returns the baked assertion."""
    issuer, badge = f"{local.url}/public/issuers/old", f"{local.url}/public/badges/legacy"
    hosted = f"{local.url}{ASSERTION_PATH}"
    documents = {
        issuer: {"@context": OB2, "type": "Profile", "id": issuer, "name": "Old School"},
        badge: {
            "@context": OB2,
            "type": "BadgeClass",
            "id": badge,
            "name": "Legacy Badge",
            "issuer": issuer,
            "criteria": {"narrative": "Did the thing."},
        },
        hosted: {
            "@context": OB2,
            "type": "Assertion",
            "id": hosted,
            "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
            "badge": badge,
            "verification": {"type": "HostedBadge"},
            "issuedOn": "2024-01-01T00:00:00Z",
        },
    }
    for url, document in documents.items():
        local.routes[url.removeprefix(local.url)] = Route(body=json.dumps(document).encode())
    return baked_assertion(hosted, badge)


def test_badgr_kind_baked_badge_is_read_at_verify_url(web: TestClient, local: LocalServer) -> None:
    baked = ob2.baked_png(json.dumps(serve_badgr_issuer(local)))
    body = web.post("/api/v1/verify", json={"url": upload(local, baked)}).json()
    assert body["verified"] is True, body
    assert check_of(body, "proof")["status"] == "passed"
    assert any(seen["path"] == ASSERTION_PATH for seen in local.seen)
    page = post_page(web, "file", baked)
    assert 'data-verified="true"' in page.text
    assert "found None" not in page.text


def test_a_revoked_hosted_copy_is_not_verified(web: TestClient, local: LocalServer) -> None:
    baked = serve_badgr_issuer(local)
    hosted = json.loads(local.routes[ASSERTION_PATH].body)
    local.routes[ASSERTION_PATH] = Route(body=json.dumps({**hosted, "revoked": True}).encode())
    body = web.post("/api/v1/verify", json={"credential": baked}).json()
    assert body["verified"] is False
    assert check_of(body, "status")["status"] == "failed"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once the socket is closed


def test_an_unreachable_host_could_not_be_checked_everywhere(
    web: TestClient, local: LocalServer, tmp_path: Path
) -> None:
    gone = f"http://127.0.0.1:{closed_port()}"
    baked = ob2.baked_png(
        json.dumps(baked_assertion(f"{gone}{ASSERTION_PATH}", f"{gone}/public/badges/legacy"))
    )
    api = web.post("/api/v1/verify", json={"url": upload(local, baked)}).json()
    proof = check_of(api, "proof")
    assert api["verified"] is False
    assert proof["status"] == "skipped", proof
    assert proof["message"].startswith("could not be checked")
    assert "None" not in proof["message"]

    page = post_page(web, "file", baked)
    assert 'data-verified="false"' in page.text
    assert "found None" not in page.text
    assert "could not be checked" in page.text

    badge = tmp_path / "badge.png"
    badge.write_bytes(baked)
    cli = CliRunner().invoke(cli_app, ["verify", "--json", str(badge)])
    cli_proof = check_of(json.loads(cli.stdout), "proof")
    assert cli_proof["status"] == "skipped"
    assert cli_proof["message"].startswith("could not be checked")


def upload(local: LocalServer, baked: bytes) -> str:
    local.routes["/badge.png"] = Route(body=baked)
    return f"{local.url}/badge.png"
