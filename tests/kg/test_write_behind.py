"""Writes behind the caller: in order, one at a time, every error raised, none lost on leaving."""

from __future__ import annotations

import threading
import time

import pytest

from whytag.kg.write_behind import WriteBehind


def test_writes_run_in_order_one_at_a_time_beside_the_caller():
    events: list[str] = []
    running = threading.Semaphore(1)
    went_on = threading.Event()

    def write(name: str) -> None:
        assert running.acquire(blocking=False), "two writes at once"
        events.append(f"start {name}")
        if name == "a":  # a write run in the caller's thread would wait here for the bound, then end first
            went_on.wait(60)
        time.sleep(0.05)
        events.append(f"end {name}")
        running.release()

    with WriteBehind() as writer:
        for name in "abc":
            writer.submit(write, name)
            events.append(f"submitted {name}")  # the caller goes on while its write runs
            went_on.set()
    assert events.index("submitted a") < events.index("end a")
    assert [e for e in events if not e.startswith("submitted")] == [
        "start a", "end a", "start b", "end b", "start c", "end c"]


def test_a_failed_write_is_raised_by_the_next_submit_and_nothing_after_it_runs():
    done: list[int] = []

    def write(n: int) -> None:
        if n == 1:
            raise OSError("disk full")
        done.append(n)

    with pytest.raises(OSError, match="disk full"), WriteBehind() as writer:
        for n in range(4):
            writer.submit(write, n)
    assert done == [0]


def test_leaving_on_an_error_waits_for_the_write_in_flight():
    landed = threading.Event()

    def write() -> None:
        time.sleep(0.1)
        landed.set()

    with pytest.raises(KeyError), WriteBehind() as writer:
        writer.submit(write)
        raise KeyError("the caller failed while a batch was being written")
    assert landed.is_set()


def test_without_a_background_thread_each_write_runs_at_once_in_the_caller_s_thread():
    threads: list[str] = []
    with WriteBehind(background=False) as writer:
        writer.submit(lambda: threads.append(threading.current_thread().name))
        assert threads == [threading.current_thread().name]
