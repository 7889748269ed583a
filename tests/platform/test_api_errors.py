"""Bad input gets a 4xx with a stable JSON error code, never a 500; the API documents itself."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

from microcred.errors import LogStoreError
from microcred.runtime import Runtime
from tests.platform.conftest import IssuerFixture

MB = 1024 * 1024


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


def _issue(client: TestClient, issuer: IssuerFixture, **kwargs: Any) -> Any:
    return client.post(f"/api/v1/issuers/{issuer.id}/credentials", headers=issuer.headers, **kwargs)


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"achievementId": "x",}',
        b"\xff\xfe\x00garbage",
        b"",
        b"[" * 50_000 + b"]" * 50_000,
    ],
    ids=["truncated", "trailing-comma", "not-utf8", "empty", "deeply-nested"],
)
def test_malformed_json_is_a_4xx(client: TestClient, issuer: IssuerFixture, body: bytes) -> None:
    response = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        content=body,
        headers={**issuer.headers, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"] in ("invalid_request", "http_error")


@pytest.mark.parametrize("path", ["/api/v1/verify", "/credentials/verify"])
@pytest.mark.parametrize(
    ("body", "code"),
    [(b"{", "invalid_input"), (b"[" * 50_000 + b"]" * 50_000, "invalid_model")],
    ids=["bad", "nested"],
)
@pytest.mark.parametrize("recursion_limit", [None, 100_000], ids=["default", "raised"])
def test_raw_json_routes_refuse_unreadable_bodies(
    client: TestClient,
    path: str,
    body: bytes,
    code: str,
    recursion_limit: int | None,
) -> None:
    """Too deep is one answer whether json.loads gave up (the default recursion limit) or read
    it (a library raised the limit): the nesting refusal, never "not JSON"."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(recursion_limit or previous)
    try:
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    finally:
        sys.setrecursionlimit(previous)
    _error(response, 422, code)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"achievementId": 5, "recipient": {"email": "a@example.org"}}, "achievementId"),
        ({"achievementId": "x", "recipient": "a@example.org"}, "recipient"),
        ({"achievementId": "x"}, "recipient"),
        ({"achievementId": "x", "recipient": {"email": ["a@example.org"]}}, "recipient.email"),
        ({"achievementId": "x", "recipient": {}, "validFrom": "yesterday"}, "validFrom"),
        ({"achievementId": "x", "recipient": {}, "surprise": True}, "surprise"),
        ([], ""),
    ],
)
def test_wrong_types_are_422_naming_the_field(
    client: TestClient, issuer: IssuerFixture, body: Any, field: str
) -> None:
    error = _error(_issue(client, issuer, json=body), 422, "invalid_request")
    fields = [p["field"] for p in error["problems"]]
    assert any(f == field or f.startswith(f"{field}.") for f in fields), fields


