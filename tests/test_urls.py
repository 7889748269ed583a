"""The public URL scheme: what we build, we parse back; what is not ours, we do not claim."""

from __future__ import annotations

import pytest

from microcred.urls import PublicUrls, StatusListAddress

URLS = PublicUrls("https://badges.example.edu/mc")
CREDENTIAL_ID = "0b6f7c1e-5d3a-4a57-9a0e-2f1b3c4d5e6f"


def test_addresses_under_the_base() -> None:
    assert (
        URLS.credential(CREDENTIAL_ID)
        == f"https://badges.example.edu/mc/credentials/{CREDENTIAL_ID}"
    )
    assert URLS.issuer("uni") == "https://badges.example.edu/mc/issuers/uni"
    assert URLS.issuer_did("uni") == "did:web:badges.example.edu:mc:issuers:uni"
    assert URLS.server_did == "did:web:badges.example.edu:mc"
    assert URLS.achievement_image("a1") == "https://badges.example.edu/mc/achievements/a1/image"
    assert URLS.status_list("uni", "revocation", 3) == (
        "https://badges.example.edu/mc/status/uni/revocation/3"
    )
    assert URLS.log_origin == "badges.example.edu/mc/log"
    assert URLS.log_consistency(2, 5) == (
        "https://badges.example.edu/mc/log/consistency?first=2&second=5"
    )
    assert URLS.hostname == "badges.example.edu"


def test_a_query_value_is_encoded() -> None:
    assert URLS.credential_with("c", "recipient", "a b&c") == (
        "https://badges.example.edu/mc/credentials/c?recipient=a%20b%26c"
    )


@pytest.mark.parametrize("suffix", ["", "/", "/badge.png", "/badge.svg", "?recipient=x"])
def test_our_credential_addresses_parse_back(suffix: str) -> None:
    assert URLS.credential_id(URLS.credential(CREDENTIAL_ID) + suffix) == CREDENTIAL_ID


@pytest.mark.parametrize(
    "url",
    [
        f"https://other.example/mc/credentials/{CREDENTIAL_ID}",  # another host
        f"https://badges.example.edu/credentials/{CREDENTIAL_ID}",  # outside the base path
        f"https://badges.example.edu/mc/credentials/{CREDENTIAL_ID}/certificate.pdf",
        "https://badges.example.edu/mc/credentials/../issuers/uni",
        "https://badges.example.edu/mcx/credentials/abc",  # a longer base is not ours
    ],
)
def test_addresses_that_are_not_one_of_our_credentials(url: str) -> None:
    assert URLS.credential_id(url) is None


def test_status_list_addresses_parse_back_and_others_do_not() -> None:
    url = URLS.status_list("uni", "suspension", 12)
    assert URLS.status_list_address(url) == StatusListAddress("uni", "suspension", 12)
    assert URLS.status_list_address(url + "/x") is None
    assert URLS.status_list_address(URLS.status_list("uni", "revocation", 0)) is None
    assert URLS.status_list_address("https://elsewhere.example/mc/status/uni/revocation/1") is None


def test_issuer_dids_parse_back() -> None:
    did = URLS.issuer_did("uni")
    assert URLS.is_ours_did(did)
    assert URLS.issuer_slug_of_did(did) == "uni"
    assert URLS.issuer_slug_of_did(f"{did}#key-1") == "uni"
    assert URLS.issuer_slug_of_did(f"{did}:nested") is None
    assert URLS.issuer_slug_of_did("did:web:elsewhere.example:mc:issuers:uni") is None
    assert URLS.issuer_slug_of_url(URLS.issuer("uni") + "/did.json") == "uni"
    assert URLS.issuer_slug_of_url("https://elsewhere.example/mc/issuers/uni") is None


@pytest.mark.parametrize(
    "given",
    [
        "https://log.example/mc",
        "https://log.example/mc/",
        "https://log.example/mc/log",
        "https://log.example/mc/log/checkpoint",
        "https://log.example/mc/log/consistency?first=1&second=2",
    ],
)
def test_another_servers_log_is_found_from_any_of_its_addresses(given: str) -> None:
    assert PublicUrls.of_log_address(given).log_checkpoint == (
        "https://log.example/mc/log/checkpoint"
    )


def test_did_web_document_addresses_are_recognised_whatever_the_scheme() -> None:
    local = PublicUrls("http://127.0.0.1:8000")
    assert (
        local.issuer_slug_of_did_document_url("https://127.0.0.1:8000/issuers/uni/did.json")
        == "uni"
    )
    assert (
        local.issuer_slug_of_did_document_url("https://127.0.0.1:8000/issuers/a%2Fb/did.json")
        is None
    )
    assert local.issuer_slug_of_did_document_url("https://127.0.0.1:8000/issuers/uni") is None
    assert local.issuer_slug_of_did_document_url("https://elsewhere/issuers/uni/did.json") is None
