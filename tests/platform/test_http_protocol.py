"""uvicorn's protocol with each answer's writes joined (web/http_protocol.py): the writes of one
event-loop turn reach the socket as one, large bodies are not held (flow control), closing and
aborting act on what is held; and a real server speaking it answers keep-alive, pipelined,
streamed, HEAD and 304 requests as uvicorn's own protocol does."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from microcred.web.http_protocol import (
    FLUSH_BYTES,
    CoalescingHttpToolsProtocol,
    CoalescingTransport,
)


class _Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.events.append("write")

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.events.append("close")
        self.closing = True

    def abort(self) -> None:
        self.events.append("abort")
        self.closing = True

    def write_eof(self) -> None:
        self.events.append("eof")

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


class _Loop:
    """The loop's one call the transport makes, ``call_soon``; a turn's end runs what it was
    given (no real loop: a test earlier in the run may have left one running)."""

    def __init__(self) -> None:
        self.soon: list[Any] = []

    def call_soon(self, callback: Any) -> None:
        self.soon.append(callback)

    def end_turn(self) -> None:
        ready, self.soon = self.soon, []
        for callback in ready:
            callback()


def _joined() -> tuple[CoalescingTransport, _Recorder, _Loop]:
    loop = _Loop()
    real = _Recorder()
    return CoalescingTransport(real, loop), real, loop  # type: ignore[arg-type]


def test_the_writes_of_one_turn_reach_the_socket_as_one() -> None:
    joined, real, loop = _joined()
    joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
    joined.write(memoryview(b"body"))
    assert real.writes == []  # held until the turn ends
    assert joined.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
    assert len(loop.soon) == 1  # one flush scheduled for both
    loop.end_turn()
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    joined.write(b"next")
    loop.end_turn()
    assert real.writes[1:] == [b"next"]
    assert joined.get_extra_info("peername") == "info:peername"  # the rest is delegated


def test_a_large_body_is_written_at_once_so_flow_control_sees_it() -> None:
    joined, real, loop = _joined()
    joined.write(b"h")
    joined.write(b"x" * FLUSH_BYTES)
    assert real.writes == [b"h" + b"x" * FLUSH_BYTES]  # before the turn ends
    loop.end_turn()
    assert len(real.writes) == 1


def test_closing_writes_what_is_held_first_and_aborting_drops_it() -> None:
    joined, real, loop = _joined()
    joined.write(b"last answer")
    joined.close()
    assert real.events == ["write", "close"]
    assert real.writes == [b"last answer"]
    loop.end_turn()  # the scheduled flush finds nothing left
    assert real.writes == [b"last answer"]

    joined, real, _ = _joined()
    joined.write(b"half")
    joined.write_eof()
    assert real.events == ["write", "eof"]

    joined, real, _ = _joined()
    joined.write(b"never sent")
    joined.abort()
    assert real.events == ["abort"]


# ---- a real server ------------------------------------------------------------------------------

BIG = 3 * FLUSH_BYTES + 17


async def _small(_request: Request) -> Response:
    return JSONResponse({"ok": True})


async def _stream(_request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        sent = 0
        while sent < BIG:
            part = min(10_000, BIG - sent)
            yield b"z" * part
            sent += part

    return StreamingResponse(chunks(), media_type="application/octet-stream")


async def _not_modified(_request: Request) -> Response:
    return Response(status_code=304, headers={"ETag": '"v1"'})


APP = Starlette(
    routes=[
        Route("/small", _small, methods=["GET", "HEAD"]),
        Route("/stream", _stream),
        Route("/same", _not_modified),
    ]
)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        chosen: int = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            APP,
            host="127.0.0.1",
            port=chosen,
            http=CoalescingHttpToolsProtocol,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield chosen
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_server_speaking_it_answers_as_uvicorn_does(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(3):  # one keep-alive connection, several answers
            connection.request("GET", "/small")
            answer = connection.getresponse()
            assert answer.status == 200
            assert answer.read() == b'{"ok":true}'
        connection.request("HEAD", "/small")
        head = connection.getresponse()
        assert head.status == 200
        assert head.read() == b""
        connection.request("GET", "/same")
        same = connection.getresponse()
        assert same.status == 304
        assert same.getheader("etag") == '"v1"'
        assert same.read() == b""
        connection.request("GET", "/stream")
        streamed = connection.getresponse()
        assert streamed.status == 200
        assert streamed.read() == b"z" * BIG
        connection.request("GET", "/small")
        assert connection.getresponse().read() == b'{"ok":true}'  # still in step after it
    finally:
        connection.close()


def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        request = b"GET /small HTTP/1.1\r\nHost: t\r\n\r\n"
        client.sendall(request * 3 + b"GET /small HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := client.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 4
    assert received.count(b'{"ok":true}') == 4
    assert received.endswith(b'{"ok":true}')  # the server closed after the last, nothing lost


def test_serve_runs_uvicorn_with_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from microcred.cli.main import app as cli_app
    from microcred.operations import logs

    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROCRED_QUEUE_IMMEDIATE", "true")
    # serve sends every logger to its stderr, which is CliRunner's and closes after the call.
    monkeypatch.setattr(logs, "configure_logging", lambda *_a, **_k: None)
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    result = CliRunner().invoke(cli_app, ["serve", "--no-jobs", "--port", "8766"])
    try:
        assert result.exit_code == 0, result.output
        assert served["http"] is CoalescingHttpToolsProtocol
    finally:
        if "app" in served:
            served["app"].state.runtime.close()
