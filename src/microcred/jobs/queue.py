"""STUB, to be replaced by the bulk-issuance work: the job queue on huey.

Contract (other modules rely on it):
- ``JobQueue(runtime)``; ``register(name, fn, *, retries=0, retry_delay=0)`` adds a task whose
  function takes JSON-able positional args; ``enqueue(name, *args)`` runs it (immediately when
  ``settings.queue_immediate``); ``start()``/``stop()`` run an in-process consumer for serve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from microcred.runtime import Runtime


class JobQueue:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._tasks: dict[str, Callable[..., Any]] = {}

    def register(
        self, name: str, fn: Callable[..., Any], *, retries: int = 0, retry_delay: int = 0
    ) -> None:
        self._tasks[name] = fn

    def enqueue(self, name: str, *args: Any) -> None:
        self._tasks[name](*args)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass
