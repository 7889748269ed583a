"""Structured logs: one JSON object per line, each with the request id it was written under.

Secrets are kept out by construction (request lines name the route template, never the path
or the query, where sign-in links, OAuth codes and share tokens travel) and, as a last net,
by scrubbing token shapes from every message: API keys, bearer tokens, ``token=`` / ``code=``
/ ``password=`` / ``secret=`` values and URL credentials.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

request_id: ContextVar[str | None] = ContextVar("microcred_request_id", default=None)

LogFormat = Literal["json", "text"]

_SCRUB = (
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+"), r"\1***"),
    (re.compile(r"mc_[0-9a-f]{12}_[A-Za-z0-9_\-]+"), "mc_***"),
    (
        re.compile(
            r"(?i)\b(token|code|password|secret|api_key|apikey|access_token|refresh_token"
            r"|client_secret|master_secret)(\"?\s*[=:]\s*\"?)[^\s&\"',;]+"
        ),
        r"\1\2***",
    ),
    (re.compile(r"(\w+://[^:/@\s]*:)[^@\s]*@"), r"\1***@"),
)

# Attributes every LogRecord has: anything else was passed as ``extra=`` and is a field.
_STANDARD = frozenset(
    set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)
    | {"message", "asctime", "taskName"}
)


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC), level, logger, message, request id, the
    ``extra=`` fields, and the exception if any (each string scrubbed)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "request_id" and not key.startswith("_"):
                entry[key] = scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class _ScrubbingText(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def configure_logging(
    log_format: LogFormat, *, level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Send every logger (uvicorn's and huey's included) through one handler on ``stream``
    (stderr): JSON lines, or scrubbed text for a terminal. Returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            _ScrubbingText("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "huey", "huey.consumer"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    # uvicorn's access log prints each path and query string (sign-in links, share tokens):
    # off for good; microcred.request logs each request by its route template instead.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    # HTTP clients log every URL they call at INFO (a fetched or test URL may hold a token).
    for name in ("httpx", "httpx2", "httpcore", "urllib3"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
