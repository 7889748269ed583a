"""An independent OpenID4VCI client, Sphereon's (interop/js/oid4vci_client.mjs), takes a
credential from a real server: the offer read off the recipient's private page, metadata,
token, nonce, credential with its own key proof. What it receives must be bound to its key and
pass our verifier; the used offer must not work a second time.

Skips only where Node or interop/js/node_modules is missing (``make js``).
"""

from __future__ import annotations

import html
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import pytest
import uvicorn

from microcred.accounts.actor import SYSTEM
from microcred.issuers.service import IssuerInput
from microcred.issuing.issuance import IssueRequest
from microcred.oid4vci.proof import public_key_from_jwk
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.web.app import create_app
from tests.interop.reference_stack import JS_DIR, ROOT, node_or_skip
from tests.platform.conftest import SIMPLE_ACHIEVEMENT

NODE = node_or_skip()
TIMEOUT_S = 60
OFFER_LINK = re.compile(r'href="(openid-credential-offer://[^"]+)"')

pytestmark = pytest.mark.interop


@dataclass(frozen=True)
class Live:
    url: str
    runtime: Runtime
    credential_id: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """uvicorn on 127.0.0.1 with one issued credential, on SQLite in tmp_path."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    runtime = Runtime(
        Settings(
            data_dir=tmp_path / "data",
            database_url=f"sqlite:///{tmp_path / 'microcred.db'}",
            public_url=url,
            queue_immediate=True,
        )
    )
    issuer = runtime.issuers.create(
        SYSTEM, IssuerInput(slug="alpha", name="Alpha Academy", url="https://alpha.example")
    )
    achievement = runtime.achievements.create(
        SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT, validity_months=24
    )
    (row,) = runtime.issuance.issue(
        SYSTEM,
        issuer.id,
        [IssueRequest(achievement_id=achievement.id, email="ada@example.org", name="Ada L.")],
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime), host="127.0.0.1", port=port, log_level="warning", ws="none"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Live(url, runtime, row.id)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


def offer_from_private_page(live: Live) -> str:
    page = Request(
        live.runtime.recipients.private_url(live.credential_id), headers={"Accept": "text/html"}
    )
    with urlopen(page, timeout=10) as answer:  # our own server, on loopback
        text = answer.read().decode()
    match = OFFER_LINK.search(text)
    assert match, "no offer link on the private page"
    return html.unescape(match.group(1))


def run_client(uri: str, alg: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NODE, str(JS_DIR / "oid4vci_client.mjs"), uri, alg],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def _describe(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_sphereon_client_takes_a_credential_bound_to_its_key(live: Live, alg: str) -> None:
    uri = offer_from_private_page(live)
    proc = run_client(uri, alg)
    assert proc.returncode == 0, _describe(proc)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    (item,) = result["response"]["credentials"]
    credential = item["credential"]

    holder = public_key_from_jwk(result["jwk"]).did_key
    assert credential["credentialSubject"]["id"] == holder
    verified = live.runtime.verification.verifier().verify(credential)
    assert verified.verified, verified.to_json()
    copy_id = live.runtime.urls.credential_id(credential["id"])
    assert live.runtime.oid4vci.copies_of(live.credential_id) == [copy_id]

    # The offer's code is spent: the same link does not work a second time.
    again = run_client(uri, alg)
    assert again.returncode == 1, _describe(again)
    assert live.runtime.oid4vci.copies_of(live.credential_id) == [copy_id]
