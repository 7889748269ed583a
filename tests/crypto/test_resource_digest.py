"""relatedResource digests: SRI metadata (strongest algorithm wins) and multibase multihashes."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from microcred.crypto.multibase import b58encode
from microcred.crypto.resource_digest import check_digests
from microcred.errors import InputError, ProofError

BODY = b'{"@context": {"name": "https://schema.org/name"}}\n'
OTHER = BODY.replace(b"name", b"nom")


def sri(algorithm: str, body: bytes = BODY) -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, body).digest()).decode()


def multihash(code: int, function: str, body: bytes = BODY) -> bytes:
    digest = hashlib.new(function, body).digest()
    return bytes([code, len(digest)]) + digest


def u(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "entry",
    [
        {"digestSRI": sri("sha384")},
        {"digestSRI": sri("sha256")},
        {"digestSRI": f"{sri('sha256', OTHER)} {sri('sha512')}"},  # only the strongest counts
        {"digestSRI": f"md5-AAAA {sri('sha384')}?ct=application/ld+json"},
        {"digestMultibase": u(multihash(0x12, "sha256"))},
        {"digestMultibase": "z" + b58encode(multihash(0x20, "sha384"))},
        {"digestMultibase": u(multihash(0x16, "sha3_256"))},
        {"digestSRI": sri("sha384"), "digestMultibase": u(multihash(0x13, "sha512"))},
    ],
)
def test_matching_digests_pass(entry: dict[str, Any]) -> None:
    check_digests({"id": "https://example.org/ctx", **entry}, BODY)


@pytest.mark.parametrize(
    "entry",
    [
        {"digestSRI": sri("sha384", OTHER)},
        {"digestSRI": f"{sri('sha256')} {sri('sha512', OTHER)}"},  # a weaker match is not enough
        {"digestMultibase": u(multihash(0x12, "sha256", OTHER))},
        {"digestSRI": sri("sha384"), "digestMultibase": u(multihash(0x12, "sha256", OTHER))},
    ],
)
def test_a_changed_resource_fails(entry: dict[str, Any]) -> None:
    with pytest.raises(ProofError, match="does not match") as caught:
        check_digests({"id": "https://example.org/ctx", **entry}, BODY)
    assert caught.value.expected is not None
    assert caught.value.found is not None


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ({}, "states no digest"),
        ({"digestSRI": ""}, "not SRI metadata"),
        ({"digestSRI": "md5-AAAA"}, "no algorithm we know"),
        ({"digestSRI": "sha384-not*base64"}, "not base64"),
        ({"digestMultibase": "f1220ab"}, "not multibase"),
        ({"digestMultibase": u(bytes([0x11, 20]) + bytes(20))}, "no multihash we know"),
        ({"digestMultibase": u(multihash(0x12, "sha256")[:-1])}, "wrong length"),
        ({"digestMultibase": "z0OIl"}, "not base58btc"),
    ],
)
def test_unreadable_digests_are_refused_by_name(entry: dict[str, Any], text: str) -> None:
    with pytest.raises(InputError, match=text):
        check_digests({"id": "https://example.org/ctx", **entry}, BODY)
