"""Answers kept between requests until the store changes: `whytag serve` holds the store's write lock,
so only its own updates (which call `clear`) can make a kept answer stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

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
                del self._reading[key]
            reading.set()

    def peek(self, key: Hashable) -> object | None:
        """The answer kept under `key`, or None: never reads, never waits."""
        with self._lock:
            kept = self._answers.get(key)
            return None if kept is None else kept[0]

    def clear(self) -> None:
        """Forget every answer: the store was updated."""
        with self._lock:
            self._answers.clear()
            self._held = 0
            self._generation += 1
