"""Throughput of whytag's SignalExtractor against Essentia's MusicExtractor on the same files, same run.

Usage: python bench/extract.py [FOLDER ...] [--workers N] [--rounds R] [--baseline DIR]
   (default: the singularity-music tracks)
Prints, for each, seconds of audio per wall-clock second per core and per CPU second of the workers
(user + system; robust when other programs share the machine), and the ratios. whytag runs in a child
process (start-up and imports counted, as for MusicExtractor's workers); with --baseline, so does the whytag
package under DIR (a folder holding a `whytag` checkout of another commit: the before of a change), in the
same run. With --rounds R, all of them run R times, interleaved, so a load that comes and goes hits each alike.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import soundfile as sf

from whytag.extractors.audio import find_audio
from whytag.extractors.batch import extract_many

DEFAULT_FOLDER = "/usr/share/games/singularity/music"


def music_extractor(path: str) -> str | None:
    """Run essentia.standard.MusicExtractor on one file; the error text if it fails."""
    import essentia

    essentia.log.infoActive = False
    import essentia.standard as es

    try:
        es.MusicExtractor()(path)
        return None
    except RuntimeError as err:
        return f"{path}: {err}"


def run_whytag(paths: list[str], workers: int) -> int:
    """SignalExtractor over `paths` in its own process pool (decode included); the number of failures."""
    return sum(error is not None for _, _, error in extract_many(paths, workers=workers, progress=False))


def whytag_in_child(pythonpath: str | None):
    """run_whytag in a child Python whose `whytag` is found on `pythonpath` (None: this one's)."""
    env = dict(os.environ) if pythonpath is None else {**os.environ, "PYTHONPATH": pythonpath}

    def run(paths: list[str], workers: int) -> int:
        finished = subprocess.run([sys.executable, __file__, "--child", "--workers", str(workers), *paths], env=env,
                                  check=True, capture_output=True, text=True)
        return int(finished.stdout.split()[-1])

    return run


def run_music_extractor(paths: list[str], workers: int) -> int:
    """MusicExtractor over `paths` in a process pool of the same size; the number of failures."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        return sum(error is not None for error in pool.map(music_extractor, paths))


def timed(run, paths: list[str], workers: int) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (this process and its reaped workers) and failures of one run."""
    before = cpu_seconds()
    start = time.perf_counter()
    failures = run(paths, workers)
    wall = time.perf_counter() - start
    return wall, cpu_seconds() - before, failures


def cpu_seconds() -> float:
    """User + system CPU seconds used so far by this process and its finished child processes."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", default=[DEFAULT_FOLDER])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=1, help="times each extractor runs, interleaved")
    parser.add_argument("--baseline", help="a folder whose `whytag` is another commit's checkout, timed alike")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # whytag_in_child's side
    args = parser.parse_args()
    found, _ = find_audio(args.folders)
    paths = [str(p) for p in found]
    if args.child:
        print(run_whytag(paths, args.workers))
        return
    if not paths:
        raise SystemExit(f"no audio files in {', '.join(args.folders)}: install the Debian package "
                         "singularity-music (tests/system-deps.sh does) or name folders of audio")
    audio_seconds = sum(sf.info(p).duration for p in paths)
    print(f"{len(paths)} files, {audio_seconds / 60:.1f} min of audio, {args.workers} worker(s) on "
          f"{os.cpu_count()} core(s), {args.rounds} round(s); load average before: {load_average()}")
    runs = [("whytag SignalExtractor", whytag_in_child(None))]
    if args.baseline:
        runs.append(("whytag baseline", whytag_in_child(args.baseline)))
    runs.append(("essentia MusicExtractor", run_music_extractor))
    rows = {name: [] for name, _ in runs}
    for _ in range(args.rounds):
        for name, run in runs:
            rows[name].append(timed(run, paths, args.workers))
    print(f"{'extractor':26s} {'round':>5s} {'wall s':>8s} {'x RT/core (wall)':>17s} {'CPU s':>8s} "
          f"{'x RT/CPU s':>11s} {'failed':>7s}")
    for name, timings in rows.items():
        for number, (wall, cpu, failures) in enumerate(timings, 1):
            print(f"{name:26s} {number:5d} {wall:8.1f} {audio_seconds / wall / args.workers:17.1f} {cpu:8.1f} "
                  f"{audio_seconds / cpu:11.1f} {failures:7d}")
    reference = rows["essentia MusicExtractor"]
    for name, timings in rows.items():
        if name != "essentia MusicExtractor":
            cpu = [theirs[1] / mine[1] for mine, theirs in zip(timings, reference)]
            wall = [theirs[0] / mine[0] for mine, theirs in zip(timings, reference)]
            print(f"{name} speed-up over MusicExtractor, per round: CPU time "
                  f"{', '.join(f'{r:.2f}x' for r in cpu)}; wall {', '.join(f'{r:.2f}x' for r in wall)}")
    print(f"load average after: {load_average()} (other programs' load slows the wall-clock figures only)")


def load_average() -> str:
    """The system's 1, 5 and 15 minute load averages, as uptime prints them."""
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


if __name__ == "__main__":
    main()
