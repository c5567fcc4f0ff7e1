"""The `whytag` command as a user runs it (a real subprocess, a real store), for the tests of tests/cli."""

from __future__ import annotations

import subprocess
import sys


def whytag(*args: str, store=None, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "whytag"] + (["--store", str(store)] if store else []) + list(args)
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result
