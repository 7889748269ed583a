"""An application factory for ASGI servers run by hand, e.g. several worker processes:

    uvicorn microcred.web.asgi:create_web_app --factory --workers 4 --host 127.0.0.1 \\
        --port 8000 --no-access-log --log-config /dev/null \\
        --http microcred.web.http_protocol:CoalescingHttpToolsProtocol

Web only (no job consumer: run ``microcred worker`` beside it), configured by ``MICROCRED_*``
like every command. ``microcred serve --no-jobs`` is the same with one process.
"""

from __future__ import annotations

from fastapi import FastAPI

from microcred.operations.logs import configure_logging
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.web.app import create_app


def create_web_app() -> FastAPI:
    runtime = Runtime(Settings())
    configure_logging(runtime.settings.log_format)
    runtime.on_startup.append(runtime.employer_search.warm_index_in_background)
    return create_app(runtime)
