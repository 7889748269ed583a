"""Defect 9 of issue 20: IPv6 addresses that carry an IPv4 address inside them.

A 6to4 address (2002::/16) is routed to the IPv4 host its next 32 bits name, a NAT64 address
(64:ff9b::/96) is translated to the IPv4 host of its last 32 bits, and so on: the fetcher must
judge the IPv4 host, so none of these reaches a private network. The embedded host is judged by
the public rules even when the policy opens private ranges: a relay or translator does not lead
into our own network. Public hosts behind 6to4 or NAT64 stay reachable.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest
from fastapi.testclient import TestClient

from microcred.errors import UrlRefusedError
from microcred.runtime import Runtime
from microcred.web.app import create_app
from microcred.web.fetch import FetchPolicy, fetch

# Each embeds a private, loopback, link-local or shared IPv4 address.
EMBEDDING_PRIVATE = {
    "6to4 10.0.0.1": "2002:a00:1::",
    "6to4 127.0.0.1": "2002:7f00:1::1",
    "6to4 169.254.169.254 (cloud metadata)": "2002:a9fe:a9fe::",
    "6to4 192.168.1.1": "2002:c0a8:101:1::1",
    "6to4 100.64.0.1 (shared)": "2002:6440:1::",
    "6to4 0.0.0.0": "2002::1",
    "NAT64 10.0.0.1": "64:ff9b::a00:1",
    "NAT64 127.0.0.1": "64:ff9b::7f00:1",
    "NAT64 local-use prefix": "64:ff9b:1::a00:1",
    "IPv4-mapped 10.0.0.1": "::ffff:10.0.0.1",
    "IPv4-mapped 127.0.0.1": "::ffff:127.0.0.1",
    "IPv4-compatible 10.0.0.1": "::10.0.0.1",
    "IPv4-compatible 127.0.0.1": "::127.0.0.1",
    "IPv4-translated 10.0.0.1": "::ffff:0:a00:1",
    "Teredo, client 10.0.0.1": "2001:0:4136:e378:8000:63bf:f5ff:fffe",
    "Teredo, server 10.0.0.1": "2001:0:a00:1::1",
}
# The same kinds of address, embedding a public host.
EMBEDDING_PUBLIC = {
    "6to4 8.8.8.8": "2002:808:808::1",
    "NAT64 8.8.8.8": "64:ff9b::808:808",
    "IPv4-mapped 8.8.8.8": "::ffff:8.8.8.8",
}


@pytest.fixture(autouse=True)
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a check let one through, the test fails here and no packet leaves the machine."""

    def refuse(address: object, *_args: object, **_kwargs: object) -> socket.socket:
        raise AssertionError(f"the fetcher connected to {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE.values(), ids=EMBEDDING_PRIVATE.keys())
def test_addresses_embedding_a_private_ipv4_are_refused(address: str) -> None:
    assert not FetchPolicy().permits(ipaddress.ip_address(address))
    # Opening the private IPv4 range (an intranet) opens it directly, not through a relay.
    intranet = FetchPolicy.allowing(["10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16"])
    if not address.startswith("::ffff:1"):  # ::ffff:10.0.0.1 is 10.0.0.1 itself
        assert not intranet.permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", EMBEDDING_PUBLIC.values(), ids=EMBEDDING_PUBLIC.keys())
def test_addresses_embedding_a_public_ipv4_are_permitted(address: str) -> None:
    assert FetchPolicy().permits(ipaddress.ip_address(address))
    assert not FetchPolicy(public=False).permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE.values(), ids=EMBEDDING_PRIVATE.keys())
def test_every_fetch_refuses_them_before_connecting(address: str) -> None:
    policy = FetchPolicy(resolver=lambda _host, _port: [address], timeout=1.0)
    with pytest.raises(UrlRefusedError, match="private or reserved") as refused:
        fetch("https://sneaky.example/credential.json", policy)
    assert refused.value.found == f"sneaky.example -> {ipaddress.ip_address(address)}"


def test_verify_by_url_refuses_a_6to4_host(runtime: Runtime) -> None:
    app = create_app(runtime)
    app.state.fetch_policy = FetchPolicy(resolver=lambda _host, _port: ["2002:a00:1::"])
    with TestClient(app, base_url="https://testserver") as client:
        body = client.post("/api/v1/verify", json={"url": "https://sneaky.example/c"}).json()
    assert body["verified"] is False
    assert "private or reserved network" in body["checks"][0]["message"]
