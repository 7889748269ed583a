"""SMTP delivery: a connection per message against one session per e-mail job.

A real aiosmtpd server on 127.0.0.1 accepts every message. On loopback without TLS a connection
costs little; a relay elsewhere adds round trips, and STARTTLS and login add a handshake per
connection, so the ratio printed here is the least the session saves.

    .venv/bin/python bench/smtp_bench.py --messages 1000
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from aiosmtpd.controller import Controller  # noqa: E402

from microcred.notifications.mail import MESSAGES_PER_CONNECTION, RawMessage, SmtpMailer  # noqa: E402


class Accepting:
    """An aiosmtpd handler that takes every message and counts them."""

    def __init__(self) -> None:
        self.accepted = 0

    # aiosmtpd calls its handlers by these names.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.accepted += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    handler = Accepting()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        mailer = SmtpMailer("127.0.0.1", controller.port, timeout=10)
        messages = [
            RawMessage(
                "badges@example.org",
                f"learner{i}@example.org",
                f"<{i}@example.org>",
                b"Subject: Your badge\n\nHere it is.\n",
            )
            for i in range(args.messages)
        ]
        start = time.perf_counter()
        for message in messages:
            mailer.send(message)
        each = (time.perf_counter() - start) / len(messages)
        start = time.perf_counter()
        with mailer.connection() as send:
            for message in messages:
                send(message)
        shared = (time.perf_counter() - start) / len(messages)
    finally:
        controller.stop()
    assert handler.accepted == 2 * args.messages, handler.accepted
    print(f"SMTP delivery to a local server, {args.messages:,} messages each way")
    print(f"  a connection per message         {each * 1e3:6.2f} ms/message = {1 / each:7,.0f}/s")
    print(
        f"  one session per job ({MESSAGES_PER_CONNECTION} a conn.) "
        f"{shared * 1e3:6.2f} ms/message = {1 / shared:7,.0f}/s  ({each / shared:.1f}x)"
    )


if __name__ == "__main__":
    main()
