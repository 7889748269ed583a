"""How much RDFC-1.0 work an untrusted request may cause, in total and on the whole server.

Graphs whose blank nodes look alike are canonicalized in a child process under a deadline
(``crypto.canon``). A deadline per graph is not enough: a presentation of several such
credentials, or a client sending many at once, multiplies it. So each request carries one
:class:`WorkBudget` (seconds of child time, shared by every canonicalization it makes), and
the number of child processes running at once is bounded for the whole process: a request
that would wait for one is refused rather than queued, so other clients keep being answered.
"""

from __future__ import annotations

import os
import threading
import time

from microcred.errors import WorkLimitError

DEFAULT_REQUEST_SECONDS = 5.0
"""Child-process time one request may spend on look-alike graphs, whatever it holds."""

_SLOT_WAIT_SECONDS = 0.5
_slots = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))


class WorkBudget:
    """Seconds of hard canonicalization left to one request; records the first refusal, so the
    caller can answer it as a refusal (422) rather than as a credential that did not verify."""

    def __init__(self, seconds: float = DEFAULT_REQUEST_SECONDS) -> None:
        self._left = seconds
        self._lock = threading.Lock()
        self.spent = 0.0
        self.refusal: WorkLimitError | None = None

    @property
    def left(self) -> float:
        with self._lock:
            return self._left

    def refuse(self, error: WorkLimitError) -> WorkLimitError:
        """Note ``error`` (the first one is kept) and return it for raising."""
        with self._lock:
            if self.refusal is None:
                self.refusal = error
        return error

    def spend(self, seconds: float) -> None:
        with self._lock:
            self._left -= seconds
            self.spent += seconds

    def raise_refusal(self) -> None:
        """Raise the refusal noted during the request, if any."""
        if self.refusal is not None:
            raise self.refusal


class ChildSlot:
    """One of the few child processes the server runs at once, for ``seconds`` at most: the
    request's budget left, and the per-graph deadline."""

    def __init__(self, budget: WorkBudget | None, deadline: float) -> None:
        self._budget = budget
        self.seconds = deadline if budget is None else min(deadline, budget.left)
        self._started = 0.0

    def __enter__(self) -> ChildSlot:
        if self.seconds <= 0:
            raise self.refused(
                "this request has spent its time for graphs with look-alike blank nodes",
                "less such work in one request",
            )
        if not _slots.acquire(timeout=min(_SLOT_WAIT_SECONDS, self.seconds)):
            raise self.refused(
                "the server is busy with other graphs with look-alike blank nodes; try later",
                "a free canonicalization worker",
            )
        self._started = time.monotonic()
        return self

    def __exit__(self, *_exc: object) -> None:
        _slots.release()
        if self._budget is not None:
            self._budget.spend(time.monotonic() - self._started)

    def refused(self, message: str, expected: str, found: str | None = None) -> WorkLimitError:
        """A refusal, noted on the request's budget."""
        error = WorkLimitError(message, expected=expected, found=found)
        return self._budget.refuse(error) if self._budget is not None else error
