"""Issue 20, defect 2: a credential built to make RDFC-1.0 explode (a clique of look-alike blank
nodes) is refused before any n-degree hashing, through every public way in, while the server
keeps answering other clients; a presentation holds a bounded number of credentials."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from microcred.crypto.keys import KeyFile, SigningKey
from microcred.errors import RateLimitedError, WorkLimitError
from microcred.runtime import Runtime
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.vcapi.service import MAX_PRESENTATION_CREDENTIALS
from microcred.verification.throttle import VerifyThrottle
from microcred.web.app import create_app
from tests.platform.test_pages import csrf

UNDEFINED_TERMS = "https://www.w3.org/ns/credentials/undefined-terms/v2"


def hostile_credential(nodes: int = 12) -> dict[str, Any]:
    """An unauthenticated attacker's credential: any did:key resolves offline, so the proof
    check reaches canonicalization with a clique of ``nodes`` blank nodes that look alike."""
    key = KeyFile.for_did_key(SigningKey.generate())
    credential = sample_credential(issuer_id=key.controller)
    credential["@context"] = [*credential["@context"], UNDEFINED_TERMS]
    credential["credentialSubject"]["knows"] = [
        {"@id": f"_:b{i}", "knows": [{"@id": f"_:b{j}"} for j in range(nodes) if j != i]}
        for i in range(nodes)
    ]
    credential["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "assertionMethod",
        "verificationMethod": key.verification_method,
        "created": "2026-01-01T00:00:00Z",
        "proofValue": "z" + "3" * 86,
    }
    return credential


def good_credential() -> dict[str, Any]:
    key = KeyFile.for_did_key(SigningKey.generate())
    signed = sign_credential(sample_credential(issuer_id=key.controller), key)
    assert isinstance(signed, dict)
    return signed


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def test_hostile_credential_is_refused_with_422_by_the_public_verify_api(
    web: TestClient,
) -> None:
    response = web.post("/api/v1/verify", json={"credential": hostile_credential()})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "work_limit"
    assert "look-alike blank nodes" in error["message"]


def test_hostile_credential_is_refused_with_422_by_the_vc_api(web: TestClient) -> None:
    response = web.post("/credentials/verify", json={"verifiableCredential": hostile_credential()})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "work_limit"


def test_hostile_credentials_in_a_presentation_are_refused_once(web: TestClient) -> None:
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [hostile_credential() for _ in range(3)],
    }
    response = web.post("/presentations/verify", json={"presentation": presentation})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "work_limit"


def test_a_presentation_holds_a_bounded_number_of_credentials(web: TestClient) -> None:
    one = good_credential()
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [one] * (MAX_PRESENTATION_CREDENTIALS + 1),
    }
    response = web.post("/presentations/verify", json={"presentation": presentation})
    assert response.status_code == 422, response.text
    assert "too many credentials" in response.json()["error"]["message"]
    presentation["verifiableCredential"] = [one] * 2
    response = web.post("/presentations/verify", json={"presentation": presentation})
    assert response.status_code == 200, response.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(runtime: Runtime) -> Iterator[str]:
    # Every test client is 127.0.0.1: let this one run more at once than a client may.
    runtime.verify_throttle = VerifyThrottle(concurrent_per_client=16, seconds_per_client=60)
    port = _free_port()
    config = uvicorn.Config(
        create_app(runtime), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert thread.is_alive(), "uvicorn stopped"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_server_keeps_verifying_for_others_while_attacked(served: str) -> None:
    hostile = [hostile_credential() for _ in range(6)]
    good = good_credential()

    def attack(credential: dict[str, Any]) -> int:
        return post(f"{served}/api/v1/verify", {"credential": credential})[0]

    with ThreadPoolExecutor(max_workers=6) as pool:
        attacks = [pool.submit(attack, c) for c in hostile]
        status, body = post(f"{served}/api/v1/verify", {"credential": good})
        statuses = [a.result() for a in attacks]
    assert status == 200, body
    assert body["verified"] is True
    assert statuses == [422] * 6


def test_the_throttle_bounds_each_client_and_not_the_others() -> None:
    now = [0.0]
    throttle = VerifyThrottle(
        concurrent_per_client=2, seconds_per_client=3.0, window_seconds=60, clock=lambda: now[0]
    )
    with throttle.admit("a"), throttle.admit("a"):
        with pytest.raises(RateLimitedError, match="at once"), throttle.admit("a"):
            pass
        with throttle.admit("b"):  # another client is not held up
            pass
    for _ in range(3):  # three hostile graphs refused: a second each
        with throttle.admit("a") as budget:
            budget.refuse(WorkLimitError("refused"))
    with pytest.raises(RateLimitedError, match="try again later") as limited, throttle.admit("a"):
        pass
    assert limited.value.retry_after == 60
    with throttle.admit("b") as budget:
        assert budget.left == 3.0
    now[0] = 61.0
    with throttle.admit("a") as budget:  # the window has passed
        assert budget.left == 3.0


def test_a_client_past_its_budget_gets_429_in_json(web: TestClient, runtime: Runtime) -> None:
    runtime.verify_throttle = VerifyThrottle(seconds_per_client=1.0)
    first = web.post("/api/v1/verify", json={"credential": hostile_credential()})
    assert first.status_code == 422
    limited = web.post("/api/v1/verify", json={"credential": good_credential()})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) > 0
    vcapi = web.post("/credentials/verify", json={"verifiableCredential": good_credential()})
    assert vcapi.status_code == 429
    assert vcapi.json()["error"]["code"] == "rate_limited"


def test_the_page_shows_the_refusal_and_bounds_each_client(
    web: TestClient, runtime: Runtime
) -> None:
    runtime.verify_throttle = VerifyThrottle(seconds_per_client=1.0)
    token = csrf(web.get("/verify").text)
    hostile = json.dumps(hostile_credential())
    page = web.post("/verify", data={"text": hostile, "csrf_token": token})
    assert page.status_code == 200
    assert 'data-verified="false"' in page.text
    assert "look-alike blank nodes" in page.text
    limited = web.post("/verify", data={"text": hostile, "csrf_token": token})
    assert limited.status_code == 429
    assert "from this address or network" in limited.text
    assert int(limited.headers["retry-after"]) > 0
