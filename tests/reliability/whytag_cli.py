"""Helpers for the reliability tests: the `whytag` command as a user runs it, and small generated clips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 22050


def chords_clip(seconds: float = 3.0, root: float = 220.0) -> np.ndarray:
    """A few seconds of triads changing every half second: enough for every extractor, cheap to analyse."""
    t = np.arange(int(seconds * RATE)) / RATE
    steps = (t // 0.5).astype(int) % 4
    ratios = np.array([[1, 1.25, 1.5], [4 / 3, 5 / 3, 2], [1.5, 15 / 8, 9 / 4], [1, 1.25, 1.5]])
    notes = root * ratios[steps]
    return (0.2 * np.sin(2 * np.pi * notes * t[:, None]).sum(axis=1) / 3).astype(np.float32)


def write_clips(folder: Path, count: int = 3, seconds: float = 2.0) -> list[Path]:
    """`count` distinct chord clips as WAV files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"clip{i}.wav"
        sf.write(path, chords_clip(seconds, 196.0 * 2 ** (i / 12)), RATE)
        paths.append(path)
    return paths


def whytag_command(*args: str, store: Path | str | None = None) -> list[str]:
    """The argv of `whytag [--store STORE] ARGS…` run with this interpreter."""
    return [sys.executable, "-m", "whytag"] + (["--store", str(store)] if store is not None else []) + list(args)


def run_whytag(*args: str, store: Path | str | None = None, timeout: float = 300,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the command to its end; stdout and stderr as text."""
    return subprocess.run(whytag_command(*args, store=store), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def assert_one_clear_line(result: subprocess.CompletedProcess, *words: str, code: int = 1) -> str:
    """The command failed with `code`, no traceback, and one 'Error:' line holding every word; returns it."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], (word, errors[0])
    return errors[0]
