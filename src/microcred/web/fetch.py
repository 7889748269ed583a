"""A guarded HTTP(S) client for URLs that strangers hand us (the verifier's "verify by URL").

Anyone may ask the server to fetch a URL, so every request is treated as a possible attack on
the server's own network (SSRF):

* only ``http`` and ``https``, no user:password in the URL;
* the host is resolved once, every address it resolves to must be public (not private,
  loopback, link-local, multicast, reserved, unspecified, shared or otherwise non-global),
  unless it lies in ``FetchPolicy.allowed_networks``; an IPv6 address that carries an IPv4
  one (6to4, NAT64, Teredo, IPv4-mapped/-compatible) is judged by that IPv4 host too;
* the connection goes to the address that was checked, so a second DNS answer cannot swap in
  another one (no rebinding gap); TLS still checks the certificate against the host name;
* one overall time limit, a size limit on the body (read in blocks, never whole), no
  compression (no zip bombs), no cookies, and at most a few redirects, each checked again.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from microcred.errors import FetchError, UnreachableError, UrlRefusedError, short
from microcred.settings import Settings

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "microcred-verifier/1 (+credential verification)"


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnreachableError("the host name does not resolve", found=short(host)) from exc
    return [str(info[4][0]) for info in infos]


# IPv6 ranges whose addresses carry an IPv4 address (RFC 3056, 6052, 4380, 4291, 2765). The
# local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) is reserved, so refused whole: where its IPv4
# bits sit depends on the operator's prefix length.
SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
TEREDO = ipaddress.IPv6Network("2001::/32")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 hosts an IPv6 address leads to through a relay or translator (6to4, NAT64,
    Teredo's server and client, IPv4-compatible and -translated forms); empty for others."""
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return [ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)]
    if address in TEREDO:
        server, client = address.teredo or (low32, low32)
        return [server, client]
    if address in NAT64 or address in IPV4_TRANSLATED:
        return [low32]
    if address in IPV4_COMPATIBLE and int(address) > 1:  # not :: or ::1, which are themselves
        return [low32]
    return []


def _public(address: IpAddress) -> bool:
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
    )


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch. ``allowed_networks`` opens non-public ranges (tests, intranets);
    with ``public=False`` only those ranges are reachable (the CLI's loopback-only default)."""

    allowed_networks: tuple[IpNetwork, ...] = ()
    public: bool = True
    timeout: float = 10.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 3
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def allowing(cls, networks: Iterable[str], **limits: Any) -> FetchPolicy:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks), **limits)

    def permits(self, address: IpAddress) -> bool:
        if any(address in network for network in self.allowed_networks):
            return True
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:  # ::ffff:10.0.0.1 is 10.0.0.1
                return self.permits(address.ipv4_mapped)
            embedded = embedded_ipv4(address)
            # A relay or translator takes the packet on to the IPv4 host inside the address:
            # that host must be public, whatever private ranges this policy opens directly.
            if any(not _public(host) for host in embedded):
                return False
            if embedded and address in NAT64:
                # The translator's prefix is reserved; the IPv4 host it reaches is what counts.
                return self.public
        return self.public and _public(address)

    def fetcher(self, accept: str = "application/json") -> Callable[[str], bytes]:
        """A ``Fetcher`` for the verifier (DID documents, status lists): body only."""
        return lambda url: fetch(url, self, accept=accept).body


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str  # the media type, lower case, without parameters
    body: bytes
    content_type_header: str = ""  # as sent, parameters too (a multipart's boundary)


