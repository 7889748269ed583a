"""uvicorn's httptools protocol, with each answer's writes sent together.

uvicorn writes a response's status line and headers to the socket as soon as the application
sends ``http.response.start``, and the body with the next message: two ``send`` calls and, on
loopback or a LAN, two packets and two wake-ups of the client for a page that fits in one. py-spy
of a web process answering ``GET /verify`` found a quarter of its samples in the header write.
Here the writes a connection makes within one turn of the event loop are joined and sent at the
end of that turn (a zero-delay Nagle, in user space), so a small answer goes out in one call.

Large bodies are not held: past :data:`FLUSH_BYTES` the data goes to the socket at once, so the
transport's own flow control (``pause_writing``, which uvicorn waits on) works as before.
``close``, ``write_eof`` and ``abort`` act on what is held first.

    uvicorn microcred.web.asgi:create_web_app --factory \\
        --http microcred.web.http_protocol:CoalescingHttpToolsProtocol ...

``microcred serve`` uses it by itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

FLUSH_BYTES = 64 * 1024
"""Held at most this long before it is written at once (flow control sees every byte past it)."""


class CoalescingTransport:
    """A transport's writes of one event-loop turn sent as one (everything else delegated)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._size = 0
        self._scheduled = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._held.append(bytes(data))
        self._size += len(data)
        if self._size >= FLUSH_BYTES:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush_scheduled)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush_scheduled(self) -> None:
        self._scheduled = False
        self.flush()

    def flush(self) -> None:
        """Write what is held now."""
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held.clear()
        self._size = 0
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._size + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)  # is_closing, get_extra_info, pause_reading, ...


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports quack as asyncio.Transport without subclassing it.
        real: Any = transport
        joined: Any = CoalescingTransport(real, asyncio.get_running_loop())
        super().connection_made(joined)


__all__ = ["FLUSH_BYTES", "CoalescingHttpToolsProtocol", "CoalescingTransport"]
