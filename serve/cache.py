"""Answers kept between requests until the store changes: `whytag serve` holds the store's write lock,
so only its own updates (which call `clear`) can make a kept answer stale. And answers under way, awaited by
whoever else asks for the same one meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import TypeVar

from whytag.errors import first_line

LOG = logging.getLogger("whytag")
T = TypeVar("T")


class Kept:
    """A least-recently-used map of answers, bounded by the sum of `size(answer)` (entries by default)."""

    def __init__(self, capacity: int, size: Callable[[object], int] = lambda _: 1):
        self.capacity = capacity
        self._size = size
        self._answers: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._held = 0
        self._generation = 0  # clears so far: an answer read across one is not kept
        self._reading: dict[Hashable, threading.Event] = {}  # answers being read now, by key
        self._lock = threading.Lock()  # requests are answered on many threads at once

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The answer kept under `key`, or `read()`'s, kept if it fits. A thread asking for an answer
        another thread is reading waits for that one instead of reading it again."""
        if self.capacity <= 0:
            return read()
        while True:
            with self._lock:
                if key in self._answers:
                    self._answers.move_to_end(key)
                    return self._answers[key][0]
                reading = self._reading.get(key)
                if reading is None:
                    reading = self._reading[key] = threading.Event()
                    generation = self._generation
                    break
            reading.wait()  # then look again: kept, or (if that read failed or did not fit) read it here
        try:
            answer = read()
            size = self._size(answer)
            with self._lock:
                if size <= self.capacity and generation == self._generation:  # not read across a clear
                    self._answers[key] = (answer, size)
                    self._held += size
                    while self._held > self.capacity:
                        self._held -= self._answers.popitem(last=False)[1][1]
            return answer
        finally:
            with self._lock:
                if self._reading.get(key) is reading:  # (a clear since has let another read begin)
                    del self._reading[key]
            reading.set()

    @property
    def held(self) -> int:
        """The sum of the kept answers' sizes."""
        return self._held

    def peek(self, key: Hashable) -> object | None:
        """The answer kept under `key`, or None: never reads, never waits."""
        with self._lock:
            kept = self._answers.get(key)
            return None if kept is None else kept[0]

    def clear(self) -> None:
        """Forget every answer: the store was updated. A read under way answers only those who asked before; one
        asking after reads anew at once (it waited for the read from before, and then read again: a track page
        drawn across an update held the page after it until the first was drawn)."""
        with self._lock:
            self._answers.clear()
            self._held = 0
            self._generation += 1
            self._reading = {}


class UnderWay:
    """Answers being made now, by key, on the event loop: a request for one under way awaits it there instead of
    making it again, holding no thread meanwhile (32 clients asking one rule page for the first time took every
    page thread, and the track pages queued behind them; identical cold queries each took a query thread)."""

    def __init__(self, what: str, expected: tuple[type[Exception], ...] = ()):
        self.what = what  # what it makes ("a page"), for the log
        self.expected = expected  # failures that are answers (a 503 past the time limit), never logged here
        self._running: dict[Hashable, asyncio.Future] = {}
        self._awaiting: Counter[asyncio.Future] = Counter()  # the requests awaiting each now

    async def get(self, key: Hashable, make: Callable[[], Awaitable[T]]) -> T:
        """The answer `make()` gives, made once for every request asking for `key` while it is under way; each
        gets its answer or its error. A request that goes away does not stop it for the others."""
        pending = self._running.get(key)
        if pending is None:
            pending = self._running[key] = asyncio.ensure_future(make())
            pending.add_done_callback(partial(self._ended, key))
        self._awaiting[pending] += 1
        try:
            return await asyncio.shield(pending)
        finally:
            self._awaiting[pending] -= 1
            if not self._awaiting[pending]:
                del self._awaiting[pending]

    def forget(self) -> None:
        """Make later requests start their answers anew (the store changed); those awaiting one under way get it."""
        self._running.clear()

    def _ended(self, key: Hashable, done: asyncio.Future) -> None:
        """An answer's end (run before the requests awaiting it resume): no longer awaited by new requests, and its
        failure retrieved and said in one line however many requests awaited it (each answers it with a 500: a page
        failing for N requests was N tracebacks in the log; with none left, it was asyncio's "exception was never
        retrieved" and a traceback when it was collected)."""
        if self._running.get(key) is done:
            del self._running[key]
        failure = None if done.cancelled() else done.exception()
        if failure is not None and not isinstance(failure, self.expected):
            awaiting = self._awaiting[done]
            who = (f"({awaiting} request{'s' if awaiting > 1 else ''} awaiting it answered 500)" if awaiting
                   else "after every request for it had left")
            LOG.warning(f"whytag serve: making {self.what} failed {who}: {first_line(failure)} ({key})")
