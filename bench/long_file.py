"""Peak memory of extracting one long recording: window by window (now) beside whole-file decoding (before).

Usage: python bench/long_file.py [--minutes 120] [--whole-minutes 20] [--folder DIR]
Writes a stereo 16-bit 44.1 kHz WAV of changing chords over noise bursts (written in blocks: the bench itself
stays small), then extracts it (signal and symbolic groups, as `ingest --extract` does) in a fresh process
per case and prints each case's peak resident memory (ru_maxrss), wall and CPU seconds. Issue #29: a 2-hour
WAV (1.27 GB) took 9.2 GB measured whole; the goal is under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 44100
CHILD = """
import json, resource, sys, time
from whytag.extractors.batch import DEFAULT_GROUPS, extract_file
path, window = sys.argv[1], float(sys.argv[2])
started = time.monotonic()
_, sets, error = extract_file(path, DEFAULT_GROUPS, window=window)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"peak_mb": usage.ru_maxrss / 1024, "wall_s": time.monotonic() - started,
                  "cpu_s": usage.ru_utime + usage.ru_stime, "error": error,
                  "length_s": sets and dict(sets[0].as_dict())["Length"]}))
"""


def write_recording(path: Path, minutes: float) -> Path:
    """A stereo WAV of `minutes`: triads changing every half second, a noise burst on every beat (120 BPM)."""
    rng = np.random.default_rng(0)
    t = np.arange(RATE * 60) / RATE
    steps = (t // 0.5).astype(int) % 4
    notes = 220.0 * np.array([[1, 1.25, 1.5], [4 / 3, 5 / 3, 2], [1.5, 15 / 8, 9 / 4], [1, 1.25, 1.5]])[steps]
    chords = (0.15 * np.sin(2 * np.pi * notes * t[:, None]).sum(axis=1) / 3).astype(np.float32)
    bursts = (0.3 * rng.standard_normal(len(t)) * np.exp(-(t % 0.5) * 40)).astype(np.float32)
    minute = chords + bursts
    with sf.SoundFile(path, "w", RATE, 2, "PCM_16") as out:
        for m in range(int(np.ceil(minutes))):
            block = minute[: int(RATE * 60 * min(1.0, minutes - m))] * (0.6 + 0.4 * (m % 3) / 2)
            out.write(np.stack([block, 0.8 * block], axis=1))
    return path


def measure(path: Path, window: float) -> dict:
    """Extract `path` in a fresh process with windows of `window` seconds (inf: the whole file at once)."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(window)], capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120.0, help="length of the long recording")
    parser.add_argument("--whole-minutes", type=float, default=20.0,
                        help="length of the file also measured whole, as before (0: skip)")
    parser.add_argument("--folder", help="where to write the WAV files (default: a temporary folder)")
    args = parser.parse_args()
    from whytag.extractors.audio import WINDOW_SECONDS

    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        cases = []
        if args.whole_minutes:
            short = write_recording(Path(folder) / "short.wav", args.whole_minutes)
            cases += [(args.whole_minutes, short, float("inf"), "whole file (before)"),
                      (args.whole_minutes, short, WINDOW_SECONDS, "windows (now)")]
        long = write_recording(Path(folder) / "long.wav", args.minutes)
        cases.append((args.minutes, long, WINDOW_SECONDS, "windows (now)"))
        print("| minutes | WAV MB | decoding | peak RSS MB | wall s | CPU s | Length s |")
        print("|---|---|---|---|---|---|---|")
        for minutes, path, window, label in cases:
            result = measure(path, window)
            if result.get("error"):
                print(f"| {minutes:g} | {path.stat().st_size / 2**20:.0f} | {label} | failed: {result['error']} |")
                continue
            print(f"| {minutes:g} | {path.stat().st_size / 2**20:.0f} | {label} | {result['peak_mb']:.0f} | "
                  f"{result['wall_s']:.0f} | {result['cpu_s']:.0f} | {result['length_s']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
