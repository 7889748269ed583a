"""The verification lane: at most ``width`` threads of a process verify at once, and a thread
waiting on something else (a fetch, a child canonicalization) lets another one in."""

from __future__ import annotations

import threading
import time

import pytest

from microcred.crypto import work
from microcred.crypto.work import ChildSlot, CpuLane, OffLoop, WorkBudget, must_not_wait
from microcred.verification.throttle import VerifyThrottle


def _most_at_once(lane: CpuLane, threads: int, work: float = 0.02) -> int:
    inside = most = 0
    lock = threading.Lock()

    def verify() -> None:
        nonlocal inside, most
        with lane.turn():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(work)
            with lock:
                inside -= 1

    running = [threading.Thread(target=verify) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=10)
    return most


@pytest.mark.parametrize("width", [1, 3])
def test_no_more_threads_take_a_turn_than_the_lane_is_wide(width: int) -> None:
    assert _most_at_once(CpuLane(width), threads=8) == width


def test_a_thread_holding_a_turn_takes_it_again_without_waiting_for_itself() -> None:
    lane = CpuLane(1)
    done = threading.Event()

    def nested() -> None:
        with lane.turn():
            lane.in_turn(done.set)()

    thread = threading.Thread(target=nested)
    thread.start()
    thread.join(timeout=5)
    assert done.is_set()


def _second_thread_gets_in(lane: CpuLane, wait: object) -> bool:
    """While the first thread holds its turn and is inside ``wait``, can another take one?"""
    got_in = threading.Event()
    first_waiting = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with lane.turn(), wait:  # type: ignore[attr-defined]
            first_waiting.set()
            release_first.wait(timeout=5)

    def second() -> None:
        with lane.turn():
            got_in.set()

    one = threading.Thread(target=first)
    one.start()
    assert first_waiting.wait(timeout=5)
    two = threading.Thread(target=second)
    two.start()
    entered = got_in.wait(timeout=1)
    release_first.set()
    one.join(timeout=5)
    two.join(timeout=5)
    return entered


def test_a_wait_gives_the_turn_up_and_takes_it_back() -> None:
    lane = CpuLane(1)
    assert _second_thread_gets_in(lane, lane.waiting())
    # A plain block keeps it: the second thread only gets in after the first one is done.
    assert not _second_thread_gets_in(CpuLane(1), threading.Lock())


def test_a_fetcher_wrapped_by_the_lane_runs_outside_the_turn() -> None:
    lane = CpuLane(1)
    seen: list[bool] = []

    def fetch(url: str) -> bytes:
        seen.append(lane.held_here())
        return url.encode()

    with lane.turn():
        assert lane.waits(fetch)("https://example.org/list") == b"https://example.org/list"
        assert lane.held_here()  # taken back after the fetch
    assert seen == [False]


def test_a_child_canonicalization_gives_the_turn_up_while_it_runs() -> None:
    lane = CpuLane(1)
    assert _second_thread_gets_in(lane, ChildSlot(WorkBudget(5.0, lane=lane), 2.0))


def test_every_budget_the_throttle_admits_carries_its_lane() -> None:
    throttle = VerifyThrottle(lane=CpuLane(2))
    with throttle.admit("10.0.0.1") as budget:
        assert budget.lane is throttle.lane
    assert VerifyThrottle().lane.width == 1


def test_a_lane_is_at_least_one_wide() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CpuLane(0)


# ---- tried on the event loop first ---------------------------------------------------------------


def test_work_needing_nothing_but_the_database_runs_on_the_callers_thread() -> None:
    lane = CpuLane(1)
    caller = threading.get_ident()
    ran_on: list[int] = []

    def verify() -> str:
        ran_on.append(threading.get_ident())
        assert lane.held_here()  # it holds the turn: no thread verifies beside it
        return "verified"

    assert lane.on_loop(verify) == "verified"
    assert ran_on == [caller]
    assert not lane.held_here()
    assert _most_at_once(lane, threads=2) == 1  # the turn was given back


def test_work_that_would_wait_stops_and_is_handed_back() -> None:
    lane = CpuLane(1)
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return b"{}"

    def needs_the_network() -> bytes:
        return lane.waits(fetch)("https://other.example/status/1")

    def needs_a_child() -> None:
        with ChildSlot(WorkBudget(5.0, lane=lane), 2.0):
            fetched.append("child")

    assert lane.on_loop(needs_the_network) is None
    assert lane.on_loop(needs_a_child) is None
    assert fetched == []  # neither waited: the caller runs them in a worker thread
    with lane.turn():  # where, off the loop, both do what they do
        assert needs_the_network() == b"{}"
        needs_a_child()
    assert fetched == ["https://other.example/status/1", "child"]
    token = work._ON_LOOP.set(True)  # tried on the loop outside on_loop: the signal itself
    try:
        with pytest.raises(OffLoop):
            must_not_wait()
    finally:
        work._ON_LOOP.reset(token)


def test_a_busy_lane_is_not_waited_for_on_the_loop() -> None:
    lane = CpuLane(1)
    inside = threading.Event()
    leave = threading.Event()

    def holder() -> None:
        with lane.turn():
            inside.set()
            leave.wait(timeout=5)

    thread = threading.Thread(target=holder)
    thread.start()
    assert inside.wait(timeout=5)
    ran: list[bool] = []
    assert lane.on_loop(lambda: ran.append(True)) is None  # no wait: handed to a thread
    leave.set()
    thread.join(timeout=5)
    assert ran == []


def test_a_failure_that_is_not_a_wait_is_the_callers_to_see() -> None:
    lane = CpuLane(1)

    def refused() -> None:
        raise ValueError("a graph refused for its cost")

    with pytest.raises(ValueError, match="refused"):
        lane.on_loop(refused)
    assert _most_at_once(lane, threads=2) == 1
