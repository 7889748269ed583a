"""A real microcred server (uvicorn on 127.0.0.1, SQLite in tmp_path) and Chromium.

Tests here are marked ``browser`` and skip only when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from microcred.accounts.actor import SYSTEM
from microcred.issuers.service import IssuerInput
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.web.app import create_app
from tests.platform.conftest import SIMPLE_ACHIEVEMENT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Server:
    url: str
    runtime: Runtime
    issuer_id: str
    achievement_id: str
    email: str
    password: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(tmp_path: Path, **settings_extra: Any) -> Iterator[Server]:
    """A server on a free loopback port; ``settings_extra`` adds settings (a test that must
    reach its own loopback services opens ``fetch_allow_networks``)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'microcred.db'}",
        public_url=url,
        queue_immediate=True,
        status_list_length=131_072,
        **settings_extra,
    )
    runtime = Runtime(settings)
    issuer = runtime.issuers.create(
        SYSTEM, IssuerInput(slug="alpha", name="Alpha Academy", url="https://alpha.example")
    )
    achievement = runtime.achievements.create(
        SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT, validity_months=24
    )
    runtime.staff.create(
        SYSTEM, issuer.id, email="ines@alpha.example", name="Ines", role="issuer", password=PASSWORD
    )
    app = create_app(runtime)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Server(url, runtime, issuer.id, achievement.id, "ines@alpha.example", PASSWORD)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        runtime.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
