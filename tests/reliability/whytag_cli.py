"""Helpers for the reliability tests: the `whytag` command as a user runs it, the same command held at its
k-th write to the store (kills and full disks at points defined by progress, not time), small clips."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
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


def run_whytag(*args: str, store: Path | str | None = None, timeout: float = 900,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the command to its end (`timeout`: a bound for a hung one, far past the slowest on a loaded machine);
    stdout and stderr as text."""
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


HELD = textwrap.dedent("""
    import os, runpy, sys
    from whytag.kg.store import GraphStore
    hold_at, marks = int(sys.argv[1]), int(sys.argv[2])
    count = 0

    def counted(write):
        def run(self, *args, **kwargs):
            global count
            count += 1
            k = count
            os.write(marks, b"start %d\\n" % k)
            result = write(self, *args, **kwargs)
            os.write(marks, b"done %d\\n" % k)
            if k == hold_at:
                sys.stdin.readline()  # held until the test kills the process, or lets it go on
            return result
        return run

    for name in ("update", "_load", "compact"):  # every way a command changes the embedded store
        setattr(GraphStore, name, counted(getattr(GraphStore, name)))
    sys.argv = ["whytag", *sys.argv[3:]]
    try:
        runpy.run_module("whytag", run_name="__main__", alter_sys=True)
    finally:
        os.write(marks, b"writes %d\\n" % count)
""")


@dataclass
class Held:
    """A `whytag` command run by `hold_at_write`: held after its k-th write, or finished before reaching it."""

    process: subprocess.Popen
    marks: object  # the command's progress lines: "start k", "done k", and "writes N" when it ends
    reached: bool
    writes: int | None = None  # how many writes it made, once it has ended by itself

    def kill(self) -> None:
        """SIGKILL the command and everything it started (its session)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.marks.close()

    def go_on(self) -> int:
        """Let the command continue to its end; its exit status."""
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        return self.finish()

    def finish(self) -> int:
        """Wait for the command to end; its exit status."""
        self.process.stdin.close()
        for line in self.marks:
            self.writes = int(line.split()[1]) if line.startswith("writes") else self.writes
        self.marks.close()
        return self.process.wait()


def hold_at_write(*args: str, store: Path | str, k: int, started: bool = False, log: Path | None = None) -> Held:
    """Run `whytag --store STORE ARGS…` so that it stops after its k-th write to the store (k = 0: never), in a
    session of its own; returns once it is held there (or, with `started`, once that write has begun), or
    once it has finished without reaching it. Its stderr goes to `log` (default: `stderr.txt` beside STORE).

    The point is defined by the command's own progress, so where a kill lands does not depend on how
    loaded the machine is: a held command cannot finish by itself."""
    read_end, write_end = os.pipe()
    log = log or Path(store).parent / "stderr.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as errors:
        process = subprocess.Popen([sys.executable, "-c", HELD, str(k), str(write_end), "--store", str(store), *args],
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors, text=True,
                                   pass_fds=(write_end,), start_new_session=True)
    os.close(write_end)
    marks = os.fdopen(read_end)
    wanted = f"start {k}" if started else f"done {k}"
    for line in marks:
        if line.strip() == wanted:
            return Held(process, marks, True)
        if line.startswith("writes"):
            return Held(process, marks, False, int(line.split()[1]))
    return Held(process, marks, False)
