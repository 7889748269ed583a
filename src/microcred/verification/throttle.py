"""Public verification per client: a few at a time, and a bounded amount of hard work a minute.

Verifying needs no account, so the bound is per client address. Each admitted request gets a
:class:`WorkBudget` for its canonicalization (the request's bound), cut to what the client has
left in the window; what it spends, and a fixed charge for each graph refused as hostile, is
counted against the client. Ordinary credentials cost nothing here (their blank nodes are told
apart without the child process), so only clients sending look-alike graphs are slowed down.
Kept in memory per process: a bound on abuse, not an account of it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from microcred.crypto.work import DEFAULT_REQUEST_SECONDS, CpuLane, WorkBudget
from microcred.errors import RateLimitedError

REFUSAL_CHARGE_SECONDS = 1.0
"""What a graph refused for its cost counts against its client, though refusing it is cheap."""
_MAX_CLIENTS = 10_000


@dataclass
class _Client:
    in_flight: int = 0
    spent: deque[tuple[float, float]] = field(default_factory=deque)  # (when, seconds)


class VerifyThrottle:
    def __init__(
        self,
        *,
        concurrent_per_client: int = 4,
        seconds_per_client: float = 15.0,
        window_seconds: float = 60.0,
        request_seconds: float = DEFAULT_REQUEST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        lane: CpuLane | None = None,
    ) -> None:
        """``lane``: the process's verification lane, which every admitted request takes a turn
        of for its Python work (``lane.turn()``), given up while a child canonicalizes."""
        self.lane = lane or CpuLane()
        self.concurrent_per_client = concurrent_per_client
        self.seconds_per_client = seconds_per_client
        self.window_seconds = window_seconds
        self.request_seconds = request_seconds
        self._clock = clock
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()

    @contextmanager
    def admit(self, client: str) -> Iterator[WorkBudget]:
        """A budget for one verification request of ``client``; raises
        :class:`RateLimitedError` when the client has too many running or spent its minute."""
        with self._lock:
            now = self._clock()
            state = self._clients.setdefault(client, _Client())
            spent = self._spent(state, now)
            if state.in_flight >= self.concurrent_per_client:
                raise RateLimitedError(
                    "too many verifications at once from this client",
                    retry_after=1,
                    expected=f"at most {self.concurrent_per_client} at a time",
                )
            if spent >= self.seconds_per_client:
                oldest = state.spent[0][0]
                raise RateLimitedError(
                    "this client sent too many hard-to-canonicalize credentials; try again later",
                    retry_after=max(1, math.ceil(oldest + self.window_seconds - now)),
                    expected=f"at most {self.seconds_per_client:g} s of such work a minute",
                )
            state.in_flight += 1
        budget = WorkBudget(
            min(self.request_seconds, self.seconds_per_client - spent), lane=self.lane
        )
        try:
            yield budget
        finally:
            charge = budget.spent + (REFUSAL_CHARGE_SECONDS if budget.refusal else 0.0)
            with self._lock:
                state.in_flight -= 1
                if charge > 0:
                    state.spent.append((self._clock(), charge))
                self._forget_idle()

    def _spent(self, state: _Client, now: float) -> float:
        while state.spent and state.spent[0][0] <= now - self.window_seconds:
            state.spent.popleft()
        return sum(seconds for _, seconds in state.spent)

    def _forget_idle(self) -> None:
        if len(self._clients) <= _MAX_CLIENTS:
            return
        now = self._clock()
        for name in [n for n, c in self._clients.items() if not c.in_flight]:
            if self._spent(self._clients[name], now) == 0:
                del self._clients[name]
