"""The `whytag` command as a user runs it (a real subprocess, a real store), for the tests of tests/cli."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HUNG = 900  # seconds: a bound for a hung command, far past the slowest here on a loaded machine (never a pace)


def whytag(*args: str, store=None, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "whytag"] + (["--store", str(store)] if store else []) + list(args)
    result = subprocess.run(command, capture_output=True, text=True, timeout=HUNG)
    if check and result.returncode != 0:
        raise AssertionError(f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def tagged_table(folder: Path) -> Path:
    """A store in `folder` of the feature table's 12 tracks t0…t11 (BPM 60…170; 'fast' from t6 on) as a user makes
    it: learned and tagged, so its tracks can be explained."""
    table = folder / "table.csv"
    table.write_text("id,BPM,Spectral-Centroid,fast\n" + "".join(
        f"t{i},{60 + 10 * i},{500 + 50 * i},{int(i >= 6)}\n" for i in range(12)))
    store = folder / "graph"
    whytag("learn", "--features", str(table), "--labels", str(table), "--label-columns", "fast", store=store)
    whytag("tag", "--quiet", store=store)
    return store