def test_a_recipient_without_email_or_did_is_422(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    response = _issue(client, issuer, json={"achievementId": achievement_id, "recipient": {}})
    _error(response, 422, "invalid_input")


def test_an_unknown_achievement_is_404(client: TestClient, issuer: IssuerFixture) -> None:
    body = {"achievementId": "no-such-achievement", "recipient": {"email": "a@example.org"}}
    error = _error(_issue(client, issuer, json=body), 404, "not_found")
    assert error["found"] == "'no-such-achievement'"


def test_another_issuers_achievement_is_404(
    client: TestClient, other_issuer: IssuerFixture, achievement_id: str
) -> None:
    body = {"achievementId": achievement_id, "recipient": {"email": "a@example.org"}}
    _error(_issue(client, other_issuer, json=body), 404, "not_found")


def test_a_huge_upload_is_refused(
    client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    path = f"/api/v1/issuers/{issuer.id}/achievements/{achievement_id}/image"
    response = client.put(path, content=b"\x89PNG" + b"\0" * (9 * MB), headers=issuer.headers)
    error = _error(response, 422, "invalid_input")
    assert error["message"] == "upload is too large"


def test_a_huge_json_field_is_a_4xx(client: TestClient, issuer: IssuerFixture) -> None:
    body = {"achievementId": "x", "recipient": {"email": "a@example.org", "name": "n" * MB}}
    _error(_issue(client, issuer, json=body), 422, "invalid_request")


def test_an_image_that_is_not_one_is_422(client: TestClient, issuer: IssuerFixture) -> None:
    response = client.put(
        f"/api/v1/issuers/{issuer.id}/logo", content=b"<html>hi</html>", headers=issuer.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"]


@pytest.mark.parametrize(
    "params",
    [{"limit": "lots"}, {"limit": 0}, {"offset": -5}, {"state": "deleted"}, {"issuedAfter": "x"}],
)
def test_bad_query_parameters_are_422(
    client: TestClient, issuer: IssuerFixture, params: dict[str, Any]
) -> None:
    response = client.get(
        f"/api/v1/issuers/{issuer.id}/credentials", params=params, headers=issuer.headers
    )
    _error(response, 422, "invalid_request")


def test_issuer_settings_are_checked(client: TestClient, issuer: IssuerFixture) -> None:
    path = f"/api/v1/issuers/{issuer.id}"
    for body in ({"country": "Germany"}, {"url": "ftp://x"}, {"email": "nobody"}, {"name": ""}):
        response = client.patch(path, json=body, headers=issuer.headers)
        _error(response, 422, "invalid_input")
    unknown = client.patch(path, json={"slug": "other"}, headers=issuer.headers)
    _error(unknown, 422, "invalid_request")


def test_unknown_routes_and_methods_are_json(client: TestClient, issuer: IssuerFixture) -> None:
    _error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    _error(
        client.delete(f"/api/v1/issuers/{issuer.id}/keys/rotate", headers=issuer.headers),
        405,
        "method_not_allowed",
    )


def test_unknown_ids_are_404(client: TestClient, issuer: IssuerFixture) -> None:
    base = f"/api/v1/issuers/{issuer.id}"
    for path in (f"{base}/credentials/nope", f"{base}/achievements/nope"):
        _error(client.get(path, headers=issuer.headers), 404, "not_found")
    _error(client.delete(f"{base}/api-keys/nope", headers=issuer.headers), 404, "not_found")
    _error(client.get("/api/v1/issuers/nope", headers=issuer.headers), 404, "not_found")


def test_the_openapi_document_and_docs_page(client: TestClient) -> None:
    document = client.get("/openapi.json")
    assert document.status_code == 200, document.text
    spec = document.json()
    assert spec["info"]["title"] == "microcred"
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/issuers/{issuer_id}/credentials", "post"),
        ("/api/v1/issuers/{issuer_id}/audit", "get"),
        ("/credentials/issue", "post"),
        ("/credentials/verify", "post"),
        ("/presentations/verify", "post"),
    ]:
        assert method in paths[path], path
    issue = paths["/credentials/issue"]["post"]
    schema = issue["requestBody"]["content"]["application/json"]["schema"]
    assert "credential" in schema["properties"]
    assert "201" in issue["responses"]

    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "/openapi.json" in docs.text


def test_an_unreadable_log_is_our_fault_and_says_so_without_details(
    client: TestClient,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A log store that cannot be read raises LogStoreError: a 500 with its own code, the
    details in our log and not in the answer."""

    def unreadable(*_args: object) -> None:
        raise LogStoreError("log store has no node (3, 0)", expected="a stored node")

    monkeypatch.setattr(runtime.transparency, "inclusion", unreadable)
    with caplog.at_level("ERROR", logger="microcred.web.errors"):
        response = client.get("/log/inclusion", params={"credential": "x"})
    error = _error(response, 500, "log_store_failed")
    assert error["message"] == "something went wrong on our side"
    assert "expected" not in error
    assert any("LogStoreError answered 500" in r.getMessage() for r in caplog.records)
    assert any("no node (3, 0)" in r.getMessage() for r in caplog.records)
