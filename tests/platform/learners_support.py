"""Helpers for the learner-account tests: a browser-like client over https, the form token
of a page, and signing a learner in through a link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient

from microcred.runtime import Runtime
from microcred.web.app import create_app

LINK = re.compile(
    r"https://badges\.example\.org(/(?:sign-in|account/emails/verify)/[A-Za-z0-9_-]+)"
)


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    """A client over https (the cookies are Secure), that does not follow redirects."""
    with TestClient(
        create_app(runtime), base_url="https://testserver", follow_redirects=False
    ) as client:
        yield client


def browser(runtime: Runtime) -> TestClient:
    """Another browser on the same server (its own cookies); close it after use."""
    return TestClient(create_app(runtime), base_url="https://testserver", follow_redirects=False)


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no form token"
    return match.group(1)


def link_path(url_or_text: str) -> str:
    match = LINK.search(url_or_text)
    assert match, f"no learner link in {url_or_text[:200]!r}"
    return match.group(1)


def link_in(message: EmailMessage) -> str:
    """The link path in a received message's plain-text part."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return link_path(body.get_content())


def follow(client: TestClient, path: str) -> TestClient:
    """Open a link's confirmation page and press its button; the answer of the POST."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    answer = client.post(path, data={"csrf_token": csrf(page.text)})
    assert answer.status_code == 303, answer.text
    return client


def sign_in(runtime: Runtime, client: TestClient, email: str) -> None:
    """Sign ``client`` in as ``email`` through a link made without mail."""
    follow(client, link_path(runtime.learners.issue_sign_in_link(email)))
