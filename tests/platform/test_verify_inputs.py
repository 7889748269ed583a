"""The verifier's other ways in, through the page and the API: a QR code in a picture, OB 2.0
signed assertions served by a (local) issuer, and check messages in the reader's language."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime
from microcred.verify.qr import MAX_IMAGE_BYTES
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_fetch import LOOPBACK, LocalServer, Route
from tests.platform.test_pages import csrf, issue
from tests.verify import ob2_fixtures as ob2
from tests.verify.qr_fixtures import qr_photo, qr_png


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


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def post_page(web: TestClient, field: str, data: bytes, **headers: str) -> Any:
    token = csrf(web.get("/verify").text)
    return web.post(
        "/verify",
        data={"csrf_token": token},
        files={field: ("picture.jpg", data, "image/jpeg")},
        headers=headers,
    )


def check_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in body["checks"] if c["name"] == name)


# ---- QR codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["png", "photo"])
def test_qr_of_our_credential_url_verifies_through_page_and_api(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str, kind: str
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    url = f"{runtime.settings.base_url}/credentials/{credential_id}"
    picture = qr_png(url) if kind == "png" else qr_photo(url)

    body = web.post("/api/v1/verify", json={"qr": b64(picture)}).json()
    assert body["verified"] is True, body
    assert body["qr"] == url
    assert body["issuer"]["registeredHere"] is True
    assert check_of(body, "proof")["status"] == "passed"

    for field in ("qr", "file"):  # the badge-image field also reads a plain QR picture
        page = post_page(web, field, picture)
        assert page.status_code == 200
        assert 'data-verified="true"' in page.text
        assert f"<code>{url}</code>" in page.text
        assert 'data-check="status" data-status="passed"' in page.text


def test_qr_pointing_elsewhere_goes_through_the_guarded_fetcher(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str, local: Any
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)
    document = runtime.credentials.get_public(credential_id).document
    local.routes["/c.json"] = Route(body=json.dumps(document).encode())
    body = web.post("/api/v1/verify", json={"qr": b64(qr_png(f"{local.url}/c.json"))}).json()
    assert body["verified"] is True, body
    assert [request["path"] for request in local.seen] == ["/c.json"]
    # Into a private network, it is refused like a typed URL.
    refused = web.post(
        "/api/v1/verify", json={"qr": b64(qr_png("http://169.254.169.254/latest/meta-data"))}
    ).json()
    assert refused["verified"] is False
    assert "private or reserved network" in refused["checks"][0]["message"]


def test_qr_that_holds_nothing_usable_or_no_qr_at_all(web: TestClient) -> None:
    body = web.post("/api/v1/verify", json={"qr": b64(qr_png("WIFI:S:cafe;T:WPA;P:secret;;"))})
    answer = body.json()
    assert body.status_code == 200
    assert answer["verified"] is False
    assert answer["qr"].startswith("WIFI:")
    assert "neither a web address nor a credential" in answer["checks"][0]["message"]

    noise = io.BytesIO()
    Image.effect_noise((240, 240), 60).save(noise, format="PNG")
    answer = web.post("/api/v1/verify", json={"qr": b64(noise.getvalue())}).json()
    assert answer["verified"] is False
    assert answer["qr"] is None
    assert "no QR code was found" in answer["checks"][0]["message"]
    page = post_page(web, "qr", noise.getvalue())
    assert page.status_code == 200
    assert "no QR code was found" in page.text


def test_junk_and_oversized_pictures_are_refused_clearly(web: TestClient) -> None:
    junk = web.post("/api/v1/verify", json={"qr": b64(b"GIF89a not really")}).json()
    assert junk["verified"] is False
    assert junk["checks"][0]["message"].startswith("the image could not be used: ")
    not_base64 = web.post("/api/v1/verify", json={"qr": "%%%"})
    assert not_base64.status_code == 422
    assert "not base64" in not_base64.json()["error"]["message"]
    two = web.post("/api/v1/verify", json={"qr": b64(b"x"), "url": "https://a.example"})
    assert two.status_code == 422

    big = b"\xff\xd8\xff" + b"\0" * MAX_IMAGE_BYTES
    page = post_page(web, "qr", big)
    assert page.status_code == 413
    assert "That file is too large." in page.text
    bomb = web.post("/api/v1/verify", json={"qr": b64(_huge_canvas_png())}).json()
    assert "too many pixels" in bomb["checks"][0]["message"]


def _huge_canvas_png() -> bytes:
    from tests.verify.qr_fixtures import png_header_only

    return png_header_only(9_000, 9_000)


# ---- OB 2.0 signed assertions --------------------------------------------------------------------


def serve_ob2_issuer(local: LocalServer, *, revoked: list[Any] | None = None) -> str:
    """The made-up OB 2.0 issuer's documents, served by the local server at their own ids;
    returns a signed assertion (JWS) naming them."""
    web = ob2.issuer_web(revoked=revoked)
    rebased: dict[str, Any] = json.loads(json.dumps(web.documents).replace(ob2.ORIGIN, local.url))
    for url, document in rebased.items():
        local.routes[url.removeprefix(local.url)] = Route(body=json.dumps(document).encode())
    payload = json.loads(json.dumps(ob2.assertion()).replace(ob2.ORIGIN, local.url))
    return ob2.jws(payload, ob2.rsa_key())


def test_ob2_signed_assertion_through_the_api(web: TestClient, local: LocalServer) -> None:
    token = serve_ob2_issuer(local)
    body = web.post("/api/v1/verify", json={"credential": token}).json()
    assert body["verified"] is True, body
    assert body["format"] == "Open Badges 2.0 signed assertion"
    assert body["issuer"] == {
        "id": f"{local.url}/issuer",
        "name": "Old School",
        "registeredHere": False,
        "profile": None,
    }
    assert check_of(body, "issuer")["status"] == "passed"
    # Baked into a PNG served at a URL, and uploaded on the page.
    local.routes["/badge.png"] = Route(body=ob2.baked_png(token))
    by_url = web.post("/api/v1/verify", json={"url": f"{local.url}/badge.png"}).json()
    assert by_url["verified"] is True, by_url
    page = post_page(web, "file", ob2.baked_svg(token))
    assert 'data-verified="true"' in page.text


def test_ob2_signed_assertion_revoked_and_tampered(web: TestClient, local: LocalServer) -> None:
    token = serve_ob2_issuer(
        local, revoked=[{"id": ob2.ASSERTION, "revocationReason": "<b>plagiarism</b>"}]
    )
    body = web.post("/api/v1/verify", json={"credential": token}).json()
    assert body["verified"] is False
    assert check_of(body, "status")["status"] == "failed"
    assert "plagiarism" in check_of(body, "status")["message"]
    token_page = csrf(web.get("/verify").text)
    page = web.post("/verify", data={"text": token, "csrf_token": token_page})
    assert "&lt;b&gt;plagiarism&lt;/b&gt;" in page.text  # the issuer's words, escaped

    head, _payload, signature = token.split(".")
    forged = ob2.b64(
        json.dumps({**ob2.assertion(), "badge": f"{local.url}/badges/legacy"}).encode()
    )
    body = web.post("/api/v1/verify", json={"credential": f"{head}.{forged}.{signature}"}).json()
    assert body["verified"] is False


# ---- languages -----------------------------------------------------------------------------------


def test_check_messages_follow_the_readers_language(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    good = issue(runtime, issuer, achievement_id)
    bad = issue(runtime, issuer, achievement_id)
    runtime.lifecycle.revoke(SYSTEM, issuer.id, bad, "issued in error")
    token = csrf(web.get("/verify").text)

    def page(credential_id: str, language: str) -> str:
        url = f"{runtime.settings.base_url}/credentials/{credential_id}"
        response = web.post(
            "/verify",
            data={"url": url, "csrf_token": token},
            headers={"Accept-Language": language},
        )
        assert response.status_code == 200
        return response.text

    german_good, german_bad = page(good, "de"), page(bad, "de")
    assert "der Nachweis wurde seit der Signatur nicht verändert" in german_good  # passed
    assert "weder widerrufen noch ausgesetzt (Statuslisten geprüft)" in german_good
    assert "der Aussteller hat diesen Nachweis widerrufen" in german_bad  # failed
    assert "Transparenzprotokoll" in german_good  # every check has a translated title
    assert "has not been altered" not in german_good
    assert "the issuer has revoked" not in german_bad
    assert "l’émetteur a révoqué ce justificatif" in page(bad, "fr")
    assert "el emisor ha revocado esta credencial" in page(bad, "es")
    # The API keeps English whatever the request's language.
    body = web.post(
        "/api/v1/verify",
        json={"url": f"{runtime.settings.base_url}/credentials/{bad}"},
        headers={"Accept-Language": "de"},
    ).json()
    assert check_of(body, "status")["message"] == "the issuer has revoked this credential"


# ---- issuer lookup -------------------------------------------------------------------------------


def test_the_issuer_is_looked_up_by_its_did_alone(
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    achievement_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    credential_id = issue(runtime, issuer, achievement_id)

    def every_issuer() -> list[Any]:
        raise AssertionError("the verifier must not load every issuer")

    monkeypatch.setattr(runtime.issuers, "all", every_issuer)
    url = f"{runtime.settings.base_url}/credentials/{credential_id}"
    body = web.post("/api/v1/verify", json={"url": url}).json()
    assert body["issuer"]["registeredHere"] is True
    assert body["issuer"]["profile"] == runtime.urls.issuer(
        runtime.issuers.get_public(issuer.id).slug
    )


def test_an_oversized_api_request_is_refused_before_it_is_parsed(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from microcred.web.api import verify as verify_api
    from microcred.web.pages.verify import MAX_INPUT_BYTES

    parsed: list[int] = []
    real_json_body = verify_api.json_body

    def counting_json_body(raw: bytes, **options: Any) -> Any:
        parsed.append(len(raw))
        return real_json_body(raw, **options)

    monkeypatch.setattr(verify_api, "json_body", counting_json_body)
    depth = MAX_INPUT_BYTES // 2 + 1  # a nested array just over the limit
    nested = b'{"credential": ' + b"[" * depth + b"]" * depth + b"}"
    for body in (nested, b'  {"url": "https://a.example/' + b"a" * MAX_INPUT_BYTES + b'"}'):
        answer = web.post(
            "/api/v1/verify", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["message"] == "the request is too large"
        assert error["expected"] == f"at most {MAX_INPUT_BYTES} bytes"
    assert parsed == []
    # A QR picture request may be larger (up to the body cap), so it is read.
    picture = b64(b"\xff\xd8\xff" + b"\0" * (MAX_INPUT_BYTES * 3 // 4 + 16))
    answer = web.post("/api/v1/verify", json={"qr": picture})
    assert answer.status_code == 200
    assert answer.json()["verified"] is False
    assert len(parsed) == 1
    assert parsed[0] > MAX_INPUT_BYTES


# ---- the credential read once, strictly ----------------------------------------------------------


def test_a_credential_object_is_verified_as_sent_and_a_repeated_key_is_refused(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    # The API reads the body once and verifies the credential object as read: a key sent twice
    # (one JSON parser keeps the first, another the last) must not verify as either reading.
    credential_id = issue(runtime, issuer, achievement_id)
    document = runtime.credentials.get_public(credential_id).document
    sent = json.dumps({"credential": document})
    answer = web.post("/api/v1/verify", content=sent, headers={"Content-Type": "application/json"})
    assert answer.status_code == 200
    assert answer.json()["verified"] is True

    name = json.dumps(document["name"])
    doubled = sent.replace(f'"name": {name}', f'"name": {name}, "name": "Forged"', 1)
    assert doubled != sent
    refused = web.post(
        "/api/v1/verify", content=doubled, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 422
    assert "repeats a key" in refused.text
    assert "name" in refused.json()["error"]["found"]

    constant = sent.replace('"credential": {', '"credential": {"weight": NaN, ', 1)
    refused = web.post(
        "/api/v1/verify", content=constant, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 422
    assert "NaN" in refused.text
