"""Extraction over many files: each file decoded once and measured by every chosen extractor group,
in a spawn-safe process pool (or on a Dask cluster) with a progress bar; one bad file is reported, never fatal."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any

from whytag.errors import first_line
from whytag.extractors.audio import WINDOW_SECONDS, load_windows, sha256_of
from whytag.extractors.base import Extractor, FeatureSet, c_library
from whytag.extractors.cluster import SCHEDULER_TIMEOUT, connect
from whytag.extractors.windows import combine

ANALYSIS_RATE = 44100  # every extractor analyses at MusicExtractor's rate
DEFAULT_GROUPS = ("signal", "symbolic")  # of base.GROUPS: dnn needs networks installed on their own
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # glibc mallopt parameters
PR_SET_PDEATHSIG = 1  # Linux prctl option
Result = tuple[str, list[FeatureSet] | None, str | None]  # (path, feature sets, 'PATH: reason')


def make_extractor(group: str) -> Extractor:
    """The extractor of a feature group (imported on demand: each pulls its own libraries)."""
    if group == "signal":
        from whytag.extractors.signal import SignalExtractor

        return SignalExtractor()
    if group == "symbolic":
        from whytag.extractors.symbolic import SymbolicExtractor

        return SymbolicExtractor()
    if group == "dnn":
        from whytag.extractors.dnn import DnnExtractor

        return DnnExtractor()
    raise ValueError(f"unknown extractor group {group!r}; choose from signal, symbolic, dnn")


def extract_file(path: str, groups: tuple[str, ...] = ("signal",), sha256: str | None = None,
                 window: float = WINDOW_SECONDS) -> Result:
    """Decode one file once and run each group's extractor on it; a failure comes back as 'PATH: reason'.

    A file longer than `window` seconds is decoded and measured a window at a time, so memory stays that of
    one window (extractors.windows says how the windows' values become the file's). With `sha256` (the
    digest recorded at ingest), a file whose bytes changed since is refused: its features would otherwise
    be filed under the track of the audio it used to hold.
    """
    try:
        if sha256 is not None and sha256_of(path) != sha256:
            return path, None, f"{path}: the file changed since it was ingested (run `whytag ingest` on it again)"
        extractors = [make_extractor(group) for group in groups]
        measured: list[list[tuple[float, float, FeatureSet]]] = [[] for _ in extractors]
        for start, audio in load_windows(path, ANALYSIS_RATE, window):
            for parts, extractor in zip(measured, extractors):
                parts.append((start, audio.duration, extractor.extract(audio)))
            del audio  # before the next window is decoded: one in memory at a time
        return path, [combine(parts) for parts in measured], None
    except Exception as err:  # noqa: BLE001 - one bad file must not stop a batch
        return path, None, error_message(path, err)


def error_message(path: str, err: BaseException) -> str:
    """'PATH: reason', without doubling the path when the error (e.g. AudioError) already starts with it."""
    text = first_line(err)
    return text if text.startswith(path) else f"{path}: {text}"


def extract_many(paths: Iterable[str | os.PathLike], groups: tuple[str, ...] = ("signal",), workers: int | None = None,
                 progress: bool = True, expected: dict[str, str] | None = None, scheduler: str | None = None,
                 scheduler_timeout: float = SCHEDULER_TIMEOUT) -> Iterator[Result]:
    """Measure many files, yielding (path, feature sets, error) as each finishes.

    workers=None uses every core; workers=1 runs in this process (no pool). `expected`: path →
    SHA-256 each file must still have. Pool workers die with this process (a killed batch leaves none).
    `scheduler`: a Dask scheduler's address; its workers measure the files instead (they must see the
    same paths), reached within `scheduler_timeout` seconds or a ClusterError.
    """
    expected = expected or {}
    from tqdm import tqdm

    paths = [str(p) for p in paths]
    with tqdm(total=len(paths), unit="file", desc="extract", disable=not progress, leave=False) as bar:
        for result in _measure(paths, groups, workers, expected, scheduler, scheduler_timeout):
            yield result
            bar.update()


def _measure(paths: list[str], groups: tuple[str, ...], workers: int | None, expected: dict[str, str],
             scheduler: str | None, scheduler_timeout: float) -> Iterator[Result]:
    """The results from wherever the files are measured: a Dask cluster, a local pool, or this process."""
    if scheduler is not None:
        return _extract_on_cluster(paths, groups, expected, scheduler, scheduler_timeout)
    workers = max(1, min(workers or os.cpu_count() or 1, len(paths) or 1))
    if workers == 1:
        _keep_freed_memory()  # as a pool worker does: fresh pages for every array cost a third of the CPU time
        return (extract_file(path, groups, expected.get(path)) for path in paths)
    return _extract_in_pool(paths, groups, expected, workers)


def _extract_in_pool(paths: list[str], groups: tuple[str, ...], expected: dict[str, str],
                     workers: int) -> Iterator[Result]:
    """Measure the files in a pool of spawned processes (largest first), yielding results as they finish."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                             initializer=_prepare_worker, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(extract_file, path, groups, expected.get(path)): path for path in _largest_first(paths)}
        yield from _settle(as_completed(futures), futures)


def _extract_on_cluster(paths: list[str], groups: tuple[str, ...], expected: dict[str, str], scheduler: str,
                        timeout: float) -> Iterator[Result]:
    """Measure the files on a Dask cluster's workers (largest first), yielding results as they finish."""
    with connect(scheduler, timeout) as client:
        import distributed  # importable: connect would have said how to install it

        # pure=False: every file is a task of its own, even a path given twice.
        futures = {client.submit(extract_file, path, groups, expected.get(path), pure=False): path
                   for path in _largest_first(paths)}
        yield from _settle(distributed.as_completed(futures, loop=client.loop), futures)


def _settle(finished: Iterable[Any], futures: dict[Any, str]) -> Iterator[Result]:
    """Each finished future's result; one that raised (e.g. its worker died) comes back as 'PATH: reason'.

    Shared by the pool and the Dask cluster, whose futures both have .result(). Each future is dropped
    from `futures` once read, so its result can be freed (on a cluster: released from the worker).
    """
    for future in finished:
        path = futures.pop(future)
        try:
            yield future.result()
        except Exception as err:  # noqa: BLE001 - e.g. a worker killed by a crash in native code
            yield path, None, error_message(path, err)


def _largest_first(paths: list[str]) -> list[str]:
    """The paths by decreasing size, so no worker is left with a long file at the end while the others idle."""
    return sorted(paths, key=_size, reverse=True)


def _size(path: str) -> int:
    """The file's size in bytes (0 if unreadable): a cheap stand-in for its duration when scheduling."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _prepare_worker(parent: int) -> None:
    """Set up a pool worker: die with the parent, leave Ctrl-C to it, keep freed memory."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the batch; workers print no tracebacks
    _keep_freed_memory()


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (no-op elsewhere), so none is left orphaned."""
    prctl = getattr(c_library(), "prctl", None)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _keep_freed_memory() -> None:
    """Make glibc's malloc keep freed memory for reuse instead of returning it to the system (no-op elsewhere).

    Each track allocates and frees arrays of tens of MB; by default every one is a fresh mmap whose pages the
    kernel must fault in and zero again, which costs a worker as much system time as half its analysis (two
    4-minute tracks in one process: 9.2 CPU s, 6.1 with this). The process keeps its peak memory until it ends:
    pool workers, and this process when it extracts alone (workers=1); not a Dask worker, whose memory limits
    watch what the process holds.
    """
    mallopt = getattr(c_library(), "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_MAX, 0)
        mallopt(M_TRIM_THRESHOLD, 1 << 30)
