"""STUB, to be replaced: bulk issuance from CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microcred.jobs.queue import JobQueue
    from microcred.runtime import Runtime


class BatchService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def register_jobs(self, queue: JobQueue) -> None:
        pass
