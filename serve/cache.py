"""Answers kept between requests until the store changes: `whytag serve` holds the store's write lock,
so only its own updates (which call `clear`) can make a kept answer stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


class Kept:
    """A least-recently-used map of answers, bounded by the sum of `size(answer)` (entries by default)."""

    def __init__(self, capacity: int, size: Callable[[object], int] = lambda _: 1):
        self.capacity = capacity
        self._size = size
        self._answers: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()  # requests are answered on many threads at once

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The answer kept under `key`, or `read()`'s, kept if it fits. Two threads may both read a
        missing answer; neither waits for the other."""
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key][0]
        answer = read()
        size = self._size(answer)
        if size <= self.capacity:
            with self._lock:
                if key not in self._answers:
                    self._answers[key] = (answer, size)
                    self._held += size
                while self._held > self.capacity:
                    self._held -= self._answers.popitem(last=False)[1][1]
        return answer

    def clear(self) -> None:
        """Forget every answer: the store was updated."""
        with self._lock:
            self._answers.clear()
            self._held = 0
