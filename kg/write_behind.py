"""Batch writes on a background thread, so the next batch is prepared while the store writes the last.

Importing and tagging alternate between Python work (building a batch's N-Triples text) and the store's
write (Oxigraph's bulk loader, which lets go of the GIL; an endpoint's round trip). On two cores the two
overlap. One write is in flight at a time and each waits for the one before, so batches land in order,
each whole or not at all, and memory holds at most the batch being written and the one being built.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType


class WriteBehind:
    """`submit(write, *args)` runs `write(*args)` on one background thread once the previous write has ended.

    A write's error is raised by the next `submit`, by `wait`, or on leaving the `with` block; leaving it
    (on an error too) waits for the write in flight, which then lands whole before the error goes on.
    With `background=False` (a store that cannot be read while written, GraphStore.concurrent) each
    write runs at once, in the caller's thread.
    """

    def __init__(self, background: bool = True) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whytag-writer") if background else None
        self._pending: Future | None = None

    def submit(self, write: Callable[..., object], *args: object) -> None:
        """Start a write after the one in flight has ended (raising its error, if it failed)."""
        self.wait()
        if self._pool is None:
            write(*args)
            return
        self._pending = self._pool.submit(write, *args)

    def wait(self) -> None:
        """Wait for the write in flight; raise its error, if it failed."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
