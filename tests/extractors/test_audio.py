"""Decoding: every file either loads as finite mono float32 at the asked rate or raises AudioError naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

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
