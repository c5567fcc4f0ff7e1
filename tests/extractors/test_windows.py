"""Long recordings measured window by window: memory of a window (bench/long_file.py), the same results as
whole-file decoding for files of normal length, and window-wise summaries that match the whole on a steady signal."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from whytag.extractors.audio import WINDOW_SECONDS, load, load_windows
from whytag.extractors.batch import ANALYSIS_RATE, extract_file, make_extractor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from whytag_cli import chords_clip  # noqa: E402 - the chord clips of the reliability tests

GROUPS = ("signal", "symbolic")


def stereo_chords(path: Path, seconds: float) -> Path:
    """A stereo 44.1 kHz WAV of changing triads (the right channel quieter), `seconds` long."""
    rate = 44100
    t = np.arange(int(seconds * rate)) / rate
    steps = (t // 0.5).astype(int) % 4
    notes = 220.0 * np.array([[1, 1.25, 1.5], [4 / 3, 5 / 3, 2], [1.5, 15 / 8, 9 / 4], [1, 1.25, 1.5]])[steps]
    left = (0.2 * np.sin(2 * np.pi * notes * t[:, None]).sum(axis=1) / 3).astype(np.float32)
    sf.write(path, np.stack([left, 0.5 * left], axis=1), rate)
    return path


def test_a_file_of_normal_length_is_measured_exactly_as_when_decoded_whole(tmp_path):
    path = stereo_chords(tmp_path / "song.wav", 20.0)
    assert WINDOW_SECONDS > 20.0  # a song: one window
    _, windowed, error = extract_file(str(path), GROUPS)
    assert error is None
    audio = load(path, ANALYSIS_RATE)
    whole = [make_extractor(group).extract(audio) for group in GROUPS]
    assert [fs.as_dict() for fs in windowed] == [fs.as_dict() for fs in whole]
    assert [fs.extras for fs in windowed] == [fs.extras for fs in whole]


def test_a_long_file_is_decoded_in_windows_that_add_up_to_the_file(tmp_path):
    path = tmp_path / "mix.wav"
    sf.write(path, np.concatenate([chords_clip(4.0, 196.0), chords_clip(5.0, 262.0)]), 22050)
    windows = list(load_windows(path, 22050, seconds=4.0))
    assert [start for start, _ in windows] == [0.0, 3.0, 6.0]  # three equal windows of at most 4 s
    assert np.array_equal(np.concatenate([audio.samples for _, audio in windows]), load(path, None).samples)


def test_a_steady_recording_measured_in_windows_matches_its_whole_measure(tmp_path):
    path = stereo_chords(tmp_path / "long.wav", 24.0)
    _, whole, _ = extract_file(str(path), GROUPS)
    _, windowed, error = extract_file(str(path), GROUPS, window=8.0)
    assert error is None
    signal, whole_signal = windowed[0].as_dict(), whole[0].as_dict()
    assert signal["Length"] == pytest.approx(24.0, abs=1e-3)  # summed over the windows
    for name in ("Spectral-Centroid", "Spectral-Rolloff", "Spectral-Flux", "MFCC-2", "Integrated-Loudness",
                 "Zerocrossingrate", "Pitch-Salience"):
        assert math.isclose(signal[name], whole_signal[name], rel_tol=0.05, abs_tol=0.05), name
    assert (signal["Key"], signal["Scale-Major"]) == (whole_signal["Key"], whole_signal["Scale-Major"])
    assert windowed[0].extras == whole[0].extras  # the key's name and scale: the same in every window
    onsets = [event.onset for event in windowed[1].extras["chords"]]
    assert onsets == sorted(onsets) and onsets[-1] > 16.0  # chord events on the file's time line
