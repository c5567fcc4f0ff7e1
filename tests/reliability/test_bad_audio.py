"""A corpus of bad audio made here: the batch goes on, every file is accounted for, the graph stays valid.

The 1-hour file is ingested (probed and hashed) by default; extracting it takes minutes, so that
part runs only with WHYTAG_SLOW_TESTS=1 (docs/reliability.md has its measured run).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from whytag_cli import RATE, chords_clip, run_whytag

SLOW = os.environ.get("WHYTAG_SLOW_TESTS") == "1"
SILENCE_RATE = 8000  # long silent files at a low rate: small on disk, still minutes of audio


def truncated(path: Path, data: np.ndarray, fmt: str) -> Path:
    """An encoded file cut to a third of its bytes, as a failed copy leaves it."""
    sf.write(path, data, RATE, format=fmt)
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 3])
    return path


def make_corpus(folder: Path) -> tuple[set[str], set[str]]:
    """Write the corpus; returns (names that must become tracks, names that must fail)."""
    folder.mkdir()
    clip = chords_clip(2.0)
    (folder / "zero.wav").write_bytes(b"")
    (folder / "random.wav").write_bytes(np.random.default_rng(1).bytes(50_000))
    truncated(folder / "cut.mp3", clip, "MP3")
    truncated(folder / "cut.flac", clip, "FLAC")
    truncated(folder / "cut.ogg", clip, "OGG")
    sf.write(folder / "short.wav", chords_clip(0.05), RATE)
    sf.write(folder / "silence.flac", np.zeros(SILENCE_RATE * 600, dtype=np.int16), SILENCE_RATE)
    surround = 0.2 * np.sin(2 * np.pi * np.outer(np.arange(96000 * 1.5) / 96000, 220.0 * np.arange(1, 9)))
    sf.write(folder / "surround.wav", surround, 96000, subtype="PCM_16")  # 1.5 s, 8 channels at 96 kHz
    sf.write(folder / "name with spaces é ü 日本.wav", chords_clip(1.5, 262.0), RATE)
    (folder / "inner.mp3").mkdir()  # a directory named like audio: walked, not read
    sf.write(folder / "inner.mp3" / "nested.wav", chords_clip(1.5, 294.0), RATE)
    os.symlink("loop-b.wav", folder / "loop-a.wav")
    os.symlink("loop-a.wav", folder / "loop-b.wav")
    os.symlink("..", folder / "inner.mp3" / "up")  # a directory loop: the walk must end
    sf.write(os.fsencode(folder) + b"/caf\xe9-latin1.wav", chords_clip(1.0, 392.0), RATE)
    locked = folder / "locked.wav"
    sf.write(locked, chords_clip(1.0, 440.0), RATE)
    locked.chmod(0)
    good = {"short.wav", "silence.flac", "surround.wav", "name with spaces é ü 日本.wav", "nested.wav"}
    bad = {"zero.wav", "random.wav", "loop-a.wav", "loop-b.wav", "caf", "cut.mp3", "cut.flac", "cut.ogg"}
    (bad if os.geteuid() != 0 else good).add("locked.wav")  # root reads it anyway
    return good, bad


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    """The corpus ingested and extracted in one batch (two workers), and the store's validation."""
    root = tmp_path_factory.mktemp("corpus")
    good, bad = make_corpus(root / "audio")
    store = root / "graph"
    result = run_whytag("ingest", "--quiet", "--extract", "--workers", "2", str(root / "audio"), store=store,
                        timeout=900)
    paths = run_whytag("query", "SELECT ?p WHERE { ?f wt:path ?p }", "--format", "csv", store=store).stdout
    measured = run_whytag("query", "SELECT DISTINCT ?p WHERE { ?t wt:bpm ?v ; mo:available_as/wt:path ?p }",
                          "--format", "csv", store=store).stdout
    validation = run_whytag("validate", store=store, timeout=600)
    return result, set(paths.splitlines()[1:]), validation, (good, bad), set(measured.splitlines()[1:])


def test_the_batch_goes_on_and_names_every_bad_file(corpus_run):
    result, stored, _, (good, bad), _ = corpus_run
    assert result.returncode == 1, result.stderr  # some failed: scripts can tell
    assert "Traceback" not in result.stderr, result.stderr
    failed = [line for line in result.stderr.splitlines() if line.strip().startswith("failed:")]
    stored_names = {Path(p).name for p in stored}
    for name in good:
        assert name in stored_names, (name, stored_names)
    for name in bad:
        assert any(name in line for line in failed), (name, result.stderr)
        assert not any(n.startswith(name) for n in stored_names)
    assert "inner.mp3" not in stored_names


def test_bad_files_fail_for_the_right_reason(corpus_run):
    result, *_ = corpus_run
    text = result.stderr
    assert "zero.wav: empty file" in text
    assert "loop-a.wav: a symbolic link that leads nowhere" in text
    assert "-latin1.wav: the file name is not valid UTF-8" in text
    assert "short.wav: too short for signal analysis" in text  # ingested, then refused by the extractor
    assert "cut.mp3: truncated" in text and "cut.flac: audio data unreadable or truncated" in text


def test_long_silence_and_many_channels_are_measured(corpus_run):
    _, _, _, (good, _), measured = corpus_run
    assert good - {"short.wav"} <= {Path(p).name for p in measured}, measured


def test_the_graph_stays_valid(corpus_run):
    _, _, validation, _, _ = corpus_run
    assert validation.returncode == 0, validation.stdout + validation.stderr
    assert "conforms" in validation.stdout


def test_an_hour_long_file_is_ingested(tmp_path):
    folder = tmp_path / "long"
    folder.mkdir()
    sf.write(folder / "hour.flac", np.zeros(SILENCE_RATE * 3600, dtype=np.int16), SILENCE_RATE)
    store = tmp_path / "graph"
    args = ["ingest", "--quiet"] + (["--extract", "--workers", "1"] if SLOW else []) + [str(folder)]
    result = run_whytag(*args, store=store, timeout=1800)
    assert result.returncode == 0, result.stderr
    seconds = run_whytag("query", "SELECT ?d WHERE { ?f wt:duration ?d }", "--format", "csv", store=store).stdout
    assert float(seconds.split()[1]) == pytest.approx(3600)
    if SLOW:
        assert run_whytag("validate", store=store, timeout=600).returncode == 0
