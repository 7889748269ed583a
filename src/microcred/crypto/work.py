"""How much RDFC-1.0 work an untrusted request may cause, in total and on the whole server.

Graphs whose blank nodes look alike are canonicalized in a child process under a deadline
(``crypto.canon``). A deadline per graph is not enough: a presentation of several such
credentials, or a client sending many at once, multiplies it. So each request carries one
:class:`WorkBudget` (seconds of child time, shared by every canonicalization it makes), and
the number of child processes running at once is bounded for the whole process: a request
that would wait for one is refused rather than queued, so other clients keep being answered.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from microcred.errors import WorkLimitError

DEFAULT_REQUEST_SECONDS = 5.0
"""Child-process time one request may spend on look-alike graphs, whatever it holds."""

T = TypeVar("T")
P = ParamSpec("P")

_SLOT_WAIT_SECONDS = 0.5
_slots = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))


class OffLoop(BaseException):
    """This work would wait (a fetch, a child process): run it again in a worker thread.

    Raised only inside :meth:`CpuLane.on_loop`. A ``BaseException``, so that no check's
    ``except Exception`` takes it for a failure of the credential."""


_ON_LOOP: ContextVar[bool] = ContextVar("microcred_on_loop", default=False)


def must_not_wait() -> None:
    """Call before waiting on anything but the database: raises :class:`OffLoop` when the work
    is being tried on the event loop."""
    if _ON_LOOP.get():
        raise OffLoop


class CpuLane:
    """At most ``width`` threads of this process verify at once; the others wait for a turn
    without taking the interpreter's lock.

    Verification is Python work under one interpreter lock: twenty request threads verifying at
    once in one process finish no sooner than one after another, and switching between them
    cost a third of the CPU (477 against 771 verifications per CPU second, one process, 20
    clients against one). A thread gives its turn up while it waits on something else (a
    fetch, a child canonicalization), so a slow remote server cannot hold the lane."""

    def __init__(self, width: int = 1) -> None:
        if width < 1:
            raise ValueError(f"a lane is at least 1 wide, not {width}")
        self.width = width
        self._turns = threading.BoundedSemaphore(width)
        self._mine = threading.local()

    def held_here(self) -> bool:
        """Whether the calling thread holds a turn."""
        return bool(getattr(self._mine, "holding", False))

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block (a thread holding one already keeps it)."""
        if self.held_here():
            yield
            return
        self._turns.acquire()
        self._mine.holding = True
        try:
            yield
        finally:
            self._mine.holding = False
            self._turns.release()

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Around a wait: the turn is given up for the block and taken again after it."""
        if not self.held_here():
            yield
            return
        self._mine.holding = False
        self._turns.release()
        try:
            yield
        finally:
            self._turns.acquire()
            self._mine.holding = True

    def on_loop(self, call: Callable[[], T]) -> T | None:
        """``call()`` on the caller's thread (the event loop) when the lane is free, or None: a
        verification of a credential whose keys and lists are this server's needs nothing but
        the database, and run there it costs no hand-off to a thread nor contention for the
        interpreter lock. Anything it would wait on (:func:`must_not_wait`: a fetch, a child
        canonicalization, a chain) stops it; the caller then runs it in a worker thread."""
        if self.held_here() or not self._turns.acquire(blocking=False):
            return None
        self._mine.holding = True
        token = _ON_LOOP.set(True)
        try:
            return call()
        except OffLoop:
            return None
        finally:
            _ON_LOOP.reset(token)
            self._mine.holding = False
            self._turns.release()

    def in_turn(self, call: Callable[P, T]) -> Callable[P, T]:
        """``call`` run in a turn of the lane."""

        def taken(*args: P.args, **kwargs: P.kwargs) -> T:
            with self.turn():
                return call(*args, **kwargs)

        return taken

    def waits(self, call: Callable[[str], T]) -> Callable[[str], T]:
        """``call`` (a fetcher) giving the turn up while it runs."""

        def waited(url: str) -> T:
            must_not_wait()
            with self.waiting():
                return call(url)

        return waited


class WorkBudget:
    """Seconds of hard canonicalization left to one request; records the first refusal, so the
    caller can answer it as a refusal (422) rather than as a credential that did not verify.
    ``lane``: the process's verification lane, given up while a child canonicalizes."""

    def __init__(
        self, seconds: float = DEFAULT_REQUEST_SECONDS, *, lane: CpuLane | None = None
    ) -> None:
        self.lane = lane
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
        self._waiting: contextlib.AbstractContextManager[None] | None = None

    def __enter__(self) -> ChildSlot:
        must_not_wait()  # a child process is waited on: never on the event loop
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
        self._waiting = self._lane_given_up()
        self._started = time.monotonic()
        return self

    def _lane_given_up(self) -> contextlib.AbstractContextManager[None] | None:
        """The request's verification turn given up while the child works."""
        lane = self._budget.lane if self._budget is not None else None
        if lane is None:
            return None
        waiting = lane.waiting()
        waiting.__enter__()
        return waiting

    def __exit__(self, *_exc: object) -> None:
        _slots.release()  # before the turn is taken again: never hold one waiting for the other
        if self._waiting is not None:
            self._waiting.__exit__(None, None, None)
        if self._budget is not None:
            self._budget.spend(time.monotonic() - self._started)

    def refused(self, message: str, expected: str, found: str | None = None) -> WorkLimitError:
        """A refusal, noted on the request's budget."""
        error = WorkLimitError(message, expected=expected, found=found)
        return self._budget.refuse(error) if self._budget is not None else error
