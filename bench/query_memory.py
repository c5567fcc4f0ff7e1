"""`whytag query`'s memory against the size of its answer: 10,000 rows beside 1,000,000, side by side in one run.

Usage: python bench/query_memory.py [--before DIR] [--sizes 10000 1000000]
Each run is `whytag query` as a user starts it (a child process, an empty store) on a query whose answer has
N rows without any data: two VALUES blocks of √N numbers crossed (`SELECT (?a * k + ?b AS ?n)`), written to
a pipe this script drains. Measured per run: peak RSS of the command (its rusage), seconds until its first
row reached the pipe, and seconds in all. Runs: `--format csv` (streamed) and `--format table` (held whole,
to align it), both with `--max-results 0`; with --before DIR (a checkout of an older whytag), its csv too.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def query_text(rows: int) -> str:
    """A query with exactly `rows` rows (a square number), made of two VALUES blocks and no stored data."""
    side = math.isqrt(rows)
    assert side * side == rows, "sizes must be square numbers"
    numbers = " ".join(map(str, range(side)))
    return f"SELECT (?a * {side} + ?b AS ?n) WHERE {{ VALUES ?a {{ {numbers} }} VALUES ?b {{ {numbers} }} }}"


def measure(store: Path, rows: int, fmt: str, code: Path | None) -> dict:
    """Run one `whytag query` and read its output; peak RSS (MB), first row and total seconds, rows read."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as shim:
        if code is not None:
            os.symlink(code.resolve(), Path(shim) / "whytag")
            env["PYTHONPATH"] = shim
        command = [sys.executable, "-m", "whytag", "--store", str(store), "query", "--format", fmt, query_text(rows)]
        if code is None:
            command[-1:-1] = ["--max-results", "0"]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
        first, lines = None, 0
        while chunk := process.stdout.read1(1 << 16):
            if first is None:
                first = time.perf_counter() - start
            lines += chunk.count(b"\n")
        _, status, usage = os.wait4(process.pid, 0)
        total = time.perf_counter() - start
    assert os.waitstatus_to_exitcode(status) == 0, f"{command[:8]} failed"
    return {"peak_mb": usage.ru_maxrss / 1024, "first_s": first, "total_s": total, "lines": lines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="checkout of an older whytag, to run its csv beside")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    args = parser.parse_args()
    runs = [("csv (streamed)", "csv", None), ("table (held)", "table", None)]
    if args.before:
        runs.append(("csv, before", "csv", args.before))
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "graph"
        subprocess.run([sys.executable, "-m", "whytag", "--store", str(store), "--create", "query", "ASK {}"],
                       check=True, capture_output=True)
        print("| run | rows | peak RSS (MB) | first row (s) | all rows (s) |")
        print("|---|---:|---:|---:|---:|")
        peaks: dict[str, list[float]] = {}
        for name, fmt, code in runs:
            for rows in args.sizes:
                result = measure(store, rows, fmt, code)
                peaks.setdefault(name, []).append(result["peak_mb"])
                print(f"| {name} | {rows:,} | {result['peak_mb']:.0f} | {result['first_s']:.2f} | "
                      f"{result['total_s']:.1f} |", flush=True)
        for name, values in peaks.items():
            print(f"{name}: peak RSS at {args.sizes[-1]:,} rows / at {args.sizes[0]:,} = {values[-1] / values[0]:.2f}")


if __name__ == "__main__":
    main()
