"""The public page's social preview (Open Graph, Twitter card, the og.png card) names the earner
only once the earner chose to show their name with their private link (issue 19), and stops
naming them as soon as they hide it again; the image's address changes with the choice, so a
crawler's cached copy of the named card is not reused."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import HTML, issue

PREVIEW = ("og:title", "og:description", "og:image:alt", "twitter:title", "twitter:description")


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        key = values.get("property") or values.get("name")
        if tag == "meta" and key and values.get("content") is not None:
            self.meta[key] = values["content"] or ""


def preview(web: TestClient, path: str) -> dict[str, str]:
    page = web.get(path, headers=HTML)
    assert page.status_code == 200
    parser = _Meta()
    parser.feed(page.text)
    return parser.meta


def card(web: TestClient, meta: dict[str, str]) -> bytes:
    url = urlsplit(meta["og:image"])
    image = web.get(f"{url.path}?{url.query}")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    return image.content


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def test_the_preview_names_the_earner_only_with_their_consent(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id, name="Ada Lovelace")
    path = f"/credentials/{credential_id}"
    private = runtime.recipients.private_url(credential_id).removeprefix(
        "https://badges.example.org"
    )

    hidden = preview(web, path)
    assert hidden["og:title"] == "Data Analysis with Python · Alpha Academy"
    assert hidden["twitter:title"] == hidden["og:title"]
    assert all("Ada" not in hidden[key] for key in PREVIEW), hidden
    # The recipient's own view of the page previews the same: the link may be forwarded.
    assert all("Ada" not in preview(web, private)[key] for key in PREVIEW)
    anonymous_card = card(web, hidden)

    token = runtime.recipients.token(credential_id)
    runtime.recipients.set_name_public(credential_id, token, public=True)
    shown = preview(web, path)
    assert shown["og:title"] == "Ada Lovelace · Data Analysis with Python · Alpha Academy"
    assert shown["twitter:title"] == shown["og:title"]
    assert shown["og:image:alt"] == shown["og:title"]
    assert shown["og:description"].startswith("Awarded to Ada Lovelace.")
    assert shown["twitter:description"] == shown["og:description"]
    assert shown["og:image"] != hidden["og:image"]  # a new address for the named card
    assert card(web, shown) != anonymous_card  # which does carry the name

    runtime.recipients.set_name_public(credential_id, token, public=False)
    again = preview(web, path)
    assert again == hidden
    assert card(web, again) == anonymous_card


def test_a_name_in_the_preview_is_escaped(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    name = 'Ada "<script>" & Co'
    credential_id = issue(runtime, issuer, achievement_id, name=name)
    runtime.recipients.set_name_public(
        credential_id, runtime.recipients.token(credential_id), public=True
    )
    page = web.get(f"/credentials/{credential_id}", headers=HTML).text
    assert "<script>" not in page.split("</head>")[0]
    parser = _Meta()
    parser.feed(page)
    assert parser.meta["og:title"].startswith(f"{name} · ")


def test_a_credential_issued_without_a_name_previews_none(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id, email="nameless@example.org")]
    )
    runtime.recipients.set_name_public(row.id, runtime.recipients.token(row.id), public=True)
    meta = preview(web, f"/credentials/{row.id}")
    assert meta["og:title"] == "Data Analysis with Python · Alpha Academy"
    assert not meta["og:title"].startswith(" · ")
