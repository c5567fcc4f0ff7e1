"""Decoding: every file either loads as finite mono float32 at the asked rate or raises AudioError naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from whytag.extractors import audio
from whytag.extractors.audio import AudioError, load, probe


def test_multichannel_high_rate_file_loads_as_mono_44k(tmp_path: Path) -> None:
    path = tmp_path / "eight.wav"
    sf.write(path, 0.2 * np.ones((96000, 8), np.float32), 96000)
    audio = load(path)
    assert audio.sample_rate == 44100 and audio.samples.ndim == 1 and audio.samples.dtype == np.float32
    assert audio.duration == pytest.approx(1.0, abs=1e-3)
    assert probe(path).channels == 8


@pytest.mark.parametrize("content", [b"", b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40])
def test_corrupt_or_empty_file_is_an_audio_error_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.mp3"
    path.write_bytes(content)
    with pytest.raises(AudioError, match="broken.mp3"):
        probe(path)
    if content:
        with pytest.raises(AudioError, match="broken.mp3"):
            load(path)


@pytest.mark.parametrize(("source", "target", "like_essentia"), [
    (48000, 44100, True), (48000, 44100, False), (22050, 44100, True), (88200, 44100, True), (44100, 16000, False),
])
def test_resampling_is_resample_polys(source: int, target: int, like_essentia: bool) -> None:
    """The matrix-product resampler gives SciPy's resample_poly (same filter, alignment, length) to float32 rounding."""
    from math import gcd

    from scipy.signal import resample_poly

    divisor = gcd(source, target)
    up, down = target // divisor, source // divisor
    for length in (1, 7, 1001, 3 * source + 17):
        x = np.random.default_rng(length).standard_normal(length).astype(np.float32)
        window = audio._lowpass(max(up, down), True) if like_essentia else ("kaiser", 5.0)  # scipy's default
        expected = resample_poly(x, up, down, window=window)
        mine = audio.resample(x, source, target, like_essentia=like_essentia)
        assert mine.dtype == np.float32 and mine.shape == expected.shape
        np.testing.assert_allclose(mine, expected, atol=2e-6 * np.abs(expected).max())


def test_non_finite_samples_become_silence_or_full_scale(tmp_path: Path) -> None:
    """NaN and infinities in a float file: 0 and +-1 in the channels and the mix, the rest untouched."""
    stereo = np.full((48000, 2), 0.25, np.float32)
    stereo[100, 0], stereo[200, 1], stereo[300, 0] = np.nan, np.inf, -np.inf
    path = tmp_path / "bad.wav"
    sf.write(path, stereo, 48000, subtype="FLOAT")
    loaded = load(path, sample_rate=None)
    assert np.isfinite(loaded.samples).all() and np.isfinite(loaded.channels).all()
    assert (loaded.channels[100, 0], loaded.channels[200, 1], loaded.channels[300, 0]) == (0.0, 1.0, -1.0)
    assert loaded.samples[100] == 0.125 and loaded.samples[400] == 0.25
    assert np.isfinite(load(path).samples).all()  # resampled to 44.1 kHz: no NaN smeared by the filter


def test_a_folder_without_audio_is_reported_not_silently_empty(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no music here")
    sf.write(tmp_path / "clip.wav", np.zeros(4410), 44100)
    found, problems = audio.find_audio([tmp_path / "empty", tmp_path / "notes", tmp_path / "clip.wav"])
    assert found == [tmp_path / "clip.wav"]
    assert problems == [f"{tmp_path / name}: no audio files in this folder (.wav, .flac, .ogg, .oga, .mp3, .au)"
                        for name in ("empty", "notes")]