def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    accept: str = "*/*",
    authorization: str | None = None,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET ``url`` under ``policy``; raises :class:`FetchError` (or UrlRefusedError).
    ``authorization`` (a bearer token for a platform's service) is sent to ``url``'s host
    only: a redirect elsewhere goes without it. ``headers`` (no credentials in them) go
    with every hop."""
    deadline = time.monotonic() + policy.timeout
    host = _host(url) if authorization else None
    for _hop in range(policy.max_redirects + 1):
        sent = authorization if authorization and _host(url) == host else None
        response = _get_once(url, policy, accept, deadline, sent, headers)
        if isinstance(response, Fetched):
            return response
        url = response  # a redirect target, checked on the next hop
    raise FetchError(
        "too many redirects",
        expected=f"at most {policy.max_redirects} redirects",
        found=short(url),
    )


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None  # _target refuses it with the reason


def _reachable(policy: FetchPolicy) -> str:
    networks = ", ".join(str(n) for n in policy.allowed_networks)
    if policy.public:
        return f"a public internet address{' or ' + networks if networks else ''}"
    return networks or "nothing (no network is allowed)"


def _target(url: str, policy: FetchPolicy) -> tuple[str, str, int, str, str]:
    """scheme, host, port, path+query, and the checked IP address to connect to."""
    if len(url) > 2000:
        raise UrlRefusedError("the URL is too long", expected="at most 2000 characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlRefusedError("not a valid URL", found=short(url)) from exc
    if parts.scheme not in ("http", "https"):
        raise UrlRefusedError(
            "only http and https URLs", expected="http(s)://...", found=short(url)
        )
    if parts.username is not None or parts.password is not None:
        raise UrlRefusedError("URLs with a user name or password are refused", found="userinfo")
    host = parts.hostname
    if not host:
        raise UrlRefusedError("the URL has no host", found=short(url))
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = policy.resolver(host, port)
    if not addresses:
        raise UnreachableError("the host name does not resolve", found=short(host))
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if not policy.permits(address):
            # Any forbidden answer refuses the host: we must not pick among them by luck.
            raise UrlRefusedError(
                "the URL points into a private or reserved network"
                if policy.public
                else "the URL points outside the networks this fetch may reach",
                expected=_reachable(policy),
                found=f"{host} -> {address}",
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, host, port, path, addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the IP we checked, whatever DNS says now."""

    def __init__(self, host: str, ip: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, ip: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip

    def connect(self) -> None:
        raw = socket.create_connection((self._ip, self.port), self.timeout)
        # SNI and certificate checks use the host name, the socket the checked address.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _get_once(
    url: str,
    policy: FetchPolicy,
    accept: str,
    deadline: float,
    authorization: str | None = None,
    extra: dict[str, str] | None = None,
) -> Fetched | str:
    scheme, host, port, path, ip = _target(url, policy)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise UnreachableError("the server took too long", expected=f"under {policy.timeout:g} s")
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, ip, port, remaining)
    response: http.client.HTTPResponse | None = None
    try:
        headers = {
            **(extra or {}),
            "Accept": accept,
            "Accept-Encoding": "identity",
            "User-Agent": USER_AGENT,
            "Connection": "close",
        }
        if authorization:
            headers["Authorization"] = authorization
        connection.request("GET", path, headers=headers)
        sock = connection.sock  # getresponse() hands it to the response and forgets it
        response = connection.getresponse()
        if response.status in REDIRECTS:
            location = response.getheader("Location")
            if not location:
                raise FetchError("a redirect without a Location", found=str(response.status))
            return urljoin(url, location)
        if response.status != 200:
            raise FetchError(
                "the server did not return the document",
                expected="HTTP 200",
                found=f"HTTP {response.status}",
            )
        body = _read_limited(response, sock, policy, deadline)
        header = response.getheader("Content-Type") or ""
        content_type = header.split(";")[0].strip().lower()
        return Fetched(url, response.status, content_type, body, header[:1000])
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, FetchError):  # pragma: no cover - FetchError is no OSError
            raise
        what = "the server took too long" if isinstance(exc, TimeoutError) else "fetch failed"
        # No answer at the socket level (refused, reset, timed out): the host is unreachable.
        error = UnreachableError if isinstance(exc, OSError) else FetchError
        raise error(what, found=f"{type(exc).__name__}: {short(str(exc), 120)}") from exc
    finally:
        # With "Connection: close" the response owns the socket, so it is closed too.
        if response is not None:
            response.close()
        connection.close()


def _read_limited(
    response: http.client.HTTPResponse,
    sock: socket.socket | None,
    policy: FetchPolicy,
    deadline: float,
) -> bytes:
    declared = response.getheader("Content-Length")
    too_large = FetchError(
        "the document is too large", expected=f"at most {policy.max_bytes} bytes"
    )
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise too_large
    blocks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UnreachableError(
                "the server took too long", expected=f"under {policy.timeout:g} s"
            )
        if sock is not None:  # a slow drip must not outlast the overall limit
            sock.settimeout(remaining)
        block = response.read1(64 * 1024)
        if not block:
            break
        size += len(block)
        if size > policy.max_bytes:
            raise too_large
        blocks.append(block)
    return b"".join(blocks)


@dataclass(frozen=True)
class Posted:
    """A POST's answer: its status and the first bytes of its body (for a delivery log)."""

    status: int
    body: bytes


def check_target(url: str, policy: FetchPolicy) -> None:
    """Refuse ``url`` now (scheme, user info, an address outside ``policy``) without
    connecting: a webhook target is checked when it is saved and again at each delivery."""
    _target(url, policy)


def post(
    url: str,
    body: bytes,
    policy: FetchPolicy,
    *,
    headers: dict[str, str],
    keep_bytes: int = 1024,
) -> Posted:
    """POST ``body`` to ``url`` under ``policy``; redirects are not followed (a webhook that
    moved must be re-registered, not chased into another network). Any status is returned;
    only a refused address, a failed connection or a timeout raise :class:`FetchError`."""
    deadline = time.monotonic() + policy.timeout
    scheme, host, port, path, ip = _target(url, policy)
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, ip, port, policy.timeout)
    response: http.client.HTTPResponse | None = None
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "User-Agent": USER_AGENT,
                **headers,
                "Accept-Encoding": "identity",
                "Connection": "close",
                "Content-Length": str(len(body)),
            },
        )
        sock = connection.sock
        response = connection.getresponse()
        if sock is not None:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
        return Posted(response.status, response.read(keep_bytes))
    except (OSError, http.client.HTTPException) as exc:
        what = "the server took too long" if isinstance(exc, TimeoutError) else "delivery failed"
        raise FetchError(what, found=f"{type(exc).__name__}: {short(str(exc), 120)}") from exc
    finally:
        if response is not None:
            response.close()
        connection.close()


def policy_for(state: object, settings: Settings) -> FetchPolicy:
    """The app's policy: one set on ``app.state.fetch_policy`` (tests), else from settings
    (public addresses plus ``fetch_allow_networks``)."""
    policy = getattr(state, "fetch_policy", None)
    if isinstance(policy, FetchPolicy):
        return policy
    return FetchPolicy.allowing(settings.fetch_allow_networks)


__all__ = [
    "FetchPolicy",
    "Fetched",
    "Posted",
    "UrlRefusedError",
    "check_target",
    "fetch",
    "policy_for",
    "post",
    "system_resolver",
]
